package forecast

import (
	"context"
	"fmt"
)

// Method identifies a forecasting method.
type Method string

// The methods Forecast chooses from.
const (
	MethodSeasonalNaive Method = "seasonal_naive"
	MethodNaive         Method = "naive"
	MethodETS           Method = "ets"
	MethodTheta         Method = "theta"
)

// Options configure Forecast.
type Options struct {
	// Horizon is the number of months to forecast, 1..MaxHorizon.
	Horizon int
	// Origins is the number of rolling backtest origins (the last months of
	// the series); 0 means DefaultOrigins.
	Origins int
}

// Candidate is one ETS variant considered in the AICc selection.
type Candidate struct {
	Model  string  `json:"model"`
	LogLik float64 `json:"loglik"`
	AICc   float64 `json:"aicc"`
}

// Result is a forecast with the evidence for its method.
type Result struct {
	// Method and Model are the method used for Points, e.g. MethodETS and
	// "ETS(A,N,A)".
	Method Method `json:"method"`
	Model  string `json:"model"`
	// Params are the fitted parameters of the method (nil for the naive
	// methods).
	Params map[string]float64 `json:"params,omitempty"`
	// AICc is the chosen ETS model's AICc; nil for other methods.
	AICc   *float64 `json:"aicc,omitempty"`
	Points []Point  `json:"points"`
	// Baseline is the benchmark every method must beat: seasonal naive, or
	// naive for series shorter than Period+2 months.
	Baseline Method `json:"baseline"`
	// Backtest holds the scores of every method tried, baseline first;
	// empty when the series is too short to backtest.
	Backtest []Score `json:"backtest"`
	// ETSCandidates are the ETS variants fitted, in Specs order.
	ETSCandidates []Candidate `json:"etsCandidates,omitempty"`
	// FellBack reports that ETS and Theta were fitted but did not beat the
	// baseline in the backtest (or could not be backtested), so the
	// baseline was used.
	FellBack bool `json:"fellBack"`
	// Reason says in a sentence why Method was chosen.
	Reason string `json:"reason"`
	// Notes record the models left out and other decisions.
	Notes []string `json:"notes,omitempty"`
}

// Forecast forecasts the monthly series y (oldest first) opt.Horizon months
// ahead; see the package documentation for the methods and the rule that
// picks one. It returns a wrapped ErrHorizon, ErrTooShort or ErrBadValue for
// bad input, or the context's error if ctx ends first.
func Forecast(ctx context.Context, y []float64, opt Options) (*Result, error) {
	h := opt.Horizon
	if err := validate(y, h); err != nil {
		return nil, err
	}
	origins := opt.Origins
	if origins <= 0 {
		origins = DefaultOrigins
	}
	ys, c := scaled(y)
	n := len(ys)
	res := &Result{}

	base := contender{method: MethodSeasonalNaive, model: "seasonal naive", minLen: Period + 2,
		fc: func(train []float64, h int) []Point { return lagWalk(train, h, Period) }}
	if n < Period+2 {
		base = contender{method: MethodNaive, model: "naive", minLen: MinLength,
			fc: func(train []float64, h int) []Point { return lagWalk(train, h, 1) }}
		res.Notes = append(res.Notes, fmt.Sprintf("%d months: seasonal naive needs %d, so the baseline is the naive method", n, Period+2))
	}
	res.Baseline = base.method
	useBaseline := func(reason string) *Result {
		res.Method, res.Model, res.Reason = base.method, base.model, reason
		res.Points = unscale(base.fc(ys, h), c)
		return res
	}
	if n < shortLength {
		return useBaseline(fmt.Sprintf("only %d months of history: ETS and Theta need at least %d, so the naive method is used", n, shortLength)), nil
	}
	if n < 2*Period {
		res.Notes = append(res.Notes, fmt.Sprintf("%d months, fewer than two full seasons: only non-seasonal models", n))
	}

	var best *ETSFit
	for _, spec := range Specs() {
		if n < spec.MinLength() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("forecast: fitting %v: %w", spec, err)
		}
		fit := fitETS(ys, c, spec, nil)
		res.ETSCandidates = append(res.ETSCandidates, Candidate{Model: spec.String(), LogLik: fit.LogLik, AICc: fit.AICc})
		if best == nil || fit.AICc < best.AICc {
			best = fit
		}
	}
	seasonal := seasonalACF(ys)
	theta := fitTheta(ys, c, seasonal)
	thetaModel, thetaMin := "Theta", shortLength
	if seasonal {
		thetaModel, thetaMin = "Theta (seasonally adjusted)", 2*Period
	} else if n >= 2*Period {
		res.Notes = append(res.Notes, "Theta: the lag-12 autocorrelation is not significant, no seasonal adjustment")
	}
	if seasonal && !theta.Multiplicative {
		res.Notes = append(res.Notes, "Theta: additive seasonal adjustment because the series has non-positive months")
	}

	cands := []contender{base}
	if best != nil {
		spec := best.Spec
		warm := etsParams{alpha: best.Alpha, beta: best.Beta, gamma: best.Gamma, phi: best.Phi}
		res.Notes = append(res.Notes, fmt.Sprintf("%v has the lowest AICc of %d ETS variants", spec, len(res.ETSCandidates)))
		cands = append(cands, contender{method: MethodETS, model: spec.String(), minLen: spec.MinLength(),
			fc: func(train []float64, h int) []Point { return fitETS(train, 1, spec, &warm).forecastScaled(h) }})
	}
	cands = append(cands, contender{method: MethodTheta, model: thetaModel, minLen: thetaMin,
		fc: func(train []float64, h int) []Point { return fitTheta(train, 1, seasonal).forecastScaled(h) }})

	first := n - origins
	for _, cand := range cands {
		first = max(first, cand.minLen)
	}
	if first >= n {
		res.FellBack = true
		return useBaseline(fmt.Sprintf("%d months are too few to backtest the models (the backtest needs more than %d), so the %s baseline is used", n, first, base.model)), nil
	}
	scores, err := backtest(ctx, ys, h, first, cands)
	if err != nil {
		return nil, err
	}
	res.Backtest = scores
	win := 0
	for i, s := range scores[1:] {
		if s.MASE < scores[win].MASE {
			win = i + 1
		}
	}
	if win == 0 {
		runnerUp := scores[1]
		for _, s := range scores[2:] {
			if s.MASE < runnerUp.MASE {
				runnerUp = s
			}
		}
		res.FellBack = true
		return useBaseline(fmt.Sprintf("no model beats %s in the backtest (best %s: MASE %.3f against %.3f over %d origins), so it falls back to %s",
			base.model, runnerUp.Model, runnerUp.MASE, scores[0].MASE, scores[0].Origins, base.model)), nil
	}
	w := scores[win]
	res.Method, res.Model = w.Method, w.Model
	res.Reason = fmt.Sprintf("%s has the best backtest MASE: %.3f against %.3f for %s over %d origins", w.Model, w.MASE, scores[0].MASE, base.model, w.Origins)
	switch w.Method {
	case MethodETS:
		aicc := best.AICc
		res.AICc, res.Params = &aicc, best.params()
		res.Points = best.Forecast(h)
	case MethodTheta:
		res.Params = theta.params()
		res.Points = theta.Forecast(h)
	}
	return res, nil
}
