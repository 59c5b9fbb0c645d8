package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/pipeline"
)

// DealSource reads the deals of the live deal files; *pipeline.Source
// implements it. Each returns how many files it read.
type DealSource interface {
	Each(ctx context.Context, fn func(pipeline.Deal) error) (int, error)
}

// Pipeline is the body of GET /v1/pipeline: the open pipeline by stage as
// of a day, the deals won and lost in a range, win rates, the won-deal
// cycle, sales velocity and stage conversion, per value of a dimension
// (see package pipeline for every rule).
type Pipeline struct {
	Dimension string `json:"dimension"`
	// AsOf is the day the open pipeline is for; DataDate the latest date
	// of any deal, taken as the day the deals were exported.
	AsOf     *string `json:"as_of"`
	DataDate *string `json:"data_date"`
	// From and To bound the close dates of the closed deals; null for an
	// open side.
	From   *string         `json:"from"`
	To     *string         `json:"to"`
	Stages []string        `json:"stages"`
	Files  int             `json:"files"`
	Groups []PipelineGroup `json:"groups"`
	Total  PipelineGroup   `json:"total"`
	Notes  []string        `json:"notes"`
}

// PipelineGroup is the figures of one value of the dimension; Value is
// null for the deals without one.
type PipelineGroup struct {
	Value      *string          `json:"value"`
	Open       OpenPipeline     `json:"open"`
	Closed     ClosedDeals      `json:"closed"`
	Conversion []ConversionStep `json:"conversion"`
	Reached    []StageReached   `json:"reached"`
	Unordered  int64            `json:"unordered_open_deals"`
	Velocity   *string          `json:"velocity"`
}

// DealTally counts deals and sums their values exactly; Listed counts the
// values that are list prices, NoValue the deals without a value.
type DealTally struct {
	Count   int64  `json:"count"`
	Value   string `json:"value"`
	Listed  int64  `json:"listed"`
	NoValue int64  `json:"no_value"`
}

// OpenPipeline is the open deals at the end of the as-of day, by stage;
// ClosedSince the won and lost deals that were still open that day.
type OpenPipeline struct {
	DealTally
	Stages      []StageTally `json:"stages"`
	ClosedSince ClosedSince  `json:"closed_since"`
}

// StageTally is the open deals at one stage.
type StageTally struct {
	Stage   string `json:"stage"`
	Ordered bool   `json:"ordered"`
	DealTally
}

// ClosedSince is the deals open on the as-of day that have closed since.
type ClosedSince struct {
	DealTally
	Won  int64 `json:"won"`
	Lost int64 `json:"lost"`
}

// ClosedDeals is the deals won or lost within the range.
type ClosedDeals struct {
	Won            DealTally `json:"won"`
	Lost           DealTally `json:"lost"`
	WinRate        *string   `json:"win_rate"`
	WinRateByValue *string   `json:"win_rate_by_value"`
	AverageWon     *string   `json:"average_won"`
	WonCycle       Cycle     `json:"won_cycle"`
	LostCycle      Cycle     `json:"lost_cycle"`
}

// Cycle is the days from created to closed of the deals with a created
// date.
type Cycle struct {
	Deals      int64   `json:"deals"`
	MeanDays   *string `json:"mean_days"`
	MedianDays *string `json:"median_days"`
}

// ConversionStep is the share of the deals that reached From that reached
// To.
type ConversionStep struct {
	From string  `json:"from"`
	To   string  `json:"to"`
	Rate *string `json:"rate"`
}

// StageReached is how many deals reached a stage.
type StageReached struct {
	Stage string `json:"stage"`
	Deals int64  `json:"deals"`
}

func pipelineParams() []string {
	return []string{"dimension", "as_of", "period", "from", "to", "stages", "fiscal_year_start"}
}

// pipelineReport answers GET /v1/pipeline.
func (s *Service) pipelineReport(ctx context.Context, q query) (*Pipeline, error) {
	if s.deals == nil {
		return nil, &Error{Status: 503, Detail: "Deal records are not configured on this deployment."}
	}
	pq, err := s.parsePipelineQuery(q)
	if err != nil {
		return nil, err
	}
	acc, err := pipeline.NewAccumulator(pq)
	if err != nil {
		return nil, badRequest("%s", strings.TrimPrefix(err.Error(), pipeline.ErrQuery.Error()+": "))
	}
	files, err := s.deals.Each(ctx, acc.Add)
	if err != nil {
		return nil, fmt.Errorf("read deals: %w", err)
	}
	rep, err := acc.Report()
	if err != nil {
		return nil, err
	}
	return NewPipeline(rep, files), nil
}

// NewPipeline renders a pipeline report of the deals of files deal files
// as GET /v1/pipeline answers it, notes included; salesseg analyze prints
// the same.
func NewPipeline(rep pipeline.Report, files int) *Pipeline {
	out := &Pipeline{Dimension: string(rep.Dim), AsOf: dateString(rep.AsOf), DataDate: dateString(rep.DataDate),
		From: dateString(rep.From), To: dateString(rep.To), Stages: rep.Stages, Files: files,
		Groups: make([]PipelineGroup, 0, len(rep.Groups)), Total: pipelineGroup(rep.Total), Notes: []string{}}
	if out.Stages == nil {
		out.Stages = []string{}
	}
	out.Total.Value = ptr(dimension.TotalValue)
	for _, g := range rep.Groups {
		out.Groups = append(out.Groups, pipelineGroup(g))
	}
	if files == 0 {
		out.Notes = append(out.Notes, "No deal file is uploaded: upload a CRM export with a deal stage column (e.g. deal_stage) under transactions/.")
	}
	if rep.Total.Open.Listed > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d open deals without a value are valued at their product's list price from the products file.", rep.Total.Open.Listed))
	}
	if rep.Total.Open.NoValue > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d open deals have no value and count in no open value: upload a products/ file with list prices to value them.", rep.Total.Open.NoValue))
	}
	return out
}

