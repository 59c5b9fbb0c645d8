package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/salesseg/salesseg/internal/period"
)

var (
	// ErrBadDate is the reject reason for a value no supported format reads.
	ErrBadDate = errors.New("not a date")
	// ErrDateOrder is the reject reason for a date that only reads in the
	// day/month order the column as a whole does not use (or that
	// Options.DateOrder excludes).
	ErrDateOrder = errors.New("date contradicts the column's day/month order")
	// ErrDateRange is the reject reason for a date outside 1900–2199.
	ErrDateRange = errors.New("date out of range 1900-2199")
)

// Day/month orders of a column's numeric dates such as 3/4/2024.
const (
	orderMDY = "M/D/Y"
	orderDMY = "D/M/Y"
)

// rawDate is a parsed date whose two leading numbers may still be in either
// order, packed as iso<<22 | year<<10 | a<<5 | b. For an unambiguous date
// (iso set) a is the month and b the day; otherwise a and b are the first
// two numbers as written. The zero rawDate is no date.
type rawDate uint32

func isoDate(y, m, d int) rawDate   { return rawDate(1<<22 | y<<10 | m<<5 | d) }
func ambigDate(y, a, b int) rawDate { return rawDate(y<<10 | a<<5 | b) }
func (r rawDate) iso() bool         { return r&(1<<22) != 0 }
func (r rawDate) year() int         { return int(r>>10) & 0xfff }
func (r rawDate) a() int            { return int(r>>5) & 31 }
func (r rawDate) b() int            { return int(r) & 31 }

// Date layouts, counted per column and reported in Format.DateFormat.
type dateKind uint8

const (
	kISO     dateKind = iota // 2024-03-31, 2024/3/31
	kCompact                 // 20240331
	kAmbig                   // 3/31/2024 or 31.03.2024
	kAmbig2                  // 3/31/24
	kDMonY                   // 31-Mar-2024, 31 March 2024
	kMonDY                   // Mar 31, 2024
	kYMonD                   // 2024-Mar-31
	kExcel                   // 45382 (Excel serial day)
	numKinds
)

// dateSeps are the separators a layout is counted under.
const dateSeps = " -/.,"

// yearPivot maps two-digit years: below it 20yy, else 19yy.
const yearPivot = 70

// parseDateValue reads one date. It accepts ISO dates (optionally with a
// time, which is dropped: the date is taken as written, without time zone
// conversion), YYYYMMDD, numeric dates with either day/month order and 4-
// or 2-digit years, dates with English month names, and Excel serial day
// numbers. kind and sep identify the layout.
func parseDateValue(b []byte) (rawDate, uint16, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, 0, ErrBadDate
	}
	if allDigitBytes(b) {
		switch {
		case len(b) == 8:
			n := atoiBytes(b)
			r, err := checkISO(n/10000, n/100%100, n%100)
			return r, layoutID(kCompact, 0), err
		case len(b) >= 5 && len(b) <= 7:
			r, err := excelSerial(atoiBytes(b), false)
			return r, layoutID(kExcel, 0), err
		}
		return 0, 0, ErrBadDate
	}
	if i := bytes.IndexByte(b, '.'); i >= 5 && i <= 7 && allDigitBytes(b[:i]) && allDigitBytes(b[i+1:]) {
		// 45382.5: a serial day with a time fraction.
		r, err := excelSerial(atoiBytes(b[:i]), false)
		return r, layoutID(kExcel, 0), err
	}
	t1, n1, i := dateToken(b, 0)
	s1, i := dateSep(b, i)
	t2, n2, i := dateToken(b, i)
	s2, i := dateSep(b, i)
	t3, n3, i := dateToken(b, i)
	if len(t1) == 0 || len(t2) == 0 || len(t3) == 0 || !n3 || s1 == 0 || s2 == 0 {
		return 0, 0, ErrBadDate
	}
	if i < len(b) {
		// A time may follow: " 10:42", "T10:42:00Z", " 10:42 AM".
		if (b[i] != ' ' && b[i] != 'T') || i+1 >= len(b) || !isDigit(b[i+1]) {
			return 0, 0, ErrBadDate
		}
	}
	switch {
	case n1 && n2 && len(t1) == 4 && len(t2) <= 2 && len(t3) <= 2 && s1 == s2 && s1 != ' ' && s1 != ',':
		r, err := checkISO(atoiBytes(t1), atoiBytes(t2), atoiBytes(t3))
		return r, layoutID(kISO, s1), err
	case n1 && n2 && len(t1) <= 2 && len(t2) <= 2 && (len(t3) == 4 || len(t3) == 2) && s1 == s2 && s1 != ' ' && s1 != ',':
		y, kind := atoiBytes(t3), kAmbig
		if len(t3) == 2 {
			y, kind = pivotYear(y), kAmbig2
		}
		r, err := checkAmbig(y, atoiBytes(t1), atoiBytes(t2))
		return r, layoutID(kind, s1), err
	case n1 && !n2 && len(t1) <= 2 && (len(t3) == 4 || len(t3) == 2):
		m := monthNumber(t2)
		y := atoiBytes(t3)
		if len(t3) == 2 {
			y = pivotYear(y)
		}
		if m == 0 {
			return 0, 0, ErrBadDate
		}
		r, err := checkISO(y, m, atoiBytes(t1))
		return r, layoutID(kDMonY, s1), err
	case !n1 && n2 && len(t2) <= 2 && len(t3) == 4:
		m := monthNumber(t1)
		if m == 0 {
			return 0, 0, ErrBadDate
		}
		r, err := checkISO(atoiBytes(t3), m, atoiBytes(t2))
		return r, layoutID(kMonDY, s1), err
	case n1 && !n2 && len(t1) == 4 && len(t3) <= 2:
		m := monthNumber(t2)
		if m == 0 {
			return 0, 0, ErrBadDate
		}
		r, err := checkISO(atoiBytes(t1), m, atoiBytes(t3))
		return r, layoutID(kYMonD, s1), err
	}
	return 0, 0, ErrBadDate
}

