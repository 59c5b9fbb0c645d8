package forecast

import (
	"context"
	"fmt"
	"math"
)

// DefaultOrigins is the number of rolling forecast origins of the backtest
// when Options.Origins is 0: one year of monthly origins.
const DefaultOrigins = 12

// Score is the rolling-origin backtest accuracy of one method: at each
// origin the method is refitted on the months before it and forecasts up to
// the horizon (fewer at the last origins, up to the end of the series).
type Score struct {
	Method Method `json:"method"`
	Model  string `json:"model"`
	// MASE is the mean absolute error over all scored forecasts, each
	// divided by the in-sample mean absolute error of the seasonal naive
	// method on the months before its origin (of the naive method when they
	// span at most one season; the mean absolute value when that is 0, and
	// 1 for an all-zero history).
	MASE float64 `json:"mase"`
	// SMAPE is the mean of 200·|y−ŷ|/(|y|+|ŷ|), in percent (0 when both are
	// 0).
	SMAPE   float64 `json:"smape"`
	Origins int     `json:"origins"`
	Errors  int     `json:"errors"`
}

// contender is a method as the backtest sees it: it forecasts h months from
// a training series, on the scale of the series given.
type contender struct {
	method Method
	model  string
	minLen int
	fc     func(train []float64, h int) []Point
}

// maeScale is the MASE denominator for a training series.
func maeScale(train []float64) float64 {
	lag := 1
	if len(train) > Period {
		lag = Period
	}
	s := 0.0
	for t := lag; t < len(train); t++ {
		s += math.Abs(train[t] - train[t-lag])
	}
	if s > 0 {
		return s / float64(len(train)-lag)
	}
	for _, v := range train {
		s += math.Abs(v)
	}
	if s > 0 {
		return s / float64(len(train))
	}
	return 1
}

// backtest scores each contender at the origins first..len(y)-1, forecasting
// min(h, len(y)-origin) months from each.
func backtest(ctx context.Context, y []float64, h, first int, cands []contender) ([]Score, error) {
	scores := make([]Score, len(cands))
	for i, c := range cands {
		scores[i] = Score{Method: c.method, Model: c.model}
	}
	for o := first; o < len(y); o++ {
		train := y[:o]
		actual := y[o:min(o+h, len(y))]
		scale := maeScale(train)
		for i, c := range cands {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("forecast: backtest: %w", err)
			}
			s := &scores[i]
			for k, p := range c.fc(train, len(actual)) {
				e := math.Abs(actual[k] - p.Mean)
				s.MASE += e / scale
				if d := math.Abs(actual[k]) + math.Abs(p.Mean); d > 0 {
					s.SMAPE += 200 * e / d
				}
				s.Errors++
			}
			s.Origins++
		}
	}
	for i := range scores {
		if n := float64(scores[i].Errors); n > 0 {
			scores[i].MASE /= n
			scores[i].SMAPE /= n
		}
	}
	return scores, nil
}
