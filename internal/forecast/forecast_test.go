package forecast

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// synthetic returns n months of level + slope·t + a seasonal wave of the
// given amplitude + Gaussian noise of sd noise, from a fixed seed.
func synthetic(seed uint64, n int, level, slope, amplitude, noise float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for t := range y {
		y[t] = level + slope*float64(t) + amplitude*math.Sin(2*math.Pi*float64(t)/Period) + noise*r.NormFloat64()
	}
	return y
}

func TestForecastErrors(t *testing.T) {
	ok := synthetic(1, 36, 100, 1, 10, 2)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		y    []float64
		h    int
		want error
	}{
		{"horizon 0", context.Background(), ok, 0, ErrHorizon},
		{"horizon 13", context.Background(), ok, 13, ErrHorizon},
		{"empty", context.Background(), nil, 3, ErrTooShort},
		{"two months", context.Background(), []float64{1, 2}, 3, ErrTooShort},
		{"NaN", context.Background(), append([]float64{math.NaN()}, ok...), 3, ErrBadValue},
		{"infinity", context.Background(), append(append([]float64{}, ok...), math.Inf(-1)), 3, ErrBadValue},
		{"too large", context.Background(), append([]float64{2 * MaxAbs}, ok...), 3, ErrBadValue},
		{"cancelled", cancelled, ok, 3, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Forecast(tc.ctx, tc.y, Options{Horizon: tc.h})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if res != nil {
				t.Errorf("result %+v with an error", res)
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	y := synthetic(2, 20, 100, 1, 10, 2)
	if _, err := FitETS(y, Spec{Seasonal: true}); !errors.Is(err, ErrTooShort) {
		t.Errorf("seasonal ETS on 20 months: %v, want ErrTooShort", err)
	}
	if _, err := FitETS([]float64{1, 2, 3, 4}, Spec{Trend: TrendDamped}); !errors.Is(err, ErrTooShort) {
		t.Errorf("damped ETS on 4 months: %v, want ErrTooShort", err)
	}
	if _, err := FitTheta([]float64{1, 2, 3}); !errors.Is(err, ErrTooShort) {
		t.Errorf("theta on 3 months: %v, want ErrTooShort", err)
	}
	if _, err := SeasonalNaive(y[:13], 3); !errors.Is(err, ErrTooShort) {
		t.Errorf("seasonal naive on 13 months: %v, want ErrTooShort", err)
	}
	if _, err := Naive(y, 0); !errors.Is(err, ErrHorizon) {
		t.Errorf("naive with horizon 0: %v, want ErrHorizon", err)
	}
	fit, err := FitETS(y, Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if pts := fit.Forecast(MaxHorizon + 1); pts != nil {
		t.Errorf("forecast beyond MaxHorizon: %d points", len(pts))
	}
}

// checkPoints asserts that forecasts are finite, numbered from 1 and their
// intervals nested around the mean.
func checkPoints(t *testing.T, pts []Point, h int) {
	t.Helper()
	if len(pts) != h {
		t.Fatalf("%d points, want %d", len(pts), h)
	}
	for i, p := range pts {
		for _, v := range []float64{p.Mean, p.Lo80, p.Hi80, p.Lo95, p.Hi95} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("step %d not finite: %+v", i+1, p)
			}
		}
		if p.Step != i+1 || !(p.Lo95 <= p.Lo80 && p.Lo80 <= p.Mean && p.Mean <= p.Hi80 && p.Hi80 <= p.Hi95) {
			t.Errorf("point %d malformed: %+v", i, p)
		}
	}
}

func TestForecastShortSeries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		method    Method // "" when a model may win
		baseline  Method
		seasonal  bool // seasonal ETS variants fitted
		reason    string
		backtests bool
	}{
		{"3 months", 3, MethodNaive, MethodNaive, false, "only 3 months", false},
		{"5 months", 5, MethodNaive, MethodNaive, false, "too few to backtest", false},
		{"10 months", 10, "", MethodNaive, false, "", true},
		{"18 months", 18, "", MethodSeasonalNaive, false, "", true},
		{"30 months", 30, "", MethodSeasonalNaive, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := synthetic(3, tc.n, 1000, 5, 100, 30)
			res, err := Forecast(context.Background(), y, Options{Horizon: 6})
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, res.Points, 6)
			if tc.method != "" && res.Method != tc.method {
				t.Errorf("method %s, want %s", res.Method, tc.method)
			}
			if res.Baseline != tc.baseline {
				t.Errorf("baseline %s, want %s", res.Baseline, tc.baseline)
			}
			if !strings.Contains(res.Reason, tc.reason) || res.Reason == "" {
				t.Errorf("reason %q, want it to mention %q", res.Reason, tc.reason)
			}
			seasonal := false
			for _, c := range res.ETSCandidates {
				seasonal = seasonal || strings.HasSuffix(c.Model, ",A)")
			}
			if seasonal != tc.seasonal {
				t.Errorf("seasonal ETS variants fitted: %v, want %v (%+v)", seasonal, tc.seasonal, res.ETSCandidates)
			}
			if (len(res.Backtest) > 0) != tc.backtests {
				t.Errorf("backtest %+v, want one: %v", res.Backtest, tc.backtests)
			}
			if len(res.Backtest) > 0 && res.Backtest[0].Method != res.Baseline {
				t.Errorf("first score is %s, want the baseline", res.Backtest[0].Method)
			}
			if tc.n >= shortLength && tc.n < 2*Period && !strings.Contains(strings.Join(res.Notes, "\n"), "non-seasonal") {
				t.Errorf("notes %q do not say that seasonal models were skipped", res.Notes)
			}
		})
	}
}

