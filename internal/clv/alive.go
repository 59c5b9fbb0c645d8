package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ProbAliveAt returns P(alive at T+t | x, tₓ, T): the probability that the
// customer has not dropped out t time units after the end of the
// calibration period, whatever it buys in between. With t = 0 it is
// ProbAlive. It is NaN if the model or the customer is invalid, or t is
// negative or not finite.
//
// A customer alive at T keeps buying at its rate λ and drops out after
// each purchase with probability p, so it is still alive at T+t with
// probability E[(1−p)^N], N ~ Poisson(λt), that is exp(−λpt). Given the
// history and being alive at T, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x)
// independently, which gives P(alive at T) · E_p[(1 + p·s)^−(r+x)] with
// s = t/(α+T); the expectation is the Gauss hypergeometric function
// ₂F₁(r+x, a; a+b+x; −s), evaluated after Pfaff's transformation as
// (1+s)^−a · ₂F₁(a, a+b−r; a+b+x; s/(1+s)), whose argument lies in [0, 1).
func (m BGNBD) ProbAliveAt(c Customer, t float64) float64 {
	if !m.valid() || !validCustomer(c) || !(t >= 0) || math.IsInf(t, 1) {
		return math.NaN()
	}
	alive := m.ProbAlive(c)
	if t == 0 {
		return alive
	}
	x := float64(c.X)
	s := t / (m.Alpha + c.T)
	stay := math.Exp(-m.A*math.Log1p(s)) * mathext.Hypergeo(m.A, m.A+m.B-m.R, m.A+m.B+x, s/(1+s))
	return alive * min(max(stay, 0), 1)
}
