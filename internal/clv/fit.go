package clv

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// FitOptions tunes a fit. The zero value gives the plain maximum likelihood
// estimate, which is what the published results use.
type FitOptions struct {
	// Penalty, when positive, adds Penalty·Σ(ln θᵢ)² to the mean negative
	// log-likelihood per customer, shrinking every parameter towards 1 on the
	// log scale, with times measured in units of the mean customer age and
	// money in units of the mean spend (so the shrinkage does not depend on
	// the caller's units). A small value such as 1e-3 turns data that would
	// give ErrBoundary (a single customer, no heterogeneity) into an interior
	// estimate; it biases well-identified estimates only slightly.
	Penalty float64
	// MaxIterations caps the optimizer's major iterations; 0 means 1000.
	MaxIterations int
	// Workers is the number of goroutines evaluating the likelihood on large
	// data sets; 0 means runtime.GOMAXPROCS(0). Results do not depend on it.
	Workers int
}

// FitInfo describes a completed fit.
type FitInfo struct {
	// LogLikelihood is the total log-likelihood of all customers at the
	// estimate, in the caller's units and without any penalty.
	LogLikelihood float64
	// Customers is the number of customers that entered the likelihood.
	Customers int
	// Distinct is the number of distinct summaries after aggregation.
	Distinct int
	// Iterations and Evaluations count optimizer major iterations and
	// likelihood evaluations.
	Iterations, Evaluations int
	// GradientNorm is the largest absolute component of the gradient of the
	// (penalized) mean negative log-likelihood with respect to the log
	// parameters at the estimate. A fit is accepted as converged when it is
	// at most 1e-6, or when the Newton step it implies would change no
	// parameter by more than a relative 1e-7.
	GradientNorm float64
	// Status is the status with which gonum's BFGS last stopped. It is
	// often "Failure" for a converged fit: the line search fails once the
	// estimate is exact to rounding, after which Newton polishing takes
	// over. Convergence is judged by GradientNorm, not by Status.
	Status string
	// StdErr holds asymptotic standard errors of the parameters, in the
	// order of the model's fields, from the inverse observed information
	// (the Hessian of the negative log-likelihood, plus the penalty's
	// curvature when FitOptions.Penalty is set). It is nil for a boundary
	// estimate.
	StdErr []float64
}

// Tuning of the optimizer driver.
const (
	// boxLog bounds every scaled log-parameter. Beyond it a quadratic
	// barrier applies, so a likelihood that keeps increasing towards 0 or ∞
	// stops there instead of overflowing.
	boxLog = 20.0
	// boundaryLog is the scaled log-parameter magnitude (1e6 or 1e-6) from
	// which an estimate is suspected to be drifting to a limiting case; it
	// is judged a boundary estimate if the likelihood is also (nearly) flat
	// in that parameter, see drifting.
	boundaryLog = 13.8
	// gradStop is the gradient norm at which BFGS stops.
	gradStop = 1e-10
	// gradAccept is the largest final gradient norm accepted as converged
	// when BFGS stops for another reason (typically a line search that can
	// no longer make progress at machine precision).
	gradAccept = 1e-6
	// newtonAccept is the largest Newton step (in log-parameters, so a
	// relative change of the parameters) accepted as converged when the
	// gradient is not below gradAccept.
	newtonAccept = 1e-7
	// maxRestarts bounds the BFGS restarts after a failed line search. A
	// restart drops the quasi-Newton Hessian, which is what usually went
	// stale when the line search fails far from a stationary point.
	maxRestarts = 5
	// parallelMin is the number of distinct summaries from which likelihood
	// evaluation is split across goroutines.
	parallelMin = 1 << 14
	// chunkSize is the number of summaries per goroutine work item; fixed so
	// that the summation order, and so the result, is deterministic.
	chunkSize = 1 << 12
)

// nllFunc evaluates the mean negative log-likelihood per customer at the
// scaled log-parameters theta and, if grad is non-nil, stores its gradient.
type nllFunc func(theta, grad []float64) float64

