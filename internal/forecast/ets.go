package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Trend is the trend component of an ETS model.
type Trend int

const (
	// TrendNone is no trend (N).
	TrendNone Trend = iota
	// TrendAdditive is a linear trend (A).
	TrendAdditive
	// TrendDamped is an additive trend damped by φ (Ad).
	TrendDamped
)

// Spec names an exponential smoothing state space model with additive
// errors, ETS(A, Trend, Seasonal), in the taxonomy of Hyndman et al. (2008).
type Spec struct {
	Trend Trend
	// Seasonal adds an additive seasonal component of period Period.
	Seasonal bool
}

// String returns the model's name, such as "ETS(A,Ad,A)".
func (s Spec) String() string {
	trend := [...]string{"N", "A", "Ad"}[s.Trend]
	season := "N"
	if s.Seasonal {
		season = "A"
	}
	return "ETS(A," + trend + "," + season + ")"
}

// Specs returns the ETS variants Forecast selects from: ANN, AAN, AAdN, ANA,
// AAA and AAdA.
func Specs() []Spec {
	var out []Spec
	for _, seasonal := range []bool{false, true} {
		for _, tr := range []Trend{TrendNone, TrendAdditive, TrendDamped} {
			out = append(out, Spec{Trend: tr, Seasonal: seasonal})
		}
	}
	return out
}

func (s Spec) hasTrend() bool { return s.Trend != TrendNone }

// smoothing is the number of smoothing and damping parameters.
func (s Spec) smoothing() int {
	k := 1
	if s.hasTrend() {
		k++
	}
	if s.Trend == TrendDamped {
		k++
	}
	if s.Seasonal {
		k++
	}
	return k
}

// states is the number of free initial states: level, slope and Period−1
// seasonal states (the last is minus the sum of the others).
func (s Spec) states() int {
	k := 1
	if s.hasTrend() {
		k++
	}
	if s.Seasonal {
		k += Period - 1
	}
	return k
}

// NumParams is the parameter count used in the AICc: smoothing and damping
// parameters, free initial states and the error variance, as in Hyndman et
// al. (2008). (statsmodels' ETSModel counts all Period seasonal states, one
// more for seasonal models.)
func (s Spec) NumParams() int { return s.smoothing() + s.states() + 1 }

// MinLength is the shortest series FitETS accepts for the spec: two full
// seasons for seasonal models, and NumParams()+2 so that the AICc is defined.
func (s Spec) MinLength() int {
	n := s.NumParams() + 2
	if s.Seasonal {
		n = max(n, 2*Period)
	}
	return n
}

// Bounds of the smoothing parameters, those of statsmodels' ETSModel and R's
// forecast::ets: α in [lo, hi], β = α·β*, γ = (1−α)·γ* with β*, γ* in
// [lo, hi], φ in [phiLo, phiHi].
const (
	parLo, parHi = 1e-4, 1 - 1e-4
	phiLo, phiHi = 0.8, 0.98
)

// etsParams are the smoothing parameters; beta and gamma are 0 and phi is 1
// when the model has no such component.
type etsParams struct{ alpha, beta, gamma, phi float64 }

// ETSFit is an ETS model fitted by maximum likelihood. Smoothing parameters
// are unit-free; states, Sigma2 and forecasts are in the units of the series.
type ETSFit struct {
	Spec  Spec
	Alpha float64
	// Beta is 0 without a trend; Gamma is 0 without seasonality; Phi is 1
	// without damping.
	Beta, Gamma, Phi float64
	// InitLevel, InitSlope and InitSeason are the estimated states before
	// the first month; InitSeason[j] is the seasonal state used for month j
	// (j < Period) and sums to 0; it is nil for non-seasonal models.
	InitLevel, InitSlope float64
	InitSeason           []float64
	// Sigma2 is the maximum-likelihood variance of the one-step errors,
	// SSE/N, used for the prediction intervals as statsmodels does.
	Sigma2 float64
	// LogLik is the Gaussian log-likelihood at the estimate, AICc the
	// corrected Akaike criterion with Spec.NumParams parameters.
	LogLik, AICc float64
	N            int

	scale        float64
	level, slope float64   // final states, scaled
	season       []float64 // final seasonal ring, scaled; index t mod Period
}

