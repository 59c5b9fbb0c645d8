// Package money adds and subtracts exact decimal amounts for every part of
// salesseg: ingestion's per-file sums, the API's totals and the customer
// analytics all use it, so that one sum has one result and one failure.
//
// Amounts are github.com/govalues/decimal values: at most 19 significant
// digits and 19 decimal places. A sum either keeps every digit or fails
// with an error wrapping ErrOverflow; nothing is ever rounded.
package money

import (
	"errors"
	"fmt"

	"github.com/govalues/decimal"
)

// ErrOverflow is returned, wrapped with the operands, when the exact
// result of a sum needs more than the 19 significant digits a decimal
// holds. Callers test for it with errors.Is.
var ErrOverflow = errors.New("decimal sum overflows 19 digits")

// Add returns a+b exactly, at the larger of the two scales (1.50 + 2.5 is
// 4.00), so that sums of amounts keep their currency's decimals. Only when
// that scale leaves no room for the sum's digits are trailing zeros
// dropped (2.000000000000000000 + 111.875 is 113.875): the value stays
// exact, only its scale shrinks. The error wraps ErrOverflow when the
// exact sum has more than 19 significant digits.
func Add(a, b decimal.Decimal) (decimal.Decimal, error) {
	if s, err := a.AddExact(b, max(a.Scale(), b.Scale())); err == nil {
		return s, nil
	}
	ta, tb := a.Trim(0), b.Trim(0)
	scale := max(ta.Scale(), tb.Scale())
	if s, err := ta.AddExact(tb, scale); err == nil {
		return s, nil
	}
	// With trailing zeros gone, terms of different scales give a sum whose
	// last digit at the larger scale is not zero, so that sum is as short
	// as it gets; terms of one scale but opposite signs cannot overflow.
	// Terms of one scale and sign, below 10^19 each, give a sum of at most
	// 20 digits, which fits once its last digit is a zero: rounding at one
	// decimal place less then drops only that zero.
	if ta.Scale() == tb.Scale() && ta.IsNeg() == tb.IsNeg() && scale > 0 && (ta.Coef()%10+tb.Coef()%10)%10 == 0 {
		if s, err := ta.AddExact(tb, scale-1); err == nil {
			return s, nil
		}
	}
	return decimal.Decimal{}, fmt.Errorf("%w: %s + %s", ErrOverflow, a, b)
}

// Sub returns a−b exactly, as Add does; the error wraps ErrOverflow.
func Sub(a, b decimal.Decimal) (decimal.Decimal, error) { return Add(a, b.Neg()) }

// AddTo adds x into *total exactly, as Add does, leaving *total unchanged
// when the error, wrapping ErrOverflow, is returned: a running sum that
// fails keeps the last total that was exact.
func AddTo(total *decimal.Decimal, x decimal.Decimal) error {
	s, err := Add(*total, x)
	if err != nil {
		return err
	}
	*total = s
	return nil
}
