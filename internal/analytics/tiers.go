package analytics

import (
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
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := CustomerDimension(d); err != nil {
		return nil, err
	}
	byValue := map[string][]ranked{}
	for i := range b.Customers {
		shares, err := b.Customers[i].RevenueBy(d)
		if err != nil {
			return nil, err
		}
		for _, s := range shares {
			byValue[s.Value] = append(byValue[s.Value], ranked{i: i, revenue: s.Revenue})
		}
	}
	// A customer is in each value's members once, and a value's tiers
	// are read right after they are set: one slice serves every value.
	tierOf := make([]int32, len(b.Customers))
	out := make([]Summary, 0, len(byValue))
	for v, members := range byValue {
		s := Summary{Dimension: d, Value: v, Groups: make([]GroupStats, len(cfg.Names))}
		for j, name := range cfg.Names {
			s.Groups[j].Group = name
		}
		if err := cfg.rank(b, members, func(i, tier int) { tierOf[i] = int32(tier) }); err != nil {
			return nil, fmt.Errorf("tiers within %s %q: %w", d, v, err)
		}
		for _, m := range members {
			g := &s.Groups[tierOf[m.i]]
			g.Customers++
			s.Customers++
			if err := money.AddTo(&g.Revenue, m.revenue); err != nil {
				return nil, fmt.Errorf("tiers within %s %q: %w", d, v, err)
			}
			if err := money.AddTo(&s.Revenue, m.revenue); err != nil {
				return nil, fmt.Errorf("tiers within %s %q: %w", d, v, err)
			}
		}
		out = append(out, s)
	}
	return finishSummaries(d, out), nil
}
