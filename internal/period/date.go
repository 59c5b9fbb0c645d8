package period

import (
	"cmp"
	"fmt"
	"time"
)

// Date is a calendar day without time zone, held as the number of days
// since January 1 of year 1: four bytes, so that per-customer histories of
// millions of purchases stay small, and dates compare with < and subtract
// to a number of days. The zero Date is that January 1, time.Time's zero
// day, which no label or stored key can name: it means "no date". Make
// dates with NewDate, ParseDate or DateOf.
//
// A Date encodes as text, and so in JSON, as YYYY-MM-DD.
type Date int32

// unixDay is the Date of 1970-01-01, day 0 of DayNumber and Civil.
const unixDay = 719162

// NewDate returns the date y-m-d, normalizing out-of-range months and days
// as time.Date does (January 32 is February 1).
func NewDate(y int, m time.Month, d int) Date {
	months := int(m) - 1
	y += floorDiv(months, 12)
	months -= 12 * floorDiv(months, 12)
	return Date(DayNumber(y, months+1, 1) + d - 1 + unixDay)
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// ParseDate parses an ISO 8601 calendar date, YYYY-MM-DD, of a year from
// 1000 to 9999. Errors wrap ErrLabel.
func ParseDate(s string) (Date, error) {
	y, ok1 := digits(s, 0, 4)
	m, ok2 := digits(s, 5, 7)
	d, ok3 := digits(s, 8, 10)
	if len(s) != 10 || !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%w: %q is not a date as YYYY-MM-DD", ErrLabel, s)
	}
	if y < minYear || m < 1 || m > 12 || d < 1 || d > DaysIn(y, m) {
		return 0, fmt.Errorf("%w: %q is not a calendar date", ErrLabel, s)
	}
	return NewDate(y, time.Month(m), d), nil
}

// Date returns the year, month and day of the month of d.
func (d Date) Date() (year int, month time.Month, day int) {
	y, m, dd := Civil(int(d) - unixDay)
	return y, time.Month(m), dd
}

// Year returns the date's year.
func (d Date) Year() int { y, _, _ := d.Date(); return y }

// Month returns the date's month.
func (d Date) Month() time.Month { _, m, _ := d.Date(); return m }

// Day returns the date's day of the month.
func (d Date) Day() int { _, _, dd := d.Date(); return dd }

// YearMonth returns the month d falls in.
func (d Date) YearMonth() YearMonth { y, m, _ := d.Date(); return NewYearMonth(y, m) }

// Weekday returns the date's day of the week.
func (d Date) Weekday() time.Weekday {
	// January 1 of year 1 was a Monday.
	return time.Weekday(int(d) + 1 - 7*floorDiv(int(d)+1, 7))
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == 0 }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	b, _ := d.AppendText(make([]byte, 0, 10)) // never fails
	return string(b)
}

// AppendText appends the date as YYYY-MM-DD to b; it never fails. Writers
// of a line per customer and day use it to format without allocating.
func (d Date) AppendText(b []byte) ([]byte, error) {
	y, m, dd := d.Date()
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%04d-%02d-%02d", y, int(m), dd), nil
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+dd/10), byte('0'+dd%10)), nil
}

// MarshalText formats the date as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return d.AppendText(nil) }

// UnmarshalText parses a date as ParseDate does; the error wraps ErrLabel.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// AddMonths returns the date n months later, clamping the day to the end
// of a shorter month: January 31 plus one month is February 28 or 29.
func (d Date) AddMonths(n int) Date {
	y, m, dd := d.Date()
	first := NewDate(y, m+time.Month(n), 1)
	fy, fm, _ := first.Date()
	return first.AddDays(min(dd, DaysIn(fy, int(fm))) - 1)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int { return cmp.Compare(d, o) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d < o }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d > o }

// DaysSince returns the number of days from o to d (negative if d is
// earlier).
func (d Date) DaysSince(o Date) int { return int(d - o) }

// Time returns the date as midnight UTC.
func (d Date) Time() time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

// YearMonth is a calendar month of a year, held as year·12 + month−1 so
// that it takes four bytes and consecutive months are consecutive
// integers. It encodes as text, and so in JSON, as YYYY-MM.
type YearMonth int32

// NewYearMonth returns month m of year y, normalizing an out-of-range
// month as time.Date does (month 13 is January of the next year).
func NewYearMonth(y int, m time.Month) YearMonth { return YearMonth(y*12 + int(m) - 1) }

// Year returns the calendar year of m.
func (m YearMonth) Year() int { return floorDiv(int(m), 12) }

// Month returns the month of the year of m.
func (m YearMonth) Month() time.Month { return time.Month(int(m) - 12*m.Year() + 1) }

// String formats m as YYYY-MM.
func (m YearMonth) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Month())) }

// MarshalText formats m as YYYY-MM.
func (m YearMonth) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ParseYearMonth parses a month as YYYY-MM, of a year from 1000 to 9999,
// the form MarshalText writes. Errors wrap ErrLabel.
func ParseYearMonth(s string) (YearMonth, error) {
	y, ok1 := digits(s, 0, 4)
	m, ok2 := digits(s, 5, 7)
	if len(s) != 7 || !ok1 || !ok2 || s[4] != '-' || y < minYear || m < 1 || m > 12 {
		return 0, fmt.Errorf("%w: %q is not a month as YYYY-MM", ErrLabel, s)
	}
	return NewYearMonth(y, time.Month(m)), nil
}
