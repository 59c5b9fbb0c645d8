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
	if _, _, err := lookalikeWeights(cfg); err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, ErrNoSeeds
	}
	profile, err := NewLookalikeProfile(b, seeds, cfg.Dimensions)
	if err != nil {
		return nil, err
	}
	others := make([]Prospect, 0, len(prospects))
	for _, p := range prospects {
		if _, ok := b.Index(p.ID); !ok {
			others = append(others, p)
		}
	}
	return profile.Rank(others, cfg)
}

// lookalikeDimensions returns the dimensions compared: dims, or the
// default firmographics when empty.
func lookalikeDimensions(dims []dimension.Dimension) []dimension.Dimension {
	if len(dims) == 0 {
		return []dimension.Dimension{dimension.Industry, dimension.Size, dimension.Region, dimension.Country}
	}
	return dims
}

// lookalikeWeights returns each compared dimension's weight and their
// sum, or an error wrapping ErrInvalidConfig (see Lookalikes).
func lookalikeWeights(cfg LookalikeConfig) (weights []float64, total float64, err error) {
	if cfg.Limit < 0 {
		return nil, 0, fmt.Errorf("%w: negative lookalike limit %d", ErrInvalidConfig, cfg.Limit)
	}
	dims := lookalikeDimensions(cfg.Dimensions)
	weights = make([]float64, len(dims))
	for k, d := range dims {
		w, ok := cfg.Weights[d]
		if !ok {
			w = 1
		}
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, 0, fmt.Errorf("%w: lookalike weight %v of %s", ErrInvalidConfig, w, d)
		}
		weights[k] = w
		total += w
	}
	if total == 0 {
		return nil, 0, fmt.Errorf("%w: all lookalike weights are zero", ErrInvalidConfig)
	}
	return weights, total, nil
}

// LookalikeProfile counts, per compared dimension and value (compared
// ignoring case and surrounding space), the seed customers and all
// customers of a base having it: what Lookalikes scores prospects
// against. Profiles of disjoint sets of customers (the shards of a base)
// add up with MergeLookalikeProfiles.
type LookalikeProfile struct {
	Dimensions []dimension.Dimension `json:"dimensions"`
	Seeds      int64                 `json:"seeds"`
	Customers  int64                 `json:"customers"`
	// SeedCount and BaseCount hold one map per dimension, by normalised
	// value.
	SeedCount []map[string]int64 `json:"seed_count"`
	BaseCount []map[string]int64 `json:"base_count"`
}

// NewLookalikeProfile returns the profile of the seeds (indices into b)
// among b's customers on dims (empty: industry, size, region and
// country). The error wraps ErrMismatch when a seed index is outside b.
func NewLookalikeProfile(b *Base, seeds []int, dims []dimension.Dimension) (LookalikeProfile, error) {
	for _, i := range seeds {
		if i < 0 || i >= len(b.Customers) {
			return LookalikeProfile{}, fmt.Errorf("%w: seed index %d of a base of %d", ErrMismatch, i, len(b.Customers))
		}
	}
	dims = lookalikeDimensions(dims)
	p := LookalikeProfile{Dimensions: slices.Clone(dims), Seeds: int64(len(seeds)), Customers: int64(len(b.Customers)),
		SeedCount: make([]map[string]int64, len(dims)), BaseCount: make([]map[string]int64, len(dims))}
	normalized := normalizer()
	for k, d := range dims {
		p.SeedCount[k], p.BaseCount[k] = map[string]int64{}, map[string]int64{}
		for i := range b.Customers {
			if v := b.Customers[i].Attr(d); v != dimension.Blank {
				p.BaseCount[k][normalized(v)]++
			}
		}
		for _, i := range seeds {
			if v := b.Customers[i].Attr(d); v != dimension.Blank {
				p.SeedCount[k][normalized(v)]++
			}
		}
	}
	return p, nil
}

// MergeLookalikeProfiles adds up profiles of disjoint sets of customers on
// the same dimensions; the error wraps ErrMismatch when they differ.
func MergeLookalikeProfiles(parts ...LookalikeProfile) (LookalikeProfile, error) {
	var out LookalikeProfile
	for i, p := range parts {
		if i == 0 {
			out = LookalikeProfile{Dimensions: p.Dimensions,
				SeedCount: make([]map[string]int64, len(p.Dimensions)), BaseCount: make([]map[string]int64, len(p.Dimensions))}
			for k := range p.Dimensions {
				out.SeedCount[k], out.BaseCount[k] = map[string]int64{}, map[string]int64{}
			}
		}
		if !slices.Equal(p.Dimensions, out.Dimensions) {
			return LookalikeProfile{}, fmt.Errorf("%w: lookalike profiles on %v and %v", ErrMismatch, out.Dimensions, p.Dimensions)
		}
		out.Seeds += p.Seeds
		out.Customers += p.Customers
		for k := range p.Dimensions {
			for v, n := range p.SeedCount[k] {
				out.SeedCount[k][v] += n
			}
			for v, n := range p.BaseCount[k] {
				out.BaseCount[k][v] += n
			}
		}
	}
	return out, nil
}

// Rank scores prospects, none of which may have bought (see Lookalikes:
// repeated IDs after the first are skipped), against the profile, on
// the profile's dimensions with cfg's weights and limit. The error wraps
// ErrInvalidConfig for cfg's faults, and ErrNoSeeds when the profile has
// no seed.
func (p LookalikeProfile) Rank(prospects []Prospect, cfg LookalikeConfig) ([]Lookalike, error) {
	cfg.Dimensions = p.Dimensions
	weights, totalWeight, err := lookalikeWeights(cfg)
	if err != nil {
		return nil, err
	}
	if p.Seeds == 0 {
		return nil, ErrNoSeeds
	}
	normalized := normalizer()
	nSeeds, nBase := float64(p.Seeds), float64(p.Customers)
	seen := map[string]bool{}
	var out []Lookalike
	for _, pr := range prospects {
		if seen[pr.ID] {
			continue
		}
		seen[pr.ID] = true
		l := Lookalike{ID: pr.ID, Matches: []AttributeMatch{}} // [] rather than null in JSON when nothing matches
		weighted := 0.0
		for k, d := range p.Dimensions {
			v := pr.attr(d)
			if v == dimension.Blank || weights[k] == 0 {
				continue
			}
			key := normalized(v)
			sc := p.SeedCount[k][key]
			if sc == 0 {
				continue
			}
			m := AttributeMatch{
				Dimension: d, Value: v,
				SeedShare: Ratio(float64(sc) / nSeeds),
				BaseShare: Ratio(float64(p.BaseCount[k][key]) / nBase),
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
// normalizer returns normalizeValue with a cache, since the same few
// values repeat across customers.
func normalizer() func(string) string {
	cache := map[string]string{}
	return func(v string) string {
		n, ok := cache[v]
		if !ok {
			n = normalizeValue(v)
			cache[v] = n
		}
		return n
	}
}

func normalizeValue(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
