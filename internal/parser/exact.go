package parser

import (
	"math"
	"strconv"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/money"
)

// exact is an exact decimal packed as its coefficient and a byte holding
// the scale (0–19) and, in the top bit, the sign: the form in which cells
// and purchases sum amounts. Its add does in a few instructions what
// decimal's AddExact does in a general way, which matters at one add per
// measure per row; the zero exact is 0.
type exact struct {
	coef uint64
	meta uint8
}

const exactNeg = 0x80

// exactOf packs d.
func exactOf(d decimal.Decimal) exact {
	meta := uint8(d.Scale())
	if d.IsNeg() {
		meta |= exactNeg
	}
	return exact{d.Coef(), meta}
}

func (x exact) scale() int   { return int(x.meta &^ exactNeg) }
func (x exact) isZero() bool { return x.coef == 0 }
func (x exact) isPos() bool  { return x.coef != 0 && x.meta&exactNeg == 0 }
func (x exact) isNeg() bool  { return x.coef != 0 && x.meta&exactNeg != 0 }

// String renders x as decimal.Decimal does.
func (x exact) String() string { return x.decimal().String() }

// neg returns -x; zero stays positive.
func (x exact) neg() exact {
	if x.coef == 0 {
		return x
	}
	return exact{x.coef, x.meta ^ exactNeg}
}

// decimal unpacks x.
func (x exact) decimal() decimal.Decimal {
	scale, neg := x.scale(), x.meta&exactNeg != 0
	if x.coef <= math.MaxInt64 {
		v := int64(x.coef)
		if neg {
			v = -v
		}
		d, _ := decimal.New(v, scale) // a packed decimal always fits
		return d
	}
	s := strconv.FormatUint(x.coef, 10)
	if scale > 0 {
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return decimal.MustParse(s)
}

// exactFast bounds the coefficients that add sums in int64 arithmetic:
// two of them, each under 2^62, cannot overflow, and the sum stays under
// decimal's 19 digits.
const exactFast = 1 << 62

// pow10 returns 10^n, for n at most 19.
func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// add returns x+y exactly, at the larger of their scales, as
// money.Add does; it fails, wrapping money.ErrOverflow, only when
// the sum needs more than 19 digits.
func (x exact) add(y exact) (exact, error) {
	if x.coef == 0 && x.scale() <= y.scale() {
		return y, nil
	}
	if y.coef == 0 && y.scale() <= x.scale() {
		return x, nil
	}
	sx, sy := x.scale(), y.scale()
	a, b := x.coef, y.coef
	if a >= exactFast || b >= exactFast {
		return x.slowAdd(y)
	}
	// Bring both to the larger scale; under exactFast still, or the
	// general path.
	if sx < sy {
		if p := pow10(sy - sx); a < exactFast/p {
			a *= p
		} else {
			return x.slowAdd(y)
		}
	} else if sy < sx {
		if p := pow10(sx - sy); b < exactFast/p {
			b *= p
		} else {
			return x.slowAdd(y)
		}
	}
	v := int64(a)
	if x.meta&exactNeg != 0 {
		v = -v
	}
	if y.meta&exactNeg != 0 {
		v -= int64(b)
	} else {
		v += int64(b)
	}
	meta := uint8(max(sx, sy))
	if v < 0 {
		return exact{uint64(-v), meta | exactNeg}, nil
	}
	return exact{uint64(v), meta}, nil
}

func (x exact) slowAdd(y exact) (exact, error) {
	d, err := money.Add(x.decimal(), y.decimal())
	if err != nil {
		return exact{}, err
	}
	return exactOf(d), nil
}
