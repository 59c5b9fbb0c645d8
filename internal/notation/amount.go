// Package notation reads the numbers and dates of sales files as people
// and spreadsheets write them: decimal points or commas, thousands
// separators of every kind, currency marks, accounting negatives,
// exponents; ISO, numeric (day or month first), named-month and compact
// dates, and Excel serial days.
//
// Numbers are read exactly, never rounded, into decimals of at most 19
// significant digits and below 10^15 in magnitude. A date column's day/month order is decided from the
// whole column (see DateColumn), so "3/4/2024" is read the way the rest of
// its column is.
//
// Errors: a value that cannot be read wraps ErrBadAmount (ErrAmountRange
// for a magnitude of 10^15 or more) or ErrBadDate (ErrDateRange,
// ErrDateOrder for the finer reasons); a column that mixes
// orders beyond repair wraps ErrMixedOrder. Nothing here reads files.
package notation

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/govalues/decimal"
)

// ErrBadAmount is the reject reason for a money or quantity value that is
// not a number in any notation salesseg reads. Notation problems wrap it
// with the detail (digit grouping that contradicts the column's decimal
// separator, too many digits).
var ErrBadAmount = errors.New("not a number")

// ErrAmountRange is the reject reason for an amount of 10^15 or more in
// magnitude, which wraps ErrBadAmount. No sales line is worth a thousand
// trillion; such a value is a misplaced id or a broken export, and summed
// with others at a few decimals it would overflow the 19 digits every
// aggregate keeps exactly and fail the whole file. Refusing it here
// rejects its row alone.
var ErrAmountRange error = amountRange{}

type amountRange struct{}

func (amountRange) Error() string { return "amount beyond ±10^15" }
func (amountRange) Unwrap() error { return ErrBadAmount }

// maxIntDigits is how many integer digits an amount may have (see
// ErrAmountRange).
const maxIntDigits = 15

var (
	errDoubleSign    = fmt.Errorf("%w: more than one sign (a minus inside parentheses, or both before and after)", ErrBadAmount)
	errGroupingPoint = fmt.Errorf("%w: digit grouping contradicts the column's decimal point (.)", ErrBadAmount)
	errGroupingComma = fmt.Errorf("%w: digit grouping contradicts the column's decimal comma (,)", ErrBadAmount)
	errTooManyDigits = fmt.Errorf("%w: more than 19 significant digits", ErrBadAmount)
	errPercent       = fmt.Errorf("%w: a percentage is not an amount", ErrBadAmount)
)

// maxDigits is the precision of an exact decimal.
const maxDigits = 19

// ParseNumber reads a money or quantity value as exports write it, exactly:
//
//   - a decimal point ("1234.56") or, when comma is true, a decimal comma
//     ("1234,56");
//   - thousands separators: the other of ',' and '.', a space, a no-break
//     or thin space, or an apostrophe ("1,234.56", "1.234,56", "1 234,56",
//     "1'234.56"), in groups of three (or the Indian 2-2-3: "1,23,456.78");
//     a separator that breaks the grouping rejects the value, so a decimal
//     comma is never read as a thousands separator;
//   - a currency symbol or ISO code before or after ("$1,234.56",
//     "1.234,56 €", "USD 12", "12 EUR");
//   - negatives as "-12", "−12", "12-" (SAP) or "(12)" (accounting), one
//     sign at most: "(-5)" or "-5-" is ambiguous and rejected rather than
//     read as a double negative;
//   - an exponent ("1.5E+06", as spreadsheets write large numbers).
//
// At most 19 significant digits are kept and nothing is ever rounded: more
// is an error wrapping ErrBadAmount, as is anything else unreadable. A
// magnitude of 10^15 or more is ErrAmountRange (see there).
func ParseNumber(b []byte, comma bool) (decimal.Decimal, error) {
	d, _, err := ParseAmount(b, comma)
	return d, err
}

