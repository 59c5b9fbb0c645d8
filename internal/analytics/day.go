package analytics

import (
	"fmt"
	"strconv"
	"time"

	"github.com/salesseg/salesseg/internal/period"
)

// Day is a calendar day, counted in days since 1970-01-01 (which is Day 0).
// Days compare and subtract as integers.
type Day int32

// Month is a calendar month, counted as year·12 + (month−1), so consecutive
// months are consecutive integers.
type Month int32

// ParseDay parses a day written 2006-01-02. It returns an error wrapping
// ErrInvalidPurchase when s is not a valid date in that layout.
func ParseDay(s string) (Day, error) {
	y, m, d, ok := parseYMD(s)
	if !ok {
		return 0, fmt.Errorf("%w: day %q is not a 2006-01-02 date", ErrInvalidPurchase, s)
	}
	return civilToDay(y, m, d), nil
}

// DayOf returns the calendar day of t in t's location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return civilToDay(y, int(m), d)
}

// Time returns midnight UTC at the start of d.
func (d Day) Time() time.Time {
	y, m, dd := d.civil()
	return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
}

// Month returns the month d falls in.
func (d Day) Month() Month {
	y, m, _ := d.civil()
	return MonthOf(y, m)
}

// String formats d as 2006-01-02.
func (d Day) String() string {
	y, m, dd := d.civil()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
}

// MarshalText formats d as 2006-01-02, so that days read as dates in JSON.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a 2006-01-02 day; the error wraps ErrInvalidPurchase
// as ParseDay's does.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MonthOf returns the Month of a year and a month number (1–12).
func MonthOf(year, month int) Month { return Month(year*12 + month - 1) }

// Year returns the calendar year of m.
func (m Month) Year() int { return floorDiv(int(m), 12) }

// Number returns the month of the year of m, 1–12.
func (m Month) Number() int { return int(m) - 12*m.Year() + 1 }

// String formats m as 2006-01.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), m.Number()) }

// MarshalText formats m as 2006-01, so that months read as such in JSON.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Grain is the length of the periods a revenue bridge compares.
type Grain string

// The grains a bridge can use. Periods are calendar months, quarters and
// years; the first and last period of a history may be partial.
const (
	ByMonth   Grain = "month"
	ByQuarter Grain = "quarter"
	ByYear    Grain = "year"
)

// Period is one period of a grain, counted like Month: consecutive periods
// are consecutive integers.
type Period int32

// Of returns the period of g that month m falls in, and false for an
// unknown grain.
func (g Grain) Of(m Month) (Period, bool) {
	switch g {
	case ByMonth:
		return Period(m), true
	case ByQuarter:
		return Period(floorDiv(int(m), 3)), true
	case ByYear:
		return Period(floorDiv(int(m), 12)), true
	}
	return 0, false
}

// Label formats period p of g: 2006-01 for a month, 2006-Q1 for a quarter
// and 2006 for a year. It returns "" for an unknown grain.
func (g Grain) Label(p Period) string {
	switch g {
	case ByMonth:
		return Month(p).String()
	case ByQuarter:
		y := floorDiv(int(p), 4)
		return fmt.Sprintf("%04d-Q%d", y, int(p)-4*y+1)
	case ByYear:
		return strconv.Itoa(int(p))
	}
	return ""
}

// parseYMD reads YYYY-MM-DD strictly, with a day that exists in its month.
func parseYMD(s string) (y, m, d int, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var oky, okm, okd bool
	y, oky = num(s[0:4])
	m, okm = num(s[5:7])
	d, okd = num(s[8:10])
	if !oky || !okm || !okd || m < 1 || m > 12 || d < 1 || d > period.DaysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// civilToDay converts a valid proleptic Gregorian date to a Day.
func civilToDay(y, m, d int) Day { return Day(period.DayNumber(y, m, d)) }

// civil is the inverse of civilToDay.
func (d Day) civil() (y, m, dd int) { return period.Civil(int(d)) }

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
