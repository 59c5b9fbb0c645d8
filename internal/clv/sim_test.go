package clv

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// simCustomer is a simulated customer: the calibration summary plus what
// the simulation knows and the model must infer.
type simCustomer struct {
	Customer
	alive   bool // still alive at T
	holdout int  // purchases in (T, T+holdout window]
}

// simulateBGNBD draws customers from the BG/NBD generative story: rate
// λ ~ Gamma(r, α), dropout probability p ~ Beta(a, b), purchases as a
// Poisson process while alive, and a coin with probability p after every
// repeat purchase. Ages are drawn uniformly from [ageLo, ageHi] and, when
// grain > 0, all times are rounded down to multiples of grain (as daily
// data would be). Spend follows the Gamma-Gamma story with gg, if non-nil.
func simulateBGNBD(seed uint64, n int, m BGNBD, gg *GammaGamma, ageLo, ageHi, grain, window float64) []simCustomer {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	lambdaDist := distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: rng}
	pDist := distuv.Beta{Alpha: m.A, Beta: m.B, Src: rng}
	round := func(v float64) float64 {
		if grain > 0 {
			return math.Floor(v/grain) * grain
		}
		return v
	}
	out := make([]simCustomer, n)
	for i := range out {
		age := round(ageLo + (ageHi-ageLo)*rng.Float64())
		lambda := lambdaDist.Rand()
		p := pDist.Rand()
		var c simCustomer
		c.T = age
		c.alive = true
		now := 0.0
		for c.alive {
			now += rng.ExpFloat64() / lambda
			if now > age+window {
				break
			}
			if now > age {
				c.holdout++
			} else {
				c.X++
				c.Tx = round(now)
			}
			if rng.Float64() < p {
				c.alive = false
				if now <= age {
					break
				}
			}
		}
		// alive is about T: a customer who died during the holdout window
		// was alive at T.
		c.alive = c.alive || c.holdout > 0
		if gg != nil && c.X > 0 {
			nu := distuv.Gamma{Alpha: gg.Q, Beta: gg.Gamma, Src: rng}.Rand()
			// The sum of x Gamma(p, ν) transaction values is Gamma(p·x, ν).
			total := distuv.Gamma{Alpha: gg.P * float64(c.X), Beta: nu, Src: rng}.Rand()
			c.MeanSpend = total / float64(c.X)
		}
		out[i] = c
	}
	return out
}

func summaries(sim []simCustomer) []Customer {
	out := make([]Customer, len(sim))
	for i, c := range sim {
		out[i] = c.Customer
	}
	return out
}

func TestBGNBDSimulationRecovery(t *testing.T) {
	truth := BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	for _, tc := range []struct {
		name  string
		grain float64
	}{
		{"continuous times", 0},
		{"daily grain in weeks", 1.0 / 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			customers := summaries(simulateBGNBD(20260701, 20000, truth, nil, 26, 52, tc.grain, 0))
			m, info, err := FitBGNBD(context.Background(), customers, FitOptions{})
			if err != nil {
				t.Fatalf("FitBGNBD: %v", err)
			}
			t.Logf("fit %+v, %d distinct, LL %.2f, stderr %.3g, %d iterations", m, info.Distinct, info.LogLikelihood, info.StdErr, info.Iterations)
			if len(info.StdErr) != 4 {
				t.Fatalf("no standard errors")
			}
			for i, p := range []struct {
				name      string
				got, want float64
			}{{"r", m.R, truth.R}, {"alpha", m.Alpha, truth.Alpha}, {"a", m.A, truth.A}, {"b", m.B, truth.B}} {
				// Within 4 standard errors and 25%: a wrong likelihood or
				// gradient shows up as a bias far larger than either.
				if z := (p.got - p.want) / info.StdErr[i]; math.Abs(z) > 4 || math.Abs(p.got/p.want-1) > 0.25 {
					t.Errorf("%s = %.4f, true %.4f (%.1f standard errors)", p.name, p.got, p.want, z)
				}
			}
		})
	}
}

func TestGammaGammaSimulationRecovery(t *testing.T) {
	truth := GammaGamma{P: 6, Q: 4, Gamma: 15}
	sim := simulateBGNBD(77, 20000, BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}, &truth, 26, 52, 0, 0)
	m, info, err := FitGammaGamma(context.Background(), summaries(sim), FitOptions{})
	if err != nil {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	t.Logf("fit %+v from %d repeat buyers, stderr %.3g", m, info.Customers, info.StdErr)
	if len(info.StdErr) != 3 {
		t.Fatalf("no standard errors")
	}
	for i, p := range []struct {
		name      string
		got, want float64
	}{{"p", m.P, truth.P}, {"q", m.Q, truth.Q}, {"gamma", m.Gamma, truth.Gamma}} {
		if z := (p.got - p.want) / info.StdErr[i]; math.Abs(z) > 4 || math.Abs(p.got/p.want-1) > 0.25 {
			t.Errorf("%s = %.4f, true %.4f (%.1f standard errors)", p.name, p.got, p.want, z)
		}
	}
}

// TestBGNBDPredictionsMatchSimulation checks the conditional predictions
// with the true parameters against simulated outcomes: by the law of total
// expectation, summed predictions must match summed outcomes up to Monte
// Carlo error.
func TestBGNBDPredictionsMatchSimulation(t *testing.T) {
	truth := BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	const window = 39
	sim := simulateBGNBD(4242, 40000, truth, nil, 26, 52, 0, window)
	var predAlive, alive, predHold, hold, predNew, sumX float64
	var varHold float64
	for _, c := range sim {
		pa := truth.ProbAlive(c.Customer)
		predAlive += pa
		if c.alive {
			alive++
		}
		ey := truth.ExpectedPurchases(c.Customer, window)
		predHold += ey
		hold += float64(c.holdout)
		// Var(Y) ≥ E[Y]; use a generous 4·E[Y] + E[Y]² as a bound per customer.
		varHold += 4*ey + ey*ey
		predNew += truth.ExpectedPurchasesNew(c.T)
		sumX += float64(c.X)
	}
	n := float64(len(sim))
	t.Run("P(alive)", func(t *testing.T) {
		// Bernoulli outcomes: sd of the sum ≤ √(n/4).
		if d := math.Abs(predAlive - alive); d > 4*math.Sqrt(n/4) {
			t.Errorf("Σ P(alive) = %.1f, alive = %.0f", predAlive, alive)
		}
	})
	t.Run("E[Y(39)]", func(t *testing.T) {
		if d := math.Abs(predHold - hold); d > 4*math.Sqrt(varHold) {
			t.Errorf("Σ E[Y(39)] = %.1f, holdout purchases = %.0f (sd ≤ %.1f)", predHold, hold, math.Sqrt(varHold))
		}
	})
	t.Run("E[X(T)]", func(t *testing.T) {
		if rel := math.Abs(predNew-sumX) / sumX; rel > 0.03 {
			t.Errorf("Σ E[X(T)] = %.1f, calibration purchases = %.0f", predNew, sumX)
		}
	})
}