// FitETS fits spec to the monthly series y by maximum likelihood: the
// smoothing parameters by Nelder–Mead (gonum/optimize, from several starts)
// on a logistic transform of their bounds, and for each candidate the
// initial states by least squares, which is exact because the one-step
// errors of a linear ETS model are affine in its initial state. It returns a
// wrapped ErrTooShort when y has fewer than spec.MinLength() months, or
// ErrBadValue.
func FitETS(y []float64, spec Spec) (*ETSFit, error) {
	if err := validate(y, 1); err != nil {
		return nil, err
	}
	if len(y) < spec.MinLength() {
		return nil, fmt.Errorf("forecast: %v on %d months, need %d: %w", spec, len(y), spec.MinLength(), ErrTooShort)
	}
	ys, c := scaled(y)
	return fitETS(ys, c, spec, nil), nil
}

// Forecast returns the point forecasts of the next h months with 80% and
// 95% intervals from the analytic variance of the additive class
// (Hyndman et al. 2008, Table 6.1; fpp3 section 8.7):
// σ²[1 + Σ_{j<h} c_j²] with c_j = α + β·j (β·(φ+…+φ^j) when damped)
// + γ when j is a multiple of the period. h must be in 1..MaxHorizon,
// otherwise it returns nil.
func (f *ETSFit) Forecast(h int) []Point {
	if h < 1 || h > MaxHorizon {
		return nil
	}
	return unscale(f.forecastScaled(h), f.scale)
}

// forecastScaled forecasts on the scale the model was fitted on.
func (f *ETSFit) forecastScaled(h int) []Point {
	sigma2 := f.Sigma2 / (f.scale * f.scale)
	pts := make([]Point, h)
	damped, cum := 0.0, 0.0 // φ+…+φ^j, and Σ c_j²
	pow := 1.0
	for i := range pts {
		step := i + 1
		pow *= f.Phi
		damped += pow
		mean := f.level
		if f.Spec.hasTrend() {
			mean += damped * f.slope
		}
		if f.Spec.Seasonal {
			mean += f.season[(f.N+i)%Period]
		}
		pts[i] = band(step, mean, math.Sqrt(sigma2*(1+cum)))
		cj := f.Alpha + f.Beta*damped
		if step%Period == 0 {
			cj += f.Gamma
		}
		cum += cj * cj
	}
	return pts
}

// etsProblem holds the series and scratch space of one fit.
type etsProblem struct {
	spec  Spec
	y     []float64
	zero  []float64
	e     []float64
	cols  [][]float64 // one-step errors per unit initial state, on zeros
	ring  []float64
	ata   *mat.SymDense
	atb   *mat.VecDense
	x0    *mat.VecDense
	chol  mat.Cholesky
	state []float64
}

func newETSProblem(y []float64, spec Spec) *etsProblem {
	n, p := len(y), spec.states()
	pr := &etsProblem{
		spec: spec, y: y,
		zero: make([]float64, n), e: make([]float64, n),
		cols: make([][]float64, p),
		ata:  mat.NewSymDense(p, nil), atb: mat.NewVecDense(p, nil), x0: mat.NewVecDense(p, nil),
		state: make([]float64, p),
	}
	for i := range pr.cols {
		pr.cols[i] = make([]float64, n)
	}
	if spec.Seasonal {
		pr.ring = make([]float64, Period)
	}
	return pr
}

