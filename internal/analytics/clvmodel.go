package analytics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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

// CLVFit is the result of FitCLV.
type CLVFit struct {
	Model CLVModel
	// PurchasesInfo and SpendInfo describe the two fits.
	PurchasesInfo, SpendInfo clv.FitInfo
	// Warnings lists non-fatal findings, such as an estimate on the
	// parameter boundary (clv.ErrBoundary), whose model is still usable.
	Warnings []string
}

// FitCLV fits the BG/NBD model to every customer of b and the Gamma-Gamma
// model to the repeat buyers whose repeat days have a positive mean
// revenue (see CLVCustomers).
//
// A boundary estimate (clv.ErrBoundary) is not an error: the model is kept
// and the finding is listed in Warnings. Other errors wrap
// ErrInvalidConfig for a bad cfg, or the clv package's errors (for example
// clv.ErrNoData for an empty base, clv.ErrNoRepeatBuyers when nobody bought
// on two days, clv.ErrNotConverged) or ctx's.
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
	fit := CLVFit{Model: CLVModel{Horizon: h, AsOf: asOf, UnitDays: unit}}
	m, info, err := clv.FitBGNBD(ctx, cs, cfg.Fit)
	if errors.Is(err, clv.ErrBoundary) {
		fit.Warnings = append(fit.Warnings, err.Error())
	} else if err != nil {
		return CLVFit{}, fmt.Errorf("fit purchases: %w", err)
	}
	fit.Model.Purchases, fit.PurchasesInfo = m, info
	spenders := slices.DeleteFunc(cs, func(c clv.Customer) bool { return c.X == 0 || !(c.MeanSpend > 0) })
	g, info, err := clv.FitGammaGamma(ctx, spenders, cfg.Fit)
	if errors.Is(err, clv.ErrBoundary) {
		fit.Warnings = append(fit.Warnings, err.Error())
	} else if err != nil {
		return CLVFit{}, fmt.Errorf("fit spend: %w", err)
	}
	fit.Model.Spend, fit.SpendInfo = g, info
	return fit, nil
}

// Predict returns every customer's P(alive) at AsOf, expected purchase days
// over the horizon and CLV (discounted expected revenue over the horizon),
// in Base order. A repeat buyer whose repeat days net to zero revenue or
// less gets a CLV of zero. The error wraps ErrInvalidConfig when AsOf is
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
		out[i] = Prediction{PAlive: v.ProbAlive, ExpectedPurchases: v.ExpectedPurchases, CLV: v.CLV}
	}
	for _, i := range noSpend {
		out[i].CLV = 0
	}
	return out, nil
}

// ValueForecast is one segment value's actual revenue and predicted
// future.
type ValueForecast struct {
	// Dimension and Value name the segment value.
	Dimension dimension.Dimension `json:"dimension"`
	Value     string              `json:"value"`
	// Customers and Revenue are its customers and their historical net
	// revenue.
	Customers int64           `json:"customers"`
	Revenue   decimal.Decimal `json:"revenue"`
	// ExpectedActive is the sum of P(alive): the expected number of
	// customers still active.
	ExpectedActive float64 `json:"expected_active"`
	// ExpectedPurchases and ProjectedRevenue sum the predictions over the
	// horizon (ProjectedRevenue is the sum of CLV).
	ExpectedPurchases float64 `json:"expected_purchases"`
	ProjectedRevenue  float64 `json:"projected_revenue"`
}

// Forecast sums predictions per value of dimension d (each customer under
// its latest value), sorted by value; dimension.Total gives one entry for
// the whole base. The error wraps ErrMismatch when preds does not have one
// entry per customer, or money.ErrOverflow.
func Forecast(b *Base, preds []Prediction, d dimension.Dimension) ([]ValueForecast, error) {
	if len(preds) != len(b.Customers) {
		return nil, fmt.Errorf("%w: %d predictions for %d customers", ErrMismatch, len(preds), len(b.Customers))
	}
	idx := map[string]int{}
	var out []ValueForecast
	for i := range b.Customers {
		c := &b.Customers[i]
		v := c.Attr(d)
		k, ok := idx[v]
		if !ok {
			k = len(out)
			idx[v] = k
			out = append(out, ValueForecast{Dimension: d, Value: v})
		}
		f := &out[k]
		if err := money.AddTo(&f.Revenue, c.Revenue); err != nil {
			return nil, fmt.Errorf("forecast %s %q: %w", d, v, err)
		}
		f.Customers++
		f.ExpectedActive += preds[i].PAlive
		f.ExpectedPurchases += preds[i].ExpectedPurchases
		f.ProjectedRevenue += preds[i].CLV
	}
	slices.SortFunc(out, func(x, y ValueForecast) int { return strings.Compare(x.Value, y.Value) })
	return out, nil
}
