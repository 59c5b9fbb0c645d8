package clv

import (
	"context"
	"errors"
	"math"
	"testing"
)

// publishedBGNBD and publishedGG return the published CDNOW estimates.
func publishedBGNBD() BGNBD   { return BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426} }
func publishedGG() GammaGamma { return GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44} }

func TestValidate(t *testing.T) {
	cdnowBGNBD, cdnowGG := publishedBGNBD(), publishedGG()
	for _, tc := range []struct {
		name    string
		err     error
		wantErr error
	}{
		{"valid customer", Customer{X: 2, Tx: 3, T: 4}.Validate(), nil},
		{"no purchases, recency ignored", Customer{X: 0, Tx: 7, T: 4}.Validate(), nil},
		{"zero age", Customer{T: 0}.Validate(), nil},
		{"negative X", Customer{X: -1, T: 4}.Validate(), ErrInvalidCustomer},
		{"negative age", Customer{T: -1}.Validate(), ErrInvalidCustomer},
		{"negative recency", Customer{X: 1, Tx: -1, T: 4}.Validate(), ErrInvalidCustomer},
		{"NaN recency", Customer{X: 1, Tx: math.NaN(), T: 4}.Validate(), ErrInvalidCustomer},
		{"spend of a non-buyer ignored", Customer{T: 4, MeanSpend: -3}.ValidateSpend(), nil},
		{"zero spend of a buyer", Customer{X: 1, Tx: 1, T: 4}.ValidateSpend(), ErrInvalidCustomer},
		{"infinite spend", Customer{X: 1, Tx: 1, T: 4, MeanSpend: math.Inf(1)}.ValidateSpend(), ErrInvalidCustomer},
		{"valid BG/NBD", cdnowBGNBD.Validate(), nil},
		{"zero alpha", BGNBD{R: 1, A: 1, B: 1}.Validate(), ErrInvalidParams},
		{"infinite r", BGNBD{R: math.Inf(1), Alpha: 1, A: 1, B: 1}.Validate(), ErrInvalidParams},
		{"valid Gamma-Gamma", cdnowGG.Validate(), nil},
		{"NaN q", GammaGamma{P: 1, Q: math.NaN(), Gamma: 1}.Validate(), ErrInvalidParams},
		{"valid horizon", Horizon{Periods: 12, PeriodLength: 4.33, DiscountRate: 0.01}.Validate(), nil},
		{"no periods", Horizon{PeriodLength: 1}.Validate(), ErrInvalidParams},
		{"zero period length", Horizon{Periods: 1}.Validate(), ErrInvalidParams},
		{"discount rate −100%", Horizon{Periods: 1, PeriodLength: 1, DiscountRate: -1}.Validate(), ErrInvalidParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantErr == nil && tc.err != nil || tc.wantErr != nil && !errors.Is(tc.err, tc.wantErr) {
				t.Errorf("err = %v, want %v", tc.err, tc.wantErr)
			}
		})
	}
}

