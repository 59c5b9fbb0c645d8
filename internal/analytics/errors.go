package analytics

import "errors"

// Sentinel errors returned, wrapped with context, by this package. A sum
// of money that needs more than 19 significant digits fails with
// money.ErrOverflow, the error every package's exact sums share.
var (
	// ErrInvalidPurchase is returned by Builder.Add for a purchase that
	// cannot be folded: an empty customer id, a day that is not a valid
	// 2006-01-02 date, a revenue or cost that is not a decimal number, or
	// negative order or line counts.
	ErrInvalidPurchase = errors.New("analytics: invalid purchase")

	// ErrInvalidConfig is returned when an analysis is given an impossible
	// configuration: tier cuts outside (0, 1) or not increasing, a quantile
	// outside (0, 1), an as-of day before the base's last purchase, an
	// unknown grain or basis, a missing Predictor, a bad CLV time unit or
	// horizon, or negative or non-finite lookalike weights or limit.
	ErrInvalidConfig = errors.New("analytics: invalid configuration")

	// ErrMismatch is returned when an Assignment or a set of predictions
	// does not belong to the Base it is used with (different length).
	ErrMismatch = errors.New("analytics: result does not match the customer base")

	// ErrUnknownGroup is returned when a group name is not one of an
	// Assignment's groups.
	ErrUnknownGroup = errors.New("analytics: unknown group")

	// ErrPrediction is returned, wrapping the predictor's own error, when a
	// Predictor fails for a customer or returns a non-finite value.
	ErrPrediction = errors.New("analytics: prediction failed")

	// ErrProductDimension is returned when a customer-level analysis is
	// asked to split by a dimension that describes products rather than
	// customers (see CustomerDimension).
	ErrProductDimension = errors.New("analytics: a product dimension does not describe customers")

	// ErrNoSeeds is returned by Lookalikes when there are no seed
	// customers to compare prospects with.
	ErrNoSeeds = errors.New("analytics: no seed customers")

	// ErrUnbalanced is returned if a revenue bridge does not reconcile
	// (start + movements ≠ end). It signals a bug, never bad input.
	ErrUnbalanced = errors.New("analytics: revenue bridge does not reconcile")
)
