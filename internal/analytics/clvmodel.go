package analytics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/clv"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// daysPerMonth is the mean length of a calendar month.
const daysPerMonth = 365.25 / 12

// CLVCustomers converts every customer of b, in Base order, to the summary
// package clv fits, counting a purchase day as one transaction: X is
// PurchaseDays − 1 (repeat purchase days), Tx the time from the first to
// the last purchase day, T the time from the first purchase day to asOf,
// both in units of unitDays days (7 for weeks), and MeanSpend the mean net
// revenue of the repeat days, (Revenue − FirstDayRevenue) / X, as float64.
//
// MeanSpend is zero or negative for a repeat buyer whose repeat days net to
// zero or less (returns); such summaries fail clv.Customer.ValidateSpend,
// and FitCLV and CLVModel deal with them (see there).
//
// The error wraps ErrInvalidConfig when asOf is before the base's last
// purchase or unitDays is not finite and positive, or money.ErrOverflow.
func CLVCustomers(b *Base, asOf period.Date, unitDays float64) ([]clv.Customer, error) {
	if !(unitDays > 0) || math.IsInf(unitDays, 0) {
		return nil, fmt.Errorf("%w: CLV time unit of %v days", ErrInvalidConfig, unitDays)
	}
	if len(b.Customers) > 0 && asOf < b.LastDay {
		return nil, fmt.Errorf("%w: CLV as of %s is before the last purchase on %s", ErrInvalidConfig, asOf, b.LastDay)
	}
	out := make([]clv.Customer, len(b.Customers))
	for i := range b.Customers {
		c := &b.Customers[i]
		s := clv.Customer{X: c.PurchaseDays - 1, T: float64(asOf-c.FirstDay) / unitDays}
		if s.X > 0 {
			s.Tx = float64(c.LastDay-c.FirstDay) / unitDays
			repeat, err := money.Sub(c.Revenue, c.FirstDayRevenue)
			if err != nil {
				return nil, fmt.Errorf("customer %q repeat revenue: %w", c.ID, err)
			}
			f, _ := repeat.Float64()
			s.MeanSpend = f / float64(s.X)
		}
		out[i] = s
	}
	return out, nil
}

// CLVConfig configures FitCLV.
type CLVConfig struct {
	// AsOf is the end of the calibration period; the zero Time means the
	// base's last purchase day. It must not be before that day.
	AsOf time.Time
	// UnitDays is the model's time unit in days; 0 means 7 (weeks).
	UnitDays float64
	// Horizon is the prediction horizon in UnitDays units; the zero value
	// means 12 months (12 periods of 365.25/12 days) without discounting.
	Horizon clv.Horizon
	// Fit tunes both maximum-likelihood fits.
	Fit clv.FitOptions
}

// CLVModel is a fitted BG/NBD purchase model and Gamma-Gamma spend model
// with the horizon and calibration end they predict for. It implements
// Predictor.
type CLVModel struct {
	Purchases clv.BGNBD
	Spend     clv.GammaGamma
	Horizon   clv.Horizon
	// AsOf is the end of the calibration period and UnitDays the model's
	// time unit in days.
	AsOf     period.Date
	UnitDays float64
}

// CLVStatus says whether a CLV fit may be presented as a prediction.
type CLVStatus string

// The CLV statuses. Only CLVFitted models are shown as predictions; for
// the others CLVFit.Reason says in plain words why not.
const (
	// CLVFitted: both models have an interior, converged estimate and the
	// data has enough repeat-purchase signal.
	CLVFitted CLVStatus = "fitted"
	// CLVDegenerate: the BG/NBD estimate lies on the optimiser's parameter
	// boundary (clv.ErrBoundary) at a limit where the model cannot tell
	// customers apart: a mean dropout probability a/(a+b) below
	// MinDropout (nobody ever stops buying, everybody 100% alive) or above
	// 1 − MinDropout (everybody stops after one repeat purchase). Other
	// boundary estimates are homogeneous limits (every customer with the
	// same dropout probability, purchase rate or spend distribution) that
	// still predict per customer: they stay CLVFitted with a Note.
	CLVDegenerate CLVStatus = "degenerate"
	// CLVNotConverged: the optimiser stopped without reaching a best
	// estimate (clv.ErrNotConverged).
	CLVNotConverged CLVStatus = "not_converged"
	// CLVTooLittleData: fewer repeat buyers than MinRepeatBuyers, or a
	// smaller share of the customers than MinRepeatShare; no model is
	// fitted.
	CLVTooLittleData CLVStatus = "too_little_repeat_purchases"
)