// run filters y from the initial state x (level, slope if any, then the
// free seasonal states) with parameters p, writes the one-step errors to e
// and returns the final level and slope; the final seasonal states are left
// in pr.ring.
func (pr *etsProblem) run(p etsParams, y, x, e []float64) (level, slope float64) {
	level = x[0]
	k := 1
	if pr.spec.hasTrend() {
		slope = x[1]
		k = 2
	}
	if pr.spec.Seasonal {
		last := 0.0
		for j := 0; j < Period-1; j++ {
			pr.ring[j] = x[k+j]
			last -= x[k+j]
		}
		pr.ring[Period-1] = last
	}
	for t, yt := range y {
		drift := p.phi * slope
		fc := level + drift
		s := 0.0
		if pr.spec.Seasonal {
			s = pr.ring[t%Period]
			fc += s
		}
		err := yt - fc
		e[t] = err
		level += drift + p.alpha*err
		slope = drift + p.beta*err
		if pr.spec.Seasonal {
			pr.ring[t%Period] = s + p.gamma*err
		}
	}
	return level, slope
}

// solve returns, for parameters p, the sum of squared one-step errors at the
// least-squares initial state, which it leaves in pr.state.
func (pr *etsProblem) solve(p etsParams) float64 {
	np := len(pr.state)
	clear(pr.state)
	pr.run(p, pr.y, pr.state, pr.e) // errors with a zero initial state
	for i := range np {
		pr.state[i] = 1
		pr.run(p, pr.zero, pr.state, pr.cols[i])
		pr.state[i] = 0
	}
	// The errors are e + Σ x_i·cols[i]; minimise their sum of squares by
	// the normal equations with a tiny ridge against collinear columns.
	trace := 0.0
	for i := range np {
		for j := i; j < np; j++ {
			v := dot(pr.cols[i], pr.cols[j])
			pr.ata.SetSym(i, j, v)
			if i == j {
				trace += v
			}
		}
		pr.atb.SetVec(i, -dot(pr.cols[i], pr.e))
	}
	ridge := 1e-10 * (trace/float64(np) + 1e-12)
	for i := range np {
		pr.ata.SetSym(i, i, pr.ata.At(i, i)+ridge)
	}
	if pr.chol.Factorize(pr.ata) && pr.chol.SolveVecTo(pr.x0, pr.atb) == nil {
		for i := range np {
			if v := pr.x0.AtVec(i); !math.IsNaN(v) && !math.IsInf(v, 0) {
				pr.state[i] = v
			}
		}
	}
	pr.run(p, pr.y, pr.state, pr.e)
	return dot(pr.e, pr.e)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func logistic(u, lo, hi float64) float64 { return lo + (hi-lo)/(1+math.Exp(-u)) }

func logit(v, lo, hi float64) float64 {
	q := (v - lo) / (hi - lo)
	q = min(max(q, 1e-6), 1-1e-6)
	return math.Log(q / (1 - q))
}

// decode maps unconstrained optimizer coordinates to parameters.
func (s Spec) decode(u []float64) etsParams {
	p := etsParams{alpha: logistic(u[0], parLo, parHi), phi: 1}
	k := 1
	if s.hasTrend() {
		p.beta = p.alpha * logistic(u[k], parLo, parHi)
		k++
	}
	if s.Trend == TrendDamped {
		p.phi = logistic(u[k], phiLo, phiHi)
		k++
	}
	if s.Seasonal {
		p.gamma = (1 - p.alpha) * logistic(u[k], parLo, parHi)
	}
	return p
}

// encode is the inverse of decode.
func (s Spec) encode(p etsParams) []float64 {
	u := []float64{logit(p.alpha, parLo, parHi)}
	if s.hasTrend() {
		u = append(u, logit(p.beta/p.alpha, parLo, parHi))
	}
	if s.Trend == TrendDamped {
		u = append(u, logit(p.phi, phiLo, phiHi))
	}
	if s.Seasonal {
		u = append(u, logit(p.gamma/(1-p.alpha), parLo, parHi))
	}
	return u
}

// defaultStarts returns the starting points of the smoothing-parameter
// search: slowly, moderately and quickly adapting levels, with the seasonal
// parameter taking a varying share of the rest.
func defaultStarts() []etsParams {
	return []etsParams{
		{alpha: 0.1, beta: 0.01, gamma: 0.1, phi: 0.95},
		{alpha: 0.4, beta: 0.04, gamma: 0.4, phi: 0.9},
		{alpha: 0.8, beta: 0.08, gamma: 0.02, phi: 0.85},
	}
}

// minimize runs Nelder–Mead on f from x and returns the best point found and
// its value. Stopping at the evaluation limit is not an error here: the
// best point so far is used.
func minimize(f func([]float64) float64, x []float64) ([]float64, float64) {
	settings := &optimize.Settings{
		FuncEvaluations: 400 * len(x),
		Converger:       &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-10, Iterations: 20 * len(x)},
	}
	res, err := optimize.Minimize(optimize.Problem{Func: f}, x, settings, &optimize.NelderMead{SimplexSize: 1})
	if res == nil || (err != nil && res.X == nil) {
		return x, f(x)
	}
	return res.X, res.F
}

