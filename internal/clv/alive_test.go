package clv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// stayAliveByQuadrature is E_p[(1 + p·s)^−(r+x)], p ~ Beta(a, b+x), by
// Gauss-Legendre quadrature after substituting p = u^(1/a), which removes
// the density's singularity at 0 for a < 1.
func stayAliveByQuadrature(m BGNBD, x int, s float64) float64 {
	bx := m.B + float64(x)
	f := func(u float64) float64 {
		p := math.Pow(u, 1/m.A)
		return math.Pow(1-p, bx-1) * math.Pow(1+p*s, -(m.R+float64(x)))
	}
	norm := m.A * math.Exp(mathext.Lbeta(m.A, bx))
	return quad.Fixed(f, 0, 1, 2000, nil, 0) / norm
}

func TestProbAliveAt(t *testing.T) {
	// The published CDNOW estimates (Fader, Hardie & Lee 2005), in weeks.
	m := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	for _, tc := range []struct {
		name string
		c    Customer
	}{
		{"one-time buyer", Customer{X: 0, T: 38.86}},
		{"the papers' example customer", Customer{X: 2, Tx: 30.43, T: 38.86}},
		{"frequent and recent", Customer{X: 14, Tx: 37, T: 38}},
		{"frequent but lapsed", Customer{X: 10, Tx: 8, T: 38}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := m.ProbAliveAt(tc.c, 0), m.ProbAlive(tc.c); got != want {
				t.Errorf("at t = 0: %v, ProbAlive %v", got, want)
			}
			prev := m.ProbAlive(tc.c)
			for _, weeks := range []float64{1, 13, 52, 104, 520} {
				got := m.ProbAliveAt(tc.c, weeks)
				want := m.ProbAlive(tc.c) * stayAliveByQuadrature(m, tc.c.X, weeks/(m.Alpha+tc.c.T))
				if math.Abs(got-want) > 1e-6 {
					t.Errorf("%v weeks on: %.9f, quadrature %.9f", weeks, got, want)
				}
				if !(got < prev) {
					t.Errorf("%v weeks on: %v, not below %v earlier", weeks, got, prev)
				}
				prev = got
			}
		})
	}
	for _, bad := range []float64{-1, math.Inf(1), math.NaN()} {
		if v := m.ProbAliveAt(Customer{X: 1, Tx: 1, T: 2}, bad); !math.IsNaN(v) {
			t.Errorf("t = %v: %v, want NaN", bad, v)
		}
	}
}
