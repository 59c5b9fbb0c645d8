package forecast

import (
	"fmt"
	"math"
)

// SeasonalNaive forecasts each of the next h months by the value of the same
// month a year earlier. The intervals follow fpp3 section 5.5: σ̂ is the
// sample standard deviation of the seasonal differences y[t] − y[t−12], and
// the h-step standard error is σ̂·√(k+1), k being the number of full seasons
// before step h, ⌊(h−1)/12⌋. It needs at least Period+2 months (two seasonal
// differences) and returns a wrapped ErrTooShort, ErrBadValue or ErrHorizon
// otherwise.
func SeasonalNaive(y []float64, h int) ([]Point, error) {
	if err := validate(y, h); err != nil {
		return nil, err
	}
	if len(y) < Period+2 {
		return nil, fmt.Errorf("forecast: seasonal naive on %d months, need %d: %w", len(y), Period+2, ErrTooShort)
	}
	return lagWalk(y, h, Period), nil
}

// Naive forecasts each of the next h months by the last value, with the
// random-walk intervals of fpp3 section 5.5: σ̂·√h, σ̂ being the sample
// standard deviation of the first differences. It needs MinLength months and
// returns a wrapped ErrTooShort, ErrBadValue or ErrHorizon otherwise.
func Naive(y []float64, h int) ([]Point, error) {
	if err := validate(y, h); err != nil {
		return nil, err
	}
	return lagWalk(y, h, 1), nil
}

// lagWalk forecasts by the value lag months before, with the standard error
// of a random walk at that lag. It assumes len(y) ≥ lag+2.
func lagWalk(y []float64, h, lag int) []Point {
	n := len(y)
	d := make([]float64, n-lag)
	for t := lag; t < n; t++ {
		d[t-lag] = y[t] - y[t-lag]
	}
	sd := sampleSD(d)
	pts := make([]Point, h)
	for i := range pts {
		step := i + 1
		k := (step - 1) / lag
		pts[i] = band(step, y[n-lag+(step-1)%lag], sd*math.Sqrt(float64(k+1)))
	}
	return pts
}
