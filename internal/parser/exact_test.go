package parser

import (
	"errors"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/money"
)

func TestExactPacksDecimals(t *testing.T) {
	for _, s := range []string{"0", "0.00", "-0.01", "1234.5678", "-9999999999999999999", "9223372036854775808",
		"-922337203685477580.9", "0.0000000000000000001"} {
		t.Run(s, func(t *testing.T) {
			d := decimal.MustParse(s)
			if got := exactOf(d).decimal(); got.Cmp(d) != 0 || got.Scale() != d.Scale() {
				t.Fatalf("exactOf(%s).decimal() = %s", d, got)
			}
		})
	}
}

// checkExactAdd requires exact's add to agree with money.Add on x+y:
// the same value at the same scale, or both an overflow.
func checkExactAdd(t *testing.T, x, y decimal.Decimal) {
	t.Helper()
	want, wantErr := money.Add(x, y)
	got, err := exactOf(x).add(exactOf(y))
	if wantErr != nil || err != nil {
		if !errors.Is(err, money.ErrOverflow) || !errors.Is(wantErr, money.ErrOverflow) {
			t.Fatalf("%s + %s: error %v, money.Add %v", x, y, err, wantErr)
		}
		return
	}
	if d := got.decimal(); d.Cmp(want) != 0 || d.Scale() != want.Scale() || d.IsNeg() != want.IsNeg() {
		t.Fatalf("%s + %s = %s, money.Add %s", x, y, d, want)
	}
}

// TestExactAdd covers each path of add: zeros, equal and unequal scales,
// signs that cancel, rescaling that would pass the int64 range, and sums
// past 19 digits.
func TestExactAdd(t *testing.T) {
	for _, tc := range []struct{ name, x, y string }{
		{"zeros", "0", "0.00"},
		{"zero at a larger scale", "0.000", "1.5"},
		{"same scale", "1881.12", "1346.50"},
		{"mixed scales", "22.368", "-261.96"},
		{"cancel to zero", "-5.00", "5.00"},
		{"negative result", "1.1", "-2.25"},
		{"both negative", "-1.1", "-2.25"},
		{"integers and fractions", "12", "0.0000000001"},
		{"large at a small scale", "4000000000000000000", "0.5"},
		{"rescale past the fast range", "400000000000000000", "0.01"},
		{"near the fast bound", "4611686018427387903", "-1"},
		{"past the fast bound", "4611686018427387904", "1"},
		{"19 digits", "9999999999999999999", "-9999999999999999998"},
		{"overflow", "9999999999999999999", "1"},
		{"overflow of fractions", "0.9999999999999999999", "0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := decimal.MustParse(tc.x), decimal.MustParse(tc.y)
			checkExactAdd(t, x, y)
			checkExactAdd(t, y, x)
		})
	}
}

func FuzzExactAdd(f *testing.F) {
	f.Add(int64(188112), uint8(2), int64(-22368), uint8(3))
	f.Add(int64(1<<62), uint8(0), int64(1), uint8(19))
	f.Fuzz(func(t *testing.T, a int64, sa uint8, b int64, sb uint8) {
		x, err := decimal.New(a, int(sa%20))
		if err != nil {
			return
		}
		y, err := decimal.New(b, int(sb%20))
		if err != nil {
			return
		}
		checkExactAdd(t, x, y)
	})
}