// The least repeat-purchase signal FitCLV fits a model to: repeat buyers
// (customers with purchases on two days or more) must number at least
// MinRepeatBuyers and make at least MinRepeatShare of the customers. Below
// that, the purchase model's dropout and the spend model's heterogeneity
// rest on too few customers to be told apart from noise.
const (
	MinRepeatBuyers = 30
	MinRepeatShare  = 0.05
)

// MinDropout bounds the mean dropout probability of a boundary BG/NBD
// estimate away from 0 and 1; see CLVDegenerate.
const MinDropout = 1e-6

// CLVFit is the result of FitCLV.
type CLVFit struct {
	Model CLVModel
	// Status says whether Model may be presented as a prediction, and
	// Reason, empty when it is CLVFitted, why not, in plain words for the
	// people reading the figures. Model holds the estimates found: none
	// for CLVTooLittleData, the boundary estimate for CLVDegenerate, and
	// for CLVNotConverged those that converged.
	Status CLVStatus
	Reason string
	// Note describes, for a CLVFitted model, an estimate on the boundary
	// that is a usable homogeneous limit; empty otherwise.
	Note string
	// RepeatBuyers is the number of customers with purchases on two days
	// or more.
	RepeatBuyers int
	// PurchasesInfo and SpendInfo describe the two fits.
	PurchasesInfo, SpendInfo clv.FitInfo
}

// Trusted reports whether the fit may be presented as a prediction.
func (f CLVFit) Trusted() bool { return f.Status == CLVFitted }

// FitCLV fits the BG/NBD model to every customer of b and the Gamma-Gamma
// model to the repeat buyers whose repeat days have a positive mean
// revenue (see CLVCustomers), and judges the result (see CLVStatus): too
// little repeat-purchase signal (MinRepeatBuyers, MinRepeatShare), an
// estimate on the parameter boundary and an optimiser that did not
// converge are not errors but a Status other than CLVFitted with a Reason.
//
// Errors wrap ErrInvalidConfig for a bad cfg, clv.ErrNoData for an empty
// base, or ctx's.
func FitCLV(ctx context.Context, b *Base, cfg CLVConfig) (CLVFit, error) {
	asOf := b.LastDay
	if !cfg.AsOf.IsZero() {
		asOf = period.DateOf(cfg.AsOf)
	}
	unit := cfg.UnitDays
	if unit == 0 {
		unit = 7
	}
	h := cfg.Horizon
	if h == (clv.Horizon{}) {
		h = clv.Horizon{Periods: 12, PeriodLength: daysPerMonth / unit}
	}
	if err := h.Validate(); err != nil {
		return CLVFit{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cs, err := CLVCustomers(b, asOf, unit)
	if err != nil {
		return CLVFit{}, err
	}
	if len(cs) == 0 {
		return CLVFit{}, fmt.Errorf("fit CLV: %w", clv.ErrNoData)
	}
	fit := CLVFit{Status: CLVFitted}
	for _, c := range cs {
		if c.X > 0 {
			fit.RepeatBuyers++
		}
	}
	if fit.RepeatBuyers < MinRepeatBuyers || float64(fit.RepeatBuyers) < MinRepeatShare*float64(len(cs)) {
		fit.Status = CLVTooLittleData
		fit.Reason = fmt.Sprintf("Only %d of %d customers (%.1f%%) bought on more than one day. "+
			"Predicting who will buy again needs at least %d such customers and %.0f%% of all, so no CLV, "+
			"P(alive), purchase forecast or quadrant is shown.",
			fit.RepeatBuyers, len(cs), 100*float64(fit.RepeatBuyers)/float64(len(cs)), MinRepeatBuyers, 100*MinRepeatShare)
		return fit, nil
	}
	m, info, err := clv.FitBGNBD(ctx, cs, cfg.Fit)
	if bad := judge(&fit, err, purchaseModelName, func() (string, bool) { return bgnbdBoundary(m) }); bad != nil {
		return CLVFit{}, fmt.Errorf("fit purchases: %w", bad)
	}
	fit.Model = CLVModel{Purchases: m, Horizon: h, AsOf: asOf, UnitDays: unit}
	fit.PurchasesInfo = info
	if fit.Status == CLVNotConverged {
		return fit, nil
	}
	spenders := slices.DeleteFunc(cs, func(c clv.Customer) bool { return c.X == 0 || !(c.MeanSpend > 0) })
	g, info, err := clv.FitGammaGamma(ctx, spenders, cfg.Fit)
	if cerr := ctx.Err(); cerr != nil {
		return CLVFit{}, cerr
	}
	if fit.Status == CLVFitted {
		if bad := judge(&fit, err, spendModelName, func() (string, bool) {
			return fmt.Sprintf("p = %.3g, q = %.3g, γ = %.3g", g.P, g.Q, g.Gamma), false
		}); bad != nil {
			return CLVFit{}, fmt.Errorf("fit spend: %w", bad)
		}
	}
	if err == nil || errors.Is(err, clv.ErrBoundary) {
		fit.Model.Spend, fit.SpendInfo = g, info
	}
	return fit, nil
}

const (
	purchaseModelName = "The purchase model (BG/NBD)"
	spendModelName    = "The spend model (Gamma-Gamma)"
)

// withheld ends every reason of a fit that is not shown.
const withheld = " P(alive), expected purchases, CLV, forecasts and quadrants are therefore withheld; " +
	"value tiers, RFM groups and revenue bridges do not depend on the model."

// judge records in fit what a fit's error says about it and returns the
// error when it is a failure rather than a finding; boundary describes a
// boundary estimate in words and says whether the model cannot tell
// customers apart there.
func judge(fit *CLVFit, err error, model string, boundary func() (string, bool)) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, clv.ErrBoundary):
		what, useless := boundary()
		if !useless {
			fit.Note = model + " has its best estimate on the edge of the parameter range (" + what +
				"), a limit in which customers share one parameter; its predictions still differ per customer."
			return nil
		}
		fit.Status = CLVDegenerate
		fit.Reason = model + " does not fit this data: its best estimate lies on the edge of the parameter range (" +
			what + ")." + withheld
		return nil
	case errors.Is(err, clv.ErrNotConverged):
		fit.Status = CLVNotConverged
		fit.Reason = model + " could not be fitted: the optimiser stopped before it found a best estimate." + withheld
		return nil
	case errors.Is(err, clv.ErrNoRepeatBuyers), errors.Is(err, clv.ErrNoData):
		fit.Status = CLVTooLittleData
		fit.Reason = model + " has no repeat purchases with a positive spend to learn from." + withheld
		return nil
	}
	return err
}

