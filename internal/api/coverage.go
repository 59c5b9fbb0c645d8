package api

import (
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
)

// Unassigned values. Ingestion records a line without a value for a
// dimension (an empty cell, or a file without that column) under
// dimension.Blank, so that every dimension adds up to the same total. The
// API never shows that marker: an unassigned value is null in JSON (in
// value and in its place in values), and a request selects it with an
// empty value parameter (value= or value2=).

// valueOf returns a stored single value as JSON: null when unassigned.
func valueOf(stored string) *string {
	if stored == dimension.Blank {
		return nil
	}
	return &stored
}

// labelled returns the values of a row in the user's dimension order, null
// where unassigned, and its display value: the values joined with " × ",
// or null when any of them is unassigned (the dashboard labels it).
func labelled(values []string) ([]*string, *string) {
	out := make([]*string, len(values))
	display := true
	for i, v := range values {
		out[i] = valueOf(v)
		display = display && out[i] != nil
	}
	if !display {
		return out, nil
	}
	return out, ptr(strings.Join(values, " × "))
}

// assigned reports whether a stored value (single or crossed) has every
// part assigned.
func assigned(stored string) bool {
	if stored == dimension.Blank {
		return false
	}
	a, b := dimension.SplitValues(stored)
	return a != dimension.Blank && b != dimension.Blank
}

// coverage is the share of total revenue whose value is assigned, 4
// places; null when the total is zero.
func coverage(m sums, total decimal.Decimal) (*string, error) {
	unassigned := decimal.Decimal{}
	for v, x := range m {
		if assigned(v) {
			continue
		}
		var err error
		if unassigned, err = money.Add(unassigned, x.Revenue); err != nil {
			return nil, err
		}
	}
	covered, err := money.Sub(total, unassigned)
	if err != nil {
		return nil, err
	}
	return ratio(covered, total), nil
}