// TestForecastChoice checks the choice rule on series with a known best
// method, and that the result is consistent with its backtest scores.
func TestForecastChoice(t *testing.T) {
	// A season repeated exactly: seasonal naive makes no error, so no model
	// can beat it strictly.
	periodic := make([]float64, 48)
	for t := range periodic {
		periodic[t] = []float64{5, 3, 8, 9, 4, 6, 7, 2, 1, 8, 9, 12}[t%Period] * 1000
	}
	for _, tc := range []struct {
		name     string
		y        []float64
		fellBack bool
	}{
		{"exactly periodic", periodic, true},
		// A steep trend: seasonal naive lags a year behind it.
		{"steep trend", synthetic(4, 60, 100, 20, 30, 5), false},
		{"trend and season", synthetic(5, 72, 5000, 40, 800, 100), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Forecast(context.Background(), tc.y, Options{Horizon: MaxHorizon})
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, res.Points, MaxHorizon)
			if res.FellBack != tc.fellBack {
				t.Fatalf("fell back %v, want %v: %s", res.FellBack, tc.fellBack, res.Reason)
			}
			if len(res.Backtest) != 3 {
				t.Fatalf("backtest %+v, want baseline, ETS and Theta", res.Backtest)
			}
			base := res.Backtest[0]
			if tc.fellBack {
				if res.Method != MethodSeasonalNaive || !strings.Contains(res.Reason, "falls back") {
					t.Errorf("method %s, reason %q", res.Method, res.Reason)
				}
				for i, p := range res.Points {
					if p.Mean != tc.y[len(tc.y)-Period+i] {
						t.Errorf("step %d: %v, want last year's %v", p.Step, p.Mean, tc.y[len(tc.y)-Period+i])
					}
				}
				return
			}
			var chosen *Score
			for i := range res.Backtest {
				s := &res.Backtest[i]
				if s.Method == res.Method {
					chosen = s
				}
				if s.MASE < 0 || s.SMAPE < 0 || s.SMAPE > 200 || s.Origins != DefaultOrigins {
					t.Errorf("score %+v out of range", *s)
				}
			}
			if chosen == nil || chosen.MASE >= base.MASE {
				t.Fatalf("chose %s (%+v) without beating %+v", res.Method, chosen, base)
			}
			for _, s := range res.Backtest {
				if s.MASE < chosen.MASE {
					t.Errorf("%s has a lower MASE than the chosen %s", s.Model, chosen.Model)
				}
			}
			if (res.Method == MethodETS) != (res.AICc != nil) || len(res.Params) == 0 {
				t.Errorf("method %s with AICc %v and params %v", res.Method, res.AICc, res.Params)
			}
		})
	}
}

