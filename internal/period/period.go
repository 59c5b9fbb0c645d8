// Package period does the calendar arithmetic of salesseg's queries: days,
// ISO weeks, months, quarters, years, and fiscal quarters and years whose
// start month is configurable; the labels users write for them; custom
// ranges; the previous period and the same period a year earlier; and the
// mapping of the table's stored day and month keys onto a requested grain.
//
// # Labels
//
//	day             2024-01-15   (ISO 8601 calendar date)
//	week            2024-W03     (ISO 8601 week, Monday to Sunday; the year is the
//	                              ISO week-numbering year: 2020-W53 is
//	                              2020-12-28..2021-01-03)
//	month           2024-01
//	quarter         2024-Q1      (calendar quarters: Q1 is January to March)
//	year            2024
//	fiscal year     FY2024       (named after the calendar year it ENDS in: with
//	                              an April start, FY2024 is 2023-04-01..2024-03-31;
//	                              with a January start it equals the calendar year)
//	fiscal quarter  FY2024-Q1    (the first three months of FY2024)
//
// Letters may be given in either case; Label always writes them upper case.
// Years have four digits, 1000 to 9999. A custom range is written as two
// labels, from and to, and covers the first day of from through the last
// day of to.
//
// Dates are civil dates without a time zone; nothing here reads the clock.
// A Date and a YearMonth take four bytes each, so that analytics can keep
// several per customer, and encode as text in the label forms above.
package period

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrLabel means a string is not a period label in any of the forms
	// listed in the package documentation.
	ErrLabel = errors.New("not a period label")
	// ErrGrain means a string names no grain.
	ErrGrain = errors.New("unknown grain")
	// ErrFiscalStart means a fiscal year start month outside 1..12.
	ErrFiscalStart = errors.New("fiscal year start month must be 1 to 12")
	// ErrReversed means a range whose first day is after its last.
	ErrReversed = errors.New("range starts after it ends")
	// ErrNotAligned means a range does not start and end on the boundaries
	// of the requested grain's periods.
	ErrNotAligned = errors.New("range is not aligned to the grain")
	// ErrNeedsDays means a month key cannot be mapped onto a day or week
	// grain: those need day data.
	ErrNeedsDays = errors.New("day or week grain needs day data")
)

const minYear, maxYear = 1000, 9999

