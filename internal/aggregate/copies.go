package aggregate

import "github.com/salesseg/salesseg/internal/dimension"

// A Copy is how a dimension or pair that a file has no keys of is
// derived from keys it has, so that every dimension adds up to the
// total: a dimension with no keys takes every Total key under
// dimension.Blank; a pair with no keys takes the month keys of its
// present dimension (or of Total when both are missing), the missing
// side's value Blank. The copies are exact, orders included, because
// every line of such a key has the same blank value.
type Copy struct {
	// Dim is the dimension or pair derived.
	Dim dimension.Dimension
	// From is the dimension whose keys are copied.
	From dimension.Dimension
	// MonthOnly is set for a pair: pairs have month keys only.
	MonthOnly bool
	// first and second say where From's value goes in a pair's joined
	// value (neither: Blank on both sides, or a single dimension).
	first, second bool
}

// Value returns the value a key of c.From has as a key of c.Dim.
func (c Copy) Value(v string) string {
	if _, _, pair := dimension.Split(c.Dim); !pair {
		return dimension.Blank
	}
	a, b := dimension.Blank, dimension.Blank
	if c.first {
		a = v
	}
	if c.second {
		b = v
	}
	return dimension.JoinValues(a, b)
}

// Copies returns the copies that complete the keys of a file having
// keys of exactly the dimensions and pairs has reports: none when it
// has no Total keys (no accepted line), and none for a pair of two
// present dimensions, which the parser always writes.
func Copies(has func(dimension.Dimension) bool) []Copy {
	if !has(dimension.Total) {
		return nil
	}
	var out []Copy
	dims := dimension.All()[1:]
	for _, d := range dims {
		if !has(d) {
			out = append(out, Copy{Dim: d, From: dimension.Total})
		}
	}
	for i, a := range dims {
		for _, b := range dims[i+1:] {
			// Cross orders a and b as All does, and so does this loop.
			cross := dimension.Cross(a, b)
			if has(cross) {
				continue
			}
			c := Copy{Dim: cross, From: dimension.Total, MonthOnly: true}
			switch {
			case has(a) && has(b):
				continue
			case has(a):
				c.From, c.first = a, true
			case has(b):
				c.From, c.second = b, true
			}
			out = append(out, c)
		}
	}
	return out
}
