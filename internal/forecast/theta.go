package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// ThetaFit is the Theta method of Assimakopoulos & Nikolopoulos (2000) with
// θ = 2, in the form of Hyndman & Billah (2003): simple exponential
// smoothing with a drift equal to half the slope of the linear trend, on
// seasonally adjusted data when the series is seasonal.
type ThetaFit struct {
	// Alpha is the SES smoothing parameter, estimated by least squares with
	// the initial level fixed at the first (adjusted) value, as statsmodels'
	// ThetaModel does.
	Alpha float64
	// B0 is the OLS slope of the adjusted series on time; the forecasts
	// drift by B0/2 a month once the SES has forgotten its start.
	B0 float64
	// Seasonal reports that the seasonality test rejected "no seasonality"
	// and the series was adjusted; Multiplicative that the adjustment
	// divided by the indices (it subtracts them when the series has
	// non-positive values). Indices[j] is the seasonal index of month j
	// (month 0 being the first of the series); nil when not seasonal.
	Seasonal, Multiplicative bool
	Indices                  []float64
	// Sigma2 is the mean squared one-step SES error on the adjusted scale.
	Sigma2 float64
	N      int

	scale float64
	level float64 // final SES level, adjusted and scaled
}

// FitTheta fits the Theta method to y. The seasonality test is the one of
// Hyndman's forecast::thetaf: the lag-12 autocorrelation exceeds its 90%
// Bartlett bound 1.645·√((1 + 2Σ_{k<12} r_k²)/n); it needs two full seasons
// (shorter series are not adjusted). Adjustment is by classical
// decomposition (centred 2×12 moving average, mean detrended ratio per
// month, indices normalised to mean 1, or differences normalised to mean 0).
// It returns a wrapped ErrTooShort below shortLength months, or ErrBadValue.
func FitTheta(y []float64) (*ThetaFit, error) {
	if err := validate(y, 1); err != nil {
		return nil, err
	}
	if len(y) < shortLength {
		return nil, fmt.Errorf("forecast: theta on %d months, need %d: %w", len(y), shortLength, ErrTooShort)
	}
	ys, c := scaled(y)
	return fitTheta(ys, c, seasonalACF(ys)), nil
}

// seasonalACF reports whether y spans two full seasons and its lag-Period
// autocorrelation is significant at 10% against Bartlett's bound.
func seasonalACF(y []float64) bool {
	if len(y) < 2*Period {
		return false
	}
	n := float64(len(y))
	mean := stat.Mean(y, nil)
	var den float64
	for _, v := range y {
		den += (v - mean) * (v - mean)
	}
	if den == 0 {
		return false
	}
	r := func(k int) float64 {
		s := 0.0
		for t := k; t < len(y); t++ {
			s += (y[t] - mean) * (y[t-k] - mean)
		}
		return s / den
	}
	sum := 0.0
	for k := 1; k < Period; k++ {
		sum += r(k) * r(k)
	}
	return math.Abs(r(Period)) > distuv.UnitNormal.Quantile(0.95)*math.Sqrt((1+2*sum)/n)
}

// decompose returns the classical seasonal indices of y (len(y) ≥
// 2·Period): multiplicative when every value is positive, else additive.
func decompose(y []float64) (indices []float64, multiplicative bool) {
	multiplicative = true
	for _, v := range y {
		if v <= 0 {
			multiplicative = false
			break
		}
	}
	sums := make([]float64, Period)
	counts := make([]float64, Period)
	half := Period / 2
	for t := half; t+half < len(y); t++ {
		// Centred 2×Period moving average: half weights at both ends.
		trend := (y[t-half] + y[t+half]) / 2
		for j := t - half + 1; j < t+half; j++ {
			trend += y[j]
		}
		trend /= Period
		if multiplicative {
			sums[t%Period] += y[t] / trend
		} else {
			sums[t%Period] += y[t] - trend
		}
		counts[t%Period]++
	}
	indices = make([]float64, Period)
	for j := range indices {
		indices[j] = sums[j] / counts[j]
	}
	mean := stat.Mean(indices, nil)
	for j := range indices {
		if multiplicative {
			indices[j] /= mean
		} else {
			indices[j] -= mean
		}
	}
	return indices, multiplicative
}

