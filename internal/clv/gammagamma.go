package clv

import (
	"context"
	"fmt"
	"math"
)

// GammaGamma holds the parameters of the Gamma-Gamma spend model. Each
// transaction value of a customer is Gamma(shape P, rate ν), and ν varies
// across customers as Gamma(shape Q, rate Gamma). Gamma is in the caller's
// currency. All three must be finite and positive.
type GammaGamma struct {
	P, Q, Gamma float64
}

// Validate returns an error wrapping ErrInvalidParams unless all parameters
// are finite and strictly positive.
func (m GammaGamma) Validate() error {
	if !m.valid() {
		return fmt.Errorf("%w: Gamma-Gamma %+v: all parameters must be finite and positive", ErrInvalidParams, m)
	}
	return nil
}

func (m GammaGamma) valid() bool {
	return positive(m.P) && positive(m.Q) && positive(m.Gamma)
}

// PopulationMeanSpend returns the expected transaction value of a randomly
// chosen customer, P·Gamma/(Q−1). It is +Inf when Q ≤ 1 (the mean does not
// exist) and NaN if the model is invalid.
func (m GammaGamma) PopulationMeanSpend() float64 {
	if !m.valid() {
		return math.NaN()
	}
	if m.Q <= 1 {
		return math.Inf(1)
	}
	return m.P * m.Gamma / (m.Q - 1)
}

// ExpectedSpend returns E[M | x, mₓ], the customer's expected value per
// future transaction given X repeat transactions of mean value MeanSpend:
//
//	E[M | x, mₓ] = P·(Gamma + x·mₓ)/(P·x + Q − 1),
//
// a weighted average of the population mean and the customer's own mean
// that trusts the latter more as x grows. For X = 0 it is the population
// mean (MeanSpend is ignored). It is +Inf when P·x + Q ≤ 1 (the posterior
// mean does not exist) and NaN if the model is invalid or the customer
// fails Customer.ValidateSpend.
func (m GammaGamma) ExpectedSpend(c Customer) float64 {
	if !m.valid() || c.X < 0 || (c.X > 0 && !positive(c.MeanSpend)) {
		return math.NaN()
	}
	if c.X == 0 {
		return m.PopulationMeanSpend()
	}
	x := float64(c.X)
	den := m.P*x + m.Q - 1
	if den <= 0 {
		return math.Inf(1)
	}
	return m.P * (m.Gamma + x*c.MeanSpend) / den
}

// LogLikelihood returns the log density of a repeat buyer's mean spend mₓ
// given x (Fader, Hardie & Lee 2005, "RFM and CLV", appendix), or NaN if the
// model is invalid or the customer has X = 0 or fails
// Customer.ValidateSpend.
func (m GammaGamma) LogLikelihood(c Customer) float64 {
	if !m.valid() || c.X <= 0 || !positive(c.MeanSpend) {
		return math.NaN()
	}
	x := float64(c.X)
	xm := x * c.MeanSpend
	return negLnBeta(m.P*x, m.Q) - m.Q*math.Log1p(xm/m.Gamma) - m.P*x*math.Log1p(m.Gamma/xm) - math.Log(c.MeanSpend)
}

// negLnBeta returns −ln B(u, v) = ln Γ(u+v) − ln Γ(u) − ln Γ(v), taking
// the rising factorial from the larger argument so that a large u or v does
// not cancel.
func negLnBeta(u, v float64) float64 {
	if u < v {
		u, v = v, u
	}
	return lnPoch(u, v) - lnGamma(v)
}

// FitGammaGamma estimates Gamma-Gamma parameters by maximum likelihood from
// the repeat buyers among customers (X > 0), using X and MeanSpend; other
// customers are skipped, so the same slice as for FitBGNBD can be passed.
// Identical (X, MeanSpend) pairs are aggregated.
//
// Errors, all wrapped: ErrNoData for an empty slice; ErrInvalidCustomer
// (naming the index) if any customer fails Customer.ValidateSpend;
// ErrInvalidParams for bad options; ErrNoRepeatBuyers if no customer has
// X > 0; ErrNotConverged if the optimizer fails; ctx's error if ctx ends.
// With ErrBoundary (for example when all customers have the same mean
// spend, so the model would like the spend of each customer to be
// deterministic), the returned model and FitInfo are still filled in; with
// any other error they are zero.
func FitGammaGamma(ctx context.Context, customers []Customer, opts FitOptions) (GammaGamma, FitInfo, error) {
	if len(customers) == 0 {
		return GammaGamma{}, FitInfo{}, fmt.Errorf("fit Gamma-Gamma: %w", ErrNoData)
	}
	data, err := newGGData(customers)
	if err != nil {
		return GammaGamma{}, FitInfo{}, fmt.Errorf("fit Gamma-Gamma: %w", err)
	}
	if data.n == 0 {
		return GammaGamma{}, FitInfo{}, fmt.Errorf("fit Gamma-Gamma: %d customers: %w", len(customers), ErrNoRepeatBuyers)
	}
	nll := func(theta, grad []float64) float64 { return data.nll(theta, grad, opts.Workers) }
	// Start from p = 1, q = 2, γ' = 1: a population mean spend of 1 in the
	// scaled currency, which is the observed mean.
	theta0 := []float64{0, math.Log(2), 0}
	opt, err := minimize(ctx, nll, data.n, theta0, opts)
	if err != nil {
		return GammaGamma{}, FitInfo{}, fmt.Errorf("fit Gamma-Gamma on %d repeat buyers: %w", int(data.n), err)
	}
	th := opt.theta
	m := GammaGamma{P: math.Exp(th[0]), Q: math.Exp(th[1]), Gamma: math.Exp(th[2]) * data.scale}
	info := opt.info
	info.StdErr = paramStdErr(opt.logSD, []float64{m.P, m.Q, m.Gamma})
	info.Customers = int(data.n)
	info.Distinct = len(data.m)
	// Unscale: the likelihood is a density in money, so a currency unit
	// changed by a factor s shifts each customer's log-likelihood by −ln s.
	info.LogLikelihood = -data.n*data.nll(th, nil, opts.Workers) - data.n*math.Log(data.scale)
	if opt.boundary {
		return m, info, fmt.Errorf("fit Gamma-Gamma on %d repeat buyers: %w", int(data.n), wrapBoundary("Gamma-Gamma", th))
	}
	return m, info, nil
}

