package clv

import (
	"fmt"
	"math"
)

// Customer is one customer's purchase summary at the end of the calibration
// period. Times are in a unit chosen by the caller (days, weeks, …) and must
// be the same for all customers and for the horizons used in predictions.
type Customer struct {
	// X is the number of repeat purchases: purchases after the first one.
	// Purchases on the same day (or within the same time unit) are usually
	// merged beforehand, because the models assume distinct events.
	X int
	// Tx is the recency: the time of the last purchase, measured from the
	// first purchase. It is 0 when X is 0 and is ignored in that case.
	Tx float64
	// T is the customer's age: the time from the first purchase to the end
	// of the calibration period.
	T float64
	// MeanSpend is the mean value of the X repeat transactions (the first
	// purchase excluded, as in the Gamma-Gamma papers). It is used only by
	// the spend model and only when X > 0; it must then be positive.
	MeanSpend float64
}

// Validate reports whether c is a possible BG/NBD summary: X ≥ 0, T finite
// and ≥ 0 and, when X > 0, 0 ≤ Tx ≤ T. It returns an error wrapping
// ErrInvalidCustomer otherwise. MeanSpend is not checked here; see
// ValidateSpend.
func (c Customer) Validate() error {
	switch {
	case c.X < 0:
		return fmt.Errorf("%w: negative repeat purchases %d", ErrInvalidCustomer, c.X)
	case !(c.T >= 0) || math.IsInf(c.T, 0):
		return fmt.Errorf("%w: age T=%v must be finite and non-negative", ErrInvalidCustomer, c.T)
	case c.X > 0 && (!(c.Tx >= 0) || c.Tx > c.T):
		return fmt.Errorf("%w: recency tx=%v must be within [0, T=%v]", ErrInvalidCustomer, c.Tx, c.T)
	}
	return nil
}

// ValidateSpend reports whether c can enter the Gamma-Gamma spend model:
// X ≥ 0 and, when X > 0, a finite positive MeanSpend. It returns an error
// wrapping ErrInvalidCustomer otherwise. A customer with X = 0 is always
// valid (and carries no spend information).
func (c Customer) ValidateSpend() error {
	switch {
	case c.X < 0:
		return fmt.Errorf("%w: negative repeat purchases %d", ErrInvalidCustomer, c.X)
	case c.X > 0 && (!(c.MeanSpend > 0) || math.IsInf(c.MeanSpend, 0)):
		return fmt.Errorf("%w: mean spend %v must be finite and positive for a repeat buyer", ErrInvalidCustomer, c.MeanSpend)
	}
	return nil
}
