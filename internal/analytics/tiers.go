package analytics

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
)

// TierConfig configures a Pareto (ABC) value-tier analysis.
type TierConfig struct {
	// Names are the tier names, most valuable first; there is one more
	// name than cuts.
	Names []string
	// Cuts are the cumulative revenue shares at which each tier but the
	// last ends, strictly increasing and strictly between 0 and 1: with
	// cuts 0.80 and 0.95, the first tier holds the customers making the
	// first 80% of revenue, the second the next 15%, the last the rest.
	Cuts []decimal.Decimal
}

// DefaultTierConfig returns the classic ABC split: A makes the first 80% of
// revenue, B the next 15% and C the last 5%, over the whole base.
func DefaultTierConfig() TierConfig {
	return TierConfig{
		Names: []string{"A", "B", "C"},
		Cuts:  []decimal.Decimal{decimal.MustParse("0.80"), decimal.MustParse("0.95")},
	}
}

func (cfg TierConfig) validate() error {
	if len(cfg.Names) != len(cfg.Cuts)+1 {
		return fmt.Errorf("%w: %d tier names for %d cuts, want one more name than cuts", ErrInvalidConfig, len(cfg.Names), len(cfg.Cuts))
	}
	for i, c := range cfg.Cuts {
		if !c.IsPos() || c.Cmp(decimal.One) >= 0 {
			return fmt.Errorf("%w: tier cut %s is not strictly between 0 and 1", ErrInvalidConfig, c)
		}
		if i > 0 && c.Cmp(cfg.Cuts[i-1]) <= 0 {
			return fmt.Errorf("%w: tier cuts %s, %s are not increasing", ErrInvalidConfig, cfg.Cuts[i-1], c)
		}
	}
	for i, n := range cfg.Names {
		if n == "" || slices.Contains(cfg.Names[:i], n) {
			return fmt.Errorf("%w: tier names %q must be non-empty and distinct", ErrInvalidConfig, cfg.Names)
		}
	}
	return nil
}

// Tiers assigns every customer of b to a value tier.
//
// Customers are ranked by net revenue, highest first, ties broken by
// customer ID (ascending), so equal customers at a boundary may land in
// different tiers, deterministically. Walking down the ranking, a customer
// belongs to the first tier whose cut the revenue of the customers ranked
// above it has not yet reached: cumulative revenue before the customer <
// cut × total. So the customer whose revenue crosses the 80% line is in A,
// and a customer starting exactly at 80% is in B. The total is the sum of
// positive revenues; customers with zero or negative net revenue make no
// part of any share and are always in the last tier. A single customer
// making more than 80% is the whole of A, and a tier may be empty.
//
// The error wraps ErrInvalidConfig for an invalid cfg, or
// money.ErrOverflow when a revenue sum needs more than 19 digits.
func Tiers(b *Base, cfg TierConfig) (Assignment, error) {
	if err := cfg.validate(); err != nil {
		return Assignment{}, err
	}
	a := Assignment{Groups: slices.Clone(cfg.Names), Of: make([]int, len(b.Customers))}
	members := make([]ranked, len(b.Customers))
	for i := range b.Customers {
		members[i] = ranked{i: i, revenue: b.Customers[i].Revenue}
	}
	err := cfg.rank(b, members, func(i, tier int) { a.Of[i] = tier })
	if err != nil {
		return Assignment{}, fmt.Errorf("tiers: %w", err)
	}
	return a, nil
}

// ranked is a customer (its Base index) with the revenue it is ranked by.
type ranked struct {
	i       int
	revenue decimal.Decimal
}