// bgnbdBoundary describes a boundary BG/NBD estimate and reports whether
// its mean dropout probability a/(a+b) is within MinDropout of 0 or 1.
func bgnbdBoundary(m clv.BGNBD) (string, bool) {
	s := fmt.Sprintf("r = %.3g, α = %.3g, a = %.3g, b = %.3g", m.R, m.Alpha, m.A, m.B)
	switch drop := m.A / (m.A + m.B); {
	case drop < MinDropout:
		return s + ": it says nobody ever stops buying, so every customer would show as 100% likely to be active", true
	case drop > 1-MinDropout:
		return s + ": it says every customer stops buying after one repeat purchase", true
	}
	return s, false
}

// ProbAliveAt returns the probability that customer c of the base the
// model was fitted to is still active on day, whatever it buys until then
// (clv.BGNBD.ProbAliveAt). The error wraps ErrInvalidConfig when day is
// before the model's AsOf or c's history does not end by then, or
// clv.ErrInvalidParams for an unfitted model.
func (m CLVModel) ProbAliveAt(c *Customer, day period.Date) (float64, error) {
	if day < m.AsOf {
		return 0, fmt.Errorf("%w: P(alive) on %s, before the model's as-of day %s", ErrInvalidConfig, day, m.AsOf)
	}
	if err := m.Purchases.Validate(); err != nil {
		return 0, err
	}
	cs, err := CLVCustomers(&Base{Customers: []Customer{*c}, FirstDay: c.FirstDay, LastDay: c.LastDay}, m.AsOf, m.UnitDays)
	if err != nil {
		return 0, err
	}
	if err := cs[0].Validate(); err != nil {
		return 0, fmt.Errorf("%w: customer %q: %w", ErrInvalidConfig, c.ID, err)
	}
	return m.Purchases.ProbAliveAt(cs[0], float64(day-m.AsOf)/m.UnitDays), nil
}

// Predict returns every customer's P(alive) at AsOf, expected purchase days
// over the horizon, CLV (discounted expected revenue over the horizon) and
// expected spend per purchase, in Base order. A repeat buyer whose repeat
// days net to zero revenue or less gets a CLV and expected spend of zero. The error wraps ErrInvalidConfig when AsOf is
// before the base's last purchase, or the clv package's errors (for
// example clv.ErrInvalidParams for an unfitted model), or ctx's.
func (m CLVModel) Predict(ctx context.Context, b *Base) ([]Prediction, error) {
	cs, err := CLVCustomers(b, m.AsOf, m.UnitDays)
	if err != nil {
		return nil, err
	}
	var noSpend []int
	for i := range cs {
		if cs[i].X > 0 && !(cs[i].MeanSpend > 0) {
			// Any positive value passes validation; the spend is zeroed below.
			cs[i].MeanSpend = 1
			noSpend = append(noSpend, i)
		}
	}
	vals, err := clv.Value(ctx, m.Purchases, m.Spend, cs, m.Horizon)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	out := make([]Prediction, len(vals))
	for i, v := range vals {
		out[i] = Prediction{PAlive: v.ProbAlive, ExpectedPurchases: v.ExpectedPurchases, CLV: v.CLV, ExpectedSpend: m.Spend.ExpectedSpend(cs[i])}
	}
	for _, i := range noSpend {
		out[i].CLV, out[i].ExpectedSpend = 0, 0
	}
	return out, nil
}

