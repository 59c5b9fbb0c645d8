package api

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// Limits on request parameters. They bound the work one request can cause
// and keep every value far below DynamoDB's key and expression limits.
const (
	maxParamBytes  = 256  // any parameter value except cursor
	maxCursorBytes = 1024 // an opaque cursor
	maxParams      = 16   // parameters per request
	maxDayRange    = 1000 // days in a range that needs day data
	maxYears       = 20   // years in any closed range
	maxTop         = 100  // top=N
	maxPage        = 500  // limit on breakdown and values pages
	maxSeriesPage  = 100  // limit on trend series per page
)

// query is a request's validated query parameters.
type query map[string]string

// newQuery checks the parameters: only the names in allowed, at most
// maxParams of them, each value valid UTF-8 without control characters
// and within the length limit.
func newQuery(q map[string]string, allowed []string) (query, error) {
	if len(q) > maxParams {
		return nil, badRequest("Too many parameters (%d); at most %d.", len(q), maxParams)
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !contains(allowed, k) {
			switch {
			case len(allowed) == 0:
				return nil, badRequest("Unknown parameter %q: this route takes no parameters.", truncate(k))
			case len(allowed) == 1 && allowed[0] == datasetParam:
				return nil, badRequest("Unknown parameter %q: this route takes no parameters but dataset.", truncate(k))
			}
			return nil, badRequest("Unknown parameter %q; this route takes %s.", truncate(k), strings.Join(allowed, ", "))
		}
		v := q[k]
		limit := maxParamBytes
		if k == "cursor" {
			limit = maxCursorBytes
		}
		if len(v) > limit {
			return nil, badRequest("Parameter %s is too long (%d bytes); at most %d.", k, len(v), limit)
		}
		if err := cleanText(v); err != nil {
			return nil, badRequest("Parameter %s %v.", k, err)
		}
	}
	return query(q), nil
}

// checkRawQuery checks the query string as the client sent it. API
// Gateway decodes parameters into a JSON event, where bytes that are not
// UTF-8 arrive as U+FFFD: only the raw string still shows that a value
// was not text (%C0%AF, a lone surrogate, a cut sequence), or that an
// escape was malformed and dropped.
func checkRawQuery(raw string) error {
	for pair := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(pair, "=")
		for _, part := range []string{name, value} {
			v, err := url.QueryUnescape(part)
			if err != nil {
				return badRequest("The query string has a malformed escape in %s; write %% as %%25.", quote(part))
			}
			if !utf8.ValidString(v) {
				return badRequest("Parameter %s is not valid UTF-8.", quote(strings.ToValidUTF8(name, "?")))
			}
		}
	}
	return nil
}