func layoutID(k dateKind, sep byte) uint16 { return uint16(k)<<8 | uint16(sep) }

// dateToken reads a run of digits or of letters starting at i.
func dateToken(b []byte, i int) (tok []byte, numeric bool, next int) {
	j := i
	if j < len(b) && isDigit(b[j]) {
		for j < len(b) && isDigit(b[j]) && j-i < 4 {
			j++
		}
		return b[i:j], true, j
	}
	for j < len(b) && (b[j]|0x20) >= 'a' && (b[j]|0x20) <= 'z' && j-i < 9 {
		j++
	}
	return b[i:j], false, j
}

// dateSep reads the separator after a token: one of "-/.", a space, or a
// comma with optional spaces (Mar 31, 2024). It returns 0 when absent.
func dateSep(b []byte, i int) (byte, int) {
	if i >= len(b) {
		return 0, i
	}
	switch c := b[i]; c {
	case '-', '/':
		return c, i + 1
	case '.':
		i++
		for i < len(b) && b[i] == ' ' { // 31. März style "31. 3. 2024"
			i++
		}
		return '.', i
	case ',', ' ':
		sep := c
		for i < len(b) && (b[i] == ' ' || b[i] == ',') {
			if b[i] == ',' {
				sep = ','
			}
			i++
		}
		return sep, i
	}
	return 0, i
}

// monthNumber reads an English month name or abbreviation, 0 if none.
func monthNumber(t []byte) int {
	if len(t) < 3 {
		return 0
	}
	var buf [9]byte
	n := copy(buf[:], t)
	for i := range n {
		buf[i] |= 0x20
	}
	name := string(buf[:n])
	for i, full := range [...]string{"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"} {
		if strings.HasPrefix(full, name) || (i == 8 && name == "sept") {
			return i + 1
		}
	}
	return 0
}

func pivotYear(yy int) int {
	if yy < yearPivot {
		return 2000 + yy
	}
	return 1900 + yy
}