// fitETS fits spec to the scaled series ys (divided by c). With a non-nil
// warm start it searches from there only, otherwise from defaultStarts.
func fitETS(ys []float64, c float64, spec Spec, warm *etsParams) *ETSFit {
	pr := newETSProblem(ys, spec)
	n := float64(len(ys))
	floor := 1e-20 * n // keeps the log-likelihood finite for exact fits
	objective := func(u []float64) float64 {
		return math.Log(pr.solve(spec.decode(u)) + floor)
	}
	starts := defaultStarts()
	if warm != nil {
		starts = []etsParams{*warm}
	}
	var best []float64
	bestF := math.Inf(1)
	for _, s := range starts {
		u, f := minimize(objective, spec.encode(s))
		if f < bestF || best == nil {
			best, bestF = u, f
		}
	}
	// Nelder–Mead can stall on a collapsed simplex: restart once from the
	// best point with a fresh one.
	if u, f := minimize(objective, best); f < bestF {
		best = u
	}
	p := spec.decode(best)
	sse := pr.solve(p) + floor
	level, slope := pr.run(p, ys, pr.state, pr.e)
	fit := &ETSFit{
		Spec: spec, Alpha: p.alpha, Beta: p.beta, Gamma: p.gamma, Phi: p.phi,
		InitLevel: pr.state[0] * c,
		Sigma2:    sse / n * c * c,
		N:         len(ys),
		scale:     c, level: level, slope: slope,
	}
	k := 1
	if spec.hasTrend() {
		fit.InitSlope = pr.state[1] * c
		k = 2
	}
	if spec.Seasonal {
		fit.season = append([]float64(nil), pr.ring...)
		fit.InitSeason = make([]float64, Period)
		for j := 0; j < Period-1; j++ {
			fit.InitSeason[j] = pr.state[k+j] * c
			fit.InitSeason[Period-1] -= pr.state[k+j] * c
		}
	}
	// The log-likelihood in the series' units: σ² = c²·SSE/n.
	fit.LogLik = -n / 2 * (math.Log(2*math.Pi*sse/n) + 2*math.Log(c) + 1)
	kp := float64(spec.NumParams())
	fit.AICc = -2*fit.LogLik + 2*kp + 2*kp*(kp+1)/(n-kp-1)
	return fit
}

// params returns the fitted smoothing parameters keyed by their usual names.
func (f *ETSFit) params() map[string]float64 {
	out := map[string]float64{"alpha": f.Alpha, "sigma2": f.Sigma2}
	if f.Spec.hasTrend() {
		out["beta"] = f.Beta
	}
	if f.Spec.Trend == TrendDamped {
		out["phi"] = f.Phi
	}
	if f.Spec.Seasonal {
		out["gamma"] = f.Gamma
	}
	return out
}
