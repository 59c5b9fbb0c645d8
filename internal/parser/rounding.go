package parser

import "github.com/govalues/decimal"

// moneyScale is how many decimal places an amount keeps: notation's range
// leaves 15 integer digits, and 4 decimals fill the 19 digits an exact sum
// holds, so that no file's total can fail for its decimals. Four places
// are more than any currency's minor unit, so only values below a cent's
// hundredth change: those a system computed (a price per unit times a
// quantity, a share of a discount) or a float export left long.
//
// Such a value is rounded half to even (banker's rounding, unbiased over
// many lines: 0.00005 → 0.0000, 0.00015 → 0.0002), never truncated, and
// counted per column in Format.Rounded. Quantity × unit price is rounded
// once, as a product, not its factors.
const moneyScale = 4

// roundedFields records the fields of one row whose values fit rounded, so
// that only accepted rows are counted.
type roundedFields uint32

// fit returns d rounded half to even to moneyScale decimals, noting f when
// that changed its value.
func (r *roundedFields) fit(f field, d decimal.Decimal) decimal.Decimal {
	if d.Scale() <= moneyScale {
		return d
	}
	x := d.Round(moneyScale)
	if x.Cmp(d) != 0 {
		*r |= 1 << f
	}
	return x
}

// list returns the fields noted.
func (r roundedFields) list() []field {
	var out []field
	for f := field(0); r != 0; f++ {
		if r&1 != 0 {
			out = append(out, f)
		}
		r >>= 1
	}
	return out
}