// TestETSIntervals checks the variance of FitETS forecasts against the
// state space form x_t = F x_{t−1} + g ε_t, y_t = w′x_{t−1} + ε_t, whose
// h-step variance is σ²(1 + Σ_{j<h} (w′F^{j−1}g)²) (Hyndman et al. 2008,
// ch. 6), computed here with matrices rather than Table 6.1's closed forms.
func TestETSIntervals(t *testing.T) {
	y := synthetic(6, 60, 300, 2, 40, 15)
	for _, spec := range Specs() {
		t.Run(spec.String(), func(t *testing.T) {
			fit, err := FitETS(y, spec)
			if err != nil {
				t.Fatal(err)
			}
			// State: level, slope, then seasonal states s_{t}, s_{t−1}, …, s_{t−m+1}.
			d := 2 + Period
			F := mat.NewDense(d, d, nil)
			g := mat.NewVecDense(d, nil)
			w := mat.NewVecDense(d, nil)
			F.Set(0, 0, 1)
			F.Set(0, 1, fit.Phi)
			F.Set(1, 1, fit.Phi)
			w.SetVec(0, 1)
			w.SetVec(1, fit.Phi)
			g.SetVec(0, fit.Alpha)
			g.SetVec(1, fit.Beta)
			if !spec.hasTrend() {
				F.Set(0, 1, 0)
				F.Set(1, 1, 0)
				w.SetVec(1, 0)
			}
			if spec.Seasonal {
				F.Set(2, d-1, 1) // the new seasonal state starts from s_{t−m}
				for i := 3; i < d; i++ {
					F.Set(i, i-1, 1)
				}
				w.SetVec(d-1, 1)
				g.SetVec(2, fit.Gamma)
			}
			pts := fit.Forecast(MaxHorizon)
			z95 := (pts[0].Hi95 - pts[0].Mean) / math.Sqrt(fit.Sigma2)
			power := mat.NewVecDense(d, nil)
			power.CopyVec(g)
			sum := 1.0
			for h := 1; h <= MaxHorizon; h++ {
				want := z95 * math.Sqrt(fit.Sigma2*sum)
				if got := pts[h-1].Hi95 - pts[h-1].Mean; math.Abs(got-want) > 1e-9*want {
					t.Errorf("step %d: half-width %.10g, state space %.10g", h, got, want)
				}
				c := mat.Dot(w, power)
				sum += c * c
				power.MulVec(F, power)
			}
		})
	}
}

func TestBacktestByHand(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6}
	last := contender{method: MethodNaive, model: "naive", fc: func(train []float64, h int) []Point {
		pts := make([]Point, h)
		for i := range pts {
			pts[i] = Point{Step: i + 1, Mean: train[len(train)-1]}
		}
		return pts
	}}
	scores, err := backtest(context.Background(), y, 2, 4, []contender{last})
	if err != nil {
		t.Fatal(err)
	}
	// Origin 4 forecasts 4, 4 for 5, 6; origin 5 forecasts 5 for 6. The
	// in-sample naive MAE is 1 at both.
	want := Score{Method: MethodNaive, Model: "naive", MASE: 4.0 / 3, SMAPE: (200.0/9 + 400.0/10 + 200.0/11) / 3, Origins: 2, Errors: 3}
	got := scores[0]
	if got.Origins != want.Origins || got.Errors != want.Errors || math.Abs(got.MASE-want.MASE) > 1e-12 || math.Abs(got.SMAPE-want.SMAPE) > 1e-12 {
		t.Errorf("score %+v, want %+v", got, want)
	}
}

