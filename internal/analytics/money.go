package analytics

import (
	"errors"
	"fmt"
	"strings"

	"github.com/govalues/decimal"
)

// ratio returns num/den as a float64 for display, and 0 when den is zero.
func ratio(num, den decimal.Decimal) float64 {
	if den.IsZero() {
		return 0
	}
	q, err := num.Quo(den)
	if err != nil {
		// Only possible for quotients beyond 19 integer digits; fall back
		// to float division, which is what a ratio is for anyway.
		n, _ := num.Float64()
		d, _ := den.Float64()
		return n / d
	}
	f, _ := q.Float64()
	return f
}

// fraction returns n/d, and 0 when d is zero.
func fraction(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// parseMoney parses an amount in plain decimal notation (-123.4500),
// refusing what decimal.Parse would round: more than 19 significant digits
// or 19 decimal places (trailing zeros aside), and exponent notation.
func parseMoney(s string) (decimal.Decimal, error) {
	m := strings.TrimLeft(s, "+-")
	if strings.ContainsAny(m, "eE") {
		return decimal.Decimal{}, errors.New("exponent notation")
	}
	i, f, _ := strings.Cut(m, ".")
	i, f = strings.TrimLeft(i, "0"), strings.TrimRight(f, "0")
	if len(f) > decimal.MaxScale || len(i)+len(f) > decimal.MaxPrec {
		return decimal.Decimal{}, fmt.Errorf("more than %d significant digits", decimal.MaxPrec)
	}
	return decimal.Parse(s)
}