// digits parses s[i:j] as a non-negative decimal of ASCII digits only.
func digits(s string, i, j int) (int, bool) {
	if j > len(s) || i >= j {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s[i:j]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Grain is the length of the periods a query is bucketed by.
type Grain string

// The grains. Day and Week need the table's day data; the others roll up
// from month data.
const (
	Day           Grain = "day"
	Week          Grain = "week"
	Month         Grain = "month"
	Quarter       Grain = "quarter"
	Year          Grain = "year"
	FiscalQuarter Grain = "fiscal_quarter"
	FiscalYear    Grain = "fiscal_year"
)

// Grains returns every grain, finest first.
func Grains() []Grain {
	return []Grain{Day, Week, Month, Quarter, Year, FiscalQuarter, FiscalYear}
}

// ParseGrain resolves a grain name as Grains lists them. Errors wrap
// ErrGrain.
func ParseGrain(s string) (Grain, error) {
	for _, g := range Grains() {
		if string(g) == s {
			return g, nil
		}
	}
	return "", fmt.Errorf("%w %q", ErrGrain, s)
}

// NeedsDays reports whether periods of g can only be built from day data.
func (g Grain) NeedsDays() bool { return g == Day || g == Week }

// months is the number of months in one period of g, 0 for day and week.
func (g Grain) months() int {
	switch g {
	case Month:
		return 1
	case Quarter, FiscalQuarter:
		return 3
	case Year, FiscalYear:
		return 12
	}
	return 0
}

// Range is the days From through To, both included.
type Range struct{ From, To Date }

// NewRange returns the range from..to; ErrReversed if from is after to.
func NewRange(from, to Date) (Range, error) {
	if from.After(to) {
		return Range{}, fmt.Errorf("%w: %s is after %s", ErrReversed, from, to)
	}
	return Range{From: from, To: to}, nil
}

// Days returns the number of days in the range.
func (r Range) Days() int { return r.To.DaysSince(r.From) + 1 }

// Contains reports whether d is in the range.
func (r Range) Contains(d Date) bool { return !d.Before(r.From) && !d.After(r.To) }

// MonthAligned reports whether the range starts on a first and ends on a
// last day of a month, so month data answers it exactly.
func (r Range) MonthAligned() bool {
	return r.From.Day() == 1 && r.To.AddDays(1).Day() == 1
}

// String writes the range as "2024-01-01..2024-03-31".
func (r Range) String() string { return r.From.String() + ".." + r.To.String() }

// Period is one period of a grain, such as the month 2024-01.
type Period struct {
	Grain Grain
	Range
	fiscalStart time.Month
}

// Label returns the period's label in the forms of the package
// documentation.
func (p Period) Label() string {
	switch p.Grain {
	case Day:
		return p.From.String()
	case Week:
		y, w := p.From.Time().ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case Month:
		return fmt.Sprintf("%04d-%02d", p.From.Year(), p.From.Month())
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.From.Year(), (p.From.Month()-1)/3+1)
	case Year:
		return fmt.Sprintf("%04d", p.From.Year())
	case FiscalYear:
		return fmt.Sprintf("FY%04d", p.To.Year())
	case FiscalQuarter:
		fy := Calendar{p.fiscalStart}.Of(FiscalYear, p.From)
		return fmt.Sprintf("FY%04d-Q%d", fy.To.Year(), (int(p.From.Month()-fy.From.Month())+12)%12/3+1)
	}
	return p.Range.String()
}

// Next returns the period that follows p.
func (p Period) Next() Period { return p.shift(1) }

// Prev returns the period that precedes p.
func (p Period) Prev() Period { return p.shift(-1) }

// YearAgo returns the same period a year earlier: the same date for a day
// (February 29 maps to February 28), the week with the same ISO week number
// in the previous ISO year for a week (week 53 maps to week 52 when that
// year has no week 53), and 12 months earlier for the other grains.
func (p Period) YearAgo() Period {
	return Calendar{p.fiscalStart}.Of(p.Grain, YearAgo(p.Grain, p.Range).From)
}

func (p Period) shift(n int) Period {
	return Calendar{p.fiscalStart}.Of(p.Grain, ShiftRange(p.Range, p.Grain, n).From)
}

// ShiftRange moves a range by n periods of g: by 7n days for weeks, n days
// for days, and by whole months for the other grains, keeping a range
// that ends on a month's last day ending on a month's last day.
func ShiftRange(r Range, g Grain, n int) Range {
	switch g {
	case Day:
		return Range{r.From.AddDays(n), r.To.AddDays(n)}
	case Week:
		return Range{r.From.AddDays(7 * n), r.To.AddDays(7 * n)}
	}
	k := n * g.months()
	to := r.To.AddMonths(k)
	if r.To.AddDays(1).Day() == 1 {
		to = r.To.AddDays(1).AddMonths(k).AddDays(-1)
	}
	return Range{r.From.AddMonths(k), to}
}

// Calendar maps dates to periods. Its only setting is the month fiscal
// years start in; the zero Calendar starts them in January.
type Calendar struct{ fiscalStart time.Month }

// NewCalendar returns a Calendar whose fiscal years start on the first day
// of month start. Errors wrap ErrFiscalStart.
func NewCalendar(start time.Month) (Calendar, error) {
	if start < time.January || start > time.December {
		return Calendar{}, fmt.Errorf("%w, got %d", ErrFiscalStart, start)
	}
	return Calendar{start}, nil
}

// FiscalStart returns the month fiscal years start in.
func (c Calendar) FiscalStart() time.Month {
	if c.fiscalStart == 0 {
		return time.January
	}
	return c.fiscalStart
}

// Of returns the period of grain g that contains d. An unknown grain is
// treated as Day.
func (c Calendar) Of(g Grain, d Date) Period {
	fs := c.FiscalStart()
	p := Period{Grain: g, fiscalStart: fs}
	switch g {
	case Week:
		y, w := d.Time().ISOWeek()
		p.From = isoWeekStart(y, w)
		p.To = p.From.AddDays(6)
		return p
	case Month, Quarter, Year:
		m := d.Month()
		switch g {
		case Quarter:
			m = (m-1)/3*3 + 1
		case Year:
			m = time.January
		}
		p.From = NewDate(d.Year(), m, 1)
	case FiscalYear, FiscalQuarter:
		y := d.Year()
		if d.Month() < fs {
			y--
		}
		p.From = NewDate(y, fs, 1)
		if g == FiscalQuarter {
			p.From = p.From.AddMonths((int(d.Month()-fs+12) % 12) / 3 * 3)
		}
	default:
		p.Grain, p.From, p.To = Day, d, d
		return p
	}
	p.To = p.From.AddMonths(g.months()).AddDays(-1)
	return p
}

// isoWeekStart returns the Monday of ISO week w of ISO year y: week 1 is
// the week that contains January 4.
func isoWeekStart(y, w int) Date {
	jan4 := NewDate(y, time.January, 4)
	return jan4.AddDays(-((int(jan4.Weekday()) + 6) % 7) + 7*(w-1))
}

// isoWeeks returns the number of ISO weeks of ISO year y, 52 or 53.
func isoWeeks(y int) int {
	_, w := NewDate(y, time.December, 28).Time().ISOWeek()
	return w
}

// Parse reads a period label (see the package documentation) and returns
// its period; fiscal labels use c's fiscal start. Errors wrap ErrLabel and
// say what is wrong.
func (c Calendar) Parse(label string) (Period, error) {
	s := upperASCII(label)
	bad := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("%w: %q %s", ErrLabel, truncate(label), why)
	}
	if len(s) > 2 && s[:2] == "FY" {
		y, ok := digits(s, 2, 6)
		switch {
		case !ok || (len(s) != 6 && len(s) != 9):
			return bad("is not a fiscal year (FY2024) or fiscal quarter (FY2024-Q1)")
		case y < minYear:
			return bad("has a year before 1000")
		}
		fs := c.FiscalStart()
		start := NewDate(y, fs, 1)
		if fs != time.January {
			start = NewDate(y-1, fs, 1)
		}
		if len(s) == 6 {
			return c.Of(FiscalYear, start), nil
		}
		q, ok := digits(s, 8, 9)
		if s[6:8] != "-Q" || !ok || q < 1 || q > 4 {
			return bad("is not a fiscal quarter: use FY2024-Q1 to FY2024-Q4")
		}
		return c.Of(FiscalQuarter, start.AddMonths(3*(q-1))), nil
	}
	y, ok := digits(s, 0, 4)
	if !ok {
		return bad("does not start with a four-digit year")
	}
	if y < minYear {
		return bad("has a year before 1000")
	}
	switch {
	case len(s) == 4:
		return c.Of(Year, NewDate(y, time.January, 1)), nil
	case len(s) == 10:
		d, err := ParseDate(s)
		if err != nil {
			return Period{}, err
		}
		return c.Of(Day, d), nil
	case len(s) == 8 && s[4:6] == "-W":
		w, ok := digits(s, 6, 8)
		if !ok || w < 1 || w > isoWeeks(y) {
			return bad(fmt.Sprintf("is not an ISO week: %d has weeks 01 to %02d", y, isoWeeks(y)))
		}
		return c.Of(Week, isoWeekStart(y, w)), nil
	case len(s) == 7 && s[4:6] == "-Q":
		q, ok := digits(s, 6, 7)
		if !ok || q < 1 || q > 4 {
			return bad("is not a quarter: use 2024-Q1 to 2024-Q4")
		}
		return c.Of(Quarter, NewDate(y, time.Month(3*q-2), 1)), nil
	case len(s) == 7 && s[4] == '-':
		m, ok := digits(s, 5, 7)
		if !ok || m < 1 || m > 12 {
			return bad("is not a month: use 2024-01 to 2024-12")
		}
		return c.Of(Month, NewDate(y, time.Month(m), 1)), nil
	}
	return bad("is not a period label: use a day (YYYY-MM-DD), ISO week (YYYY-Www), month (YYYY-MM), quarter (YYYY-Qn), year (YYYY), fiscal year (FYyyyy) or fiscal quarter (FYyyyy-Qn)")
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Aligned reports whether r starts on the first day and ends on the last
// day of periods of g.
func (c Calendar) Aligned(g Grain, r Range) bool {
	return c.Of(g, r.From).From == r.From && c.Of(g, r.To).To == r.To
}

// Exact returns the period of g that r is, and false when r is not
// exactly one whole period of g (it starts or ends inside a period, or
// spans several).
func (c Calendar) Exact(g Grain, r Range) (Period, bool) {
	p := c.Of(g, r.From)
	return p, p.Range == r
}

// Span returns the periods of g that make up r, in order. ErrNotAligned if
// r does not start and end on g's boundaries.
func (c Calendar) Span(g Grain, r Range) ([]Period, error) {
	if !c.Aligned(g, r) {
		return nil, fmt.Errorf("%w: %s is not whole %ss", ErrNotAligned, r, g)
	}
	n, err := c.Count(g, r)
	if err != nil {
		return nil, err
	}
	out := make([]Period, 0, n)
	for p := c.Of(g, r.From); !p.From.After(r.To); p = p.Next() {
		out = append(out, p)
	}
	return out, nil
}

// Count returns how many periods of g make up r without building them.
// ErrNotAligned if r does not start and end on g's boundaries.
func (c Calendar) Count(g Grain, r Range) (int, error) {
	if !c.Aligned(g, r) {
		return 0, fmt.Errorf("%w: %s is not whole %ss", ErrNotAligned, r, g)
	}
	switch g {
	case Day:
		return r.Days(), nil
	case Week:
		return r.Days() / 7, nil
	}
	months := (r.To.Year()-r.From.Year())*12 + int(r.To.Month()-r.From.Month()) + 1
	return months / g.months(), nil
}

// Previous returns the range of the same number of g periods immediately
// before r, which must be aligned to g.
func (c Calendar) Previous(g Grain, r Range) (Range, error) {
	n, err := c.Count(g, r)
	if err != nil {
		return Range{}, err
	}
	return ShiftRange(r, g, -n), nil
}

// YearAgo returns r a year earlier, moving its ends as Period.YearAgo
// moves periods: the same dates for day ranges (February 29 becoming
// February 28), the same ISO week numbers for week ranges, and 12 months
// for the other grains.
func YearAgo(g Grain, r Range) Range {
	switch g {
	case Day:
		return Range{r.From.AddMonths(-12), r.To.AddMonths(-12)}
	case Week:
		return Range{weekYearAgo(r.From), weekYearAgo(r.To.AddDays(-6)).AddDays(6)}
	}
	return ShiftRange(r, Month, -12)
}

// weekYearAgo returns the start of the week with d's ISO week number in
// the previous ISO year, clamped to that year's last week.
func weekYearAgo(d Date) Date {
	y, w := d.Time().ISOWeek()
	return isoWeekStart(y-1, min(w, isoWeeks(y-1)))
}

// OfKey maps a stored aggregate key's period, a day "2006-01-02" or a month
// "2006-01", onto the period of grain g that contains it. A month key
// cannot be mapped onto a day or week grain (ErrNeedsDays); a malformed key
// wraps ErrLabel.
func (c Calendar) OfKey(g Grain, key string) (Period, error) {
	switch len(key) {
	case 10:
		d, err := ParseDate(key)
		if err != nil {
			return Period{}, err
		}
		return c.Of(g, d), nil
	case 7:
		y, ok1 := digits(key, 0, 4)
		m, ok2 := digits(key, 5, 7)
		if !ok1 || !ok2 || key[4] != '-' || m < 1 || m > 12 {
			return Period{}, fmt.Errorf("%w: stored month key %q", ErrLabel, key)
		}
		if g.NeedsDays() {
			return Period{}, fmt.Errorf("%w: %s from month key %s", ErrNeedsDays, g, key)
		}
		return c.Of(g, NewDate(y, time.Month(m), 1)), nil
	}
	return Period{}, fmt.Errorf("%w: stored key %q", ErrLabel, key)
}

// DayKeys returns the stored day keys bounding r, for a day-grain query.
func (r Range) DayKeys() (from, to string) { return r.From.String(), r.To.String() }

// MonthKeys returns the stored month keys bounding r, for a month-grain
// query; r should be MonthAligned.
func (r Range) MonthKeys() (from, to string) {
	return r.From.YearMonth().String(), r.To.YearMonth().String()
}
