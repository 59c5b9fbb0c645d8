package clv

import (
	"context"
	"testing"
	"time"
)

// benchmarkFit fits the customers b.N times and reports, besides time per
// fit, the time per customer and the fit's cost in units of one
// log-likelihood-and-gradient pass over the same data measured in the same
// run, which is comparable across machines.
func benchmarkFit(b *testing.B, customers []Customer, fit func() (FitInfo, error), pass func()) {
	b.Helper()
	const passes = 20
	start := time.Now()
	for range passes {
		pass()
	}
	perPass := time.Since(start) / passes
	var info FitInfo
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if info, err = fit(); err != nil {
			b.Fatal(err)
		}
	}
	perFit := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perFit.Nanoseconds())/float64(len(customers)), "ns/customer")
	b.ReportMetric(float64(perFit)/float64(perPass), "passes/fit")
	b.ReportMetric(float64(info.Distinct), "distinct")
}

func BenchmarkFitBGNBD100k(b *testing.B) {
	truth := BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	for _, bc := range []struct {
		name    string
		grain   float64
		workers int
	}{
		{"continuous", 0, 0},
		{"continuous/1-worker", 0, 1},
		{"daily", 1.0 / 7, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			customers := summaries(simulateBGNBD(1, 100_000, truth, nil, 1, 52, bc.grain, 0))
			opts := FitOptions{Workers: bc.workers}
			data, err := newBGData(customers)
			if err != nil {
				b.Fatal(err)
			}
			theta := []float64{0, 0, 0, 0}
			grad := make([]float64, 4)
			benchmarkFit(b, customers,
				func() (FitInfo, error) {
					_, info, err := FitBGNBD(context.Background(), customers, opts)
					return info, err
				},
				func() { data.nll(theta, grad, bc.workers) })
		})
	}
}

func BenchmarkFitGammaGamma100k(b *testing.B) {
	sim := simulateBGNBD(2, 100_000, BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}, &GammaGamma{P: 6, Q: 4, Gamma: 15}, 1, 52, 0, 0)
	customers := summaries(sim)
	data, err := newGGData(customers)
	if err != nil {
		b.Fatal(err)
	}
	theta := []float64{0, 0, 0}
	grad := make([]float64, 3)
	benchmarkFit(b, customers,
		func() (FitInfo, error) {
			_, info, err := FitGammaGamma(context.Background(), customers, FitOptions{})
			return info, err
		},
		func() { data.nll(theta, grad, 0) })
}

func BenchmarkExpectedPurchases(b *testing.B) {
	m := publishedBGNBD()
	for _, bc := range []struct {
		name   string
		c      Customer
		window float64
	}{
		{"CDNOW example 39 weeks", Customer{X: 2, Tx: 30.43, T: 38.86}, 39},
		{"new customer 5 years", Customer{}, 260},
		{"1e6 purchases", Customer{X: 1_000_000, Tx: 38, T: 39}, 39},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.ExpectedPurchases(bc.c, bc.window)
			}
		})
	}
}

func BenchmarkValue100k(b *testing.B) {
	sim := simulateBGNBD(3, 100_000, BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}, &GammaGamma{P: 6, Q: 4, Gamma: 15}, 1, 52, 1.0/7, 0)
	customers := summaries(sim)
	h := Horizon{Periods: 12, PeriodLength: 52.0 / 12, DiscountRate: 0.01}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Value(context.Background(), publishedBGNBD(), publishedGG(), customers, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(customers)), "ns/customer")
}
