package notation

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
	// ErrMixedOrder means more rows than MaxOrderLines contradict the
	// day/month order a date column decided on: the column as a whole
	// cannot be read without being told its order.
	ErrMixedOrder = errors.New("the date column mixes day-first and month-first dates")
)

// Day/month orders of a column's numeric dates such as 3/4/2024.
const (
	OrderMDY = "M/D/Y"
	OrderDMY = "D/M/Y"
)

// RawDate is a parsed date whose two leading numbers may still be in either
// order, packed as iso<<22 | year<<10 | a<<5 | b. For an unambiguous date
// (iso set) a is the month and b the day; otherwise a and b are the first
// two numbers as written. The zero RawDate is no date.
type RawDate uint32

// ISODate returns the unambiguous date y-m-d; the date must be valid.
func ISODate(y, m, d int) RawDate { return RawDate(1<<22 | y<<10 | m<<5 | d) }

func ambigDate(y, a, b int) RawDate { return RawDate(y<<10 | a<<5 | b) }

// ISO reports whether the date is unambiguous: A is its month, B its day.
func (r RawDate) ISO() bool { return r&(1<<22) != 0 }

// Year is the date's year.
func (r RawDate) Year() int { return int(r>>10) & 0xfff }

// A is the first of the date's two leading numbers as written (the month
// of an ISO date).
func (r RawDate) A() int { return int(r>>5) & 31 }

