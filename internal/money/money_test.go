package money

import (
	"errors"
	"math/big"
	"testing"

	"github.com/govalues/decimal"
)

func TestAdd(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       string // "" for an overflow
	}{
		{"same scale", "1881.12", "1346.50", "3227.62"},
		{"larger scale kept", "1.50", "2.5", "4.00"},
		{"zero keeps its scale", "0.000", "1.5", "1.500"},
		{"signs cancel", "-5.00", "5.00", "0.00"},
		{"negative result", "1.1", "-2.25", "-1.15"},
		{"19 digits", "9999999999999999999", "-9999999999999999998", "1"},
		{"trailing zeros dropped to fit", "2.000000000000000000", "111.875", "113.875"},
		{"sum's own trailing zero dropped to fit", "999999999999999999.5", "0.5", "1000000000000000000"},
		{"negative sum's trailing zero dropped", "-999999999999999999.5", "-0.5", "-1000000000000000000"},
		{"negative term at 19 places", "999999999999999999.7", "-0.0000000000000000007", ""},
		{"integer overflow", "9999999999999999999", "1", ""},
		{"fraction overflow", "0.9999999999999999999", "0.1", ""},
		{"20 digits ending in a nonzero digit", "999999999999999999.5", "0.6", ""},
		{"different scales past 19 digits", "999999999999999999.5", "0.05", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := decimal.MustParse(tc.a), decimal.MustParse(tc.b)
			for _, args := range [][2]decimal.Decimal{{a, b}, {b, a}} {
				got, err := Add(args[0], args[1])
				if tc.want == "" {
					if !errors.Is(err, ErrOverflow) {
						t.Fatalf("Add(%s, %s) = %s, %v; want ErrOverflow", args[0], args[1], got, err)
					}
					continue
				}
				if err != nil || got.String() != tc.want {
					t.Fatalf("Add(%s, %s) = %s, %v; want %s", args[0], args[1], got, err, tc.want)
				}
			}
		})
	}
}

func TestSub(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"margin", "100.00", "62.5", "37.50"},
		{"below zero", "1", "2.25", "-1.25"},
		{"overflow", "-9999999999999999999", "1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sub(decimal.MustParse(tc.a), decimal.MustParse(tc.b))
			switch {
			case tc.want == "" && !errors.Is(err, ErrOverflow):
				t.Fatalf("Sub = %s, %v; want ErrOverflow", got, err)
			case tc.want != "" && (err != nil || got.String() != tc.want):
				t.Fatalf("Sub = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestAddToKeepsTotalOnOverflow(t *testing.T) {
	total := decimal.MustParse("9999999999999999998")
	if err := AddTo(&total, decimal.One); err != nil || total.String() != "9999999999999999999" {
		t.Fatalf("AddTo = %s, %v", total, err)
	}
	if err := AddTo(&total, decimal.One); !errors.Is(err, ErrOverflow) || total.String() != "9999999999999999999" {
		t.Fatalf("AddTo past 19 digits = %s, %v; want the total unchanged and ErrOverflow", total, err)
	}
}

// exactSum returns a+b as an integer count of 10^-19 and whether that
// value fits a decimal: at most 19 significant digits once trailing zeros
// are dropped.
func exactSum(a, b decimal.Decimal) (*big.Int, bool) {
	at19 := func(d decimal.Decimal) *big.Int {
		n := new(big.Int).SetUint64(d.Coef())
		n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(19-d.Scale())), nil))
		if d.IsNeg() {
			n.Neg(n)
		}
		return n
	}
	sum := new(big.Int).Add(at19(a), at19(b))
	coef, ten, r := new(big.Int).Abs(sum), big.NewInt(10), new(big.Int)
	for coef.Sign() != 0 {
		q, m := new(big.Int).QuoRem(coef, ten, r)
		if m.Sign() != 0 {
			break
		}
		coef = q
	}
	return sum, len(coef.String()) <= decimal.MaxPrec
}

// FuzzAdd checks Add against big-integer arithmetic: the exact value, the
// larger scale of the terms whenever the sum fits at it, and ErrOverflow
// exactly when the sum needs more than 19 significant digits.
func FuzzAdd(f *testing.F) {
	f.Add(int64(188112), uint8(2), int64(-22368), uint8(3))
	f.Add(int64(2000000000000000000), uint8(18), int64(111875), uint8(3))
	f.Add(int64(9999999999999999), uint8(1), int64(5), uint8(1))
	f.Add(int64(-999999999999999995), uint8(1), int64(-5), uint8(1))
	f.Fuzz(func(t *testing.T, x int64, sx uint8, y int64, sy uint8) {
		a, err := decimal.New(x, int(sx%20))
		if err != nil {
			return
		}
		b, err := decimal.New(y, int(sy%20))
		if err != nil {
			return
		}
		want, fits := exactSum(a, b)
		got, err := Add(a, b)
		if !fits {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("Add(%s, %s) = %s, %v; want ErrOverflow", a, b, got, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Add(%s, %s): %v; the sum fits", a, b, err)
		}
		if g, _ := exactSum(got, decimal.Zero); g.Cmp(want) != 0 {
			t.Fatalf("Add(%s, %s) = %s, want %s×10^-19", a, b, got, want)
		}
		if _, err := a.AddExact(b, max(a.Scale(), b.Scale())); err == nil && got.Scale() != max(a.Scale(), b.Scale()) {
			t.Fatalf("Add(%s, %s) = %s, want the scale %d", a, b, got, max(a.Scale(), b.Scale()))
		}
	})
}