// cleanText rejects invalid UTF-8, control characters (NUL, newlines,
// escapes), bidirectional marks, overrides and isolates, and the byte
// order mark: none occurs in labels or segment names, and they often hide
// injection or spoofing attempts. Joiners used by scripts and emoji
// (U+200C, U+200D) are allowed.
func cleanText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) ||
			(r >= 0x2066 && r <= 0x2069) || r == 0xFEFF {
			return fmt.Errorf("contains the control character %U", r)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dims is a resolved dimension parameter: one dimension, or two crossed.
type dims struct {
	list   []dimension.Dimension // as the user ordered them
	stored dimension.Dimension   // the table's dimension (Cross order for two)
}

func (d dims) crossed() bool { return len(d.list) == 2 }

func (d dims) names() []string {
	out := make([]string, len(d.list))
	for i, x := range d.list {
		out[i] = string(x)
	}
	return out
}

// values splits a stored value into the user's dimension order.
func (d dims) values(stored string) []string {
	if !d.crossed() {
		return []string{stored}
	}
	a, b := dimension.SplitValues(stored)
	if x, _, _ := dimension.Split(d.stored); x != d.list[0] {
		a, b = b, a
	}
	return []string{a, b}
}

// join makes the stored value from values in the user's order.
func (d dims) join(values []string) string {
	if !d.crossed() {
		return values[0]
	}
	a, b := values[0], values[1]
	if x, _, _ := dimension.Split(d.stored); x != d.list[0] {
		a, b = b, a
	}
	return dimension.JoinValues(a, b)
}

// parseDims reads dimension: one name, or two different names separated
// by a comma for a crossed breakdown (industry,category).
func parseDims(q query) (dims, error) {
	raw, ok := q["dimension"]
	if !ok || raw == "" {
		return dims{}, badRequest("Parameter dimension is required, e.g. dimension=segment, or dimension=industry,category for two crossed dimensions.")
	}
	parts := strings.Split(raw, ",")
	if len(parts) > 2 {
		return dims{}, badRequest("Parameter dimension names %d dimensions; cross at most two, e.g. dimension=industry,category.", len(parts))
	}
	var d dims
	for _, p := range parts {
		x, err := dimension.Parse(p)
		if err != nil {
			return dims{}, badRequest("Parameter dimension: %v.", err)
		}
		d.list = append(d.list, x)
	}
	d.stored = d.list[0]
	if d.crossed() {
		if d.list[0] == d.list[1] {
			return dims{}, badRequest("Parameter dimension crosses %s with itself; name two different dimensions.", d.list[0])
		}
		if d.list[0] == dimension.Total || d.list[1] == dimension.Total {
			return dims{}, badRequest("Parameter dimension: total cannot be crossed; it has a single value.")
		}
		d.stored = dimension.Cross(d.list[0], d.list[1])
	}
	return d, nil
}

// parseValues reads value (and value2 for crossed dimensions). ok is false
// when no value is given; an empty one selects the unassigned value.
func parseValues(q query, d dims) ([]string, bool, error) {
	v, has := q["value"]
	v2, has2 := q["value2"]
	switch {
	case !has && !has2:
		return nil, false, nil
	case !d.crossed() && has2:
		return nil, false, badRequest("Parameter value2 is only for two crossed dimensions.")
	case d.crossed() && (!has || !has2):
		return nil, false, badRequest("With two crossed dimensions give value (for %s) and value2 (for %s), or neither.", d.list[0], d.list[1])
	}
	unassigned := func(v string) string {
		if v == "" {
			return dimension.Blank
		}
		return v
	}
	if d.crossed() {
		return []string{unassigned(v), unassigned(v2)}, true, nil
	}
	return []string{unassigned(v)}, true, nil
}

// window is a resolved period parameter set.
type window struct {
	cal   period.Calendar
	grain period.Grain
	// open is true when from or to was omitted: all data up to or from
	// a month, with no comparison periods.
	open       bool
	r          period.Range // closed range; for open windows, the known bounds
	openFrom   bool         // from omitted
	openTo     bool         // to omitted
	label      string
	daily      bool // needs day data
	comparable bool // previous and year-ago ranges exist
	// yearAgo is false when the range is longer than a year, so that the
	// same range a year earlier would overlap it: growth against a range
	// sharing months with the current one says nothing (2016-01..2019-12
	// against 2015-01..2018-12 compares three years with themselves).
	yearAgo bool
}

// storedGrain is the table grain the window reads.
func (w window) storedGrain() aggregate.Grain {
	if w.daily {
		return aggregate.Day
	}
	return aggregate.Month
}

// keys returns the stored key range of r for the window's grain.
func (w window) keys(r period.Range) (string, string) {
	if w.daily {
		return r.DayKeys()
	}
	return r.MonthKeys()
}

// allKeys returns the stored key range of the window itself, open ends
// included.
func (w window) allKeys() (string, string) {
	from, to := w.keys(w.r)
	if w.openFrom {
		from = "0000-00"
	}
	if w.openTo {
		to = "9999-12"
	}
	return from, to
}

// rangeParams are the parameters parseWindow reads.
func rangeParams() []string { return []string{"period", "from", "to", "grain", "fiscal_year_start"} }

// parseWindow reads period, from, to, grain and fiscal_year_start.
// requireClosed demands a closed range (trends); defGrain is the grain
// when neither grain nor a label implies one.
func (s *Service) parseWindow(q query, requireClosed bool, defGrain period.Grain, d dims) (window, error) {
	w := window{cal: s.cal}
	cal, err := s.calendarOf(q)
	if err != nil {
		return w, err
	}
	w.cal = cal
	explicitGrain := false
	if g, ok := q["grain"]; ok {
		pg, err := period.ParseGrain(g)
		if err != nil {
			return w, badRequest("Parameter grain must be one of %s, got %q.", grainNames(), truncate(g))
		}
		w.grain, explicitGrain = pg, true
	}
	label := func(name string) (period.Period, bool, error) { return periodLabel(q, w.cal, name) }
	per, hasPeriod, err := label("period")
	if err != nil {
		return w, err
	}
	from, hasFrom, err := label("from")
	if err != nil {
		return w, err
	}
	to, hasTo, err := label("to")
	if err != nil {
		return w, err
	}
	switch {
	case hasPeriod && (hasFrom || hasTo):
		return w, badRequest("Give either period or from/to, not both.")
	case hasPeriod:
		w.r, w.label = per.Range, per.Label()
		if !explicitGrain {
			w.grain = per.Grain
		}
	case hasFrom && hasTo:
		if from.From.After(to.To) {
			return w, badRequest("Parameter from (%s) is after to (%s).", from.Label(), to.Label())
		}
		w.r = period.Range{From: from.From, To: to.To}
		w.label = from.Label() + ".." + to.Label()
		if !explicitGrain {
			w.grain = period.Day
			for _, g := range []period.Grain{from.Grain, to.Grain, period.Month} {
				if g != period.Day && w.cal.Aligned(g, w.r) {
					w.grain = g
					break
				}
			}
		}
	case requireClosed:
		return w, badRequest("Give a range: period (e.g. period=2024 or period=2024-Q1) or from and to (e.g. from=2023-01&to=2024-06).")
	default:
		w.open, w.openFrom, w.openTo = true, !hasFrom, !hasTo
		w.label = "all"
		if hasFrom {
			w.r.From, w.label = from.From, from.Label()+".."
		}
		if hasTo {
			w.r.To, w.label = to.To, ".."+to.Label()
		}
		if (hasFrom && from.From.Day() != 1) || (hasTo && to.To.AddDays(1).Day() != 1) {
			return w, badRequest("An open range (from or to omitted) must start and end on month boundaries; give both from and to for a range of days or weeks.")
		}
		if explicitGrain && w.grain.NeedsDays() {
			return w, badRequest("Grain %s needs a closed range: give both from and to.", w.grain)
		}
		if !explicitGrain {
			w.grain = period.Month
		}
		return w, nil
	}
	if w.grain == "" {
		w.grain = defGrain
	}
	if !w.cal.Aligned(w.grain, w.r) {
		ex := w.cal.Of(w.grain, w.r.From)
		return w, badRequest("The range %s is not made of whole %s periods; with grain=%s use labels such as %s.", w.r, w.grain, w.grain, ex.Label())
	}
	if !w.r.To.Before(w.r.From.AddMonths(12 * maxYears)) {
		return w, badRequest("The range %s is longer than %d years.", w.r, maxYears)
	}
	w.daily = w.grain.NeedsDays() || !w.r.MonthAligned()
	if w.daily && d.crossed() {
		return w, badRequest("Crossed dimensions are stored by month: use grain month, quarter, year, fiscal_quarter or fiscal_year with month-aligned from/to.")
	}
	if w.daily && w.r.Days() > maxDayRange {
		return w, badRequest("The range %s has %d days; ranges that need day data (grain day or week, or not whole months) are limited to %d days. Use a coarser grain or whole months.", w.r, w.r.Days(), maxDayRange)
	}
	w.comparable = true
	w.yearAgo = period.YearAgo(w.grain, w.r).To.Before(w.r.From)
	return w, nil
}

// calendarOf returns the calendar a request names with fiscal_year_start,
// or the deployment's.
func (s *Service) calendarOf(q query) (period.Calendar, error) {
	fs, ok := q["fiscal_year_start"]
	if !ok {
		return s.cal, nil
	}
	n, err := strconv.Atoi(fs)
	if err != nil || n < 1 || n > 12 {
		return s.cal, badRequest("Parameter fiscal_year_start must be a month number 1 to 12 (4 for April), got %q.", truncate(fs))
	}
	cal, _ := period.NewCalendar(time.Month(n))
	return cal, nil
}

// periodLabel reads parameter name as a period label of cal; ok is false
// when the parameter is absent or empty.
func periodLabel(q query, cal period.Calendar, name string) (p period.Period, ok bool, err error) {
	v, ok := q[name]
	if !ok || v == "" {
		return period.Period{}, false, nil
	}
	if p, err = cal.Parse(v); err != nil {
		return p, true, badRequest("Parameter %s: %q is not a period; use a day (YYYY-MM-DD), ISO week (YYYY-Www), month (YYYY-MM), quarter (YYYY-Qn), year (YYYY), fiscal year (FYyyyy) or fiscal quarter (FYyyyy-Qn).", name, truncate(v))
	}
	return p, true, nil
}

func grainNames() string {
	var names []string
	for _, g := range period.Grains() {
		names = append(names, string(g))
	}
	return strings.Join(names, ", ")
}

// parseInt reads an optional integer parameter within [lo, hi].
func parseInt(q query, name string, def, lo, hi int) (int, error) {
	v, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("Parameter %s must be a whole number from %d to %d, got %q.", name, lo, hi, truncate(v))
	}
	return n, nil
}
