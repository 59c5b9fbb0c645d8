package clv

import (
	"context"
	"fmt"
	"math"
)

// BGNBD holds the parameters of a BG/NBD model. While alive, a customer buys
// at a Poisson rate λ ~ Gamma(shape R, rate Alpha); after each repeat
// purchase the customer drops out for good with probability p ~ Beta(A, B).
// Alpha is in the caller's time unit. All four must be finite and positive.
type BGNBD struct {
	R, Alpha, A, B float64
}

// Validate returns an error wrapping ErrInvalidParams unless all parameters
// are finite and strictly positive.
func (m BGNBD) Validate() error {
	if !m.valid() {
		return fmt.Errorf("%w: BG/NBD %+v: all parameters must be finite and positive", ErrInvalidParams, m)
	}
	return nil
}

func (m BGNBD) valid() bool {
	return positive(m.R) && positive(m.Alpha) && positive(m.A) && positive(m.B)
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// validCustomer is Customer.Validate without the error allocation, for the
// prediction methods.
func validCustomer(c Customer) bool {
	return c.X >= 0 && c.T >= 0 && !math.IsInf(c.T, 1) &&
		(c.X == 0 || (c.Tx >= 0 && c.Tx <= c.T))
}

// LogLikelihood returns the log-likelihood of one customer's summary
// (equation 6 of Fader, Hardie & Lee 2005), or NaN if the model or the
// customer is invalid.
func (m BGNBD) LogLikelihood(c Customer) float64 {
	if !m.valid() || !validCustomer(c) {
		return math.NaN()
	}
	x := float64(c.X)
	// ln L = ln[Γ(r+x)α^r / (Γ(r)(α+T)^(r+x))] + ln[B(a,b+x)/B(a,b)]
	//        + ln[1 + δ(x>0)·a/(b+x−1)·((α+T)/(α+tₓ))^(r+x)],
	// with r·ln α − (r+x)·ln(α+T) = −r·log1p(T/α) − x·ln(α+T) to stay
	// accurate when α ≫ T.
	ll := lnPoch(m.R, x) - m.R*math.Log1p(c.T/m.Alpha) - x*math.Log(m.Alpha+c.T) +
		lnPoch(m.B, x) - lnPoch(m.A+m.B, x)
	if c.X > 0 {
		ll += softplus(m.deadLogOdds(c))
	}
	return ll
}

// deadLogOdds returns ln[a/(b+x−1)·((α+T)/(α+tₓ))^(r+x)] for x > 0: the log
// odds that the customer dropped out right after the last purchase versus
// being alive at T. It is the second term of the likelihood relative to the
// first.
func (m BGNBD) deadLogOdds(c Customer) float64 {
	x := float64(c.X)
	return math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*math.Log1p((c.T-c.Tx)/(m.Alpha+c.Tx))
}

// ProbAlive returns P(alive at T | x, tₓ, T), the probability that the
// customer has not dropped out by the end of the calibration period. It is
// 1 for customers without repeat purchases (in the BG/NBD a customer can
// only drop out right after a repeat purchase) and NaN if the model or the
// customer is invalid.
func (m BGNBD) ProbAlive(c Customer) float64 {
	if !m.valid() || !validCustomer(c) {
		return math.NaN()
	}
	if c.X == 0 {
		return 1
	}
	return sigmoid(-m.deadLogOdds(c))
}

// ExpectedPurchases returns E[Y(t) | x, tₓ, T], the expected number of
// purchases the customer makes in the window (T, T+t] (equation 10 of Fader,
// Hardie & Lee 2005), with t in the caller's time unit. It is NaN if the
// model or the customer is invalid, or t is negative or not finite.
func (m BGNBD) ExpectedPurchases(c Customer, t float64) float64 {
	if !m.valid() || !validCustomer(c) || !(t >= 0) || math.IsInf(t, 1) {
		return math.NaN()
	}
	x := float64(c.X)
	return m.ProbAlive(c) * expectedCount(m.R+x, m.Alpha+c.T, m.A, m.B+x, t)
}

// ExpectedPurchasesNew returns E[X(t)], the expected number of repeat
// purchases of a customer during the first t time units after the first
// purchase (equation 7 of Fader, Hardie & Lee 2005): the forecast for a
// newly acquired customer. It is NaN if the model is invalid or t is
// negative or not finite.
func (m BGNBD) ExpectedPurchasesNew(t float64) float64 {
	if !m.valid() || !(t >= 0) || math.IsInf(t, 1) {
		return math.NaN()
	}
	return expectedCount(m.R, m.Alpha, m.A, m.B, t)
}

// FitBGNBD estimates BG/NBD parameters by maximum likelihood from the
// customers' (X, Tx, T) summaries; MeanSpend is ignored. Customers with
// identical summaries are aggregated.
//
// Errors, all wrapped: ErrNoData for an empty slice; ErrInvalidCustomer
// (naming the index) if any summary fails Customer.Validate;
// ErrInvalidParams for bad options; ErrNoRepeatBuyers if no customer has
// X > 0 (the likelihood then has no maximum); ErrNotConverged if the
// optimizer fails; ctx's error if ctx ends. With ErrBoundary, the returned
// model and FitInfo are still filled in (see ErrBoundary); with any other
// error they are zero.
func FitBGNBD(ctx context.Context, customers []Customer, opts FitOptions) (BGNBD, FitInfo, error) {
	if len(customers) == 0 {
		return BGNBD{}, FitInfo{}, fmt.Errorf("fit BG/NBD: %w", ErrNoData)
	}
	data, err := newBGData(customers)
	if err != nil {
		return BGNBD{}, FitInfo{}, fmt.Errorf("fit BG/NBD: %w", err)
	}
	if data.sumX == 0 {
		return BGNBD{}, FitInfo{}, fmt.Errorf("fit BG/NBD: %d customers: %w", len(customers), ErrNoRepeatBuyers)
	}
	nll := func(theta, grad []float64) float64 { return data.nll(theta, grad, opts.Workers) }
	// Start from r = 1, a = b = 1 and a mean purchase rate r/α equal to the
	// observed repeat rate per unit of (scaled) age.
	rate := data.sumX / data.n
	theta0 := []float64{0, -math.Log(rate), 0, 0}
	opt, err := minimize(ctx, nll, data.n, theta0, opts)
	if err != nil {
		return BGNBD{}, FitInfo{}, fmt.Errorf("fit BG/NBD on %d customers: %w", len(customers), err)
	}
	th := opt.theta
	m := BGNBD{R: math.Exp(th[0]), Alpha: math.Exp(th[1]) * data.scale, A: math.Exp(th[2]), B: math.Exp(th[3])}
	info := opt.info
	info.StdErr = paramStdErr(opt.logSD, []float64{m.R, m.Alpha, m.A, m.B})
	info.Customers = len(customers)
	info.Distinct = data.distinct()
	// Unscale: the likelihood is a density in time, so changing the time
	// unit by a factor s changes each customer's log-likelihood by −x·ln s.
	info.LogLikelihood = -data.n*data.nll(th, nil, opts.Workers) - data.sumX*math.Log(data.scale)
	if opt.boundary {
		return m, info, fmt.Errorf("fit BG/NBD on %d customers: %w", len(customers), wrapBoundary("BG/NBD", th))
	}
	return m, info, nil
}

// bgData is the aggregated, time-scaled calibration data of a BG/NBD fit.
type bgData struct {
	scale float64 // time unit of the scaled data: the mean age
	n     float64 // number of customers
	sumX  float64 // total repeat purchases

	// Distinct positive frequencies, and for each distinct (x, tₓ, T)
	// with x > 0 its x's index, scaled times and weight.
	freqGroups
	tx, t, w []float64
	// Distinct ages of customers with x = 0 and their weights.
	zt, zw []float64
}

type bgKey struct {
	x     int
	tx, t float64
}

func newBGData(customers []Customer) (*bgData, error) {
	d := &bgData{n: float64(len(customers))}
	sumT := 0.0
	for i, c := range customers {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("customer %d: %w", i, err)
		}
		sumT += c.T
		d.sumX += float64(c.X)
	}
	d.scale = sumT / d.n
	if !(d.scale > 0) || math.IsInf(d.scale, 0) {
		// Everyone was acquired at the end of the period (or the ages
		// overflow); any unit will do.
		d.scale = 1
	}
	index := make(map[bgKey]int, len(customers)/4+1)
	zIndex := make(map[float64]int)
	for _, c := range customers {
		if c.X == 0 {
			k, ok := zIndex[c.T]
			if !ok {
				k = len(d.zt)
				zIndex[c.T] = k
				d.zt = append(d.zt, c.T/d.scale)
				d.zw = append(d.zw, 0)
			}
			d.zw[k]++
			continue
		}
		key := bgKey{c.X, c.Tx, c.T}
		k, ok := index[key]
		if !ok {
			k = len(d.t)
			index[key] = k
			d.addRow(c.X)
			d.tx = append(d.tx, c.Tx/d.scale)
			d.t = append(d.t, c.T/d.scale)
			d.w = append(d.w, 0)
		}
		d.w[k]++
		d.count(k)
	}
	return d, nil
}

