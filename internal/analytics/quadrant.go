package analytics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/salesseg/salesseg/internal/dimension"
)

// The propensity × potential quadrants, in report order.
const (
	Prioritize   = "Prioritize"   // high propensity, high potential
	Nurture      = "Nurture"      // low propensity, high potential
	Monitor      = "Monitor"      // high propensity, low potential
	Deprioritize = "Deprioritize" // low propensity, low potential
)

// QuadrantGroups returns the quadrant names in report order.
func QuadrantGroups() []string { return []string{Prioritize, Nurture, Monitor, Deprioritize} }

// Prediction is what a customer-lifetime model predicts for one customer.
type Prediction struct {
	// PAlive is the probability that the customer is still active.
	PAlive float64 `json:"p_alive"`
	// ExpectedPurchases is the expected number of purchases over the
	// model's horizon.
	ExpectedPurchases float64 `json:"expected_purchases"`
	// CLV is the expected (discounted) revenue over the horizon.
	CLV float64 `json:"clv"`
	// ExpectedSpend is the expected revenue per purchase (the Gamma-Gamma
	// conditional mean; the population mean for a customer without repeat
	// purchases, 0 for one whose repeat days net to zero or less). Unlike
	// CLV it does not contain the expected number of purchases.
	ExpectedSpend float64 `json:"expected_spend"`
}

// Predictor predicts the future of every customer of a base. Predict
// returns one Prediction per customer, in Base order, or an error; package
// clv backs the production implementation (CLVModel).
type Predictor interface {
	Predict(ctx context.Context, b *Base) ([]Prediction, error)
}

// PropensityBasis selects the quadrants' propensity measure.
type PropensityBasis string

// The propensity bases. ExpectedPurchasesBasis, the default, ranks by
// expected purchases over the horizon; ProbAliveBasis by P(alive), which
// the BG/NBD model sets to 1 for every customer without a repeat purchase,
// so it ranks one-time buyers above everybody.
const (
	ExpectedPurchasesBasis PropensityBasis = "expected_purchases"
	ProbAliveBasis         PropensityBasis = "p_alive"
)

// PotentialBasis selects the quadrants' potential measure.
type PotentialBasis string

// The potential bases. SpendBasis, the default, uses the expected spend
// per purchase (Prediction.ExpectedSpend); SizeBasis uses the firmographic
// size band (see QuadrantConfig.SizeScores), for data with no
// repeat-purchase signal to learn spend from. Neither contains the
// expected number of purchases, so potential is independent of the
// propensity axis: a customer can buy often and little (Monitor) or
// rarely and much (Nurture). (CLV, expected purchases × spend, would put
// most customers on the diagonal: on CDNOW, 2,199 of 2,357.)
const (
	SpendBasis PotentialBasis = "spend"
	SizeBasis  PotentialBasis = "size"
)

// Split is where a measure is split into high and low. A customer is high
// when its value is strictly above the threshold; a value equal to the
// threshold is low.
type Split struct {
	// Quantile, strictly between 0 and 1, sets the threshold to that
	// quantile of the customers' values (the smallest value with at least
	// that share of customers at or below it); 0 means 0.5, the median.
	// With distinct values and the median, the upper half is high.
	Quantile float64
	// Threshold, when not nil, is a fixed threshold used instead of a
	// quantile.
	Threshold *float64
}

// QuadrantConfig configures propensity × potential quadrants.
type QuadrantConfig struct {
	// Propensity selects the propensity measure; empty means
	// ExpectedPurchasesBasis.
	Propensity PropensityBasis
	// Potential selects the potential measure; empty means SpendBasis.
	Potential PotentialBasis
	// PropensitySplit and PotentialSplit say where each measure splits.
	PropensitySplit, PotentialSplit Split
	// SizeScores scores size bands for SizeBasis, keyed by band compared
	// ignoring case and surrounding space. When nil, a band scores its
	// leading number ("51-200" scores 51, "1000+" 1000). Customers whose
	// band has no score are low potential and take no part in the
	// potential quantile.
	SizeScores map[string]float64
}

// QuadrantResult is a propensity × potential analysis of a base.
type QuadrantResult struct {
	// Predictions are the Predictor's output, in Base order.
	Predictions []Prediction
	// Propensity and Potential are each customer's measures, in Base
	// order; a potential is NaN when the customer's size band has no
	// score.
	Propensity, Potential []float64
	// PropensityThreshold and PotentialThreshold are the thresholds used.
	PropensityThreshold, PotentialThreshold float64
	// Assignment puts every customer in its quadrant; its Groups are
	// QuadrantGroups().
	Assignment
}

func (s Split) threshold(values []float64) (float64, error) {
	if s.Threshold != nil {
		if math.IsNaN(*s.Threshold) {
			return 0, fmt.Errorf("%w: NaN threshold", ErrInvalidConfig)
		}
		return *s.Threshold, nil
	}
	q := s.Quantile
	if q == 0 {
		q = 0.5
	}
	if !(q > 0 && q < 1) {
		return 0, fmt.Errorf("%w: quantile %v is not strictly between 0 and 1", ErrInvalidConfig, q)
	}
	var known []float64
	for _, v := range values {
		if !math.IsNaN(v) {
			known = append(known, v)
		}
	}
	if len(known) == 0 {
		return math.Inf(1), nil
	}
	slices.Sort(known)
	k := int(math.Ceil(q*float64(len(known)))) - 1
	return known[max(k, 0)], nil
}