// optimum is the result of minimize.
type optimum struct {
	theta []float64
	// logSD are the asymptotic standard deviations of theta, nil when the
	// observed information is not positive definite.
	logSD    []float64
	info     FitInfo
	boundary bool
}

// minimize finds the minimum of the penalized mean negative log-likelihood f
// of n customers, starting from theta0. It returns ErrNotConverged (wrapped)
// when no stationary point is reached, or ctx's error when ctx ends. A
// boundary estimate is reported in optimum.boundary, not as an error, so
// that callers can return the model along with ErrBoundary.
func minimize(ctx context.Context, f nllFunc, n float64, theta0 []float64, opts FitOptions) (optimum, error) {
	if !(opts.Penalty >= 0) || math.IsInf(opts.Penalty, 0) {
		return optimum{}, fmt.Errorf("%w: penalty %v must be finite and non-negative", ErrInvalidParams, opts.Penalty)
	}
	dim := len(theta0)
	obj := &cachedObjective{f: f, penalty: opts.Penalty}
	maxIter := opts.MaxIterations
	if maxIter <= 0 {
		maxIter = 1000
	}
	problem := optimize.Problem{
		Func: obj.value,
		Grad: obj.gradient,
		// Checking the context after every evaluation bounds the latency of
		// cancellation by one likelihood evaluation.
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	theta := append([]float64(nil), theta0...)
	grad := make([]float64, dim)
	var (
		status     optimize.Status
		runErr     error
		iterations int
	)
	best := obj.penalized(theta, grad)
	for attempt := 0; attempt <= maxRestarts && iterations < maxIter; attempt++ {
		settings := &optimize.Settings{
			GradientThreshold: gradStop,
			// Stop only after many iterations without any decrease: the
			// gradient test is the real criterion, this one catches stalls.
			Converger:       &optimize.FunctionConverge{Absolute: 1e-15, Iterations: 50},
			MajorIterations: maxIter - iterations,
		}
		res, err := optimize.Minimize(problem, theta, settings, &optimize.BFGS{})
		if ctxErr := ctx.Err(); ctxErr != nil {
			return optimum{}, fmt.Errorf("clv: fit cancelled: %w", ctxErr)
		}
		if res == nil {
			return optimum{}, fmt.Errorf("%w: %v", ErrNotConverged, err)
		}
		iterations += res.Stats.MajorIterations
		status, runErr = res.Status, err
		improved := res.F < best
		if improved {
			best = res.F
			copy(theta, res.X)
		}
		// Restart only after a failure that still made progress; anything
		// else is final.
		if status != optimize.Failure || !improved {
			break
		}
		// Near the optimum Newton polishing (below) is cheaper than
		// another BFGS run.
		if obj.penalized(theta, grad); infNorm(grad) <= gradAccept {
			break
		}
	}
	polish(obj, f, theta, opts.Penalty)
	obj.penalized(theta, grad)
	gnorm := infNorm(grad)
	// The Hessian of the objective actually minimized: with a penalty,
	// its curvature is part of what makes the estimate determined.
	h := hessian(f, theta)
	for i := range dim {
		h.SetSym(i, i, h.At(i, i)+2*opts.Penalty)
	}
	logSD := logStdDevs(h, n)
	info := FitInfo{
		Iterations:   iterations,
		Evaluations:  obj.evals,
		GradientNorm: gnorm,
		Status:       status.String(),
	}
	opt := optimum{theta: theta, logSD: logSD, info: info}
	// Converged if the gradient is small, or if the Newton step it implies
	// is: on badly conditioned data (an extreme outlier) rounding keeps the
	// gradient above any fixed threshold although the estimate is already
	// fixed to many digits.
	converged := gnorm <= gradAccept || newtonStep(h, grad) <= newtonAccept
	switch {
	case drifting(theta, logSD):
		// The gradient need not be small: the likelihood may still be
		// creeping towards its supremum at infinity.
		opt.boundary = true
	case !converged:
		if runErr == nil {
			runErr = status.Err()
		}
		return opt, fmt.Errorf("%w: status %v, gradient norm %.3g after %d iterations: %v",
			ErrNotConverged, status, gnorm, iterations, runErr)
	case logSD == nil:
		// A stationary point without positive curvature in every
		// direction is a ridge or plateau running to the boundary, not a
		// maximum.
		opt.boundary = true
	}
	if opt.boundary {
		opt.logSD = nil
	}
	return opt, nil
}

// polish refines an interior estimate with Newton steps that use only
// gradients and a finite-difference Hessian, accepting a step when it
// reduces the gradient norm. BFGS's line search needs function values to
// decrease, which fails when the mean log-likelihood is so large (an
// extreme outlier) that rounding hides changes of the order of the
// remaining error; the analytic gradient is still accurate there.
func polish(obj *cachedObjective, f nllFunc, theta []float64, penalty float64) {
	dim := len(theta)
	grad := make([]float64, dim)
	next := make([]float64, dim)
	nextGrad := make([]float64, dim)
	for range 20 {
		for _, t := range theta {
			if math.Abs(t) >= boxLog-0.5 {
				return // held by the barrier: drifting decides
			}
		}
		obj.penalized(theta, grad)
		gnorm := infNorm(grad)
		if gnorm <= gradStop {
			return
		}
		h := hessian(f, theta)
		for i := range dim {
			h.SetSym(i, i, h.At(i, i)+2*penalty)
		}
		var chol mat.Cholesky
		if !chol.Factorize(h) {
			return
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, mat.NewVecDense(dim, append([]float64(nil), grad...))); err != nil {
			return
		}
		size := infNorm(step.RawVector().Data)
		if !(size <= 1) {
			return // too far from the optimum for Newton's method
		}
		for i := range theta {
			next[i] = theta[i] - step.AtVec(i)
		}
		if obj.penalized(next, nextGrad); !(infNorm(nextGrad) < gnorm) {
			return
		}
		copy(theta, next)
		if size <= 1e-12 {
			return
		}
	}
}

// drifting reports whether an estimate is heading for the boundary: a
// scaled log-parameter held by the barrier at the edge of the box, or one
// beyond ±boundaryLog along which the likelihood is (nearly) flat, so that
// the optimizer stopped on a plateau that continues to infinity. An extreme
// but well-determined estimate (possible with extreme outliers) is not.
func drifting(theta, logSD []float64) bool {
	for i, t := range theta {
		switch {
		case math.Abs(t) >= boxLog-0.5:
			return true
		case math.Abs(t) > boundaryLog && (logSD == nil || logSD[i] > 1):
			return true
		}
	}
	return false
}

func infNorm(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// cachedObjective wraps an nllFunc with the penalty and the box barrier, and
// remembers the last evaluation because gonum asks for the value and the
// gradient at the same point in two calls while one pass computes both.
type cachedObjective struct {
	f       nllFunc
	penalty float64
	evals   int

	x    []float64
	val  float64
	grad []float64
}

func (o *cachedObjective) eval(x []float64) {
	if o.x != nil && equalSlices(o.x, x) {
		return
	}
	if o.x == nil {
		o.x = make([]float64, len(x))
		o.grad = make([]float64, len(x))
	}
	copy(o.x, x)
	o.val = o.penalized(x, o.grad)
}

func (o *cachedObjective) value(x []float64) float64 {
	o.eval(x)
	return o.val
}

func (o *cachedObjective) gradient(grad, x []float64) {
	o.eval(x)
	copy(grad, o.grad)
}

// penalized evaluates f plus penalty and barrier at x, storing the gradient.
// A non-finite likelihood (which the stable formulas should never produce)
// is reported as +Inf so that the line search backs off instead of
// accepting a NaN.
func (o *cachedObjective) penalized(x, grad []float64) float64 {
	o.evals++
	v := o.f(x, grad)
	for i, t := range x {
		v += o.penalty * t * t
		grad[i] += 2 * o.penalty * t
		if excess := math.Abs(t) - boxLog; excess > 0 {
			v += excess * excess
			grad[i] += 2 * math.Copysign(excess, t)
		}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		for i := range grad {
			grad[i] = 0
		}
		return math.Inf(1)
	}
	return v
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hessian returns a central-difference approximation of the Hessian of f
// at theta, from its analytic gradient, symmetrised.
func hessian(f nllFunc, theta []float64) *mat.SymDense {
	dim := len(theta)
	h := mat.NewSymDense(dim, nil)
	x := append([]float64(nil), theta...)
	gp := make([]float64, dim)
	gm := make([]float64, dim)
	cols := make([][]float64, dim)
	for j := range dim {
		const step = 1e-5
		x[j] = theta[j] + step
		f(x, gp)
		x[j] = theta[j] - step
		f(x, gm)
		x[j] = theta[j]
		cols[j] = make([]float64, dim)
		for i := range dim {
			cols[j][i] = (gp[i] - gm[i]) / (2 * step)
		}
	}
	for i := range dim {
		for j := i; j < dim; j++ {
			h.SetSym(i, j, 0.5*(cols[i][j]+cols[j][i]))
		}
	}
	return h
}

// logStdDevs returns the asymptotic standard deviations of the estimates
// of the scaled log-parameters from the Hessian h of the (penalized) mean
// negative log-likelihood of n customers: the inverse observed information
// is (n·h)⁻¹. It returns nil when h is not positive definite.
func logStdDevs(h *mat.SymDense, n float64) []float64 {
	var chol mat.Cholesky
	if !chol.Factorize(h) {
		return nil
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return nil
	}
	sd := make([]float64, h.SymmetricDim())
	for i := range sd {
		v := inv.At(i, i) / n
		if !(v > 0) || math.IsInf(v, 0) {
			return nil
		}
		sd[i] = math.Sqrt(v)
	}
	return sd
}

// newtonStep returns the largest component of the Newton step −h⁻¹·grad,
// or +Inf if h is not positive definite. It measures how far, in
// log-parameters, the estimate is from the optimum.
func newtonStep(h *mat.SymDense, grad []float64) float64 {
	var chol mat.Cholesky
	if !chol.Factorize(h) {
		return math.Inf(1)
	}
	var step mat.VecDense
	if err := chol.SolveVecTo(&step, mat.NewVecDense(len(grad), append([]float64(nil), grad...))); err != nil {
		return math.Inf(1)
	}
	return infNorm(step.RawVector().Data)
}

// paramStdErr converts log-scale standard deviations into standard errors of
// the caller's parameters by the delta method, sd(θ) = θ·sd(ln θ); it
// returns nil for nil input.
func paramStdErr(logSD, params []float64) []float64 {
	if logSD == nil {
		return nil
	}
	se := make([]float64, len(logSD))
	for i := range logSD {
		se[i] = params[i] * logSD[i]
	}
	return se
}

// parallelSum evaluates n items in fixed chunks on up to workers goroutines
// and adds the per-chunk accumulators in chunk order, so the result is
// deterministic. acc has width values; eval adds items [lo, hi) into its
// slice. Small inputs run on the calling goroutine.
func parallelSum(n, width, workers int, acc []float64, eval func(lo, hi int, acc []float64)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n < parallelMin || workers == 1 {
		eval(0, n, acc)
		return
	}
	chunks := (n + chunkSize - 1) / chunkSize
	part := make([]float64, chunks*width)
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	for range min(workers, chunks) {
		wg.Go(func() {
			for c := range next {
				lo := c * chunkSize
				eval(lo, min(lo+chunkSize, n), part[c*width:(c+1)*width])
			}
		})
	}
	wg.Wait()
	for c := range chunks {
		for k := range width {
			acc[k] += part[c*width+k]
		}
	}
}

// wrapBoundary returns the error for a boundary estimate of the named model.
func wrapBoundary(model string, theta []float64) error {
	return fmt.Errorf("%w: %s scaled log-parameters %.3g", ErrBoundary, model, theta)
}
