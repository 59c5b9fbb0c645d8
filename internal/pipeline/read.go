package pipeline

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/ndjson"
)

// ErrInvalid means a deal breaks a rule of the Deal record; Validate's and
// Accumulator.Add's errors wrap it and say which rule.
var ErrInvalid = errors.New("invalid deal")

// Validate checks the rules every Deal keeps, which the figures rely on:
// the outcome is open, won or lost; a won or lost deal has a close date
// and an open deal none; a deal does not close before it was created;
// the value is empty or a decimal of at most 19 significant digits
// and 19 decimal places, kept exactly; and only a deal with a value
// has it marked as a list price. The error wraps ErrInvalid.
func (d Deal) Validate() error {
	_, _, err := d.check()
	return err
}

// check validates d as Validate does and returns its value, parsed once
// for both the check and the sums, and whether it has one.
func (d Deal) check() (decimal.Decimal, bool, error) {
	switch d.Outcome {
	case Open:
		if !d.Closed.IsZero() {
			return decimal.Decimal{}, false, fmt.Errorf("%w: open deal %q has a close date (%s)", ErrInvalid, d.ID, d.Closed)
		}
	case Won, Lost:
		if d.Closed.IsZero() {
			return decimal.Decimal{}, false, fmt.Errorf("%w: %s deal %q has no close date", ErrInvalid, d.Outcome, d.ID)
		}
		if !d.Created.IsZero() && d.Closed.Before(d.Created) {
			return decimal.Decimal{}, false, fmt.Errorf("%w: deal %q closed on %s, before it was created on %s", ErrInvalid, d.ID, d.Closed, d.Created)
		}
	default:
		return decimal.Decimal{}, false, fmt.Errorf("%w: deal %q has the outcome %q, not open, won or lost", ErrInvalid, d.ID, d.Outcome)
	}
	if d.Value == "" {
		if d.Listed {
			return decimal.Decimal{}, false, fmt.Errorf("%w: deal %q is marked as listed but has no value", ErrInvalid, d.ID)
		}
		return decimal.Decimal{}, false, nil
	}
	v, err := decimal.Parse(d.Value)
	if err == nil && mayRound(d.Value) && !exact(v, d.Value) {
		err = errors.New("more digits than the 19 a decimal keeps")
	}
	if err != nil {
		return decimal.Decimal{}, false, fmt.Errorf("%w: deal %q has the value %q: %v", ErrInvalid, d.ID, d.Value, err)
	}
	return v, true, nil
}

// mayRound reports whether decimal.Parse may have rounded s: only a long
// or exponent form can hold more digits than the 19 a decimal keeps, and
// checking only those keeps the usual value to two byte scans.
func mayRound(s string) bool {
	return len(s) > decimal.MaxPrec || strings.IndexByte(s, 'e') >= 0 || strings.IndexByte(s, 'E') >= 0
}

// exact reports whether v is the number s spells.
func exact(v decimal.Decimal, s string) bool {
	r, ok := new(big.Rat).SetString(s)
	return ok && r.Cmp(ratDec(v)) == 0
}

// Read decodes the deals of a stream written by Writer and calls fn with
// each, in order, stopping at fn's first error, which it returns as is. A
// line that does not decode, or whose deal fails Validate, ends the
// reading with an error that wraps ErrCorrupt (and ErrInvalid for a rule
// broken) and names the line. A failure of r is returned wrapped.
//
// Read's fn has the signature of Accumulator.Add, so a deals stream
// folds into figures with Read(r, acc.Add).
func Read(r io.Reader, fn func(Deal) error) error {
	return ndjson.Read(r, "deals", ErrCorrupt, func(line int, d Deal) error {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("%w: deals line %d: %w", ErrCorrupt, line, err)
		}
		return fn(d)
	})
}
