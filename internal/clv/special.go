package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Thresholds for the special-function helpers below. They are chosen so that
// each branch keeps an absolute error near machine precision for the values
// the likelihoods need, including parameters that drift towards the edge of
// the parameter box (1e-9 … 1e9).
const (
	// smallIntPoch is the largest integer increment summed term by term.
	// Summing logs is exact to rounding and avoids the cancellation of
	// lgamma(r+x)-lgamma(r) when r is large.
	smallIntPoch = 16
	// stirlingMin is the smallest argument for which the Stirling and
	// asymptotic digamma series (with the terms used here) are accurate to
	// about 1e-14 absolute.
	stirlingMin = 30
)

// lnPoch returns ln Γ(r+x) − ln Γ(r), the log of the rising factorial
// (Pochhammer symbol) (r)_x, for r > 0 and x ≥ 0.
//
// Computing it as a difference of two math.Lgamma values loses all accuracy
// when r is large (both terms are ~r ln r), which happens when the optimizer
// explores the Poisson limit of the NBD (r, α → ∞), so large r uses a
// Stirling-series difference written with log1p.
func lnPoch(r, x float64) float64 {
	switch {
	case x == 0:
		return 0
	case x <= smallIntPoch && x == math.Trunc(x):
		s := 0.0
		for k := 0.0; k < x; k++ {
			s += math.Log(r + k)
		}
		return s
	case r >= stirlingMin:
		// ln Γ(z) = (z−½)ln z − z + ½ln 2π + 1/(12z) − 1/(360z³) + 1/(1260z⁵) − …
		z := r + x
		d := (r-0.5)*math.Log1p(x/r) + x*math.Log(z) - x
		d += stirlingTail(z) - stirlingTail(r)
		return d
	default:
		lz, _ := math.Lgamma(r + x)
		lr, _ := math.Lgamma(r)
		return lz - lr
	}
}

// stirlingTail is the correction series of ln Γ(z) beyond (z−½)ln z − z + ½ln 2π.
func stirlingTail(z float64) float64 {
	iz := 1 / z
	iz2 := iz * iz
	return iz * (1.0/12 - iz2*(1.0/360-iz2*(1.0/1260-iz2/1680)))
}

// lnGamma returns ln Γ(x) for x > 0.
func lnGamma(x float64) float64 {
	l, _ := math.Lgamma(x)
	return l
}

// lnBeta returns ln B(a, b) for a, b > 0. It is written through lnPoch so that
// a very large b (a customer with many repeat purchases) does not cancel
// catastrophically; mathext.Lbeta is a plain difference of Lgamma values.
func lnBeta(a, b float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b < stirlingMin {
		return mathext.Lbeta(a, b)
	}
	return lnGamma(a) - lnPoch(b, a)
}

// digammaDiff returns ψ(r+x) − ψ(r) for r > 0 and x ≥ 0, the derivative of
// lnPoch with respect to r, with the same care for large r.
func digammaDiff(r, x float64) float64 {
	switch {
	case x == 0:
		return 0
	case x <= smallIntPoch && x == math.Trunc(x):
		s := 0.0
		for k := 0.0; k < x; k++ {
			s += 1 / (r + k)
		}
		return s
	case r >= stirlingMin:
		// ψ(z) = ln z − 1/(2z) − 1/(12z²) + 1/(120z⁴) − 1/(252z⁶) + …
		z := r + x
		return math.Log1p(x/r) - 0.5/z + 0.5/r + digammaTail(z) - digammaTail(r)
	default:
		return mathext.Digamma(r+x) - mathext.Digamma(r)
	}
}

// digammaTail is the asymptotic series of ψ(z) beyond ln z − 1/(2z).
func digammaTail(z float64) float64 {
	iz2 := 1 / (z * z)
	return -iz2 * (1.0/12 - iz2*(1.0/120-iz2*(1.0/252-iz2/240)))
}

// softplus returns ln(1 + eᵈ) without overflow for large d or loss of
// precision for very negative d. It is the log-sum-exp of (0, d).
func softplus(d float64) float64 {
	if d > 0 {
		return d + math.Log1p(math.Exp(-d))
	}
	return math.Log1p(math.Exp(d))
}

// sigmoid returns 1/(1 + e⁻ᵈ) without overflow.
func sigmoid(d float64) float64 {
	if d >= 0 {
		return 1 / (1 + math.Exp(-d))
	}
	e := math.Exp(d)
	return e / (1 + e)
}