func (d *bgData) distinct() int { return len(d.t) + len(d.zt) }

// nll returns the mean negative log-likelihood per customer at the scaled
// log-parameters θ = (ln r, ln α', ln a, ln b), α' = α/scale, and its
// gradient with respect to θ if grad is non-nil.
//
// With d = ln[a/(b+x−1)] + (r+x)·log1p((T−tₓ)/(α+tₓ)) (see deadLogOdds) and
// σ the logistic function, a customer with x > 0 contributes
//
//	ℓ = lnPoch(r,x) + lnPoch(b,x) − lnPoch(a+b,x) − r·log1p(T/α) − x·ln(α+T) + softplus(d)
//
// and the derivatives with respect to the log-parameters are
//
//	r∂ℓ/∂r = r[ψ(r+x)−ψ(r) − log1p(T/α) + σ(d)·log1p((T−tₓ)/(α+tₓ))]
//	α∂ℓ/∂α = (rT − xα)/(α+T) − σ(d)(r+x)·α(T−tₓ)/((α+T)(α+tₓ))
//	a∂ℓ/∂a = −a[ψ(a+b+x)−ψ(a+b)] + σ(d)
//	b∂ℓ/∂b = b[ψ(b+x)−ψ(b) − ψ(a+b+x)+ψ(a+b)] − σ(d)·b/(b+x−1)
//
// A customer with x = 0 contributes ℓ = −r·log1p(T/α) only. Terms that
// depend on x alone are summed once per distinct x, and −x·ln(α+T) is
// computed as −x·(ln α + log1p(T/α)) with Σx·ln α taken once, which saves a
// logarithm per summary.
func (d *bgData) nll(theta, grad []float64, workers int) float64 {
	r, alpha, a, b := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2]), math.Exp(theta[3])
	lnA := math.Log(a)

	// Per distinct x: ln(b+x−1) and 1/(b+x−1) for the triples, and the
	// x-only likelihood terms.
	lnBX := make([]float64, len(d.xs))
	invBX := make([]float64, len(d.xs))
	var ll, gr, ga, gb float64
	for i, x := range d.xs {
		w := d.xw[i]
		lnBX[i] = math.Log(b + x - 1)
		invBX[i] = 1 / (b + x - 1)
		ll += w * (lnPoch(r, x) + lnPoch(b, x) - lnPoch(a+b, x))
		if grad != nil {
			dab := digammaDiff(a+b, x)
			gr += w * r * digammaDiff(r, x)
			ga -= w * a * dab
			gb += w * b * (digammaDiff(b, x) - dab)
		}
	}

	// Accumulator layout: ll, Σw(−log1p(T/α) + σ·l2), α-gradient, Σwσ, Σwσ/(b+x−1).
	const width = 5
	acc := make([]float64, width)
	parallelSum(len(d.t), width, workers, acc, func(lo, hi int, acc []float64) {
		var sll, sgr, sga, sgs, sgb float64
		for k := lo; k < hi; k++ {
			xi := d.xi[k]
			x, tx, t, w := d.xs[xi], d.tx[k], d.t[k], d.w[k]
			// ln(α+T) = ln α + l1; the x·ln α part is added once below.
			l1 := math.Log1p(t / alpha)
			l2 := math.Log1p((t - tx) / (alpha + tx))
			dd := lnA - lnBX[xi] + (r+x)*l2
			// softplus(dd) and sigmoid(dd) share one exponential.
			e := math.Exp(-math.Abs(dd))
			sp := math.Log1p(e)
			sg := 1 / (1 + e)
			if dd > 0 {
				sp += dd
			} else {
				sg = e * sg
			}
			sll += w * (sp - (r+x)*l1)
			if grad != nil {
				apt := alpha + t
				sgr += w * (-l1 + sg*l2)
				sga += w * ((r*t-x*alpha)/apt - sg*(r+x)*alpha*(t-tx)/(apt*(alpha+tx)))
				sgs += w * sg
				sgb += w * sg * invBX[xi]
			}
		}
		acc[0] += sll
		acc[1] += sgr
		acc[2] += sga
		acc[3] += sgs
		acc[4] += sgb
	})
	var zll, zgr, zga float64
	for k, t := range d.zt {
		w := d.zw[k]
		l1 := math.Log1p(t / alpha)
		zll -= w * r * l1
		zgr -= w * l1
		zga += w * r * t / (alpha + t)
	}
	ll += acc[0] + zll - d.sumX*math.Log(alpha)
	if grad != nil {
		gr += r * (acc[1] + zgr)
		galpha := acc[2] + zga
		ga += acc[3]
		gb -= b * acc[4]
		grad[0] = -gr / d.n
		grad[1] = -galpha / d.n
		grad[2] = -ga / d.n
		grad[3] = -gb / d.n
	}
	return -ll / d.n
}

// freqGroups holds the distinct positive frequencies x of a fit's data
// with their total weights (xs, xw), and the index of each distinct data
// row's x (xi): both likelihoods compute their terms that depend on x
// alone once per distinct x.
type freqGroups struct {
	xs, xw []float64
	xi     []int32
	index  map[int]int32
}

// addRow appends a distinct data row of frequency x.
func (g *freqGroups) addRow(x int) {
	i, ok := g.index[x]
	if !ok {
		if g.index == nil {
			g.index = map[int]int32{}
		}
		i = int32(len(g.xs))
		g.index[x] = i
		g.xs = append(g.xs, float64(x))
		g.xw = append(g.xw, 0)
	}
	g.xi = append(g.xi, i)
}

// count adds a customer to row k's frequency.
func (g *freqGroups) count(k int) { g.xw[g.xi[k]]++ }
