package analytics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Ratio is a share, rate, probability or score. In JSON it is a decimal
// string with RatioPlaces places ("0.4914"), the API's one form for
// ratios, so clients never see float noise such as 0.49144254278728605;
// it reads that form or a bare number.
type Ratio float64

// Amount is a model's estimate of money or of a count (CLV, projected
// revenue, expected purchases). In JSON it is a decimal string with
// AmountPlaces places, as the API writes money; it reads that form or a
// bare number.
type Amount float64

// RatioPlaces and AmountPlaces are the decimal places Ratio and Amount
// are written with, rounding the float's exact value half to even.
const (
	RatioPlaces  = 4
	AmountPlaces = 2
)

// MarshalJSON writes r as a decimal string; it fails for NaN and
// infinities, as encoding/json does for float64.
func (r Ratio) MarshalJSON() ([]byte, error) { return fixed(float64(r), RatioPlaces) }

// UnmarshalJSON reads a decimal string or a number.
func (r *Ratio) UnmarshalJSON(b []byte) error { return unfixed(b, (*float64)(r)) }

// MarshalJSON writes a as a decimal string; it fails for NaN and
// infinities, as encoding/json does for float64.
func (a Amount) MarshalJSON() ([]byte, error) { return fixed(float64(a), AmountPlaces) }

// UnmarshalJSON reads a decimal string or a number.
func (a *Amount) UnmarshalJSON(b []byte) error { return unfixed(b, (*float64)(a)) }

func fixed(v float64, places int) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("analytics: %v has no decimal form", v)
	}
	s := strconv.FormatFloat(v, 'f', places, 64)
	if s[0] == '-' && strings.Trim(s[1:], "0.") == "" {
		s = s[1:] // "-0.0000" is zero
	}
	return strconv.AppendQuote(nil, s), nil
}

func unfixed(b []byte, dst *float64) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("analytics: %q is not a decimal", s)
		}
		*dst = v
		return nil
	}
	return json.Unmarshal(b, dst)
}