// ggData is the aggregated, money-scaled data of a Gamma-Gamma fit.
type ggData struct {
	scale  float64 // currency unit of the scaled data: the mean of mₓ
	n      float64 // number of repeat buyers
	sumLnM float64 // Σ ln mₓ' over repeat buyers (scaled)

	freqGroups           // distinct x; per distinct (x, mₓ) its x's index
	m, w       []float64 // per distinct (x, mₓ): scaled mₓ and weight
}

type ggKey struct {
	x int
	m float64
}

func newGGData(customers []Customer) (*ggData, error) {
	d := &ggData{}
	sumM := 0.0
	for i, c := range customers {
		if err := c.ValidateSpend(); err != nil {
			return nil, fmt.Errorf("customer %d: %w", i, err)
		}
		if c.X > 0 {
			d.n++
			sumM += c.MeanSpend
		}
	}
	if d.n == 0 {
		return d, nil
	}
	d.scale = sumM / d.n
	if math.IsInf(d.scale, 0) {
		d.scale = 1
	}
	index := make(map[ggKey]int)
	for _, c := range customers {
		if c.X == 0 {
			continue
		}
		key := ggKey{c.X, c.MeanSpend}
		k, ok := index[key]
		if !ok {
			k = len(d.m)
			index[key] = k
			d.addRow(c.X)
			d.m = append(d.m, c.MeanSpend/d.scale)
			d.w = append(d.w, 0)
		}
		d.w[k]++
		d.count(k)
		d.sumLnM += math.Log(c.MeanSpend / d.scale)
	}
	return d, nil
}

// nll returns the mean negative log-likelihood per repeat buyer at the
// scaled log-parameters θ = (ln p, ln q, ln γ'), γ' = γ/scale, and its
// gradient with respect to θ if grad is non-nil. Each buyer contributes
//
//	ℓ = −ln B(px, q) − q·log1p(x·mₓ/γ) − px·log1p(γ/(x·mₓ)) − ln mₓ,
//
// the textbook form ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln mₓ
// + px ln x − (px+q) ln(γ + x·mₓ) rearranged so that no large logarithms
// cancel. Its derivatives with respect to the log-parameters are
//
//	p∂ℓ/∂p = px·[ψ(px+q) − ψ(px) − log1p(γ/(x·mₓ))]
//	q∂ℓ/∂q = q·[ψ(px+q) − ψ(q) − log1p(x·mₓ/γ)]
//	γ∂ℓ/∂γ = (q·x·mₓ − px·γ)/(γ + x·mₓ)
func (d *ggData) nll(theta, grad []float64, workers int) float64 {
	p, q, g := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2])
	var ll, gp, gq float64
	for i, x := range d.xs {
		w := d.xw[i]
		ll += w * negLnBeta(p*x, q)
		if grad != nil {
			gp += w * p * x * digammaDiff(p*x, q)
			gq += w * q * digammaDiff(q, p*x)
		}
	}
	const width = 4
	acc := make([]float64, width)
	parallelSum(len(d.m), width, workers, acc, func(lo, hi int, acc []float64) {
		var sll, sgp, sgq, sgg float64
		for k := lo; k < hi; k++ {
			x, m, w := d.xs[d.xi[k]], d.m[k], d.w[k]
			xm := x * m
			lq := math.Log1p(xm / g)
			lp := math.Log1p(g / xm)
			sll += w * (-q*lq - p*x*lp)
			if grad != nil {
				sgp -= w * p * x * lp
				sgq -= w * q * lq
				sgg += w * (q*xm - p*x*g) / (g + xm)
			}
		}
		acc[0] += sll
		acc[1] += sgp
		acc[2] += sgq
		acc[3] += sgg
	})
	ll += acc[0] - d.sumLnM
	if grad != nil {
		grad[0] = -(gp + acc[1]) / d.n
		grad[1] = -(gq + acc[2]) / d.n
		grad[2] = -acc[3] / d.n
	}
	return -ll / d.n
}
