// Package recompute rebuilds what cannot be maintained incrementally at
// ingest time. It runs on a schedule and writes its result as one summary
// item that the API serves with the time it was computed.
package recompute

import (
	"context"
	"fmt"
	"github.com/aws/aws-lambda-go/events"
	"log/slog"
	"sort"
	"time"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/segment"
	"github.com/salesseg/salesseg/internal/store"
)

// Table is what recompute reads and writes.
type Table interface {
	Query(ctx context.Context, d segment.Dimension, g aggregate.Grain, from, to string) ([]store.Row, int, error)
	PutSummary(ctx context.Context, summary any) error
}

// Service computes summaries.
type Service struct {
	t   Table
	log *slog.Logger
	now func() time.Time
}

// New returns a Service on t.
func New(t Table, log *slog.Logger) *Service { return &Service{t: t, log: log, now: time.Now} }

// ValueTotal is one dimension value's all-time figures.
type ValueTotal struct {
	Value   string `json:"value"`
	Revenue string `json:"revenue"`
	Orders  int64  `json:"orders"`
	Lines   int64  `json:"lines"`
}

// Summary is what one run records.
type Summary struct {
	ComputedAt string                  `json:"computed_at"`
	FirstMonth string                  `json:"first_month,omitempty"`
	LastMonth  string                  `json:"last_month,omitempty"`
	Dimensions map[string][]ValueTotal `json:"dimensions"`
}

// Run computes all-time totals per dimension value and stores them. The
// event is ignored beyond logging: every run recomputes from the table.
func (s *Service) Run(ctx context.Context) (*Summary, error) {
	sum := &Summary{ComputedAt: s.now().UTC().Format(time.RFC3339), Dimensions: map[string][]ValueTotal{}}
	for _, d := range segment.All() {
		rows, _, err := s.t.Query(ctx, d, aggregate.Month, "0000-00", "9999-12")
		if err != nil {
			return nil, fmt.Errorf("recompute %s: %w", d, err)
		}
		if len(rows) == 0 {
			continue
		}
		byValue := map[string]*aggregate.Measures{}
		for _, r := range rows {
			if d == segment.Total {
				if sum.FirstMonth == "" || r.Period < sum.FirstMonth {
					sum.FirstMonth = r.Period
				}
				sum.LastMonth = max(sum.LastMonth, r.Period)
			}
			m, ok := byValue[r.Value]
			if !ok {
				m = &aggregate.Measures{}
				byValue[r.Value] = m
			}
			if err := m.Add(r.Measures); err != nil {
				return nil, fmt.Errorf("recompute %s %s: %w", d, r.Value, err)
			}
		}
		totals := make([]ValueTotal, 0, len(byValue))
		for v, m := range byValue {
			totals = append(totals, ValueTotal{Value: v, Revenue: m.Revenue.String(), Orders: m.Orders, Lines: m.Lines})
		}
		sort.Slice(totals, func(i, j int) bool { return totals[i].Value < totals[j].Value })
		sum.Dimensions[string(d)] = totals
	}
	if err := s.t.PutSummary(ctx, sum); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "recomputed", "dimensions", len(sum.Dimensions), "first_month", sum.FirstMonth, "last_month", sum.LastMonth)
	return sum, nil
}

// Handle is the Lambda entry point for the schedule's events.
func (s *Service) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	s.log.InfoContext(ctx, "recompute triggered", "source", ev.Source, "detail_type", ev.DetailType, "time", ev.Time)
	_, err := s.Run(ctx)
	return err
}
