package clv

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// checkUsable asserts that a BG/NBD model gives finite, sane predictions.
func checkUsable(t *testing.T, m BGNBD, customers []Customer) {
	t.Helper()
	if err := m.Validate(); err != nil {
		t.Fatalf("model: %v", err)
	}
	h := Horizon{Periods: 12, PeriodLength: 4, DiscountRate: 0.01}
	for _, c := range customers[:min(len(customers), 50)] {
		pa, ey, dp := m.ProbAlive(c), m.ExpectedPurchases(c, 52), m.DiscountedPurchases(c, h)
		if !finite(pa, ey, dp) || pa < 0 || pa > 1 || ey < 0 || dp < 0 || dp > ey+1e-9 {
			t.Fatalf("customer %+v: P(alive)=%v E[Y(52)]=%v discounted=%v", c, pa, ey, dp)
		}
	}
	if v := m.ExpectedPurchasesNew(52); !finite(v) || v < 0 {
		t.Fatalf("E[X(52)] = %v", v)
	}
}

func TestFitBGNBDDegenerate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		customers []Customer
		opts      FitOptions
		// wantErr is the sentinel expected; nil means success, and
		// ErrBoundary also requires a usable model.
		wantErr error
		// maybeBoundary accepts either success or ErrBoundary.
		maybeBoundary bool
	}{
		{name: "no customers", wantErr: ErrNoData},
		{name: "all without repeat purchases", customers: []Customer{{T: 30}, {T: 12}, {T: 30}}, wantErr: ErrNoRepeatBuyers},
		{name: "single customer without repeat purchases", customers: []Customer{{T: 30}}, wantErr: ErrNoRepeatBuyers},
		{name: "negative frequency", customers: []Customer{{X: -1, T: 3}}, wantErr: ErrInvalidCustomer},
		{name: "recency beyond age", customers: []Customer{{X: 1, Tx: 5, T: 3}}, wantErr: ErrInvalidCustomer},
		{name: "NaN age", customers: []Customer{{X: 1, Tx: 1, T: math.NaN()}}, wantErr: ErrInvalidCustomer},
		{name: "infinite age", customers: []Customer{{X: 1, Tx: 1, T: math.Inf(1)}}, wantErr: ErrInvalidCustomer},
		{name: "negative penalty", customers: []Customer{{X: 1, Tx: 1, T: 3}}, opts: FitOptions{Penalty: -1}, wantErr: ErrInvalidParams},
		{name: "single customer", customers: []Customer{{X: 3, Tx: 20, T: 30}}, maybeBoundary: true},
		{name: "single customer penalized", customers: []Customer{{X: 3, Tx: 20, T: 30}}, opts: FitOptions{Penalty: 1e-3}},
		{name: "identical customers", customers: repeatCustomer(Customer{X: 2, Tx: 10, T: 20}, 500), maybeBoundary: true},
		{name: "everyone bought at age zero", customers: []Customer{{X: 1, Tx: 0, T: 0}, {X: 0, T: 0}}, maybeBoundary: true},
		{name: "one repeat buyer among many", customers: append(repeatCustomer(Customer{T: 40}, 1000), Customer{X: 1, Tx: 3, T: 40}), maybeBoundary: true},
		{name: "CDNOW plus a customer with a million purchases", customers: append(loadCDNOW(t), Customer{X: 1_000_000, Tx: 38.5, T: 38.86})},
		{name: "CDNOW plus a customer with a billion purchases", customers: append(loadCDNOW(t), Customer{X: 1_000_000_000, Tx: 38.5, T: 38.86})},
		{name: "CDNOW in days", customers: scaleTime(loadCDNOW(t), 7)},
		{name: "CDNOW in years", customers: scaleTime(loadCDNOW(t), 1.0/52)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, info, err := FitBGNBD(ctx, tc.customers, tc.opts)
			switch {
			case tc.maybeBoundary && (err == nil || errors.Is(err, ErrBoundary)):
				t.Logf("model %+v, info %+v, err %v", m, info, err)
				checkUsable(t, m, tc.customers)
			case tc.wantErr == nil && !tc.maybeBoundary:
				if err != nil {
					t.Fatalf("FitBGNBD: %v", err)
				}
				t.Logf("model %+v, LL %.4f", m, info.LogLikelihood)
				checkUsable(t, m, tc.customers)
			default:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if m != (BGNBD{}) || info.Customers != 0 {
					t.Errorf("model %+v and info %+v returned with a hard error", m, info)
				}
			}
		})
	}
}

