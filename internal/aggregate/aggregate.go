// Package aggregate holds the additive sales measures that ingestion computes
// per file and the API sums at query time: revenue, cost, units, lines and
// orders per dimension value and period, and for deal files the closed deals
// won and lost and their sales cycles.
//
// All money is exact: amounts are decimals added with package money, so
// every addition either keeps every digit or fails with money.ErrOverflow;
// nothing is ever rounded.
package aggregate

import (
	"sort"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
)

// Grain is the period length a key is aggregated at.
type Grain string

// The stored grains: day for single dimensions, month for everything; weeks,
// quarters, years and custom ranges roll up from these at query time.
const (
	Day   Grain = "D"
	Month Grain = "M"
)

// Key identifies one aggregate: a dimension value in one period. Period is
// "2006-01-02" at Day grain and "2006-01" at Month grain, so keys sort by time.
type Key struct {
	Dim    dimension.Dimension
	Value  string
	Grain  Grain
	Period string
}

// Measures are the additive figures of one key.
type Measures struct {
	Revenue decimal.Decimal
	Cost    decimal.Decimal
	Units   decimal.Decimal
	Lines   int64
	Orders  int64
	// CostLines counts the lines that carried a cost or profit, so margin is
	// only reported where every line had one.
	CostLines int64
	// Won and Lost count the closed deals (files with a deal stage), so
	// that win rate is Won / (Won + Lost); WonRevenue and LostValue are
	// their values. Only won deals are also lines, orders and revenue.
	// Cycled counts the won deals that also have a created date and
	// CycleDays sums their days from created to closed: the won-deal
	// sales cycle is CycleDays / Cycled. LostCycled and LostCycleDays are
	// the same for lost deals.
	Won, Lost, Cycled, CycleDays int64
	WonRevenue                   decimal.Decimal
	LostValue                    decimal.Decimal
	LostCycled, LostCycleDays    int64
}

// Add adds o into m. The error wraps money.ErrOverflow when a sum needs
// more than 19 significant digits; then m is unchanged.
func (m *Measures) Add(o Measures) error {
	rev, err := money.Add(m.Revenue, o.Revenue)
	if err != nil {
		return err
	}
	cost, err := money.Add(m.Cost, o.Cost)
	if err != nil {
		return err
	}
	units, err := money.Add(m.Units, o.Units)
	if err != nil {
		return err
	}
	won, err := money.Add(m.WonRevenue, o.WonRevenue)
	if err != nil {
		return err
	}
	lost, err := money.Add(m.LostValue, o.LostValue)
	if err != nil {
		return err
	}
	m.Revenue, m.Cost, m.Units, m.WonRevenue, m.LostValue = rev, cost, units, won, lost
	m.Lines += o.Lines
	m.Orders += o.Orders
	m.CostLines += o.CostLines
	m.Won += o.Won
	m.Lost += o.Lost
	m.Cycled += o.Cycled
	m.CycleDays += o.CycleDays
	m.LostCycled += o.LostCycled
	m.LostCycleDays += o.LostCycleDays
	return nil
}

// Delta is the contribution of one file version: measures per key.
type Delta map[Key]*Measures

// Add adds measures into the key's entry, creating it when absent. The
// error wraps money.ErrOverflow, as Measures.Add's does.
func (d Delta) Add(k Key, m Measures) error {
	cur, ok := d[k]
	if !ok {
		c := m
		d[k] = &c
		return nil
	}
	return cur.Add(m)
}

// Keys returns the keys in a deterministic order (dimension, grain, period,
// value), so writes and files derived from a delta are reproducible.
func (d Delta) Keys() []Key {
	keys := make([]Key, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return Less(keys[i], keys[j]) })
	return keys
}

// Less orders keys by dimension, grain, period and value.
func Less(a, b Key) bool {
	if a.Dim != b.Dim {
		return a.Dim < b.Dim
	}
	if a.Grain != b.Grain {
		return a.Grain < b.Grain
	}
	if a.Period != b.Period {
		return a.Period < b.Period
	}
	return a.Value < b.Value
}