func TestPredictionsOnInvalidInputAreNaN(t *testing.T) {
	cdnowBGNBD, cdnowGG := publishedBGNBD(), publishedGG()
	bad := Customer{X: 2, Tx: 5, T: 4}
	h := Horizon{Periods: 2, PeriodLength: 1}
	for name, v := range map[string]float64{
		"LogLikelihood":        cdnowBGNBD.LogLikelihood(bad),
		"ProbAlive":            cdnowBGNBD.ProbAlive(bad),
		"ExpectedPurchases":    cdnowBGNBD.ExpectedPurchases(bad, 1),
		"negative window":      cdnowBGNBD.ExpectedPurchases(Customer{T: 3}, -1),
		"ExpectedPurchasesNew": BGNBD{}.ExpectedPurchasesNew(1),
		"DiscountedPurchases":  cdnowBGNBD.DiscountedPurchases(Customer{T: 3}, Horizon{}),
		"ExpectedSpend":        cdnowGG.ExpectedSpend(Customer{X: 1, Tx: 1, T: 3}),
		"spend LogLikelihood":  cdnowGG.LogLikelihood(Customer{T: 3}),
		"CLV":                  CLV(cdnowBGNBD, GammaGamma{}, Customer{T: 3}, h),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
}

func TestBGNBDPredictionProperties(t *testing.T) {
	m := publishedBGNBD()
	t.Run("no repeat purchases means alive", func(t *testing.T) {
		if p := m.ProbAlive(Customer{T: 30}); p != 1 {
			t.Errorf("P(alive) = %v", p)
		}
	})
	t.Run("recent buyers are more likely alive", func(t *testing.T) {
		old := m.ProbAlive(Customer{X: 3, Tx: 5, T: 39})
		recent := m.ProbAlive(Customer{X: 3, Tx: 38, T: 39})
		if !(0 < old && old < recent && recent < 1) {
			t.Errorf("P(alive) last bought at 5: %v, at 38: %v", old, recent)
		}
	})
	t.Run("expected purchases grow with the window", func(t *testing.T) {
		c := Customer{X: 2, Tx: 30.43, T: 38.86}
		prev := 0.0
		for _, w := range []float64{0, 1, 10, 39, 100, 1000} {
			v := m.ExpectedPurchases(c, w)
			if v < prev || (w == 0 && v != 0) {
				t.Errorf("E[Y(%v)] = %v after %v", w, v, prev)
			}
			prev = v
		}
	})
	t.Run("new customer equals conditional at age zero", func(t *testing.T) {
		// A customer just acquired (x = 0, T = 0) has the unconditional
		// forecast.
		for _, w := range []float64{1, 39, 78} {
			a, b := m.ExpectedPurchasesNew(w), m.ExpectedPurchases(Customer{}, w)
			if math.Abs(a-b) > 1e-14*a {
				t.Errorf("E[X(%v)] = %v, E[Y(%v) | 0, 0, 0] = %v", w, a, w, b)
			}
		}
	})
	t.Run("short window rate", func(t *testing.T) {
		// For small t, E[X(t)] ≈ t·E[λ] = t·r/α.
		if v, want := m.ExpectedPurchasesNew(1e-6), 1e-6*m.R/m.Alpha; math.Abs(v/want-1) > 1e-5 {
			t.Errorf("E[X(1e-6)] = %v, want ≈ %v", v, want)
		}
	})
}

func TestGammaGammaPredictions(t *testing.T) {
	m := publishedGG()
	pop := m.PopulationMeanSpend()
	if want := 6.25 * 15.44 / 2.74; math.Abs(pop-want) > 1e-12 {
		t.Errorf("population mean %v, want %v", pop, want)
	}
	for _, tc := range []struct {
		name string
		c    Customer
		want float64
	}{
		{"non-buyer gets the population mean", Customer{T: 10}, pop},
		{"weighted average", Customer{X: 2, Tx: 1, T: 3, MeanSpend: 20}, 6.25 * (15.44 + 2*20) / (6.25*2 + 3.74 - 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.ExpectedSpend(tc.c); math.Abs(got-tc.want) > 1e-12*tc.want {
				t.Errorf("ExpectedSpend = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("shrinks towards the own mean with more purchases", func(t *testing.T) {
		low := m.ExpectedSpend(Customer{X: 1, Tx: 1, T: 3, MeanSpend: 100})
		high := m.ExpectedSpend(Customer{X: 50, Tx: 1, T: 3, MeanSpend: 100})
		if !(pop < low && low < high && high < 100) {
			t.Errorf("population %v, x=1 %v, x=50 %v", pop, low, high)
		}
	})
	t.Run("infinite mean", func(t *testing.T) {
		heavy := GammaGamma{P: 0.2, Q: 0.5, Gamma: 3}
		if v := heavy.PopulationMeanSpend(); !math.IsInf(v, 1) {
			t.Errorf("population mean %v", v)
		}
		if v := heavy.ExpectedSpend(Customer{X: 1, Tx: 1, T: 2, MeanSpend: 5}); !math.IsInf(v, 1) {
			t.Errorf("expected spend %v", v)
		}
	})
}

func TestDiscountedPurchasesAndCLV(t *testing.T) {
	m, g := publishedBGNBD(), publishedGG()
	c := Customer{X: 2, Tx: 30.43, T: 38.86, MeanSpend: 30}
	months := Horizon{Periods: 12, PeriodLength: 52.0 / 12}
	t.Run("no discount sums the periods", func(t *testing.T) {
		got := m.DiscountedPurchases(c, months)
		want := m.ExpectedPurchases(c, 52)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("undiscounted %v, E[Y(52)] %v", got, want)
		}
	})
	t.Run("discounting lowers value", func(t *testing.T) {
		prev := math.Inf(1)
		for _, d := range []float64{-0.01, 0, 0.01, 0.1} {
			h := months
			h.DiscountRate = d
			v := CLV(m, g, c, h)
			if !(v < prev) {
				t.Errorf("CLV at rate %v = %v, not below %v", d, v, prev)
			}
			prev = v
		}
	})
	t.Run("single period", func(t *testing.T) {
		h := Horizon{Periods: 1, PeriodLength: 52, DiscountRate: 0.1}
		got := m.DiscountedPurchases(c, h)
		want := m.ExpectedPurchases(c, 52) / 1.1
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("CLV is purchases times spend", func(t *testing.T) {
		h := months
		h.DiscountRate = 0.01
		got := CLV(m, g, c, h)
		want := m.DiscountedPurchases(c, h) * g.ExpectedSpend(c)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("CLV %v, want %v", got, want)
		}
	})
}

func TestValue(t *testing.T) {
	cdnowBGNBD, cdnowGG := publishedBGNBD(), publishedGG()
	customers := loadCDNOW(t)
	h := Horizon{Periods: 24, PeriodLength: 52.0 / 12, DiscountRate: 0.01}
	vals, err := Value(context.Background(), cdnowBGNBD, cdnowGG, customers, h)
	if err != nil {
		t.Fatalf("Value: %v", err)
	}
	if len(vals) != len(customers) {
		t.Fatalf("%d valuations for %d customers", len(vals), len(customers))
	}
	total := 0.0
	for i, c := range customers {
		v := vals[i]
		want := Valuation{
			ProbAlive:           cdnowBGNBD.ProbAlive(c),
			ExpectedPurchases:   cdnowBGNBD.ExpectedPurchases(c, 24*52.0/12),
			DiscountedPurchases: cdnowBGNBD.DiscountedPurchases(c, h),
			ExpectedSpend:       cdnowGG.ExpectedSpend(c),
			CLV:                 CLV(cdnowBGNBD, cdnowGG, c, h),
		}
		for _, p := range [][2]float64{
			{v.ProbAlive, want.ProbAlive}, {v.ExpectedPurchases, want.ExpectedPurchases},
			{v.DiscountedPurchases, want.DiscountedPurchases}, {v.ExpectedSpend, want.ExpectedSpend}, {v.CLV, want.CLV},
		} {
			if math.Abs(p[0]-p[1]) > 1e-12*math.Abs(p[1]) {
				t.Fatalf("customer %d: Value %+v, single-customer functions %+v", i, v, want)
			}
		}
		total += v.CLV
	}
	t.Logf("CDNOW cohort: total two-year CLV at 1%%/month = $%.2f (mean $%.2f)", total, total/float64(len(customers)))

	t.Run("invalid customer", func(t *testing.T) {
		bad := append([]Customer{{T: 3}}, Customer{X: 1, Tx: 1, T: 3})
		_, err := Value(context.Background(), cdnowBGNBD, cdnowGG, bad, h)
		if !errors.Is(err, ErrInvalidCustomer) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("invalid horizon", func(t *testing.T) {
		_, err := Value(context.Background(), cdnowBGNBD, cdnowGG, customers, Horizon{})
		if !errors.Is(err, ErrInvalidParams) {
			t.Errorf("err = %v", err)
		}
	})
}