func TestMAEScale(t *testing.T) {
	season := make([]float64, 26)
	for t := range season {
		season[t] = float64(t%Period) + float64(t/Period)*3 // +3 a year
	}
	for _, tc := range []struct {
		name string
		y    []float64
		want float64
	}{
		{"under a season uses lag 1", []float64{1, 3, 2, 6}, (2 + 1 + 4) / 3.0},
		{"seasonal", season, 3},
		{"constant uses the mean level", []float64{-4, -4, -4}, 4},
		{"zeros", []float64{0, 0, 0}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := maeScale(tc.y); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("scale %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzForecast checks that no finite series makes Forecast panic or return
// a non-finite number.
func FuzzForecast(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(3), 0.0)
	f.Add(make([]byte, 40), uint8(12), 1e6)
	f.Add([]byte("seasonal revenue with spikes and zeros, twice over, for two years and more"), uint8(7), -5.0)
	f.Fuzz(func(t *testing.T, data []byte, h uint8, offset float64) {
		if math.IsNaN(offset) || math.Abs(offset) > 1e12 {
			return
		}
		// Ten years of months is plenty, and keeps each run fast enough for
		// the fuzzer to explore.
		data = data[:min(len(data), 120)]
		y := make([]float64, len(data))
		for i, b := range data {
			y[i] = offset + float64(int(b)-64)*math.Pow(1.3, float64(b%50))
		}
		horizon := int(h)%MaxHorizon + 1
		res, err := Forecast(context.Background(), y, Options{Horizon: horizon, Origins: 4})
		if err != nil {
			if !errors.Is(err, ErrTooShort) || len(y) >= MinLength {
				t.Fatalf("unexpected error for %d months: %v", len(y), err)
			}
			return
		}
		checkPoints(t, res.Points, horizon)
		for _, s := range res.Backtest {
			if math.IsNaN(s.MASE) || math.IsInf(s.MASE, 0) || math.IsNaN(s.SMAPE) || math.IsInf(s.SMAPE, 0) {
				t.Fatalf("score %+v not finite", s)
			}
		}
		for k, v := range res.Params {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("parameter %s = %v", k, v)
			}
		}
		for _, c := range res.ETSCandidates {
			if math.IsNaN(c.AICc) || math.IsInf(c.AICc, 0) || math.IsNaN(c.LogLik) || math.IsInf(c.LogLik, 0) {
				t.Fatalf("candidate %+v not finite", c)
			}
		}
	})
}

// BenchmarkForecast100Series forecasts 100 segment series of 72 months a
// year ahead, with the default backtest.
// segmentSeries returns n monthly revenue series shaped like a business's
// segments (product lines × regions, say): 12 to 72 months of history as
// segments start at different times, levels over three orders of
// magnitude, growth or decline, seasonality proportional to the level,
// multiplicative noise, and one in ten intermittent (a quarter of the
// months empty), as small segments are.
func segmentSeries(n int) [][]float64 {
	r := rand.New(rand.NewPCG(42, 7))
	out := make([][]float64, n)
	for i := range out {
		months := 12 + r.IntN(61)
		level := math.Exp(r.Float64()*7) * 1000
		growth := r.NormFloat64() * 0.01
		season := r.Float64() * 0.4
		peak := r.IntN(Period)
		y := make([]float64, months)
		for t := range y {
			v := level * math.Exp(growth*float64(t)) * (1 + season*math.Cos(2*math.Pi*float64(t-peak)/Period)) * math.Exp(0.15*r.NormFloat64())
			if i%10 == 0 && r.IntN(4) == 0 {
				v = 0
			}
			y[t] = math.Round(v*100) / 100
		}
		out[i] = y
	}
	return out
}

// BenchmarkForecastSegments forecasts 1,000 segment series (segmentSeries)
// 12 months ahead with the full method choice and backtest, and reports
// the time per series and its ratio to the seasonal naive baseline alone
// on the same series, measured in the same run.
func BenchmarkForecastSegments(b *testing.B) {
	series := segmentSeries(1000)
	months := 0
	for _, y := range series {
		months += len(y)
	}
	b.SetBytes(int64(8 * months))
	ctx := context.Background()
	// The reference: seasonal naive alone on every series, timed here
	// (testing.Benchmark cannot run inside a benchmark) over at least a
	// fifth of a second.
	var rounds int
	start := time.Now()
	for rounds = 0; rounds == 0 || time.Since(start) < 200*time.Millisecond; rounds++ {
		for _, y := range series {
			if _, err := SeasonalNaive(y, MaxHorizon); err != nil && !errors.Is(err, ErrTooShort) {
				b.Fatal(err)
			}
		}
	}
	baseline := float64(time.Since(start).Nanoseconds()) / float64(rounds)
	b.ResetTimer()
	b.ReportAllocs()
	fellBack := 0
	for b.Loop() {
		fellBack = 0
		for _, y := range series {
			res, err := Forecast(ctx, y, Options{Horizon: MaxHorizon})
			if err != nil {
				b.Fatal(err)
			}
			if res.FellBack {
				fellBack++
			}
		}
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(len(series))/1e6, "ms/series")
	b.ReportMetric(perOp/baseline, "x-seasonal-naive")
	b.ReportMetric(float64(fellBack)/float64(len(series)), "fell-back")
}