func allDigitBytes(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

// atoiBytes converts at most 9 ASCII digits; callers check they are digits.
func atoiBytes(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func checkISO(y, m, d int) (rawDate, error) {
	if !validDate(y, m, d) {
		return 0, ErrBadDate
	}
	if y < 1900 || y > 2199 {
		return 0, ErrDateRange
	}
	return isoDate(y, m, d), nil
}

func checkAmbig(y, a, b int) (rawDate, error) {
	if !validDate(y, a, b) && !validDate(y, b, a) {
		return 0, ErrBadDate
	}
	if y < 1900 || y > 2199 {
		return 0, ErrDateRange
	}
	if a == b { // 3/3/2024 reads the same both ways
		return isoDate(y, a, b), nil
	}
	return ambigDate(y, a, b), nil
}

// excelSerial converts an Excel serial day: days since 1899-12-30 in the
// 1900 date system (which absorbs Excel's fictitious 1900-02-29), since
// 1904-01-01 in the 1904 system.
func excelSerial(n int, date1904 bool) (rawDate, error) {
	if n < 1 || n > 2958465 {
		return 0, ErrBadDate
	}
	base := period.DayNumber(1899, 12, 30)
	if date1904 {
		base = period.DayNumber(1904, 1, 1)
	}
	y, m, d := period.Civil(base + n)
	return checkISO(y, m, d)
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	return d <= period.DaysIn(y, m)
}

// maxOrderLines bounds how many rows per day/month order are remembered
// for rejection once the column's order is decided. A file in which more
// rows than this contradict the majority order is unreadable rather than
// mostly rejected.
const maxOrderLines = 10000

// orderReject is a row whose date only reads in one day/month order.
type orderReject struct {
	line  int
	value string
}

// dateColumn parses one column's dates and decides its day/month order
// from the whole column: every value that only one order can read (a
// number above 12 first or second) votes; the majority wins, and the rows
// that voted for the losing order are rejected when the file ends (their
// contribution is kept apart until then, keyed by the raw date). With no
// vote the order is assumed from the separator: '/' month first (US), '.'
// and '-' day first. Options.DateOrder forces an order instead, and then
// contradicting rows are rejected at once.
type dateColumn struct {
	force    string
	date1904 bool
	counts   [numKinds][len(dateSeps) + 1]int64
	votes    [2]int64         // month-first only, day-first only
	lines    [2][]orderReject // the voters, up to maxOrderLines each
	ambigSep [len(dateSeps) + 1]int64
	// The previous value, since consecutive rows often share a date.
	last    []byte
	lastR   rawDate
	lastL   uint16
	lastErr error
	order   string // decided by decide
	how     string
}

func newDateColumn(force string, date1904 bool) *dateColumn {
	return &dateColumn{force: force, date1904: date1904}
}

func sepIndex(sep byte) int {
	if i := strings.IndexByte(dateSeps, sep); i >= 0 {
		return i
	}
	return len(dateSeps)
}

// read parses a date in the file's conventions: Excel serial days in its
// date system.
func (c *dateColumn) read(b []byte) (rawDate, uint16, error) {
	r, lay, err := parseDateValue(b)
	if err == nil && dateKind(lay>>8) == kExcel && c.date1904 {
		t := bytes.TrimSpace(b)
		if i := bytes.IndexByte(t, '.'); i > 0 {
			t = t[:i]
		}
		r, err = excelSerial(atoiBytes(t), true)
	}
	return r, lay, err
}

// parseOther reads a value of another date column of the file (a deal's
// created date) without counting its layout or voting on the order.
func (c *dateColumn) parseOther(b []byte) (rawDate, error) {
	r, _, err := c.read(b)
	return r, err
}

// dayNumbers returns r's day number (days since 1970-01-01) read month
// first and read day first; both are the one reading when r is
// unambiguous or only one reading is a valid date.
func (r rawDate) dayNumbers() (mdy, dmy int64) {
	y, a, b := r.year(), r.a(), r.b()
	okM, okD := r.iso() || validDate(y, a, b), !r.iso() && validDate(y, b, a)
	switch {
	case okM && okD:
		return int64(period.DayNumber(y, a, b)), int64(period.DayNumber(y, b, a))
	case okM:
		n := int64(period.DayNumber(y, a, b))
		return n, n
	}
	n := int64(period.DayNumber(y, b, a))
	return n, n
}

// parse reads one value of the column. side is 0 or 1 when the value only
// reads month first or day first (its vote, which the caller casts with
// vote once the row is accepted), -1 otherwise.
func (c *dateColumn) parse(b []byte) (r rawDate, side int, err error) {
	var lay uint16
	if c.last != nil && bytes.Equal(b, c.last) {
		r, lay, err = c.lastR, c.lastL, c.lastErr
	} else {
		r, lay, err = c.read(b)
		c.last = append(c.last[:0], b...)
		c.lastR, c.lastL, c.lastErr = r, lay, err
	}
	if err != nil {
		return 0, -1, err
	}
	c.counts[lay>>8][sepIndex(byte(lay))]++
	if r.iso() {
		return r, -1, nil
	}
	c.ambigSep[sepIndex(byte(lay))]++
	mdy, dmy := validDate(r.year(), r.a(), r.b()), validDate(r.year(), r.b(), r.a())
	if mdy && dmy {
		return r, -1, nil
	}
	side = 0
	if dmy {
		side = 1
	}
	switch c.force {
	case orderMDY:
		if side == 1 {
			return 0, -1, ErrDateOrder
		}
		return isoDate(r.year(), r.a(), r.b()), -1, nil
	case orderDMY:
		if side == 0 {
			return 0, -1, ErrDateOrder
		}
		return isoDate(r.year(), r.b(), r.a()), -1, nil
	}
	return r, side, nil
}

// vote records an accepted row whose date only reads in one order.
func (c *dateColumn) vote(side, line int, value []byte) {
	c.votes[side]++
	if len(c.lines[side]) < maxOrderLines {
		c.lines[side] = append(c.lines[side], orderReject{line: line, value: string(value)})
	}
}

// decide fixes the column's order once every row is read. It returns the
// rows to reject for contradicting it, or an error wrapping ErrUnreadable
// when more of them than maxOrderLines were seen.
func (c *dateColumn) decide() ([]orderReject, error) {
	ambig := int64(0)
	for _, n := range c.ambigSep {
		ambig += n
	}
	mdy, dmy := c.votes[0], c.votes[1]
	switch {
	case c.force != "":
		c.order, c.how = c.force, "set by the mapping options"
	case mdy > dmy:
		c.order = orderMDY
		c.how = fmt.Sprintf("%d values only read month first, %d only day first", mdy, dmy)
	case dmy > mdy:
		c.order = orderDMY
		c.how = fmt.Sprintf("%d values only read day first, %d only month first", dmy, mdy)
	default:
		c.order = orderMDY
		if c.ambigSep[sepIndex('.')]+c.ambigSep[sepIndex('-')] > c.ambigSep[sepIndex('/')] {
			c.order = orderDMY
		}
		if mdy == 0 {
			c.how = "assumed from the separator: every value reads both ways"
		} else {
			c.how = fmt.Sprintf("assumed from the separator: %d values read only month first and %d only day first", mdy, dmy)
		}
	}
	if ambig == 0 && c.force == "" {
		c.order = ""
		return nil, nil
	}
	lose := 1
	if c.order == orderDMY {
		lose = 0
	}
	if c.votes[lose] > int64(len(c.lines[lose])) {
		return nil, fmt.Errorf("%w: the date column mixes day-first and month-first dates (%d and %d values): set the date order in the mapping",
			ErrUnreadable, dmy, mdy)
	}
	return c.lines[lose], nil
}

// dropped reports whether a raw date contradicts the decided order.
func (c *dateColumn) dropped(r rawDate) bool {
	if r.iso() {
		return false
	}
	if c.order == orderDMY {
		return !validDate(r.year(), r.b(), r.a())
	}
	return !validDate(r.year(), r.a(), r.b())
}

// resolve returns the year, month and day of a raw date under the decided
// order.
func (c *dateColumn) resolve(r rawDate) (y, m, d int) {
	if r.iso() || c.order != orderDMY {
		return r.year(), r.a(), r.b()
	}
	return r.year(), r.b(), r.a()
}

// kindName is a layout's name pattern: {s} is the separator, {o} the
// day/month order.
func kindName(k dateKind) string {
	return [numKinds]string{"YYYY{s}MM{s}DD", "YYYYMMDD", "{o}{s}YYYY", "{o}{s}YY", "D{s}Mon{s}YYYY",
		"Mon D, YYYY", "YYYY{s}Mon{s}DD", "Excel serial day"}[k]
}

// describe lists the layouts seen, most used first, with their counts.
func (c *dateColumn) describe() string {
	type lay struct {
		name string
		n    int64
	}
	var lays []lay
	for k := range numKinds {
		for si, n := range c.counts[k] {
			if n == 0 {
				continue
			}
			sep := "?"
			if si < len(dateSeps) {
				sep = dateSeps[si : si+1]
			}
			o := "M{s}D"
			if c.order == orderDMY {
				o = "D{s}M"
			}
			name := strings.ReplaceAll(kindName(k), "{o}", o)
			lays = append(lays, lay{strings.ReplaceAll(name, "{s}", sep), n})
		}
	}
	slices.SortFunc(lays, func(a, b lay) int {
		if a.n != b.n {
			if a.n > b.n {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	parts := make([]string, len(lays))
	for i, l := range lays {
		parts[i] = fmt.Sprintf("%s (%d)", l.name, l.n)
	}
	if c.date1904 {
		parts = append(parts, "1904 date system")
	}
	return strings.Join(parts, ", ")
}

// formatDay and formatMonth render periods as aggregate keys expect.
func formatDay(y, m, d int) string {
	var b [10]byte
	put4(b[:4], y)
	b[4] = '-'
	put2(b[5:7], m)
	b[7] = '-'
	put2(b[8:], d)
	return string(b[:])
}

func formatMonth(y, m int) string {
	var b [7]byte
	put4(b[:4], y)
	b[4] = '-'
	put2(b[5:], m)
	return string(b[:])
}

func put4(b []byte, n int) {
	b[0], b[1], b[2], b[3] = byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10)
}

func put2(b []byte, n int) { b[0], b[1] = byte('0'+n/10%10), byte('0'+n%10) }
