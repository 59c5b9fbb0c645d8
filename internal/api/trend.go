package api

import (
	"context"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

func trendParams() []string {
	return append([]string{"dimension", "value", "value2", "top", "limit", "cursor"}, rangeParams()...)
}

// maxPoints bounds periods × series in one trend response.
const maxPoints = 20000

type trendRequest struct {
	q      query
	dims   dims
	values []string // nil: every value
	w      window
	top    int
	limit  int
	cursor []string
}

func (s *Service) decodeTrend(q query) (trendRequest, error) {
	in := trendRequest{q: q}
	var err error
	if in.dims, err = parseDims(q); err != nil {
		return in, err
	}
	if in.values, _, err = parseValues(q, in.dims); err != nil {
		return in, err
	}
	if _, ok := q["grain"]; !ok {
		if _, ok := q["period"]; ok {
			// A trend over one period goes month by month unless told.
			q = withDefault(q, "grain", "month")
			in.q = q
		}
	}
	if in.w, err = s.parseWindow(q, true, period.Month, in.dims); err != nil {
		return in, err
	}
	if in.top, err = parseInt(q, "top", 0, 1, maxTop); err != nil {
		return in, err
	}
	if in.limit, err = parseInt(q, "limit", 20, 1, maxSeriesPage); err != nil {
		return in, err
	}
	_, hasLimit := q["limit"]
	_, hasCursor := q["cursor"]
	if in.top > 0 && (hasLimit || hasCursor) {
		return in, badRequest("Parameter top returns one page (the top values and an \"Other\" series); do not combine it with limit or cursor.")
	}
	if in.values != nil && (in.top > 0 || hasLimit || hasCursor) {
		return in, badRequest("With value the trend has a single series; top, limit and cursor do not apply.")
	}
	n, _ := in.w.cal.Count(in.w.grain, in.w.r)
	per := in.limit
	if in.top > 0 {
		per = in.top + 1
	}
	if in.values != nil {
		per = 1
	}
	if n*(per+1) > maxPoints {
		return in, badRequest("The trend would have %d periods × %d series; at most %d points: use a coarser grain, a shorter range or a smaller limit.", n, per+1, maxPoints)
	}
	if in.cursor, err = decodeCursor(q, 2); err != nil {
		return in, err
	}
	return in, nil
}

// withDefault returns q with name set to v, leaving q itself unchanged.
func withDefault(q query, name, v string) query {
	out := make(query, len(q)+1)
	for k, x := range q {
		out[k] = x
	}
	out[name] = v
	return out
}

// Point is one period of a series.
type Point struct {
	Period        string  `json:"period"`
	Revenue       string  `json:"revenue"`
	Orders        int64   `json:"orders"`
	Units         string  `json:"units"`
	Lines         int64   `json:"lines"`
	Margin        *string `json:"margin"`
	AvgOrderValue *string `json:"avg_order_value"`
	// Growth compares the point with the previous period and the same
	// period a year earlier, in the shape of a breakdown's growth.
	Growth Growth `json:"growth"`
}

// Series is one value's trend.
type Series struct {
	Value   *string   `json:"value"`   // null when unassigned, as in Segment
	Values  []*string `json:"values"`  // null where unassigned
	Revenue string    `json:"revenue"` // over the whole range
	Points  []Point   `json:"points"`
}

// SeriesTotal is the trend of a sum of values: all of them (total) or
// those top-N left out (other, with their count).
type SeriesTotal struct {
	ValueCount int     `json:"value_count"`
	Revenue    string  `json:"revenue"`
	Points     []Point `json:"points"`
}

// Trend is the body of GET /v1/trend.
type Trend struct {
	Dimension  string      `json:"dimension"`
	Dimensions []string    `json:"dimensions"`
	Period     Window      `json:"period"`
	Periods    []Window    `json:"periods"`
	Total      SeriesTotal `json:"total"`
	// Coverage is the share of the range's revenue with an assigned value,
	// as in Breakdown.
	Coverage   *string      `json:"coverage"`
	ValueCount int          `json:"value_count"`
	Series     []Series     `json:"series"`
	Other      *SeriesTotal `json:"other"`
	NextCursor *string      `json:"next_cursor"`
}

// bucketed are measures by stored value and by period start.
type bucketed map[string]map[period.Date]*aggregate.Measures

// trend answers GET /v1/trend: one series per value (or one value), period
// by period, with growth of every point against the previous period and
// the same period a year earlier.
func (s *Service) trend(ctx context.Context, in trendRequest) (*Trend, error) {
	w := in.w
	ps, err := w.cal.Span(w.grain, w.r)
	if err != nil {
		return nil, err
	}
	// The first point's previous and year-ago periods precede the range.
	first := period.YearAgo(w.grain, ps[0].Range).From
	if p := ps[0].Prev().From; p.Before(first) {
		first = p
	}
	rows, err := s.load(ctx, in.dims, w, period.Range{From: first, To: w.r.To})
	if err != nil {
		return nil, err
	}
	var only string
	if in.values != nil {
		only = in.dims.join(in.values)
	}
	b := bucketed{}
	all := map[period.Date]*aggregate.Measures{}
	inRange := sums{}
	for _, row := range rows {
		if in.values != nil && row.Value != only {
			continue
		}
		p := w.cal.Of(w.grain, row.day)
		if err := addAt(b, row.Value, p.From, row.Measures); err != nil {
			return nil, err
		}
		if err := addTo(all, p.From, row.Measures); err != nil {
			return nil, err
		}
		if w.r.Contains(p.From) {
			if err := inRange.add(row.Value, row.Measures); err != nil {
				return nil, err
			}
		}
	}
	out := &Trend{Dimension: strings.Join(in.dims.names(), ","), Dimensions: in.dims.names(), Period: windowJSON(w), Series: []Series{}}
	for _, p := range ps {
		out.Periods = append(out.Periods, Window{Label: p.Label(), Grain: string(w.grain), From: ptr(p.From.String()), To: ptr(p.To.String())})
	}
	ranked := inRange.ranked()
	if in.values != nil && len(ranked) == 0 {
		ranked = []string{only} // a value without data still gets its (zero) series
		inRange[only] = &aggregate.Measures{}
	}
	out.ValueCount = len(ranked)
	totalRange, err := inRange.total()
	if err != nil {
		return nil, err
	}
	if out.Total.Points, err = points(ps, all); err != nil {
		return nil, err
	}
	out.Total.ValueCount, out.Total.Revenue = len(ranked), totalRange.Revenue.String()
	if out.Coverage, err = coverage(inRange, totalRange.Revenue); err != nil {
		return nil, err
	}
	shown := ranked
	var next []string
	if in.top > 0 {
		shown = ranked[:min(in.top, len(ranked))]
	} else if in.values == nil {
		if shown, next, err = page(ranked, inRange, in.cursor, in.limit); err != nil {
			return nil, err
		}
	}
	for _, v := range shown {
		ser := Series{Revenue: inRange[v].Revenue.String()}
		ser.Values, ser.Value = labelled(in.dims.values(v))
		if ser.Points, err = points(ps, b[v]); err != nil {
			return nil, err
		}
		out.Series = append(out.Series, ser)
	}
	if in.top > 0 && len(ranked) > len(shown) {
		rest := map[period.Date]*aggregate.Measures{}
		isShown := make(map[string]bool, len(shown))
		for _, v := range shown {
			isShown[v] = true
		}
		restRev := decimal.Decimal{}
		for v, byPeriod := range b {
			if isShown[v] {
				continue
			}
			if _, ranked := inRange[v]; !ranked {
				continue
			}
			restRev, err = money.Add(restRev, inRange[v].Revenue)
			if err != nil {
				return nil, err
			}
			for d, m := range byPeriod {
				if err := addTo(rest, d, *m); err != nil {
					return nil, err
				}
			}
		}
		o := &SeriesTotal{ValueCount: len(ranked) - len(shown), Revenue: restRev.String()}
		if o.Points, err = points(ps, rest); err != nil {
			return nil, err
		}
		out.Other = o
	}
	if next != nil {
		out.NextCursor = ptr(encodeCursor(in.q, next))
	}
	return out, nil
}

func addAt(b bucketed, v string, d period.Date, m aggregate.Measures) error {
	byPeriod, ok := b[v]
	if !ok {
		byPeriod = map[period.Date]*aggregate.Measures{}
		b[v] = byPeriod
	}
	return addTo(byPeriod, d, m)
}

func addTo(byPeriod map[period.Date]*aggregate.Measures, d period.Date, m aggregate.Measures) error {
	cur, ok := byPeriod[d]
	if !ok {
		cur = &aggregate.Measures{}
		byPeriod[d] = cur
	}
	return cur.Add(m)
}

// points builds one point per period, zero where there is no data.
func points(ps []period.Period, byPeriod map[period.Date]*aggregate.Measures) ([]Point, error) {
	at := func(d period.Date) aggregate.Measures {
		if m, ok := byPeriod[d]; ok {
			return *m
		}
		return aggregate.Measures{}
	}
	out := make([]Point, 0, len(ps))
	for _, p := range ps {
		m := at(p.From)
		met, err := newMetrics(m)
		if err != nil {
			return nil, err
		}
		pt := Point{Period: p.Label(), Revenue: met.Revenue, Orders: m.Orders, Units: met.Units, Lines: m.Lines,
			Margin: met.Margin, AvgOrderValue: met.AvgOrderValue}
		if pt.Growth.Previous, err = newChange(m.Revenue, at(p.Prev().From).Revenue); err != nil {
			return nil, err
		}
		if pt.Growth.YearAgo, err = newChange(m.Revenue, at(p.YearAgo().From).Revenue); err != nil {
			return nil, err
		}
		out = append(out, pt)
	}
	return out, nil
}