func TestFitBGNBDTimeUnitInvariance(t *testing.T) {
	weeks := loadCDNOW(t)
	ref, refInfo, err := FitBGNBD(context.Background(), weeks, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	days, dayInfo, err := FitBGNBD(context.Background(), scaleTime(weeks, 7), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Same r, a, b; α scales with the unit; LL shifts by −Σx·ln 7 because
	// the likelihood is a density in time.
	sumX := 0.0
	for _, c := range weeks {
		sumX += float64(c.X)
	}
	for _, p := range [][3]float64{{ref.R, days.R, 1}, {ref.Alpha * 7, days.Alpha, 1}, {ref.A, days.A, 1}, {ref.B, days.B, 1}} {
		if math.Abs(p[0]/p[1]-1) > 1e-6 {
			t.Errorf("weeks gives %v, days %v", p[0], p[1])
		}
	}
	if d := dayInfo.LogLikelihood - (refInfo.LogLikelihood - sumX*math.Log(7)); math.Abs(d) > 1e-6 {
		t.Errorf("LL in days %.6f, expected %.6f", dayInfo.LogLikelihood, refInfo.LogLikelihood-sumX*math.Log(7))
	}
}

func TestFitGammaGammaDegenerate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		customers     []Customer
		wantErr       error
		maybeBoundary bool
	}{
		{name: "no customers", wantErr: ErrNoData},
		{name: "no repeat buyers", customers: []Customer{{T: 3}, {T: 4}}, wantErr: ErrNoRepeatBuyers},
		{name: "zero spend", customers: []Customer{{X: 2, Tx: 1, T: 3, MeanSpend: 0}}, wantErr: ErrInvalidCustomer},
		{name: "NaN spend", customers: []Customer{{X: 2, Tx: 1, T: 3, MeanSpend: math.NaN()}}, wantErr: ErrInvalidCustomer},
		{name: "single repeat buyer", customers: []Customer{{X: 2, Tx: 1, T: 3, MeanSpend: 20}}, maybeBoundary: true},
		{name: "identical spend", customers: repeatCustomer(Customer{X: 2, Tx: 1, T: 3, MeanSpend: 20}, 300), maybeBoundary: true},
		{name: "CDNOW plus a huge spender", customers: append(loadCDNOW(t), Customer{X: 1_000_000, Tx: 38, T: 39, MeanSpend: 1e9})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, info, err := FitGammaGamma(ctx, tc.customers, FitOptions{})
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case tc.maybeBoundary && (err == nil || errors.Is(err, ErrBoundary)):
				t.Logf("model %+v, info %+v, err %v", m, info, err)
				if vErr := m.Validate(); vErr != nil {
					t.Fatal(vErr)
				}
				if es := m.ExpectedSpend(tc.customers[0]); math.IsNaN(es) || es <= 0 {
					t.Errorf("expected spend %v", es)
				}
			default:
				if err != nil {
					t.Fatalf("FitGammaGamma: %v", err)
				}
				t.Logf("model %+v", m)
				for _, c := range tc.customers[len(tc.customers)-3:] {
					if es := m.ExpectedSpend(c); !finite(es) || es < 0 {
						t.Errorf("expected spend of %+v = %v", c, es)
					}
				}
			}
		})
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	customers := loadCDNOW(t)
	if _, _, err := FitBGNBD(ctx, customers, FitOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("FitBGNBD err = %v, want context.Canceled", err)
	}
	if _, _, err := FitGammaGamma(ctx, customers, FitOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("FitGammaGamma err = %v, want context.Canceled", err)
	}
	if _, err := Value(ctx, BGNBD{1, 1, 1, 1}, GammaGamma{1, 2, 1}, customers, Horizon{Periods: 3, PeriodLength: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Value err = %v, want context.Canceled", err)
	}
}

func TestFitMillionCustomers(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and fits a million customers")
	}
	truth := BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	// Daily grain in weeks, as real data would be: triples repeat, so the
	// fit sees far fewer distinct summaries than customers.
	customers := summaries(simulateBGNBD(1, 1_000_000, truth, nil, 1, 52, 1.0/7, 0))
	start := time.Now()
	m, info, err := FitBGNBD(context.Background(), customers, FitOptions{})
	if err != nil {
		t.Fatalf("FitBGNBD: %v", err)
	}
	t.Logf("1M customers, %d distinct: %+v in %v (%d evaluations), stderr %.3g", info.Distinct, m, time.Since(start), info.Evaluations, info.StdErr)
	if info.Distinct >= len(customers) {
		t.Errorf("no aggregation: %d distinct", info.Distinct)
	}
	for i, p := range [][2]float64{{m.R, truth.R}, {m.Alpha, truth.Alpha}, {m.A, truth.A}, {m.B, truth.B}} {
		if math.Abs(p[0]-p[1]) > 5*info.StdErr[i]+0.02*p[1] {
			t.Errorf("parameter %d = %v, true %v", i, p[0], p[1])
		}
	}
}

func TestErrorsNameTheCustomer(t *testing.T) {
	customers := []Customer{{X: 1, Tx: 1, T: 2}, {X: 1, Tx: 3, T: 2}}
	_, _, err := FitBGNBD(context.Background(), customers, FitOptions{})
	if !errors.Is(err, ErrInvalidCustomer) || !strings.Contains(err.Error(), "customer 1") {
		t.Errorf("err = %v", err)
	}
}

func repeatCustomer(c Customer, n int) []Customer {
	out := make([]Customer, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func scaleTime(cs []Customer, f float64) []Customer {
	out := make([]Customer, len(cs))
	for i, c := range cs {
		c.Tx *= f
		c.T *= f
		out[i] = c
	}
	return out
}
