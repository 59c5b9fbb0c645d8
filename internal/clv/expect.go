package clv

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// Evaluation of the BG/NBD expected number of purchases in a window.
//
// Both the unconditional E[X(t)] and the conditional E[Y(t) | x, tₓ, T] (for
// a customer known to be alive) have the form
//
//	G(n, β, a, b̃, t) = E[min(K, N)],
//
// where, given the customer is alive at the start of the window,
// K ~ NegBin(n, β/(β+t)) is the number of purchases a customer who never
// dropped out would make in the window (Poisson(λt) with λ ~ Gamma(n, β)),
// and N ≥ 1 is the purchase after which the customer drops out, geometric
// with p ~ Beta(a, b̃). For E[X(t)], (n, β, b̃) = (r, α, b); conditionally on
// the calibration data they are updated to (r+x, α+T, b+x).
//
// The papers write G with the Gaussian hypergeometric function:
//
//	G = (a+b̃−1)/(a−1) · [1 − (β/(β+t))ⁿ ₂F₁(n, b̃; a+b̃−1; t/(β+t))].
//
// That form is numerically poor here: it divides by a−1 (removable
// singularity at a = 1, and the published CDNOW estimate a = 0.793 is not
// far from it), it subtracts two nearly equal numbers for short windows,
// ₂F₁ overflows for customers with many purchases (it grows like
// (1−z)⁻ⁿ), and the Cephes-based mathext.Hypergeo is only validated for
// parameters of modest size (|a|, |b|, |c| ≲ 7), while n = r+x and
// b̃ = b+x grow with the customer's purchase count. Instead we sum
//
//	G = Σ_{k≥1} P(K = k) · e_k,   e_k = E[(1 − (1−p)ᵏ)/p] = Σ_{j<k} (b̃)_j/(a+b̃)_j,
//
// whose terms are all positive, so there is no cancellation, no singularity
// at a = 1 and no restriction on the sign of a+b̃−1. The negative binomial
// weights are carried with a separate log scale so they neither overflow
// nor underflow. Tests check this against the ₂F₁ form in high precision.
//
// The number of terms grows with the mean and spread of K (about n·t/β and
// t/β). When that is large because the customer has very many purchases,
// the sum is replaced by Euler's transformation of the ₂F₁ form,
//
//	G = c·[L·φ(−(a−1)L) − (1+s)^(1−a)·S],   S = Σ_{k≥1} (c−n)_k (a)_{k−1} / ((c)_k k!) · zᵏ,
//
// with c = a+b̃−1, s = t/β, z = s/(1+s), L = ln(1+s) and φ(u) = (eᵘ−1)/u,
// which is regular at a = 1 and, because c−n = a+b−1−r does not grow with
// x while c does, converges in a handful of terms. In the remaining cases
// (very long windows, or a near-Poisson model with a huge expected number
// of purchases) we integrate over the dropout probability instead:
//
//	G = E_p[(1 − (1 + p·s)⁻ⁿ)/p],   p ~ Beta(a, b̃),
//
// see expectedCountIntegral.

// maxSeriesTerms is the number of series terms beyond which the other
// methods are used; at about 5 ns a term it is where the integral becomes
// cheaper.
const maxSeriesTerms = 1 << 14

// expectedCount returns G(n, β, a, b̃, t) as described above, for n, β, a,
// b̃ > 0 and t ≥ 0 finite.
func expectedCount(n, beta, a, bb, t float64) float64 {
	if t <= 0 {
		return 0
	}
	s := t / beta
	terms := seriesTerms(n, s)
	if terms <= maxSeriesTerms {
		return expectedCountSeries(n, s, a, bb, 2*terms)
	}
	if g, ok := expectedCountEuler(n, s, a, bb); ok {
		return g
	}
	return expectedCountIntegral(n, s, a, bb)
}

// seriesTerms estimates how many terms expectedCountSeries needs: past the
// mean of K by many standard deviations, and far enough into the geometric
// tail (ratio z = s/(1+s)) for it to be negligible.
func seriesTerms(n, s float64) float64 {
	mean := n * s
	sd := math.Sqrt(n * s * (1 + s))
	return mean + 12*sd + 40*(1+s) + 20
}

