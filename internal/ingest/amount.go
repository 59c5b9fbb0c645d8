package ingest

import (
	"errors"
	"strings"

	"github.com/govalues/decimal"
)

// ErrBadAmount is the reject reason for a money or quantity value that is
// not a number.
var ErrBadAmount = errors.New("not a number")

// parseAmount reads a money value as exports write it: optional currency
// symbol or code, thousands separators, a minus sign or parentheses for
// negatives. decimalComma selects "1.234,56" over "1,234.56".
func parseAmount(s string, decimalComma bool) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	s = strings.TrimFunc(s, isCurrencyMark)
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, strings.TrimSpace(strings.TrimFunc(s[1:], isCurrencyMark))
	} else if strings.HasSuffix(s, "-") { // SAP-style trailing minus
		neg, s = !neg, strings.TrimSpace(s[:len(s)-1])
	}
	if s == "" {
		return decimal.Decimal{}, ErrBadAmount
	}
	thousands, point := ",", "."
	if decimalComma {
		thousands, point = ".", ","
	}
	if strings.Contains(s, thousands) || strings.ContainsAny(s, " \u00a0'") {
		s = strings.NewReplacer(thousands, "", " ", "", "\u00a0", "", "'", "").Replace(s)
	}
	if point == "," {
		s = strings.Replace(s, ",", ".", 1)
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return decimal.Decimal{}, ErrBadAmount
	}
	if neg {
		d = d.Neg()
	}
	return d, nil
}

// isCurrencyMark reports whether r is part of a currency sign or code that
// may surround an amount.
func isCurrencyMark(r rune) bool {
	switch r {
	case '$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '₫', '₱', '¢', ' ', '\u00a0':
		return true
	}
	return r >= 'A' && r <= 'Z'
}