// rank assigns each member its tier as Tiers documents, by the members'
// revenue, and calls set with the member's Base index and tier index.
func (cfg TierConfig) rank(b *Base, members []ranked, set func(i, tier int)) error {
	last := len(cfg.Cuts)
	var total decimal.Decimal
	pos := members[:0:0]
	for _, m := range members {
		if !m.revenue.IsPos() {
			set(m.i, last)
			continue
		}
		pos = append(pos, m)
		if err := money.AddTo(&total, m.revenue); err != nil {
			return err
		}
	}
	slices.SortFunc(pos, func(x, y ranked) int {
		if r := y.revenue.Cmp(x.revenue); r != 0 {
			return r
		}
		return strings.Compare(b.Customers[x.i].ID, b.Customers[y.i].ID)
	})
	lines := make([]decimal.Decimal, len(cfg.Cuts))
	for k, cut := range cfg.Cuts {
		t, err := total.Mul(cut)
		if err != nil {
			return fmt.Errorf("%w: tier line %s × %s", money.ErrOverflow, total, cut)
		}
		lines[k] = t
	}
	var before decimal.Decimal
	k := 0
	for _, m := range pos {
		for k < last && before.Cmp(lines[k]) >= 0 {
			k++
		}
		set(m.i, k)
		if err := money.AddTo(&before, m.revenue); err != nil {
			return err
		}
	}
	return nil
}

// TiersWithin ranks customers into tiers within each value of dimension d
// (each segment gets its own A, B and C customers) and summarises them per
// value, in value order (dimension.CompareValues). Within a value, customers are the ones whose
// purchases carried it and are ranked, as Tiers ranks the whole base, by
// the revenue of those purchases (Customer.RevenueBy): a customer who
// bought in two regions is ranked in each with what it spent there, and may
// be A in one and C in the other. So each value's revenue is exactly the
// revenue its purchases made. The error wraps ErrInvalidConfig for an
// invalid cfg, ErrProductDimension for a product dimension, or
// money.ErrOverflow.
func TiersWithin(b *Base, cfg TierConfig, d dimension.Dimension) ([]Summary, error) {
	if err := CustomerDimension(d); err != nil {
		return nil, err
	}
	t := NewShareTable(d)
	for i := range b.Customers {
		for _, s := range b.Customers[i].Shares {
			if s.Dim == d {
				t.Add(i, s.Value, s.Revenue)
			}
		}
	}
	return t.TiersWithin(b, cfg)
}

// ShareTable holds the revenue customers made under the values of one
// dimension (Customer.Shares of that dimension) in columns, each value
// held once: a fraction of the memory of the customers' own shares, which
// lets a reduce over millions of customers rank them within each value
// without keeping every customer's shares (see package recompute).
type ShareTable struct {
	dim    dimension.Dimension
	values []string
	index  map[string]int32
	rows   []valueShare
}

// valueShare is one customer's revenue under one value of a ShareTable.
type valueShare struct {
	customer, value int32
	revenue         decimal.Decimal
}

// NewShareTable returns an empty table of dimension d.
func NewShareTable(d dimension.Dimension) *ShareTable {
	return &ShareTable{dim: d, index: map[string]int32{}}
}

// Add records that customer i of the base made revenue under value:
// each (customer, value) at most once, as in Customer.Shares.
func (t *ShareTable) Add(i int, value string, revenue decimal.Decimal) {
	v, ok := t.index[value]
	if !ok {
		v = int32(len(t.values))
		t.index[value] = v
		t.values = append(t.values, value)
	}
	t.rows = append(t.rows, valueShare{customer: int32(i), value: v, revenue: revenue})
}

// Renumber moves every row of customer i to customer to[i]: for rows
// added before the base's customers were put in another order.
func (t *ShareTable) Renumber(to []int32) {
	for k := range t.rows {
		t.rows[k].customer = to[t.rows[k].customer]
	}
}

// Carried reports whether some customer's purchases carried a value of
// the dimension other than dimension.Blank.
func (t *ShareTable) Carried() bool {
	for _, v := range t.values {
		if v != dimension.Blank {
			return true
		}
	}
	return false
}

