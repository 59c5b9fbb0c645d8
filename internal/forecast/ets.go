package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
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
	e     []float64   // one-step errors
	resp  [][]float64 // one-step errors on zeros from a unit level, slope, first seasonal state
	lag   [][]float64 // lag[d][k] = Σ_{u<k} c[u]·c[u+d], c the seasonal response
	cross [][]float64 // cross[v][j] = Σ_{t≥j} c[t−j]·v[t] for v = e, level, slope responses
	ring  []float64
	gram  []float64 // normal equations, row-major p×p (upper triangle used)
	rhs   []float64
	state []float64
}

func newETSProblem(y []float64, spec Spec) *etsProblem {
	n, p := len(y), spec.states()
	pr := &etsProblem{
		spec: spec, y: y,
		zero: make([]float64, n), e: make([]float64, n),
		gram: make([]float64, p*p), rhs: make([]float64, p), state: make([]float64, p),
	}
	k := 1
	if spec.hasTrend() {
		k++
	}
	if spec.Seasonal {
		k++
		pr.ring = make([]float64, Period)
		pr.lag = make([][]float64, Period)
		for d := range pr.lag {
			pr.lag[d] = make([]float64, n+1)
		}
		pr.cross = make([][]float64, k)
		for i := range pr.cross {
			pr.cross[i] = make([]float64, Period)
		}
	}
	pr.resp = make([][]float64, k)
	for i := range pr.resp {
		pr.resp[i] = make([]float64, n)
	}
	return pr
}

// run filters y with parameters p from the initial level and slope and the
// seasonal states in pr.ring (index t mod Period for month t), writes the
// one-step errors to e and returns the final level and slope; the final
// seasonal states are left in pr.ring.
func (pr *etsProblem) run(p etsParams, y []float64, level, slope float64, e []float64) (float64, float64) {
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

// setRing loads the free seasonal states x (Period−1 of them; the last is
// minus their sum) into pr.ring.
func (pr *etsProblem) setRing(x []float64) {
	last := 0.0
	for j := 0; j < Period-1; j++ {
		pr.ring[j] = x[j]
		last -= x[j]
	}
	pr.ring[Period-1] = last
}

// solve returns, for parameters p, the sum of squared one-step errors at the
// least-squares initial state, which it leaves in pr.state (level, slope if
// any, free seasonal states), with the final states from pr.finish.
//
// The errors are affine in the initial state: e = e₀ + Σ x_i·r_i, e₀ the
// errors from a zero state and r_i those of the zero series from a unit
// state i. Because the recursions are time-invariant and the seasonal
// states rotate, a unit seasonal state j has the response of state 0
// delayed by j months, so one seasonal run and lagged sums of products give
// the normal equations, solved by Cholesky (gonum/lapack) with a tiny ridge
// against collinearity.
func (pr *etsProblem) solve(p etsParams) float64 {
	n, np := len(pr.y), len(pr.state)
	if pr.spec.Seasonal {
		clear(pr.ring)
	}
	pr.run(p, pr.y, 0, 0, pr.e)
	vecs := [][]float64{pr.e}
	k := 0
	for i := range pr.resp {
		var level, slope float64
		switch {
		case i == 0:
			level = 1
		case i == 1 && pr.spec.hasTrend():
			slope = 1
		}
		if pr.spec.Seasonal {
			clear(pr.ring)
			if level == 0 && slope == 0 {
				pr.ring[0] = 1
			}
		}
		pr.run(p, pr.zero, level, slope, pr.resp[i])
		if level != 0 || slope != 0 {
			vecs = append(vecs, pr.resp[i])
			k++
		}
	}
	g := pr.gram
	for i := range k {
		for j := i; j < k; j++ {
			g[i*np+j] = dot(pr.resp[i], pr.resp[j])
		}
		pr.rhs[i] = -dot(pr.resp[i], pr.e)
	}
	if pr.spec.Seasonal {
		c := pr.resp[k]
		for d := range Period {
			acc := pr.lag[d]
			acc[0] = 0
			for u := 0; u+d < n; u++ {
				acc[u+1] = acc[u] + c[u]*c[u+d]
			}
		}
		for v, vec := range vecs {
			for j := range Period {
				s := 0.0
				for t := j; t < n; t++ {
					s += c[t-j] * vec[t]
				}
				pr.cross[v][j] = s
			}
		}
		// ss(i, j) = Σ_t S_i[t]·S_j[t], S_j the seasonal response delayed j.
		ss := func(i, j int) float64 {
			lo, hi := min(i, j), max(i, j)
			return pr.lag[hi-lo][n-hi]
		}
		last := Period - 1
		for i := range Period - 1 {
			// Free state i adds S_i and subtracts S_last.
			for j := i; j < Period-1; j++ {
				g[(k+i)*np+k+j] = ss(i, j) - ss(i, last) - ss(last, j) + ss(last, last)
			}
			for a := range k {
				g[a*np+k+i] = pr.cross[a+1][i] - pr.cross[a+1][last]
			}
			pr.rhs[k+i] = -(pr.cross[0][i] - pr.cross[0][last])
		}
	}
	trace := 0.0
	for i := range np {
		trace += g[i*np+i]
	}
	ridge := 1e-10 * (trace/float64(np) + 1e-12)
	for i := range np {
		g[i*np+i] += ridge
	}
	clear(pr.state)
	t, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: np, Stride: np, Data: g})
	if ok {
		b := blas64.General{Rows: np, Cols: 1, Stride: 1, Data: pr.rhs}
		lapack64.Potrs(t, b)
		for i, v := range pr.rhs {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				pr.state[i] = v
			}
		}
	}
	pr.finish(p)
	return dot(pr.e, pr.e)
}

// finish filters the series from pr.state, leaving the errors in pr.e and
// the final seasonal states in pr.ring, and returns the final level and
// slope.
func (pr *etsProblem) finish(p etsParams) (level, slope float64) {
	k := 1
	if pr.spec.hasTrend() {
		slope = pr.state[1]
		k = 2
	}
	if pr.spec.Seasonal {
		pr.setRing(pr.state[k:])
	}
	return pr.run(p, pr.y, pr.state[0], slope, pr.e)
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
// search: a slowly adapting model and a moderately adapting one with a
// large seasonal share. (A third, quickly adapting start changed no fit on
// the reference series and cost a third more time.)
func defaultStarts() []etsParams {
	return []etsParams{
		{alpha: 0.1, beta: 0.01, gamma: 0.1, phi: 0.95},
		{alpha: 0.4, beta: 0.04, gamma: 0.4, phi: 0.9},
	}
}

// minimize runs Nelder–Mead on f from x and returns the best point found and
// its value. Stopping at the evaluation limit is not an error here: the
// best point so far is used.
func minimize(f func([]float64) float64, x []float64) ([]float64, float64) {
	settings := &optimize.Settings{
		FuncEvaluations: 400 * len(x),
		Converger:       &optimize.FunctionConverge{Absolute: 1e-7, Iterations: 10 * len(x)},
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
	// best point with a fresh one. A warm start is already near an optimum
	// (the backtest refits on a few months less), so it is not restarted.
	if warm == nil {
		if u, f := minimize(objective, best); f < bestF {
			best = u
		}
	}
	p := spec.decode(best)
	sse := pr.solve(p) + floor
	level, slope := pr.finish(p)
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