// fitTheta fits the method to the scaled series ys, adjusting it first when
// seasonal is true.
func fitTheta(ys []float64, c float64, seasonal bool) *ThetaFit {
	n := len(ys)
	fit := &ThetaFit{N: n, scale: c, Seasonal: seasonal}
	x := ys
	if seasonal {
		fit.Indices, fit.Multiplicative = decompose(ys)
		x = make([]float64, n)
		for t, v := range ys {
			if fit.Multiplicative {
				x[t] = v / fit.Indices[t%Period]
			} else {
				x[t] = v - fit.Indices[t%Period]
			}
		}
	}
	ts := make([]float64, n)
	for t := range ts {
		ts[t] = float64(t)
	}
	_, fit.B0 = stat.LinearRegression(ts, x, nil, false)

	sse := func(alpha float64) (float64, float64) {
		level, s := x[0], 0.0
		for _, v := range x {
			e := v - level
			s += e * e
			level += alpha * e
		}
		return s, level
	}
	best, bestF := 0.0, math.Inf(1)
	for _, a := range []float64{0.2, 0.8} {
		u, f := minimize(func(u []float64) float64 {
			s, _ := sse(logistic(u[0], parLo, parHi))
			return math.Log(s + 1e-20*float64(n)) // relative precision at any scale
		}, []float64{logit(a, parLo, parHi)})
		if f < bestF {
			best, bestF = u[0], f
		}
	}
	fit.Alpha = logistic(best, parLo, parHi)
	var s float64
	s, fit.level = sse(fit.Alpha)
	fit.Sigma2 = s / float64(n)
	// Report the indices and B0 in the series' units.
	fit.B0 *= c
	if seasonal && !fit.Multiplicative {
		for j := range fit.Indices {
			fit.Indices[j] *= c
		}
	}
	fit.Sigma2 *= c * c
	return fit
}

// Forecast returns the point forecasts of the next h months,
// ℓ_n + B0/2·(h − 1 + 1/α − (1−α)^n/α), re-seasonalised, with the
// intervals of Hyndman's thetaf: the SES variance σ²(1 + (h−1)α²) on the
// adjusted scale, re-seasonalised. h must be in 1..MaxHorizon, otherwise it
// returns nil.
func (f *ThetaFit) Forecast(h int) []Point {
	if h < 1 || h > MaxHorizon {
		return nil
	}
	return unscale(f.forecastScaled(h), f.scale)
}

func (f *ThetaFit) forecastScaled(h int) []Point {
	a := f.Alpha
	b0 := f.B0 / f.scale
	sigma2 := f.Sigma2 / (f.scale * f.scale)
	start := 1/a - math.Pow(1-a, float64(f.N))/a
	pts := make([]Point, h)
	for i := range pts {
		mean := f.level + b0/2*(float64(i)+start)
		p := band(i+1, mean, math.Sqrt(sigma2*(1+float64(i)*a*a)))
		if f.Seasonal {
			idx := f.Indices[(f.N+i)%Period]
			if f.Multiplicative {
				p = Point{Step: p.Step, Mean: p.Mean * idx, Lo80: p.Lo80 * idx, Hi80: p.Hi80 * idx, Lo95: p.Lo95 * idx, Hi95: p.Hi95 * idx}
			} else {
				idx /= f.scale
				p = Point{Step: p.Step, Mean: p.Mean + idx, Lo80: p.Lo80 + idx, Hi80: p.Hi80 + idx, Lo95: p.Lo95 + idx, Hi95: p.Hi95 + idx}
			}
		}
		pts[i] = p
	}
	return pts
}

// params returns the fitted parameters keyed by name.
func (f *ThetaFit) params() map[string]float64 {
	return map[string]float64{"alpha": f.Alpha, "b0": f.B0, "drift": f.B0 / 2, "sigma2": f.Sigma2}
}