// TiersWithin is TiersWithin of the table's dimension, for the base b the
// rows were added for (with b's customers' revenue, RevenueBy's blank
// remainder included); it reorders the rows. Its errors are
// TiersWithin's.
func (t *ShareTable) TiersWithin(b *Base, cfg TierConfig) ([]Summary, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := t.addRemainders(b); err != nil {
		return nil, err
	}
	slices.SortFunc(t.rows, func(x, y valueShare) int { return cmp.Compare(x.value, y.value) })
	// A customer is in each value's members once, and a value's tiers
	// are read right after they are set: one slice serves every value.
	tierOf := make([]int32, len(b.Customers))
	var out []Summary
	var members []ranked
	for rest := t.rows; len(rest) > 0; {
		n := 1
		for n < len(rest) && rest[n].value == rest[0].value {
			n++
		}
		run, v := rest[:n], t.values[rest[0].value]
		rest = rest[n:]
		members = members[:0]
		for _, r := range run {
			members = append(members, ranked{i: int(r.customer), revenue: r.revenue})
		}
		s := Summary{Dimension: t.dim, Value: v, Groups: make([]GroupStats, len(cfg.Names))}
		for j, name := range cfg.Names {
			s.Groups[j].Group = name
		}
		if err := cfg.rank(b, members, func(i, tier int) { tierOf[i] = int32(tier) }); err != nil {
			return nil, fmt.Errorf("tiers within %s %q: %w", t.dim, v, err)
		}
		for _, m := range members {
			g := &s.Groups[tierOf[m.i]]
			g.Customers++
			s.Customers++
			if err := money.AddTo(&g.Revenue, m.revenue); err != nil {
				return nil, fmt.Errorf("tiers within %s %q: %w", t.dim, v, err)
			}
			if err := money.AddTo(&s.Revenue, m.revenue); err != nil {
				return nil, fmt.Errorf("tiers within %s %q: %w", t.dim, v, err)
			}
		}
		out = append(out, s)
	}
	return finishSummaries(t.dim, out), nil
}

// addRemainders puts, as RevenueBy does, the revenue of each customer's
// purchases that carried no value under dimension.Blank, so that every
// customer's rows add up to its revenue; a customer none of whose
// purchases carried a value has all of it there.
func (t *ShareTable) addRemainders(b *Base) error {
	slices.SortFunc(t.rows, func(x, y valueShare) int { return cmp.Compare(x.customer, y.customer) })
	blank, hasBlank := t.index[dimension.Blank]
	var extra []valueShare
	rows := t.rows
	for i := range b.Customers {
		c := &b.Customers[i]
		n := 0
		for n < len(rows) && int(rows[n].customer) == i {
			n++
		}
		mine := rows[:n]
		rows = rows[n:]
		var sum decimal.Decimal
		for _, r := range mine {
			if err := money.AddTo(&sum, r.revenue); err != nil {
				return fmt.Errorf("customer %q %s: %w", c.ID, t.dim, err)
			}
		}
		if n > 0 && sum.Cmp(c.Revenue) == 0 {
			continue
		}
		rest, err := money.Sub(c.Revenue, sum)
		if err != nil {
			return fmt.Errorf("customer %q %s: %w", c.ID, t.dim, err)
		}
		if k := slices.IndexFunc(mine, func(r valueShare) bool { return hasBlank && r.value == blank }); k >= 0 {
			if mine[k].revenue, err = money.Add(mine[k].revenue, rest); err != nil {
				return fmt.Errorf("customer %q %s: %w", c.ID, t.dim, err)
			}
			continue
		}
		extra = append(extra, valueShare{customer: int32(i), revenue: rest})
	}
	if len(extra) == 0 {
		return nil
	}
	if !hasBlank {
		blank = int32(len(t.values))
		t.index[dimension.Blank] = blank
		t.values = append(t.values, dimension.Blank)
	}
	for k := range extra {
		extra[k].value = blank
	}
	t.rows = append(t.rows, extra...)
	return nil
}
