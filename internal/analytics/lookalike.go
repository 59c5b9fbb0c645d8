package analytics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/salesseg/salesseg/internal/dimension"
)

// Prospect is an account known from a customers file, with its
// firmographic dimension values.
type Prospect struct {
	ID    string                         `json:"id"`
	Attrs map[dimension.Dimension]string `json:"attrs,omitempty"`
}

// attr returns the prospect's value of d as Customer.Attr would.
func (p Prospect) attr(d dimension.Dimension) string {
	if d == dimension.Total {
		return dimension.TotalValue
	}
	if v := p.Attrs[d]; !isBlank(v) {
		return v
	}
	return dimension.Blank
}

// LookalikeConfig configures lookalike ranking.
type LookalikeConfig struct {
	// Dimensions are the firmographic dimensions compared; empty means
	// industry, size, region and country.
	Dimensions []dimension.Dimension
	// Weights gives each dimension's weight; a dimension not in the map
	// weighs 1, and one weighing 0 is not compared. Weights must be finite
	// and non-negative, and at least one compared dimension must weigh
	// more than 0.
	Weights map[dimension.Dimension]float64
	// Limit caps the number of prospects returned; 0 returns all.
	Limit int
}

// AttributeMatch explains one attribute a prospect shares with the seed
// customers.
type AttributeMatch struct {
	Dimension dimension.Dimension `json:"dimension"`
	// Value is the prospect's value.
	Value string `json:"value"`
	// SeedShare is the share of seed customers with that value, and
	// BaseShare the share of all customers in the base with it.
	SeedShare Ratio `json:"seed_share"`
	BaseShare Ratio `json:"base_share"`
	// Lift is SeedShare / BaseShare: above 1 when the value is more common
	// among the seeds than in the base as a whole.
	Lift Ratio `json:"lift"`
	// Contribution is this match's part of the prospect's score.
	Contribution Ratio `json:"contribution"`
}

// Lookalike is one ranked prospect.
type Lookalike struct {
	ID string `json:"id"`
	// Score, between 0 and 1, is the weighted mean over the compared
	// dimensions of the share of seed customers having the prospect's
	// value (see Lookalikes).
	Score Ratio `json:"score"`
	// Matches lists the prospect's values that some seed customer shares,
	// largest contribution first; empty, not nil, when there are none.
	Matches []AttributeMatch `json:"matches"`
}

// Lookalikes ranks prospects by their similarity to the seed customers,
// usually the top value tier (Assignment.Members of Tiers' "A").
//
// A prospect's score is Σ w_d·s_d / Σ w_d over the compared dimensions d,
// where s_d is the share of seed customers whose latest value of d (see
// Customer.Attr) equals the prospect's: a prospect resembling the typical
// seed customer on every dimension scores near 1, one sharing nothing
// scores 0. Values compare ignoring case and surrounding space; a blank
// value never matches. Seeds with a blank value still count in the
// denominator of s_d, so an attribute most seeds lack weighs little.
// Matches report the lift of each value over the whole base, for
// explanation; it does not enter the score.
//
// Prospects with a purchase in the base are skipped (they are customers),
// as are repeated IDs after the first. The result is sorted by score
// (highest first), then number of matches, then ID.
//
// The error wraps ErrInvalidConfig for a negative or non-finite weight,
// weights that are all zero, or a negative Limit; ErrMismatch when a seed
// index is outside b; ErrNoSeeds when seeds is empty.
func Lookalikes(b *Base, seeds []int, prospects []Prospect, cfg LookalikeConfig) ([]Lookalike, error) {
	dims := cfg.Dimensions
	if len(dims) == 0 {
		dims = []dimension.Dimension{dimension.Industry, dimension.Size, dimension.Region, dimension.Country}
	}
	if cfg.Limit < 0 {
		return nil, fmt.Errorf("%w: negative lookalike limit %d", ErrInvalidConfig, cfg.Limit)
	}
	weights := make([]float64, len(dims))
	totalWeight := 0.0
	for k, d := range dims {
		w, ok := cfg.Weights[d]
		if !ok {
			w = 1
		}
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("%w: lookalike weight %v of %s", ErrInvalidConfig, w, d)
		}
		weights[k] = w
		totalWeight += w
	}
	if totalWeight == 0 {
		return nil, fmt.Errorf("%w: all lookalike weights are zero", ErrInvalidConfig)
	}
	if len(seeds) == 0 {
		return nil, ErrNoSeeds
	}
	for _, i := range seeds {
		if i < 0 || i >= len(b.Customers) {
			return nil, fmt.Errorf("%w: seed index %d of a base of %d", ErrMismatch, i, len(b.Customers))
		}
	}
	// Per dimension, counts of each normalized value among seeds and base.
	// Values repeat across customers, so each is normalized once.
	norm := map[string]string{}
	normalized := func(v string) string {
		n, ok := norm[v]
		if !ok {
			n = normalizeValue(v)
			norm[v] = n
		}
		return n
	}
	seedCount := make([]map[string]int, len(dims))
	baseCount := make([]map[string]int, len(dims))
	for k, d := range dims {
		seedCount[k], baseCount[k] = map[string]int{}, map[string]int{}
		for i := range b.Customers {
			if v := b.Customers[i].Attr(d); v != dimension.Blank {
				baseCount[k][normalized(v)]++
			}
		}
		for _, i := range seeds {
			if v := b.Customers[i].Attr(d); v != dimension.Blank {
				seedCount[k][normalized(v)]++
			}
		}
	}
	nSeeds, nBase := float64(len(seeds)), float64(len(b.Customers))
	seen := map[string]bool{}
	var out []Lookalike
	for _, p := range prospects {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		if _, ok := b.Index(p.ID); ok {
			continue
		}
		l := Lookalike{ID: p.ID, Matches: []AttributeMatch{}} // [] rather than null in JSON when nothing matches
		// Σ w·count is summed before the one division, so prospects
		// matching equally score exactly equal.
		weighted := 0.0
		for k, d := range dims {
			v := p.attr(d)
			if v == dimension.Blank || weights[k] == 0 {
				continue
			}
			key := normalized(v)
			sc := seedCount[k][key]
			if sc == 0 {
				continue
			}
			m := AttributeMatch{
				Dimension: d, Value: v,
				SeedShare: Ratio(float64(sc) / nSeeds),
				BaseShare: Ratio(float64(baseCount[k][key]) / nBase),
			}
			m.Lift = m.SeedShare / m.BaseShare
			m.Contribution = Ratio(weights[k] * float64(sc) / (totalWeight * nSeeds))
			weighted += weights[k] * float64(sc)
			l.Matches = append(l.Matches, m)
		}
		l.Score = Ratio(weighted / (totalWeight * nSeeds))
		slices.SortStableFunc(l.Matches, func(x, y AttributeMatch) int { return cmp.Compare(y.Contribution, x.Contribution) })
		out = append(out, l)
	}
	slices.SortFunc(out, func(x, y Lookalike) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(len(y.Matches), len(x.Matches)); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	if cfg.Limit > 0 && len(out) > cfg.Limit {
		out = out[:cfg.Limit]
	}
	return out, nil
}

// normalizeValue folds a dimension value for comparison.
func normalizeValue(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
