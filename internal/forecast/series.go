package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

const (
	// Period is the seasonal period: the series are monthly.
	Period = 12

	// MaxHorizon is the longest forecast horizon, in months.
	MaxHorizon = 12

	// MinLength is the shortest series Forecast accepts, in months. Below
	// shortLength only the naive method is used.
	MinLength = 3

	// MaxAbs bounds the magnitude of the values of a series, so that sums of
	// squares stay finite.
	MaxAbs = 1e100

	// shortLength is the length below which ETS and Theta are not tried.
	shortLength = 4
)

// Point is the forecast of one future month, with the bounds of its 80% and
// 95% prediction intervals.
type Point struct {
	// Step is the number of months after the last observation, from 1.
	Step int     `json:"step"`
	Mean float64 `json:"mean"`
	Lo80 float64 `json:"lo80"`
	Hi80 float64 `json:"hi80"`
	Lo95 float64 `json:"lo95"`
	Hi95 float64 `json:"hi95"`
}

// band returns the point with the given mean and normal prediction intervals
// of standard error se.
func band(step int, mean, se float64) Point {
	z80 := distuv.UnitNormal.Quantile(0.9)
	z95 := distuv.UnitNormal.Quantile(0.975)
	return Point{
		Step: step, Mean: mean,
		Lo80: mean - z80*se, Hi80: mean + z80*se,
		Lo95: mean - z95*se, Hi95: mean + z95*se,
	}
}

// validate checks a series and a horizon; it returns a wrapped ErrHorizon,
// ErrTooShort or ErrBadValue.
func validate(y []float64, h int) error {
	if h < 1 || h > MaxHorizon {
		return fmt.Errorf("forecast: horizon %d not in 1..%d: %w", h, MaxHorizon, ErrHorizon)
	}
	if len(y) < MinLength {
		return fmt.Errorf("forecast: %d months, need %d: %w", len(y), MinLength, ErrTooShort)
	}
	for i, v := range y {
		if !(math.Abs(v) <= MaxAbs) {
			return fmt.Errorf("forecast: month %d is %v: %w", i, v, ErrBadValue)
		}
	}
	return nil
}

// scaled returns y divided by its largest magnitude (1 for an all-zero
// series) and that divisor. The fits work on the scaled series so that the
// optimizers and the least-squares steps see values of order one.
func scaled(y []float64) ([]float64, float64) {
	c := 0.0
	for _, v := range y {
		c = max(c, math.Abs(v))
	}
	if c == 0 {
		c = 1
	}
	ys := make([]float64, len(y))
	for i, v := range y {
		ys[i] = v / c
	}
	return ys, c
}

// unscale multiplies the forecasts by c in place and returns them.
func unscale(pts []Point, c float64) []Point {
	for i := range pts {
		p := &pts[i]
		p.Mean *= c
		p.Lo80 *= c
		p.Hi80 *= c
		p.Lo95 *= c
		p.Hi95 *= c
	}
	return pts
}

// sampleSD is the standard deviation of x with divisor len(x)-1; it is 0
// for fewer than two values.
func sampleSD(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(x)-1))
}
