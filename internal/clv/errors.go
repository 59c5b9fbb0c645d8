package clv

import "errors"

// Sentinel errors returned (wrapped, with context) by the fitting and
// prediction functions. Test for them with errors.Is.
var (
	// ErrNoData is returned when a fit is given no customers.
	ErrNoData = errors.New("clv: no customers")

	// ErrInvalidCustomer is returned when a customer summary is impossible:
	// negative counts or times, non-finite values, recency beyond age, or a
	// non-positive mean spend for a repeat buyer in a spend model. The wrapping
	// error names the offending index.
	ErrInvalidCustomer = errors.New("clv: invalid customer summary")

	// ErrInvalidParams is returned when model parameters are not finite and
	// strictly positive, or when a horizon is malformed.
	ErrInvalidParams = errors.New("clv: invalid parameters")

	// ErrNoRepeatBuyers is returned when no customer has a repeat purchase.
	// The BG/NBD likelihood then increases without bound as the purchase
	// rate goes to zero, so it has no maximum; the Gamma-Gamma model has no
	// spend observations at all. Callers typically fall back to a
	// non-model estimate (for example zero expected repeat purchases).
	ErrNoRepeatBuyers = errors.New("clv: no repeat buyers, model is not identified")

	// ErrBoundary is returned when the data do not identify an interior
	// maximum: the likelihood keeps increasing, or stays flat, towards the
	// edge of the parameter space (a parameter goes to 0 or ∞), as it does
	// for a single customer or for data without heterogeneity. The fit
	// functions still return the model found at the edge of the search box,
	// which approximates the limiting model (for example a pure Poisson
	// purchase process, or nobody ever dropping out) and gives finite
	// predictions; FitOptions.Penalty yields an interior estimate instead.
	ErrBoundary = errors.New("clv: maximum likelihood estimate is on the parameter boundary")

	// ErrNotConverged is returned when the optimizer stops without reaching
	// a stationary point of the likelihood. The wrapping error carries the
	// optimizer status and the final gradient norm.
	ErrNotConverged = errors.New("clv: optimizer did not converge")
)
