package forecast

import (
	"fmt"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/period"
)

// History is a gap-free monthly revenue series ready to forecast: exact
// revenue per month from Start, and a note when its last month was left
// out as incomplete.
type History struct {
	Start   period.YearMonth
	Revenue []decimal.Decimal
	Note    string
}

// NewHistory builds the series of byMonth (revenue by month of one value
// or of everything) from its first month to last, with zeros for months
// without revenue: last is the data's last month, not the value's, so a
// value that stopped selling reads as zeros, not as unknown. When
// lastDay, the data's last day, falls more than a week before the end of
// last, that month would read as a collapse and is left out, with Note
// saying so; a zero lastDay skips the rule (a history cut at a month the
// caller chose). An empty byMonth gives an empty History.
func NewHistory(byMonth map[period.YearMonth]decimal.Decimal, last period.YearMonth, lastDay period.Date) History {
	var h History
	if len(byMonth) == 0 {
		return h
	}
	h.Start = last
	for m := range byMonth {
		h.Start = min(h.Start, m)
	}
	// A week without sales at a month's end (holidays, weekends) still
	// counts as complete.
	if monthEnd := period.NewDate(last.Year(), last.Month(), 1).AddMonths(1).AddDays(-1); !lastDay.IsZero() && lastDay < monthEnd.AddDays(-7) {
		h.Note = fmt.Sprintf("%s is left out: the data ends on %s, before the month does.", last, lastDay)
		last--
	}
	for m := h.Start; m <= last; m++ {
		h.Revenue = append(h.Revenue, byMonth[m])
	}
	return h
}

// Values returns the series as floats, the form Forecast takes.
func (h History) Values() []float64 {
	y := make([]float64, len(h.Revenue))
	for i, r := range h.Revenue {
		y[i], _ = r.Float64()
	}
	return y
}

// End returns the last month of the series.
func (h History) End() period.YearMonth { return h.Start + period.YearMonth(len(h.Revenue)-1) }
