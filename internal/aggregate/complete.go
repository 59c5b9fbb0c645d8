package aggregate

import "github.com/salesseg/salesseg/internal/dimension"

// Complete makes every dimension of d add up to its total, so that a
// breakdown by any dimension covers every line, whatever columns the file
// had. A dimension with no keys in d (the file has no column for it) gets
// a copy of every Total key under dimension.Blank; a pair of dimensions
// with no keys gets month keys whose values join the first dimension's
// values, or Blank, with the second's, or Blank. The copies are exact,
// orders included, because every line of such a key has the same blank
// value. A delta without Total keys (a file with no accepted line) is left
// as it is. Complete never fails; it returns d for chaining.
func Complete(d Delta) Delta {
	has := map[dimension.Dimension]bool{}
	for k := range d {
		has[k.Dim] = true
	}
	if !has[dimension.Total] {
		return d
	}
	dims := dimension.All()[1:]
	// byDim lists the keys copies are made from, as the file has them:
	// every Total key (a missing dimension takes Total's, relabelled
	// Blank) and the month keys of the other dimensions (a missing pair
	// takes its present dimension's).
	byDim := map[dimension.Dimension][]Key{}
	for k := range d {
		if k.Dim == dimension.Total || k.Grain == Month {
			byDim[k.Dim] = append(byDim[k.Dim], k)
		}
	}
	add := map[Key]*Measures{}
	for _, dim := range dims {
		if has[dim] {
			continue
		}
		for _, k := range byDim[dimension.Total] {
			m := *d[k]
			add[Key{Dim: dim, Value: dimension.Blank, Grain: k.Grain, Period: k.Period}] = &m
		}
	}
	for i, a := range dims {
		for _, b := range dims[i+1:] {
			cross := dimension.Cross(a, b)
			if has[cross] {
				continue
			}
			// Cross orders a and b as All does, and so does this loop.
			src, blankA := a, false
			switch {
			case has[a] && has[b]: // the parser writes every pair of present dimensions
				continue
			case has[a]:
			case has[b]:
				src, blankA = b, true
			default:
				src = dimension.Total
			}
			for _, k := range byDim[src] {
				if k.Grain != Month {
					continue
				}
				va, vb := k.Value, dimension.Blank
				switch {
				case src == dimension.Total:
					va = dimension.Blank
				case blankA:
					va, vb = dimension.Blank, k.Value
				}
				m := *d[k]
				add[Key{Dim: cross, Value: dimension.JoinValues(va, vb), Grain: Month, Period: k.Period}] = &m
			}
		}
	}
	for k, m := range add {
		d[k] = m
	}
	return d
}