// ParseAmount is ParseNumber that also returns the currency mark found, as
// a subslice of b (nil when none).
func ParseAmount(b []byte, comma bool) (decimal.Decimal, []byte, error) {
	b = TrimSpace(b)
	if d, ok := parsePlain(b, comma); ok {
		return d, nil, nil
	}
	if len(b) == 0 {
		return decimal.Decimal{}, nil, ErrBadAmount
	}
	neg, signs := false, 0
	if b[0] == '(' && b[len(b)-1] == ')' {
		neg, signs, b = true, 1, TrimSpace(b[1:len(b)-1])
	}
	var cur []byte
	b, neg, signs = cutSign(b, neg, signs)
	if n := currencyPrefix(b); n > 0 {
		cur, b = b[:n], TrimSpace(b[n:])
		b, neg, signs = cutSign(b, neg, signs)
	}
	if n := currencySuffix(b); n > 0 {
		cur, b = b[len(b)-n:], TrimSpace(b[:len(b)-n])
	}
	if len(b) > 0 && b[len(b)-1] == '-' {
		neg, signs, b = !neg, signs+1, TrimSpace(b[:len(b)-1])
	}
	if signs > 1 {
		return decimal.Decimal{}, nil, errDoubleSign
	}
	if len(b) > 0 && b[len(b)-1] == '%' {
		return decimal.Decimal{}, nil, errPercent
	}
	d, err := parseCore(b, comma)
	if err != nil {
		return decimal.Decimal{}, nil, err
	}
	if err := CheckRange(d); err != nil {
		return decimal.Decimal{}, nil, err
	}
	if neg {
		d = d.Neg()
	}
	return d, cur, nil
}

// CheckRange returns ErrAmountRange when d, an amount read or computed
// (quantity × unit price), is 10^15 or more in magnitude, nil otherwise.
func CheckRange(d decimal.Decimal) error {
	if d.Prec()-d.Scale() > maxIntDigits { // its integer digits
		return ErrAmountRange
	}
	return nil
}

// parsePlain is the fast path: an optional minus, digits and an optional
// decimal separator, at most 18 digits and within ±10^15. ok is false for
// anything else.
func parsePlain(b []byte, comma bool) (decimal.Decimal, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	point := byte('.')
	if comma {
		point = ','
	}
	var coef uint64
	digits, scale, seenPoint := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			coef = coef*10 + uint64(c-'0')
			digits++
			if seenPoint {
				scale++
			}
		case c == point && !seenPoint:
			seenPoint = true
		default:
			return decimal.Decimal{}, false
		}
	}
	if digits == 0 || digits > 18 || scale > maxDigits {
		return decimal.Decimal{}, false
	}
	v := int64(coef)
	if neg {
		v = -v
	}
	d, err := decimal.New(v, scale)
	return d, err == nil && CheckRange(d) == nil
}

// cutSign removes a leading minus (ASCII or U+2212), flipping neg, or
// plus, counting either in signs.
func cutSign(b []byte, neg bool, signs int) ([]byte, bool, int) {
	switch {
	case len(b) > 0 && b[0] == '-':
		return TrimSpace(b[1:]), !neg, signs + 1
	case len(b) > 0 && b[0] == '+':
		return TrimSpace(b[1:]), neg, signs + 1
	case bytes.HasPrefix(b, []byte("\u2212")):
		return TrimSpace(b[len("\u2212"):]), !neg, signs + 1
	}
	return b, neg, signs
}

// TrimSpace trims ASCII spaces and tabs, no-break spaces (U+00A0, U+202F)
// and thin spaces (U+2009).
func TrimSpace(b []byte) []byte {
	if n := len(b); n > 0 && b[0] < utf8.RuneSelf && b[0] != ' ' && b[0] != '\t' &&
		b[n-1] < utf8.RuneSelf && b[n-1] != ' ' && b[n-1] != '\t' {
		return b // the usual case: nothing to trim, and no rune to decode
	}
	for len(b) > 0 {
		if b[0] == ' ' || b[0] == '\t' {
			b = b[1:]
		} else if n := wideSpace(b); n > 0 {
			b = b[n:]
		} else {
			break
		}
	}
	for len(b) > 0 {
		if c := b[len(b)-1]; c == ' ' || c == '\t' {
			b = b[:len(b)-1]
			continue
		}
		r, n := utf8.DecodeLastRune(b)
		if r == '\u00a0' || r == '\u202f' || r == '\u2009' {
			b = b[:len(b)-n]
			continue
		}
		break
	}
	return b
}