// ValueForecast is one segment value's actual revenue and predicted
// future.
type ValueForecast struct {
	// Dimension and Value name the segment value.
	Dimension dimension.Dimension `json:"dimension"`
	Value     string              `json:"value"`
	// Customers and Revenue are the customers who bought under the value
	// and the historical net revenue of those purchases.
	Customers int64           `json:"customers"`
	Revenue   decimal.Decimal `json:"revenue"`
	// ExpectedActive is the sum of P(alive): the expected number of
	// customers still active.
	ExpectedActive Amount `json:"expected_active"`
	// ExpectedPurchases and ProjectedRevenue sum the predictions over the
	// horizon (ProjectedRevenue is the sum of CLV).
	ExpectedPurchases Amount `json:"expected_purchases"`
	ProjectedRevenue  Amount `json:"projected_revenue"`
}

// Forecast sums predictions per value of dimension d, in value order (dimension.CompareValues);
// dimension.Total gives one entry for the whole base. A customer who
// bought under several values (Customer.RevenueBy) counts in each, and its
// predictions are split between them by its share of positive revenue in
// each (evenly when it has none), so the values' predictions add up to the
// base's. The error wraps ErrProductDimension for a product dimension,
// ErrMismatch when preds does not have one entry per customer, or
// money.ErrOverflow.
func Forecast(b *Base, preds []Prediction, d dimension.Dimension) ([]ValueForecast, error) {
	if err := CustomerDimension(d); err != nil {
		return nil, err
	}
	if len(preds) != len(b.Customers) {
		return nil, fmt.Errorf("%w: %d predictions for %d customers", ErrMismatch, len(preds), len(b.Customers))
	}
	idx := map[string]int{}
	var out []ValueForecast
	for i := range b.Customers {
		c := &b.Customers[i]
		shares, err := c.RevenueBy(d)
		if err != nil {
			return nil, err
		}
		var positive float64
		for _, s := range shares {
			if f, _ := s.Revenue.Float64(); f > 0 {
				positive += f
			}
		}
		for _, s := range shares {
			k, ok := idx[s.Value]
			if !ok {
				k = len(out)
				idx[s.Value] = k
				out = append(out, ValueForecast{Dimension: d, Value: s.Value})
			}
			f := &out[k]
			if err := money.AddTo(&f.Revenue, s.Revenue); err != nil {
				return nil, fmt.Errorf("forecast %s %q: %w", d, s.Value, err)
			}
			w := 1 / float64(len(shares))
			if positive > 0 {
				r, _ := s.Revenue.Float64()
				w = max(r, 0) / positive
			}
			f.Customers++
			f.ExpectedActive += Amount(w * preds[i].PAlive)
			f.ExpectedPurchases += Amount(w * preds[i].ExpectedPurchases)
			f.ProjectedRevenue += Amount(w * preds[i].CLV)
		}
	}
	slices.SortFunc(out, func(x, y ValueForecast) int { return dimension.CompareValues(d, x.Value, y.Value) })
	return out, nil
}

// MergeForecasts adds up forecasts of dimension d computed on disjoint
// sets of customers (the shards of a base) into the forecast of their
// union: customers and revenue exactly, the expected figures as float
// sums, which may differ from Forecast's in the last bits (far below the
// cent they are shown to). The error wraps money.ErrOverflow.
func MergeForecasts(d dimension.Dimension, parts ...[]ValueForecast) ([]ValueForecast, error) {
	idx := map[string]int{}
	var out []ValueForecast
	for _, part := range parts {
		for _, f := range part {
			k, ok := idx[f.Value]
			if !ok {
				idx[f.Value] = len(out)
				out = append(out, f)
				continue
			}
			m := &out[k]
			if err := money.AddTo(&m.Revenue, f.Revenue); err != nil {
				return nil, fmt.Errorf("forecast %s %q: %w", d, f.Value, err)
			}
			m.Customers += f.Customers
			m.ExpectedActive += f.ExpectedActive
			m.ExpectedPurchases += f.ExpectedPurchases
			m.ProjectedRevenue += f.ProjectedRevenue
		}
	}
	slices.SortFunc(out, func(x, y ValueForecast) int { return dimension.CompareValues(d, x.Value, y.Value) })
	return out, nil
}
