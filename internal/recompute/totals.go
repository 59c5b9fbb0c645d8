package recompute

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
)

// ValueTotal is one dimension value's all-time figures.
type ValueTotal struct {
	Value   string `json:"value"`
	Revenue string `json:"revenue"`
	Orders  int64  `json:"orders"`
	Lines   int64  `json:"lines"`
}

// Summary is the all-time totals per dimension value, from the live
// aggregates.
type Summary struct {
	ComputedAt string                  `json:"computed_at"`
	FirstMonth string                  `json:"first_month,omitempty"`
	LastMonth  string                  `json:"last_month,omitempty"`
	Dimensions map[string][]ValueTotal `json:"dimensions"`
}

// totals computes all-time totals per dimension value and stores them.
func (s *Service) totals(ctx context.Context) error {
	sum := &Summary{ComputedAt: s.now().UTC().Format(time.RFC3339), Dimensions: map[string][]ValueTotal{}}
	for _, d := range dimension.All() {
		rows, _, err := s.t.Query(ctx, d, aggregate.Month, "0000-00", "9999-12")
		if err != nil {
			return fmt.Errorf("recompute %s: %w", d, err)
		}
		if len(rows) == 0 {
			continue
		}
		byValue := map[string]*aggregate.Measures{}
		for _, r := range rows {
			if d == dimension.Total {
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
				return fmt.Errorf("recompute %s %s: %w", d, r.Value, err)
			}
		}
		totals := make([]ValueTotal, 0, len(byValue))
		for v, m := range byValue {
			totals = append(totals, ValueTotal{Value: v, Revenue: m.Revenue.String(), Orders: m.Orders, Lines: m.Lines})
		}
		sort.Slice(totals, func(i, j int) bool { return totals[i].Value < totals[j].Value })
		sum.Dimensions[string(d)] = totals
	}
	return s.t.PutSummary(ctx, sum)
}
