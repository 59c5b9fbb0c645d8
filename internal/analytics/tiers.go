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
	// Within, when set to a dimension other than dimension.Total, ranks
	// customers within each value of that dimension (each segment gets its
	// own A, B and C customers). Empty or dimension.Total ranks the whole
	// base together.
	Within dimension.Dimension
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
	last := len(cfg.Cuts)
	groups := map[string][]int{}
	var keys []string
	for i := range b.Customers {
		c := &b.Customers[i]
		if !c.Revenue.IsPos() {
			a.Of[i] = last
			continue
		}
		v := dimension.TotalValue
		if cfg.Within != "" {
			v = c.Attr(cfg.Within)
		}
		if _, ok := groups[v]; !ok {
			keys = append(keys, v)
		}
		groups[v] = append(groups[v], i)
	}
	slices.Sort(keys)
	for _, v := range keys {
		members := groups[v]
		slices.SortFunc(members, func(x, y int) int {
			cx, cy := &b.Customers[x], &b.Customers[y]
			if r := cy.Revenue.Cmp(cx.Revenue); r != 0 {
				return r
			}
			return strings.Compare(cx.ID, cy.ID)
		})
		var total decimal.Decimal
		for _, i := range members {
			if err := money.AddTo(&total, b.Customers[i].Revenue); err != nil {
				return Assignment{}, fmt.Errorf("tiers %q: %w", v, err)
			}
		}
		lines := make([]decimal.Decimal, len(cfg.Cuts))
		for k, cut := range cfg.Cuts {
			t, err := total.Mul(cut)
			if err != nil {
				return Assignment{}, fmt.Errorf("%w: tier line %s × %s", money.ErrOverflow, total, cut)
			}
			lines[k] = t
		}
		var before decimal.Decimal
		k := 0
		for _, i := range members {
			for k < last && before.Cmp(lines[k]) >= 0 {
				k++
			}
			a.Of[i] = k
			if err := money.AddTo(&before, b.Customers[i].Revenue); err != nil {
				return Assignment{}, fmt.Errorf("tiers %q: %w", v, err)
			}
		}
	}
	return a, nil
}