// Quadrants places every customer of b in a propensity × potential
// quadrant: Prioritize (high propensity, high potential), Nurture (low,
// high), Monitor (high, low) or Deprioritize (low, low). Propensity and
// potential come from p's predictions and, for SizeBasis, the customer's
// latest size band; each is split as its Split says. p is called once.
//
// The error wraps ErrInvalidConfig for a nil p, an unknown basis or a bad
// split; ErrPrediction (with the predictor's error) when p fails or returns
// a non-finite measure that is used; ErrMismatch when p returns the wrong
// number of predictions.
func Quadrants(ctx context.Context, b *Base, p Predictor, cfg QuadrantConfig) (QuadrantResult, error) {
	if p == nil {
		return QuadrantResult{}, fmt.Errorf("%w: quadrants need a Predictor", ErrInvalidConfig)
	}
	prop, pot := cfg.Propensity, cfg.Potential
	if prop == "" {
		prop = ExpectedPurchasesBasis
	}
	if pot == "" {
		pot = SpendBasis
	}
	if prop != ExpectedPurchasesBasis && prop != ProbAliveBasis {
		return QuadrantResult{}, fmt.Errorf("%w: propensity basis %q: use %q or %q", ErrInvalidConfig, prop, ExpectedPurchasesBasis, ProbAliveBasis)
	}
	if pot != SpendBasis && pot != SizeBasis {
		return QuadrantResult{}, fmt.Errorf("%w: potential basis %q: use %q or %q", ErrInvalidConfig, pot, SpendBasis, SizeBasis)
	}
	preds, err := p.Predict(ctx, b)
	if err != nil {
		return QuadrantResult{}, fmt.Errorf("%w: %w", ErrPrediction, err)
	}
	if len(preds) != len(b.Customers) {
		return QuadrantResult{}, fmt.Errorf("%w: %d predictions for %d customers", ErrMismatch, len(preds), len(b.Customers))
	}
	var sizes map[string]float64
	if cfg.SizeScores != nil {
		sizes = make(map[string]float64, len(cfg.SizeScores))
		for k, v := range cfg.SizeScores {
			sizes[normalizeValue(k)] = v
		}
	}
	n := len(b.Customers)
	res := QuadrantResult{
		Predictions: preds,
		Propensity:  make([]float64, n),
		Potential:   make([]float64, n),
		Assignment:  Assignment{Groups: QuadrantGroups(), Of: make([]int, n)},
	}
	for i := range b.Customers {
		pr := preds[i]
		res.Propensity[i] = pr.ExpectedPurchases
		if prop == ProbAliveBasis {
			res.Propensity[i] = pr.PAlive
		}
		if v := res.Propensity[i]; math.IsNaN(v) || math.IsInf(v, 0) {
			return QuadrantResult{}, fmt.Errorf("%w: customer %q propensity %v", ErrPrediction, b.Customers[i].ID, v)
		}
		if pot == SpendBasis {
			res.Potential[i] = pr.ExpectedSpend
			if math.IsNaN(pr.ExpectedSpend) || math.IsInf(pr.ExpectedSpend, 0) {
				return QuadrantResult{}, fmt.Errorf("%w: customer %q expected spend %v", ErrPrediction, b.Customers[i].ID, pr.ExpectedSpend)
			}
		} else {
			res.Potential[i] = sizeScore(b.Customers[i].Attr(dimension.Size), sizes)
		}
	}
	if res.PropensityThreshold, err = cfg.PropensitySplit.threshold(res.Propensity); err != nil {
		return QuadrantResult{}, fmt.Errorf("propensity split: %w", err)
	}
	if res.PotentialThreshold, err = cfg.PotentialSplit.threshold(res.Potential); err != nil {
		return QuadrantResult{}, fmt.Errorf("potential split: %w", err)
	}
	for i := range res.Of {
		hiProp := res.Propensity[i] > res.PropensityThreshold
		hiPot := res.Potential[i] > res.PotentialThreshold // false for NaN
		switch {
		case hiProp && hiPot:
			res.Of[i] = 0
		case hiPot:
			res.Of[i] = 1
		case hiProp:
			res.Of[i] = 2
		default:
			res.Of[i] = 3
		}
	}
	return res, nil
}

// sizeScore scores a size band with scores (keyed by normalized band), or
// by its leading number when scores is nil; NaN when it has no score.
func sizeScore(band string, scores map[string]float64) float64 {
	if band == dimension.Blank {
		return math.NaN()
	}
	key := normalizeValue(band)
	if scores != nil {
		if v, ok := scores[key]; ok {
			return v
		}
		return math.NaN()
	}
	end := 0
	for end < len(key) && (key[end] >= '0' && key[end] <= '9' || key[end] == ',' || key[end] == '.') {
		end++
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(key[:end], ",", ""), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}