// wideSpace returns the length of a no-break or thin space at the start of
// b, or 0.
func wideSpace(b []byte) int {
	if len(b) >= 2 && b[0] == 0xC2 && b[1] == 0xA0 {
		return 2
	}
	if len(b) >= 3 && b[0] == 0xE2 && b[1] == 0x80 && (b[2] == 0xAF || b[2] == 0x89) {
		return 3
	}
	return 0
}

// currencySymbols are the signs accepted around an amount, longest first
// where one is a prefix of another.
func currencySymbols() [31]string {
	return [...]string{"US$", "CA$", "AU$", "NZ$", "HK$", "S$", "R$", "C$", "A$", "$", "€", "£", "¥", "₹",
		"₩", "₽", "₺", "₪", "₫", "₱", "¢", "kr.", "kr", "zł", "Kč", "Ft", "Rs.", "Rs", "CHF", "Fr.", "lei"}
}

// currencyPrefix returns the length of a currency sign or three-letter
// ISO code at the start of b, or 0.
func currencyPrefix(b []byte) int {
	if len(b) == 0 || isDigit(b[0]) || b[0] == '.' || b[0] == ',' {
		return 0
	}
	if b[0] == '$' {
		return 1
	}
	for _, s := range currencySymbols() {
		if len(b) >= len(s) && string(b[:len(s)]) == s {
			return len(s)
		}
	}
	if len(b) >= 3 && isUpper(b[0]) && isUpper(b[1]) && isUpper(b[2]) && (len(b) == 3 || !isUpper(b[3])) {
		return 3
	}
	return 0
}

// currencySuffix returns the length of a currency sign or three-letter
// ISO code at the end of b, or 0.
func currencySuffix(b []byte) int {
	if len(b) == 0 || isDigit(b[len(b)-1]) {
		return 0
	}
	for _, s := range currencySymbols() {
		if len(b) >= len(s) && string(b[len(b)-len(s):]) == s {
			return len(s)
		}
	}
	if n := len(b); n >= 3 && isUpper(b[n-1]) && isUpper(b[n-2]) && isUpper(b[n-3]) && (n == 3 || !isUpper(b[n-4])) {
		return 3
	}
	return 0
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseCore reads the numeric part: digits, grouping, one decimal
// separator, an optional exponent.
func parseCore(b []byte, comma bool) (decimal.Decimal, error) {
	point, thousands := byte('.'), byte(',')
	errGrouping := errGroupingPoint
	if comma {
		point, thousands, errGrouping = ',', '.', errGroupingComma
	}
	var (
		coef        uint64
		digits      int // significant digits in coef
		scale       int
		pendingZero int // fraction zeros not yet multiplied in
		seenPoint   bool
		anyDigit    bool
		groups      [24]int // lengths of the integer part's digit groups
		ngroups     int
		groupLen    int
		sepKind     byte // the thousands separator used (normalized)
	)
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			anyDigit = true
			if !seenPoint {
				groupLen++
			} else if c == '0' {
				pendingZero++ // multiplied in only if a nonzero digit follows
				continue
			}
			for ; pendingZero > 0; pendingZero-- {
				if digits >= maxDigits {
					return decimal.Decimal{}, errTooManyDigits
				}
				coef *= 10
				scale++
				if coef != 0 {
					digits++
				}
			}
			if digits >= maxDigits {
				return decimal.Decimal{}, errTooManyDigits
			}
			coef = coef*10 + uint64(c-'0')
			if coef != 0 {
				digits++
			}
			if seenPoint {
				scale++
			}
			continue
		case c == point && !seenPoint:
			seenPoint = true
			continue
		case c == 'e' || c == 'E':
		default:
			// A thousands separator, only in the integer part.
			kind, n := thousandsSep(b[i:], thousands)
			if n == 0 || seenPoint || groupLen == 0 || (sepKind != 0 && kind != sepKind) || ngroups == len(groups)-1 {
				if c == point || c == thousands {
					return decimal.Decimal{}, errGrouping
				}
				return decimal.Decimal{}, ErrBadAmount
			}
			sepKind = kind
			groups[ngroups] = groupLen
			ngroups++
			groupLen = 0
			i += n - 1
			continue
		}
		break // exponent
	}
	if !anyDigit {
		return decimal.Decimal{}, ErrBadAmount
	}
	if ngroups > 0 {
		groups[ngroups] = groupLen
		ngroups++
		if !validGrouping(groups[:ngroups]) {
			return decimal.Decimal{}, errGrouping
		}
	}
	if i == len(b) && digits+pendingZero <= maxDigits {
		for ; pendingZero > 0; pendingZero-- { // keep the written scale: 12.50 stays 12.50
			coef *= 10
			scale++
			if coef != 0 {
				digits++
			}
		}
	}
	if i < len(b) { // exponent
		e, err := strconv.Atoi(string(b[i+1:]))
		if err != nil || e > 40 || e < -40 {
			return decimal.Decimal{}, ErrBadAmount
		}
		scale -= e
		pendingZero = 0 // zeros after the point only lower the scale: drop them
	}
	for ; scale < 0; scale++ {
		if coef > math.MaxUint64/10 || (coef != 0 && digits >= maxDigits) {
			return decimal.Decimal{}, errTooManyDigits
		}
		coef *= 10
		if coef != 0 {
			digits++
		}
	}
	if scale > maxDigits {
		if coef == 0 {
			scale = 0
		} else {
			return decimal.Decimal{}, errTooManyDigits
		}
	}
	if coef <= math.MaxInt64 {
		return decimal.New(int64(coef), scale)
	}
	s := strconv.FormatUint(coef, 10)
	if scale > 0 {
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return decimal.Decimal{}, errTooManyDigits
	}
	return d, nil
}

