package api

import (
	"context"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/period"
)

func breakdownParams() []string {
	return append([]string{"dimension", "top", "limit", "cursor"}, rangeParams()...)
}

// breakdownRequest is a decoded GET /v1/segments.
type breakdownRequest struct {
	q      query
	dims   dims
	w      window
	top    int // 0: no top-N
	limit  int
	cursor []string
}

func (s *Service) decodeBreakdown(q query) (breakdownRequest, error) {
	in := breakdownRequest{q: q}
	var err error
	if in.dims, err = parseDims(q); err != nil {
		return in, err
	}
	if in.w, err = s.parseWindow(q, false, period.Month, in.dims); err != nil {
		return in, err
	}
	if in.top, err = parseInt(q, "top", 0, 1, maxTop); err != nil {
		return in, err
	}
	if in.limit, err = parseInt(q, "limit", 100, 1, maxPage); err != nil {
		return in, err
	}
	_, hasLimit := q["limit"]
	_, hasCursor := q["cursor"]
	if in.top > 0 && (hasLimit || hasCursor) {
		return in, badRequest("Parameter top returns one page (the top values and an \"Other\" bucket); do not combine it with limit or cursor.")
	}
	if in.cursor, err = decodeCursor(q, 2); err != nil {
		return in, err
	}
	return in, nil
}

// Segment is one dimension value's figures in a breakdown.
type Segment struct {
	// Value is the dimension value, null when unassigned; for two crossed
	// dimensions, the two values joined with " × " for display (null if
	// either is unassigned; Values has them apart, null where unassigned).
	Value  *string   `json:"value"`
	Values []*string `json:"values"`
	Metrics
	// Share is the value's share of the total revenue, 4 places.
	Share  *string `json:"share"`
	Growth Growth  `json:"growth"`
}

// Other sums the values that top-N left out.
type Other struct {
	ValueCount int `json:"value_count"`
	Metrics
	Share  *string `json:"share"`
	Growth Growth  `json:"growth"`
}

// Breakdown is the body of GET /v1/segments. Its own metrics are the
// totals over every value.
type Breakdown struct {
	Dimension   string      `json:"dimension"`
	Dimensions  []string    `json:"dimensions"`
	Period      Window      `json:"period"`
	Comparisons Comparisons `json:"comparisons"`
	Metrics
	Growth Growth `json:"growth"`
	// Coverage is the share of the total revenue with an assigned value
	// (both values for crossed dimensions), 4 places; null when the total
	// is zero. The segments always sum to the total: unassigned revenue is
	// a segment of its own.
	Coverage *string `json:"coverage"`
	// ValueCount is the number of values with data in the period, the
	// unassigned one included.
	ValueCount int       `json:"value_count"`
	Segments   []Segment `json:"segments"`
	Other      *Other    `json:"other"`
	NextCursor *string   `json:"next_cursor"`
}

// breakdown answers GET /v1/segments: every value of a dimension (or of two
// crossed dimensions) over a range, ranked by revenue, with shares and
// growth against the previous range and the same range a year earlier.
func (s *Service) breakdown(ctx context.Context, in breakdownRequest) (*Breakdown, error) {
	w := in.w
	out := &Breakdown{Dimension: strings.Join(in.dims.names(), ","), Dimensions: in.dims.names(), Period: windowJSON(w), Segments: []Segment{}}
	c, err := s.loadCompared(ctx, in.dims, w, nil)
	if err != nil {
		return nil, err
	}
	out.Comparisons = c.comparisons
	cur, prev, ya := c.cur, c.prev, c.ya
	total, err := cur.total()
	if err != nil {
		return nil, err
	}
	if out.Metrics, err = newMetrics(total); err != nil {
		return nil, err
	}
	prevTotal, err := prev.total()
	if err != nil {
		return nil, err
	}
	yaTotal, err := ya.total()
	if err != nil {
		return nil, err
	}
	if out.Growth, err = growthOf(w, total.Revenue, prevTotal.Revenue, yaTotal.Revenue); err != nil {
		return nil, err
	}
	if out.Coverage, err = coverage(cur, total.Revenue); err != nil {
		return nil, err
	}
	ranked := cur.ranked()
	out.ValueCount = len(ranked)
	shown := ranked
	var next []string
	if in.top > 0 {
		shown = ranked[:min(in.top, len(ranked))]
	} else if shown, next, err = page(ranked, cur, in.cursor, in.limit); err != nil {
		return nil, err
	}
	for _, v := range shown {
		var seg Segment
		seg.Values, seg.Value = labelled(in.dims.values(v))
		if seg.Metrics, err = newMetrics(*cur[v]); err != nil {
			return nil, err
		}
		seg.Share = ratio(cur[v].Revenue, total.Revenue)
		if seg.Growth, err = growthOf(w, cur[v].Revenue, prev.revenue(v), ya.revenue(v)); err != nil {
			return nil, err
		}
		out.Segments = append(out.Segments, seg)
	}
	if in.top > 0 && len(ranked) > len(shown) {
		if out.Other, err = s.other(cur, prev, ya, shown, total.Revenue, w); err != nil {
			return nil, err
		}
	}
	if next != nil {
		out.NextCursor = ptr(encodeCursor(in.q, next))
	}
	return out, nil
}

func (s *Service) other(cur, prev, ya sums, shown []string, total decimal.Decimal, w window) (*Other, error) {
	rest, n, err := cur.rest(shown)
	if err != nil {
		return nil, err
	}
	o := &Other{ValueCount: n, Share: ratio(rest.Revenue, total)}
	if o.Metrics, err = newMetrics(rest); err != nil {
		return nil, err
	}
	var p, y aggregate.Measures
	if w.comparable {
		if p, err = prev.restOf(cur, shown); err != nil {
			return nil, err
		}
		if y, err = ya.restOf(cur, shown); err != nil {
			return nil, err
		}
	}
	if o.Growth, err = growthOf(w, rest.Revenue, p.Revenue, y.Revenue); err != nil {
		return nil, err
	}
	return o, nil
}
