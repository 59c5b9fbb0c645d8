package api

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/store"
)

// DimensionInfo describes one dimension: whether it has data, how many
// values, the months its data spans, and the grains it can be queried at.
type DimensionInfo struct {
	Name       string   `json:"name"`
	HasData    bool     `json:"has_data"`
	ValueCount int      `json:"value_count"`
	FirstMonth *string  `json:"first_month"`
	LastMonth  *string  `json:"last_month"`
	Grains     []string `json:"grains"`
	// CrossGrains are the grains of this dimension crossed with another
	// (month data only); empty for total, which cannot be crossed.
	CrossGrains []string `json:"cross_grains"`
}

// DimensionList is the body of GET /v1/dimensions.
type DimensionList struct {
	Dimensions []DimensionInfo `json:"dimensions"`
	// Currency is the ISO 4217 code every amount is in (the CURRENCY
	// setting), null when not set.
	Currency *string `json:"currency"`
}

// dimensions answers GET /v1/dimensions from one Query per dimension on its
// month data over all time.
func (s *Service) dimensions(ctx context.Context) (*DimensionList, error) {
	all := dimension.All()
	vals, _, err := s.r.Values(ctx, all...)
	if err != nil {
		return nil, err
	}
	var grains, cross []string
	for _, g := range period.Grains() {
		grains = append(grains, string(g))
		if !g.NeedsDays() {
			cross = append(cross, string(g))
		}
	}
	out := &DimensionList{Dimensions: make([]DimensionInfo, 0, len(all))}
	if s.currency != "" {
		out.Currency = &s.currency
	}
	for _, d := range all {
		info := DimensionInfo{Name: string(d), ValueCount: len(vals[d]), Grains: grains, CrossGrains: cross}
		if d == dimension.Total {
			info.CrossGrains = []string{}
		}
		for _, v := range vals[d] {
			if v.Value == dimension.Blank {
				// Lines without a value: data, but not a value to list.
				info.ValueCount--
			} else {
				info.HasData = true
			}
			if info.FirstMonth == nil || v.First < *info.FirstMonth {
				info.FirstMonth = ptr(v.First)
			}
			if info.LastMonth == nil || v.Last > *info.LastMonth {
				info.LastMonth = ptr(v.Last)
			}
		}
		out.Dimensions = append(out.Dimensions, info)
	}
	return out, nil
}

func valuesParams() []string { return []string{"prefix", "limit", "cursor"} }

type valuesRequest struct {
	q      query
	dim    dimension.Dimension
	prefix string
	limit  int
	cursor []string
}

func decodeValues(name string, q query) (valuesRequest, error) {
	in := valuesRequest{q: q, prefix: q["prefix"]}
	name, err := url.PathUnescape(name)
	if err != nil || cleanText(name) != nil || len(name) > 64 || strings.Contains(name, "/") {
		return in, &Error{Status: 404, Detail: "No such dimension; GET /v1/dimensions lists them."}
	}
	d, err := dimension.Parse(name)
	if err != nil {
		return in, &Error{Status: 404, Detail: "No dimension " + quote(name) + "; GET /v1/dimensions lists them."}
	}
	in.dim = d
	if in.limit, err = parseInt(q, "limit", 200, 1, maxPage); err != nil {
		return in, err
	}
	if in.cursor, err = decodeCursor(q, 1); err != nil {
		return in, err
	}
	return in, nil
}

func quote(s string) string { return `"` + truncate(s) + `"` }

// Value is one value of a dimension and the months its data spans.
type Value struct {
	Value      string `json:"value"`
	FirstMonth string `json:"first_month"`
	LastMonth  string `json:"last_month"`
}

// ValueList is the body of GET /v1/dimensions/{dimension}/values.
type ValueList struct {
	Dimension  string  `json:"dimension"`
	ValueCount int     `json:"value_count"`
	Values     []Value `json:"values"`
	NextCursor *string `json:"next_cursor"`
}

// dimensionValues answers GET /v1/dimensions/{dimension}/values: the values
// with data, in the dimension's value order (dimension.CompareValues: size
// bands smallest first, the unassigned value last), optionally only those
// starting with prefix (ignoring case), a page at a time.
func (s *Service) dimensionValues(ctx context.Context, in valuesRequest) (*ValueList, error) {
	vals, _, err := s.r.Values(ctx, in.dim)
	if err != nil {
		return nil, err
	}
	list := slices.Clone(vals[in.dim])
	if in.prefix != "" {
		p := strings.ToLower(in.prefix)
		kept := list[:0:0]
		for _, v := range list {
			if strings.HasPrefix(strings.ToLower(v.Value), p) {
				kept = append(kept, v)
			}
		}
		list = kept
	}
	slices.SortFunc(list, func(a, b store.ValueSpan) int { return dimension.CompareValues(in.dim, a.Value, b.Value) })
	out := &ValueList{Dimension: string(in.dim), ValueCount: len(list), Values: []Value{}}
	start := 0
	if in.cursor != nil {
		start = sort.Search(len(list), func(i int) bool { return dimension.CompareValues(in.dim, list[i].Value, in.cursor[0]) > 0 })
	}
	end := min(start+in.limit, len(list))
	for _, v := range list[start:end] {
		out.Values = append(out.Values, valueJSON(v))
	}
	if end < len(list) && end > start {
		out.NextCursor = ptr(encodeCursor(in.q, []string{list[end-1].Value}))
	}
	return out, nil
}

func valueJSON(v store.ValueSpan) Value {
	return Value{Value: v.Value, FirstMonth: v.First, LastMonth: v.Last}
}
