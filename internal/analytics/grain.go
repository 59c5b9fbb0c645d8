package analytics

import (
	"fmt"
	"strconv"

	"github.com/salesseg/salesseg/internal/period"
)

// Grain is the length of the periods a revenue bridge compares.
type Grain string

// The grains a bridge can use. Periods are calendar months, quarters and
// years; the first and last period of a history may be partial.
const (
	ByMonth   Grain = "month"
	ByQuarter Grain = "quarter"
	ByYear    Grain = "year"
)

// Period is one period of a grain, counted like period.YearMonth:
// consecutive periods are consecutive integers.
type Period int32

// Of returns the period of g that month m falls in, and false for an
// unknown grain.
func (g Grain) Of(m period.YearMonth) (Period, bool) {
	switch g {
	case ByMonth:
		return Period(m), true
	case ByQuarter:
		return Period(m.Year()*4 + int(m.Month()-1)/3), true
	case ByYear:
		return Period(m.Year()), true
	}
	return 0, false
}

// Label formats period p of g: 2006-01 for a month, 2006-Q1 for a quarter
// and 2006 for a year. It returns "" for an unknown grain.
func (g Grain) Label(p Period) string {
	switch g {
	case ByMonth:
		return period.YearMonth(p).String()
	case ByQuarter:
		first := period.YearMonth(3 * p) // the quarter's first month
		return fmt.Sprintf("%04d-Q%d", first.Year(), int(first.Month()-1)/3+1)
	case ByYear:
		return strconv.Itoa(int(p))
	}
	return ""
}
