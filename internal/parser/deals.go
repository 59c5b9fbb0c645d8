package parser

import (
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/pipeline"
)

// dealRec is one accepted row of a deal file, kept until the date order is
// decided so that Deals can give each deal with its dates read right.
type dealRec struct {
	id              string
	value           exact
	closed, created notation.RawDate // 0 when none
	account         uint32           // customer index+1, 0 for none
	tuple           uint32           // the row's dimension values (see tupleTable)
	stage           uint32           // index in accumulator.stages
	outcome         int8             // dealWon, dealLost, or 0 for open
	hasValue        bool
}

// stageID interns a deal's stage as written, trimmed.
func (a *accumulator) stageID(s []byte) uint32 {
	if i, ok := a.stageIdx[string(s)]; ok {
		return i
	}
	i := uint32(len(a.stages))
	a.stages = append(a.stages, string(s))
	a.stageIdx[a.stages[i]] = i
	return i
}

// keepDeal records an accepted row of a deal file (stage 2).
func (a *accumulator) keepDeal(r *parsedRow) {
	tuple := r.tuple
	if r.open {
		tuple = a.tuples.id(&r.vals, a.tuples.hash(&r.vals))
	}
	d := dealRec{id: r.dealID, closed: r.date, created: r.created, account: r.account, tuple: tuple,
		stage: r.stage, outcome: r.deal, hasValue: r.hasValue || r.deal != 0}
	switch {
	case r.deal == dealWon:
		d.value = r.m.revenue
	case r.deal == dealLost:
		d.value = r.lostValue
	default:
		d.value = r.openValue
	}
	*a.dealRecs.add() = d
}

// dayOf reads a raw date in the file's decided order; a date that reads
// only one way is read that way.
func (a *accumulator) dayOf(r notation.RawDate) period.Date {
	mdy, dmy := r.DayNumbers()
	n := mdy
	if a.dates.Order() == notation.OrderDMY {
		n = dmy
	}
	return period.NewDate(1970, time.January, 1+int(n))
}

// DealCount returns how many deals Deals yields: the accepted rows of a
// file with a deal stage column, 0 for other files.
func (r *Result) DealCount() int {
	if r.deals == nil {
		return 0
	}
	n := 0
	for i := range r.deals.dealRecs.len() {
		if d := r.deals.dealRecs.at(uint32(i)); d.outcome == 0 || !r.deals.dates.Dropped(d.closed) {
			n++
		}
	}
	return n
}

// Deals calls fn for every deal of a file with a deal stage column, in
// file order, and returns the first error fn returns: each accepted row,
// open, won or lost, is one deal (rows rejected for the date order are
// not). A deal's Attrs are its row's dimension values, those its account
// and lookups give included; an open deal without a value whose product
// has a list price in Options.Lookups is valued at it (Listed).
func (r *Result) Deals(fn func(pipeline.Deal) error) error {
	a := r.deals
	if a == nil {
		return nil
	}
	product := -1
	var prices map[string]string
	if lk := a.opt.Lookups[dimension.Product]; lk != nil {
		prices = lk.Prices
		for i, d := range a.dims {
			if d.dim == dimension.Product {
				product = i
			}
		}
	}
	for i := range a.dealRecs.len() {
		d := a.dealRecs.at(uint32(i))
		if d.outcome != 0 && a.dates.Dropped(d.closed) {
			continue
		}
		out := pipeline.Deal{ID: d.id, Stage: a.stages[d.stage], Outcome: pipeline.Open}
		switch d.outcome {
		case dealWon:
			out.Outcome = pipeline.Won
		case dealLost:
			out.Outcome = pipeline.Lost
		}
		if d.account != 0 {
			out.Account = a.customers.names[d.account-1]
		}
		if d.outcome != 0 {
			y, m, dd := a.dates.Resolve(d.closed)
			out.Closed = period.NewDate(y, time.Month(m), dd)
		}
		if d.created != 0 {
			out.Created = a.dayOf(d.created)
			if d.outcome != 0 && out.Created > out.Closed {
				// Created after closed only in the order the file's dates
				// were decided in (the row passed because the other
				// reading fits): the created date is not trusted.
				out.Created = 0
			}
		}
		vals := a.tuples.at(d.tuple)
		for j, ds := range a.dims {
			if v := vals[j]; v != 0 {
				if out.Attrs == nil {
					out.Attrs = make(map[dimension.Dimension]string, len(a.dims))
				}
				out.Attrs[ds.dim] = a.vals[j].names[v]
			}
		}
		switch {
		case d.hasValue:
			out.Value = d.value.String()
		case d.outcome == 0 && product >= 0 && vals[product] != 0:
			if k, ok := a.matchers[dimension.Product](a.vals[product].names[vals[product]]); ok && prices[k] != "" {
				out.Value, out.Listed = prices[k], true
			}
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}