// B is the second of the date's two leading numbers as written (the day
// of an ISO date).
func (r RawDate) B() int { return int(r) & 31 }

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
// valid time, see validTime, which is dropped: the date is taken as
// written, without time zone conversion), YYYYMMDD, numeric dates with either day/month order and 4-
// or 2-digit years, dates with English month names, and Excel serial day
// numbers. kind and sep identify the layout.
func parseDateValue(b []byte) (RawDate, uint16, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, 0, ErrBadDate
	}
	if AllDigits(b) {
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
	if i := bytes.IndexByte(b, '.'); i >= 5 && i <= 7 && AllDigits(b[:i]) && AllDigits(b[i+1:]) {
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
	if i < len(b) && !validTime(b[i:]) {
		return 0, 0, ErrBadDate
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

// validTime reports whether b, what follows a date, is a time of day as
// exports write it: a space or T, then H:MM, optionally :SS and a fraction
// of a second, then optionally AM or PM (the hour then 0–12), a zone
// offset (Z, ±HH, ±HHMM, ±HH:MM) and a zone name ("+0000 UTC", as Go
// writes times). Hours run 0–23 and minutes and seconds 0–59: an hour 25
// is a broken value, and its date is not trusted either.
func validTime(b []byte) bool {
	if len(b) < 2 || (b[0] != ' ' && b[0] != 'T') {
		return false
	}
	b = b[1:]
	h, b, ok := clockField(b, 1, 23)
	if !ok || len(b) == 0 || b[0] != ':' {
		return false
	}
	if _, b, ok = clockField(b[1:], 2, 59); !ok {
		return false
	}
	if len(b) > 0 && b[0] == ':' {
		if _, b, ok = clockField(b[1:], 2, 59); !ok {
			return false
		}
		if len(b) > 1 && (b[0] == '.' || b[0] == ',') && isDigit(b[1]) {
			b = b[1:]
			for len(b) > 0 && isDigit(b[0]) {
				b = b[1:]
			}
		}
	}
	if t := bytes.TrimLeft(b, " "); len(t) >= 2 && (t[0]|0x20 == 'a' || t[0]|0x20 == 'p') && t[1]|0x20 == 'm' {
		if h > 12 {
			return false
		}
		b = t[2:]
	}
	if t := bytes.TrimLeft(b, " "); len(t) > 0 && (t[0] == 'Z' || t[0] == '+' || t[0] == '-') {
		if b = t[1:]; t[0] != 'Z' {
			if _, b, ok = clockField(b, 2, 14); !ok {
				return false
			}
			if len(b) > 0 && b[0] == ':' {
				b = b[1:]
			}
			if len(b) > 0 && isDigit(b[0]) {
				if _, b, ok = clockField(b, 2, 59); !ok {
					return false
				}
			}
		}
	}
	if len(b) > 0 { // a zone name
		if b[0] != ' ' || len(b) < 2 || len(b) > 7 {
			return false
		}
		for _, c := range b[1:] {
			if c < 'A' || c > 'Z' {
				return false
			}
		}
	}
	return true
}

// clockField reads a number of minDigits or two digits at the start of b,
// at most max; it returns the number and the rest of b.
func clockField(b []byte, minDigits, max int) (int, []byte, bool) {
	n := 0
	for n < 2 && n < len(b) && isDigit(b[n]) {
		n++
	}
	if n < minDigits {
		return 0, b, false
	}
	v := atoiBytes(b[:n])
	return v, b[n:], v <= max
}

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

// AllDigits reports whether b is a non-empty run of ASCII digits.
func AllDigits(b []byte) bool {
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

func checkISO(y, m, d int) (RawDate, error) {
	if !validDate(y, m, d) {
		return 0, ErrBadDate
	}
	if y < 1900 || y > 2199 {
		return 0, ErrDateRange
	}
	return ISODate(y, m, d), nil
}

func checkAmbig(y, a, b int) (RawDate, error) {
	if !validDate(y, a, b) && !validDate(y, b, a) {
		return 0, ErrBadDate
	}
	if y < 1900 || y > 2199 {
		return 0, ErrDateRange
	}
	if a == b { // 3/3/2024 reads the same both ways
		return ISODate(y, a, b), nil
	}
	return ambigDate(y, a, b), nil
}

// excelSerial converts an Excel serial day: days since 1899-12-30 in the
// 1900 date system (which absorbs Excel's fictitious 1900-02-29), since
// 1904-01-01 in the 1904 system.
func excelSerial(n int, date1904 bool) (RawDate, error) {
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

// MaxOrderLines bounds how many rows per day/month order are remembered
// for rejection once the column's order is decided. A file in which more
// rows than this contradict the majority order is unreadable rather than
// mostly rejected.
const MaxOrderLines = 10000

// OrderReject is a row whose date only reads in one day/month order.
type OrderReject struct {
	Line  int
	Value string
}

// DateColumn parses one column's dates and decides its day/month order
// from the whole column: every value that only one order can read (a
// number above 12 first or second) votes; the majority wins, and the rows
// that voted for the losing order are rejected when the file ends (their
// contribution is kept apart until then, keyed by the raw date). With no
// vote the order is assumed from the separator: '/' month first (US), '.'
// and '-' day first. Options.DateOrder forces an order instead, and then
// contradicting rows are rejected at once.
type DateColumn struct {
	force    string
	date1904 bool
	counts   [numKinds][len(dateSeps) + 1]int64
	votes    [2]int64         // month-first only, day-first only
	lines    [2][]OrderReject // the voters, up to MaxOrderLines each
	ambigSep [len(dateSeps) + 1]int64
	// The previous value, since consecutive rows often share a date.
	last    []byte
	lastR   RawDate
	lastL   uint16
	lastErr error
	order   string // decided by Decide
	how     string
}

// NewDateColumn returns a column whose order is decided from its values,
// or forced to OrderMDY or OrderDMY; date1904 reads Excel serial days in
// the 1904 date system.
func NewDateColumn(force string, date1904 bool) *DateColumn {
	return &DateColumn{force: force, date1904: date1904}
}

func sepIndex(sep byte) int {
	if i := strings.IndexByte(dateSeps, sep); i >= 0 {
		return i
	}
	return len(dateSeps)
}

// read parses a date in the file's conventions: Excel serial days in its
// date system.
func (c *DateColumn) read(b []byte) (RawDate, uint16, error) {
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

// ParseOther reads a value of another date column of the file (a deal's
// created date) without counting its layout or voting on the order.
func (c *DateColumn) ParseOther(b []byte) (RawDate, error) {
	r, _, err := c.read(b)
	return r, err
}

// DayNumbers returns r's day number (days since 1970-01-01) read month
// first and read day first; both are the one reading when r is
// unambiguous or only one reading is a valid date.
func (r RawDate) DayNumbers() (mdy, dmy int64) {
	y, a, b := r.Year(), r.A(), r.B()
	okM, okD := r.ISO() || validDate(y, a, b), !r.ISO() && validDate(y, b, a)
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

// Parse reads one value of the column. side is 0 or 1 when the value only
// reads month first or day first (its vote, which the caller casts with
// vote once the row is accepted), -1 otherwise.
func (c *DateColumn) Parse(b []byte) (r RawDate, side int, err error) {
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
	if r.ISO() {
		return r, -1, nil
	}
	c.ambigSep[sepIndex(byte(lay))]++
	mdy, dmy := validDate(r.Year(), r.A(), r.B()), validDate(r.Year(), r.B(), r.A())
	if mdy && dmy {
		return r, -1, nil
	}
	side = 0
	if dmy {
		side = 1
	}
	switch c.force {
	case OrderMDY:
		if side == 1 {
			return 0, -1, ErrDateOrder
		}
		return ISODate(r.Year(), r.A(), r.B()), -1, nil
	case OrderDMY:
		if side == 0 {
			return 0, -1, ErrDateOrder
		}
		return ISODate(r.Year(), r.B(), r.A()), -1, nil
	}
	return r, side, nil
}

// Vote records an accepted row whose date only reads in one order.
func (c *DateColumn) Vote(side, line int, value []byte) {
	c.votes[side]++
	if len(c.lines[side]) < MaxOrderLines {
		c.lines[side] = append(c.lines[side], OrderReject{Line: line, Value: string(value)})
	}
}

// Decide fixes the column's order once every row is read. It returns the
// rows to reject for contradicting it, or an error wrapping ErrMixedOrder
// when more of them than MaxOrderLines were seen.
func (c *DateColumn) Decide() ([]OrderReject, error) {
	ambig := int64(0)
	for _, n := range c.ambigSep {
		ambig += n
	}
	mdy, dmy := c.votes[0], c.votes[1]
	switch {
	case c.force != "":
		c.order, c.how = c.force, "set by the mapping options"
	case mdy > dmy:
		c.order = OrderMDY
		c.how = fmt.Sprintf("%d values only read month first, %d only day first", mdy, dmy)
	case dmy > mdy:
		c.order = OrderDMY
		c.how = fmt.Sprintf("%d values only read day first, %d only month first", dmy, mdy)
	default:
		c.order = OrderMDY
		if c.ambigSep[sepIndex('.')]+c.ambigSep[sepIndex('-')] > c.ambigSep[sepIndex('/')] {
			c.order = OrderDMY
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
	if c.order == OrderDMY {
		lose = 0
	}
	if c.votes[lose] > int64(len(c.lines[lose])) {
		return nil, fmt.Errorf("%w (%d and %d values): set the date order in the mapping", ErrMixedOrder, dmy, mdy)
	}
	return c.lines[lose], nil
}

// Order is the day/month order Decide settled on: OrderMDY, OrderDMY, or
// "" when no value needed one.
func (c *DateColumn) Order() string { return c.order }

// How says how Decide settled the order, for the upload's report.
func (c *DateColumn) How() string { return c.how }

// ParseDate reads one date on its own, as a column's Parse would, without
// any column's conventions; the date's order may still be undecided.
// Errors wrap ErrBadDate or ErrDateRange.
func ParseDate(b []byte) (RawDate, error) {
	r, _, err := parseDateValue(b)
	return r, err
}

// Dropped reports whether a raw date contradicts the decided order.
func (c *DateColumn) Dropped(r RawDate) bool {
	if r.ISO() {
		return false
	}
	if c.order == OrderDMY {
		return !validDate(r.Year(), r.B(), r.A())
	}
	return !validDate(r.Year(), r.A(), r.B())
}

// Resolve returns the year, month and day of a raw date under the decided
// order.
func (c *DateColumn) Resolve(r RawDate) (y, m, d int) {
	if r.ISO() || c.order != OrderDMY {
		return r.Year(), r.A(), r.B()
	}
	return r.Year(), r.B(), r.A()
}

// kindName is a layout's name pattern: {s} is the separator, {o} the
// day/month order.
func kindName(k dateKind) string {
	return [numKinds]string{"YYYY{s}MM{s}DD", "YYYYMMDD", "{o}{s}YYYY", "{o}{s}YY", "D{s}Mon{s}YYYY",
		"Mon D, YYYY", "YYYY{s}Mon{s}DD", "Excel serial day"}[k]
}

// Describe lists the layouts seen, most used first, with their counts.
func (c *DateColumn) Describe() string {
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
			if c.order == OrderDMY {
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