// parsePipelineQuery reads the dimension, the as-of day, the close-date
// range (period, or from and to, each a period label) and the stage
// order.
func (s *Service) parsePipelineQuery(q query) (pipeline.Query, error) {
	var pq pipeline.Query
	if _, ok := q["dimension"]; !ok {
		q = withDefault(q, "dimension", string(dimension.Total))
	}
	d, err := parseDims(q)
	if err != nil {
		return pq, err
	}
	if d.crossed() {
		return pq, badRequest("Parameter dimension must name one dimension for the pipeline, not two crossed.")
	}
	pq.Dim = d.list[0]
	if v, ok := q["as_of"]; ok {
		if pq.AsOf, err = period.ParseDate(v); err != nil {
			return pq, badRequest("Parameter as_of must be a day, YYYY-MM-DD, got %s.", quote(v))
		}
	}
	cal, err := s.calendarOf(q)
	if err != nil {
		return pq, err
	}
	label := func(name string) (period.Period, bool, error) { return periodLabel(q, cal, name) }
	per, hasPeriod, err := label("period")
	if err != nil {
		return pq, err
	}
	from, hasFrom, err := label("from")
	if err != nil {
		return pq, err
	}
	to, hasTo, err := label("to")
	if err != nil {
		return pq, err
	}
	switch {
	case hasPeriod && (hasFrom || hasTo):
		return pq, badRequest("Give either period or from/to, not both.")
	case hasPeriod:
		pq.From, pq.To = per.Range.From, per.Range.To
	default:
		if hasFrom {
			pq.From = from.Range.From
		}
		if hasTo {
			pq.To = to.Range.To
		}
		if hasFrom && hasTo && pq.From.After(pq.To) {
			return pq, badRequest("Parameter from (%s) is after to (%s).", from.Label(), to.Label())
		}
	}
	if v, ok := q["stages"]; ok {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				return pq, badRequest("Parameter stages must list stage names separated by commas, first to last, e.g. stages=Prospecting,Engaging; got %s.", quote(v))
			}
			pq.Stages = append(pq.Stages, st)
		}
	}
	return pq, nil
}

func dateString(d period.Date) *string {
	if d.IsZero() {
		return nil
	}
	return ptr(d.String())
}

// fixedPlaces renders a figure rounded to exactly n places; nil stays nil.
func fixedPlaces(d *decimal.Decimal, n int) *string {
	if d == nil {
		return nil
	}
	return ptr(d.Round(n).Pad(n).String())
}

func tally(t pipeline.Tally) DealTally {
	return DealTally{Count: t.Count, Value: t.Value.String(), Listed: t.Listed, NoValue: t.NoValue}
}

func cycle(c pipeline.Cycle) Cycle {
	return Cycle{Deals: c.Deals, MeanDays: fixedPlaces(c.Mean, 2), MedianDays: fixedPlaces(c.Median, 2)}
}

func pipelineGroup(g pipeline.Group) PipelineGroup {
	out := PipelineGroup{
		Open: OpenPipeline{DealTally: tally(g.Open.Tally), Stages: make([]StageTally, 0, len(g.Open.Stages)),
			ClosedSince: ClosedSince{DealTally: tally(g.Open.ClosedSince.Tally), Won: g.Open.ClosedSince.Won, Lost: g.Open.ClosedSince.Lost}},
		Closed: ClosedDeals{Won: tally(g.Closed.Won), Lost: tally(g.Closed.Lost), WinRate: fixedPlaces(g.Closed.WinRate, 4),
			WinRateByValue: fixedPlaces(g.Closed.WinRateByValue, 4), AverageWon: fixedPlaces(g.Closed.AverageWon, 2),
			WonCycle: cycle(g.Closed.WonCycle), LostCycle: cycle(g.Closed.LostCycle)},
		Conversion: make([]ConversionStep, 0, len(g.Conversion.Steps)),
		Reached:    make([]StageReached, 0, len(g.Conversion.Reached)),
		Unordered:  g.Conversion.Unordered,
		Velocity:   fixedPlaces(g.Velocity, 2),
	}
	if !g.Unassigned {
		out.Value = ptr(g.Value)
	}
	for _, st := range g.Open.Stages {
		out.Open.Stages = append(out.Open.Stages, StageTally{Stage: st.Stage, Ordered: st.Ordered, DealTally: tally(st.Tally)})
	}
	for _, st := range g.Conversion.Steps {
		out.Conversion = append(out.Conversion, ConversionStep{From: st.From, To: st.To, Rate: fixedPlaces(st.Rate, 4)})
	}
	for _, r := range g.Conversion.Reached {
		out.Reached = append(out.Reached, StageReached{Stage: r.Stage, Deals: r.Deals})
	}
	return out
}
