package pipeline

import (
	"fmt"
	"math/big"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/money"
)

// ratInt returns n as a fraction.
func ratInt(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }

// ratDec returns d exactly as a fraction: its coefficient over 10^scale.
func ratDec(d decimal.Decimal) *big.Rat {
	num := new(big.Int).SetUint64(d.Coef())
	if d.IsNeg() {
		num.Neg(num)
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale())), nil)
	return new(big.Rat).SetFrac(num, den)
}

// quo returns num ÷ den rounded to the 19 significant digits a decimal
// holds (at most 19 decimal places) without trailing zeros, and nil when
// den is zero, so that a
// ratio is never NaN or infinite. The error wraps money.ErrOverflow when
// the quotient's whole part has more than 19 digits.
func quo(num, den *big.Rat) (*decimal.Decimal, error) {
	if den.Sign() == 0 {
		return nil, nil
	}
	r := new(big.Rat).Quo(num, den)
	whole := new(big.Int).Quo(r.Num(), r.Denom())
	digits := 0
	if whole.Sign() != 0 {
		digits = len(whole.Text(10))
		if whole.Sign() < 0 {
			digits-- // the minus sign
		}
	}
	if digits > decimal.MaxPrec {
		return nil, fmt.Errorf("%w: %s has %d whole digits", money.ErrOverflow, r.FloatString(0), digits)
	}
	// Parse rounds again only when rounding here carried into a new
	// leading digit, which drops a trailing zero and changes no value.
	d, err := decimal.Parse(r.FloatString(decimal.MaxPrec - digits))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", money.ErrOverflow, r.FloatString(0), err)
	}
	d = d.Trim(0)
	return &d, nil
}