// expectedCountSeries sums Σ P(K=k)·e_k with K ~ NegBin(n, 1/(1+s)),
// stopping when the tail is negligible or after maxTerms terms.
func expectedCountSeries(n, s, a, bb, maxTerms float64) float64 {
	z := s / (1 + s)
	// P(K=0) = (1−z)ⁿ, taken from the rounded z so that the weights, which
	// multiply by z, stay normalised to rounding: an inconsistency δ between
	// the two would bias the sum by about n·s·δ, which matters for customers
	// with very many purchases. The running weight is w·2^exp2·e^logScale;
	// rescaling by powers of two is exact.
	logScale := n * math.Log1p(-z)
	w := 1.0
	exp2 := 0
	e := 0.0 // e_k
	m := 1.0 // (b̃)_k/(a+b̃)_k = E[(1−p)^k]
	sum := 0.0
	const (
		rescaleAbove = 0x1p800
		rescaleBits  = 800
	)
	mode := math.Max(0, (n-1)*z/(1-z))
	for k := 0.0; k < maxTerms; k++ {
		sum += w * e
		// Advance to k+1.
		e += m
		m *= (bb + k) / (a + bb + k)
		ratio := (n + k) * z / (k + 1)
		w *= ratio
		if w > rescaleAbove {
			w = math.Ldexp(w, -rescaleBits)
			sum = math.Ldexp(sum, -rescaleBits)
			exp2 += rescaleBits
		}
		if k > mode && k > 0 {
			// Past the mode successive terms shrink at least by
			// q = max(ratio, z)·(1+1/k), because e_{k+1}/e_k ≤ 1+1/k, so the
			// tail is below term·q/(1−q).
			q := math.Max(ratio, z) * (1 + 1/k)
			if q < 1 && w*e*q/(1-q) <= 1e-17*sum {
				break
			}
		}
	}
	if sum == 0 {
		return 0
	}
	return math.Exp(math.Log(sum) + logScale + float64(exp2)*math.Ln2)
}

// expectedCountEuler evaluates G through Euler's transformation (see
// above). It reports false when that form is unsuitable: when c is not
// large compared with |c−n| the series may cancel or converge slowly.
func expectedCountEuler(n, s, a, bb float64) (float64, bool) {
	c := a + bb - 1
	cn := c - n
	if !(c >= 64 && math.Abs(cn) <= c/8) {
		return 0, false
	}
	z := s / (1 + s)
	lg := math.Log1p(s)
	u := -(a - 1) * lg
	phi := 1.0
	if u != 0 {
		phi = math.Expm1(u) / u
	}
	term := cn * z / c
	sum := term
	for k := 1.0; k < maxSeriesTerms; k++ {
		ratio := (cn + k) * (a + k - 1) * z / ((c + k) * (k + 1))
		term *= ratio
		sum += term
		// Past a ratio below ½ the remaining ratios stay below z, so the
		// tail is below |term|/(1−z) = |term|·(1+s).
		if math.Abs(ratio) < 0.5 && math.Abs(term)*(1+s) <= 1e-17*math.Abs(sum) || term == 0 {
			return c * (lg*phi - math.Exp(u)*sum), true
		}
	}
	return 0, false
}

// expectedCountIntegral computes G = E_p[h(p)], h(p) = (1 − (1+p·s)⁻ⁿ)/p,
// for p ~ Beta(a, b̃), by splitting the support at ½ and integrating each
// half in the logarithm of the distance to its end: y = ln p on (0, ½] and
// y = ln(1−p) on [½, 1). In those variables the Beta density's endpoint
// singularities become exponential tails, and the sharp features of the
// integrand (the knee of h near p = 1/(n·s), the (1−p)^(b̃−1) cut-off for
// large b̃) have widths of order one, so Gauss–Legendre panels of unit
// length integrate them to near machine precision. Far enough out, the
// integrand is its leading term times e^(shape·y), whose tail is integrated
// in closed form.
func expectedCountIntegral(n, s, a, bb float64) float64 {
	const nodes = 16
	x := make([]float64, nodes)
	wt := make([]float64, nodes)
	quad.Legendre{}.FixedLocations(x, wt, 0, 1)
	lnB := lnBeta(a, bb)
	h := func(p float64) float64 {
		if p == 0 {
			return n * s
		}
		return -math.Expm1(-n*math.Log1p(p*s)) / p
	}
	// Relative variation rate of the non-exponential factors near either
	// end, used to place the start of the closed-form tail: h and the other
	// end's Beta factor change by a relative O(rate·distance).
	rate := 1 + (n+1)*s + math.Abs(bb-1) + math.Abs(a-1)
	y0 := math.Log(1e-17 / rate)
	half := -math.Ln2

	// piece integrates over the half next to one end of [0, 1]. shape is
	// the Beta exponent at that end (a at 0, b̃ at 1), other the exponent
	// at the far end, and at maps the distance d to the end to p.
	piece := func(shape, other float64, at func(d float64) float64, tailValue float64) float64 {
		// Closed-form tail: ∫_{−∞}^{y0} e^(shape·y)·tailValue dy / B.
		sum := math.Exp(shape*y0-lnB-math.Log(shape)) * tailValue
		for lo := y0; lo < half; lo++ {
			hi := math.Min(lo+1, half)
			for i := range nodes {
				y := lo + (hi-lo)*x[i]
				d := math.Exp(y)
				lw := shape*y + (other-1)*math.Log1p(-d) - lnB
				sum += (hi - lo) * wt[i] * math.Exp(lw) * h(at(d))
			}
		}
		return sum
	}
	near0 := piece(a, bb, func(d float64) float64 { return d }, n*s)
	near1 := piece(bb, a, func(d float64) float64 { return 1 - d }, h(1))
	return near0 + near1
}
