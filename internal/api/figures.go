package api

import (
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// Metrics are the figures of one segment (or total) over one range.
// Revenue, cost, margin and units are exact decimal strings; the averages
// and rates are rounded to 4 decimal places. Cost, margin and margin_rate
// are null unless every line had a cost (or profit); averages are null
// when their divisor is zero.
type Metrics struct {
	Revenue           string  `json:"revenue"`
	Cost              *string `json:"cost"`
	Margin            *string `json:"margin"`
	MarginRate        *string `json:"margin_rate"`
	Orders            int64   `json:"orders"`
	Units             string  `json:"units"`
	Lines             int64   `json:"lines"`
	AvgRevenuePerLine *string `json:"avg_revenue_per_line"`
	AvgOrderValue     *string `json:"avg_order_value"`
	// Deals is null unless the range has closed deals (files with a deal
	// stage).
	Deals *Deals `json:"deals"`
}

// Deals are the closed deals of a segment over a range: won and lost,
// win rate (won / closed) by count and by value, the values of the won
// and lost deals and the average won deal, the average sales cycle of the
// won deals in days from created to close (the usual definition; null
// when no won deal had a created date) and of the lost deals apart, and
// sales velocity, the revenue a day of cycle brings: closed deals × win
// rate × average won deal / average won cycle, which is won revenue /
// average won cycle. Lost and open deals are never sales: they are in no
// revenue, order or line figure.
type Deals struct {
	Won              int64   `json:"won"`
	Lost             int64   `json:"lost"`
	WinRate          string  `json:"win_rate"`
	WinRateByValue   *string `json:"win_rate_by_value"`
	WonRevenue       string  `json:"won_revenue"`
	LostValue        string  `json:"lost_value"`
	AvgWonDeal       *string `json:"avg_won_deal"`
	AvgCycleDays     *string `json:"avg_cycle_days"`
	AvgLostCycleDays *string `json:"avg_lost_cycle_days"`
	Velocity         *string `json:"velocity"`
}

// newMetrics derives the figures from summed measures. It fails, wrapping
// money.ErrOverflow, only if a margin overflows 19 digits.
func newMetrics(m aggregate.Measures) (Metrics, error) {
	out := Metrics{Revenue: m.Revenue.String(), Orders: m.Orders, Units: m.Units.String(), Lines: m.Lines,
		AvgRevenuePerLine: ratio(m.Revenue, decimal.MustNew(m.Lines, 0)),
		AvgOrderValue:     ratio(m.Revenue, decimal.MustNew(m.Orders, 0))}
	if closed := m.Won + m.Lost; closed > 0 {
		d := &Deals{Won: m.Won, Lost: m.Lost, WinRate: *ratio(decimal.MustNew(m.Won, 0), decimal.MustNew(closed, 0)),
			WonRevenue: m.WonRevenue.String(), LostValue: m.LostValue.String(),
			AvgWonDeal:       ratio(m.WonRevenue, decimal.MustNew(m.Won, 0)),
			AvgLostCycleDays: ratio(decimal.MustNew(m.LostCycleDays, 0), decimal.MustNew(m.LostCycled, 0))}
		if total, err := money.Add(m.WonRevenue, m.LostValue); err == nil {
			d.WinRateByValue = ratio(m.WonRevenue, total)
		}
		if m.Cycled > 0 {
			d.AvgCycleDays = ratio(decimal.MustNew(m.CycleDays, 0), decimal.MustNew(m.Cycled, 0))
			if m.CycleDays > 0 {
				// won revenue / (CycleDays / Cycled), exact until the rounding.
				if num, err := m.WonRevenue.Mul(decimal.MustNew(m.Cycled, 0)); err == nil {
					d.Velocity = ratio(num, decimal.MustNew(m.CycleDays, 0))
				}
			}
		}
		out.Deals = d
	}
	if m.Lines > 0 && m.CostLines == m.Lines {
		margin, err := money.Sub(m.Revenue, m.Cost)
		if err != nil {
			return out, err
		}
		out.Cost, out.Margin = ptr(m.Cost.String()), ptr(margin.String())
		out.MarginRate = ratio(margin, m.Revenue)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// ratio divides and rounds to exactly 4 places ("1.0000", never "1"), so
// that every ratio of the API has one scale; nil when b is zero.
func ratio(a, b decimal.Decimal) *string {
	if b.IsZero() {
		return nil
	}
	q, err := a.Quo(b)
	if err != nil {
		return nil
	}
	return ptr(q.Round(4).Pad(4).String())
}

// Change compares revenue with a comparison range.
type Change struct {
	// Revenue is the revenue of the comparison range.
	Revenue string `json:"revenue"`
	// Change is current revenue minus Revenue.
	Change string `json:"change"`
	// Rate is Change / Revenue rounded to 4 places (0.1 is +10%); null
	// when the comparison revenue is zero.
	Rate *string `json:"rate"`
}

// Growth holds the comparisons with the previous range and the same range
// a year earlier; each is null when the request has no closed range.
type Growth struct {
	Previous *Change `json:"previous"`
	YearAgo  *Change `json:"year_ago"`
}

func newChange(cur, base decimal.Decimal) (*Change, error) {
	diff, err := money.Sub(cur, base)
	if err != nil {
		return nil, err
	}
	return &Change{Revenue: base.String(), Change: diff.String(), Rate: ratio(diff, base)}, nil
}

// growthOf compares cur with the previous and year-ago measures of window
// w: both are null when w has no comparisons, the year-ago one when w is
// longer than a year (see Comparisons.YearAgoReason).
func growthOf(w window, cur, prev, ya decimal.Decimal) (Growth, error) {
	if !w.comparable {
		return Growth{}, nil
	}
	p, err := newChange(cur, prev)
	if err != nil {
		return Growth{}, err
	}
	g := Growth{Previous: p}
	if w.yearAgo {
		if g.YearAgo, err = newChange(cur, ya); err != nil {
			return Growth{}, err
		}
	}
	return g, nil
}

// Window describes the period a response covers. From and To are ISO
// dates, null at an open end.
type Window struct {
	Label string  `json:"label"`
	Grain string  `json:"grain"`
	From  *string `json:"from"`
	To    *string `json:"to"`
}

// Comparisons are the ranges growth is computed against; null without a
// closed range. YearAgo is also null for a range longer than a year, whose
// year-ago range would overlap it; YearAgoReason then says so (and is
// null otherwise). Previous, the equally long range just before, never
// overlaps.
type Comparisons struct {
	Previous      *Window `json:"previous"`
	YearAgo       *Window `json:"year_ago"`
	YearAgoReason *string `json:"year_ago_reason"`
}

// yearAgoOverlaps is the reason given when a range is too long for a
// year-ago comparison.
const yearAgoOverlaps = "The range is longer than a year, so the same range a year earlier would overlap it; compare with previous, the range of equal length just before."

// comparisonsOf describes the ranges w is compared with.
func comparisonsOf(w window, prev, ya period.Range) Comparisons {
	c := Comparisons{Previous: rangeJSON(w.grain, w.cal, prev)}
	if w.yearAgo {
		c.YearAgo = rangeJSON(w.grain, w.cal, ya)
	} else {
		c.YearAgoReason = ptr(yearAgoOverlaps)
	}
	return c
}

func windowJSON(w window) Window {
	out := Window{Label: w.label, Grain: string(w.grain)}
	if !w.openFrom {
		out.From = ptr(w.r.From.String())
	}
	if !w.openTo {
		out.To = ptr(w.r.To.String())
	}
	return out
}

func rangeJSON(g period.Grain, cal period.Calendar, r period.Range) *Window {
	label := r.String()
	if ps, err := cal.Span(g, r); err == nil && len(ps) > 0 {
		label = ps[0].Label()
		if len(ps) > 1 {
			label += ".." + ps[len(ps)-1].Label()
		}
	}
	return &Window{Label: label, Grain: string(g), From: ptr(r.From.String()), To: ptr(r.To.String())}
}
