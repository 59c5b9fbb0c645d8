package ingest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Day orders a column's slash or dot dates can use. A column starts
// undecided and is fixed by the first value that only one order can read
// (a first number above 12 means day first, a second above 12 means month
// first); values both orders read are kept undecided until then.
const (
	orderUnknown = ""
	orderMDY     = "M/D/Y"
	orderDMY     = "D/M/Y"
)

var (
	// ErrBadDate is the reject reason for a value no supported format reads.
	ErrBadDate = errors.New("not a date")
	// ErrDateOrder is the reject reason for a date that contradicts the
	// day/month order the column has already shown.
	ErrDateOrder = errors.New("date contradicts the column's day/month order")
	// ErrDateRange is the reject reason for a date outside 1900–2199.
	ErrDateRange = errors.New("date out of range 1900-2199")
)

// rawDate is a date whose two leading numbers may still be in either order.
// When iso is true, a is the month and b the day.
type rawDate struct {
	y    int16
	a, b uint8
	iso  bool
}

// dateColumn parses one column's dates and decides its day/month order.
type dateColumn struct {
	order   string
	layouts map[string]int // formats seen, for the upload's status
}

func newDateColumn() *dateColumn { return &dateColumn{layouts: map[string]int{}} }

// parse reads one value. Times of day are accepted and dropped.
func (c *dateColumn) parse(s string) (rawDate, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	if s == "" {
		return rawDate{}, ErrBadDate
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, e1 := strconv.Atoi(s[:4])
		m, e2 := strconv.Atoi(s[5:7])
		d, e3 := strconv.Atoi(s[8:])
		if e1 != nil || e2 != nil || e3 != nil {
			return rawDate{}, ErrBadDate
		}
		c.layouts["YYYY-MM-DD"]++
		return checkISO(y, m, d)
	}
	if len(s) == 8 && allDigits(s) {
		n, _ := strconv.Atoi(s)
		c.layouts["YYYYMMDD"]++
		return checkISO(n/10000, n/100%100, n%100)
	}
	if sep := strings.IndexAny(s, "/."); sep > 0 {
		return c.parseSlashed(s, s[sep])
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 {
		// Excel serial date: days since 1899-12-30 (which absorbs
		// Excel's fictitious 1900-02-29).
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(f))
		c.layouts["excel-serial"]++
		return checkISO(t.Year(), int(t.Month()), t.Day())
	}
	return rawDate{}, ErrBadDate
}

func (c *dateColumn) parseSlashed(s string, sep byte) (rawDate, error) {
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return rawDate{}, ErrBadDate
	}
	a, e1 := strconv.Atoi(parts[0])
	b, e2 := strconv.Atoi(parts[1])
	y, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil || len(parts[2]) != 4 {
		return rawDate{}, ErrBadDate
	}
	if len(parts[0]) == 4 { // YYYY/MM/DD
		return checkISO(a, b, y)
	}
	if y < 1900 || y > 2199 {
		return rawDate{}, ErrDateRange
	}
	mdy := validDate(y, a, b)
	dmy := validDate(y, b, a)
	switch {
	case !mdy && !dmy:
		return rawDate{}, ErrBadDate
	case mdy && !dmy:
		if c.order == orderDMY {
			return rawDate{}, ErrDateOrder
		}
		c.order = orderMDY
	case dmy && !mdy:
		if c.order == orderMDY {
			return rawDate{}, ErrDateOrder
		}
		c.order = orderDMY
	}
	c.layouts["a"+string(sep)+"b"+string(sep)+"YYYY"]++
	return rawDate{y: int16(y), a: uint8(a), b: uint8(b)}, nil
}

// resolve returns year, month and day once the column's order is final.
// An order never shown by any value defaults to month first, the form of
// US exports; Format.DateOrder reports which applied.
func (c *dateColumn) resolve(r rawDate) (y, m, d int) {
	if r.iso || c.order != orderDMY {
		return int(r.y), int(r.a), int(r.b)
	}
	return int(r.y), int(r.b), int(r.a)
}

// describe says which formats and order the column used, for the status.
func (c *dateColumn) describe() string {
	desc := strings.Join(slices.Sorted(maps.Keys(c.layouts)), ", ")
	if _, ok := c.layouts["a/b/YYYY"]; ok || c.layouts["a.b.YYYY"] > 0 {
		order := c.order
		if order == orderUnknown {
			order = orderMDY + " (assumed: no value was unambiguous)"
		}
		desc += "; order " + order
	}
	return desc
}

func checkISO(y, m, d int) (rawDate, error) {
	if y < 1900 || y > 2199 {
		return rawDate{}, ErrDateRange
	}
	if !validDate(y, m, d) {
		return rawDate{}, ErrBadDate
	}
	return rawDate{y: int16(y), a: uint8(m), b: uint8(d), iso: true}, nil
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatDay and formatMonth render periods as aggregate keys expect.
func formatDay(y, m, d int) string { return fmt.Sprintf("%04d-%02d-%02d", y, m, d) }
func formatMonth(y, m int) string  { return fmt.Sprintf("%04d-%02d", y, m) }