// thousandsSep recognises a thousands separator at the start of b: the
// column's (',' or '.'), a space, a no-break or thin space, or an
// apostrophe (ASCII or U+2019). It returns a normalized kind and the
// length in bytes, or 0.
func thousandsSep(b []byte, thousands byte) (byte, int) {
	switch c := b[0]; {
	case c == thousands:
		return c, 1
	case c == ' ':
		return ' ', 1
	case c == '\'':
		return '\'', 1
	}
	if n := wideSpace(b); n > 0 {
		return ' ', n
	}
	if bytes.HasPrefix(b, []byte("\u2019")) {
		return '\'', 3
	}
	return 0, 0
}

// validGrouping checks the integer part's digit groups: the first 1–3
// digits, the last exactly 3, those between all 3 (Western) or all 2
// (Indian, where the first then has 1–2).
func validGrouping(g []int) bool {
	if g[0] < 1 || g[0] > 3 || g[len(g)-1] != 3 {
		return false
	}
	mid := g[1 : len(g)-1]
	if len(mid) == 0 {
		return true
	}
	w := mid[0]
	if w != 3 && w != 2 {
		return false
	}
	for _, x := range mid {
		if x != w {
			return false
		}
	}
	return w == 3 || g[0] <= 2
}

// DecimalVote says what one value shows about its column's decimal
// separator: '.' or ',' when only that reading works, 0 when the value
// reads the same either way or is ambiguous ("1,234": a thousands
// separator or a decimal comma).
func DecimalVote(b []byte) byte {
	lastDot, lastComma := bytes.LastIndexByte(b, '.'), bytes.LastIndexByte(b, ',')
	dots, commas := bytes.Count(b, []byte{'.'}), bytes.Count(b, []byte{','})
	switch {
	case dots == 0 && commas == 0:
		return 0
	case dots > 0 && commas > 0:
		if lastDot > lastComma {
			return '.'
		}
		return ','
	case dots > 1:
		return ','
	case commas > 1:
		return '.'
	}
	// One separator: three digits after it is ambiguous.
	sep, at := byte('.'), lastDot
	if commas == 1 {
		sep, at = ',', lastComma
	}
	after, before := 0, 0
	for j := at + 1; j < len(b) && isDigit(b[j]); j++ {
		after++
	}
	j := at - 1
	for ; j >= 0 && isDigit(b[j]); j-- {
		before++
	}
	// "1,234" could be either; "0,123" and "1234,567" cannot be grouping.
	if after == 3 && before >= 1 && before <= 3 && b[j+1] != '0' {
		return 0
	}
	if _, err := ParseNumber(b, sep == ','); err != nil {
		return 0
	}
	return sep
}
