package api

import (
	"context"
	"fmt"
	"sort"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/store"
)

// load reads the rows a window needs: the window itself when it is open,
// otherwise the given closed ranges. Ranges are merged when the gap between
// them is no longer than their total length, so a window and its
// comparisons usually cost one manifest read and one Query.
func (s *Service) load(ctx context.Context, d dims, w window, ranges ...period.Range) ([]row, error) {
	var keys []store.KeyRange
	if w.open {
		from, to := w.allKeys()
		keys = []store.KeyRange{{From: from, To: to}}
	} else {
		// Month data is small (one item per value and month), so reading a
		// year between the ranges beats another round trip; day data is
		// not.
		slack := 0
		if !w.daily {
			slack = 366
		}
		for _, r := range mergeRanges(ranges, slack) {
			from, to := w.keys(r)
			keys = append(keys, store.KeyRange{From: from, To: to})
		}
	}
	parts, _, err := s.r.QueryRanges(ctx, d.stored, w.storedGrain(), keys)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", d.stored, err)
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	rows := make([]row, 0, n)
	for _, p := range parts {
		for _, r := range p {
			day, err := rowDate(r)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row{Row: r, day: day})
		}
	}
	return rows, nil
}

// row is a stored row with the first day of its period.
type row struct {
	store.Row
	day period.Date
}

// mergeRanges sorts ranges and joins overlapping ones, and ones separated
// by a gap no longer than the ranges' total length or slack days, whichever
// is more: reading the gap costs less than another round trip.
func mergeRanges(rs []period.Range, slack int) []period.Range {
	if len(rs) == 0 {
		return nil
	}
	sorted := append([]period.Range(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].From.Before(sorted[j].From) })
	total := 0
	for _, r := range rs {
		total += r.Days()
	}
	out := []period.Range{sorted[0]}
	for _, r := range sorted[1:] {
		last := &out[len(out)-1]
		gap := r.From.DaysSince(last.To) - 1
		if gap <= max(total, slack) {
			if r.To.After(last.To) {
				last.To = r.To
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// rowDate is the first day of a row's stored period.
func rowDate(r store.Row) (period.Date, error) {
	key := r.Period
	if len(key) == 7 {
		key += "-01"
	}
	d, err := period.ParseDate(key)
	if err != nil {
		return d, fmt.Errorf("stored period %q: %w", r.Period, err)
	}
	return d, nil
}

// sums are measures by stored value.
type sums map[string]*aggregate.Measures

func (m sums) add(value string, x aggregate.Measures) error {
	cur, ok := m[value]
	if !ok {
		m[value] = &aggregate.Measures{}
		cur = m[value]
	}
	return cur.Add(x)
}

func (m sums) revenue(value string) decimal.Decimal {
	if x, ok := m[value]; ok {
		return x.Revenue
	}
	return decimal.Decimal{}
}

// sumIn sums rows whose period lies in r (all rows when all is true), by
// value, keeping only values keep accepts (all when keep is nil).
func sumIn(rows []row, r period.Range, all bool, keep func(string) bool) (sums, error) {
	out := sums{}
	for _, row := range rows {
		if keep != nil && !keep(row.Value) {
			continue
		}
		if !all && !r.Contains(row.day) {
			continue
		}
		if err := out.add(row.Value, row.Measures); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// total sums every value's measures.
func (m sums) total() (aggregate.Measures, error) {
	var t aggregate.Measures
	for _, x := range m {
		if err := t.Add(*x); err != nil {
			return t, err
		}
	}
	return t, nil
}

// ranked returns the values ordered by revenue, largest first, then by
// value; the order pages and top-N follow.
func (m sums) ranked() []string {
	out := make([]string, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return rankLess(m[out[i]].Revenue, out[i], m[out[j]].Revenue, out[j]) })
	return out
}

func rankLess(ra decimal.Decimal, va string, rb decimal.Decimal, vb string) bool {
	if c := ra.Cmp(rb); c != 0 {
		return c > 0
	}
	return va < vb
}

// page cuts a ranked list after the cursor position and to limit values,
// returning the page and the cursor key of its last value when more
// follow.
func page(ranked []string, m sums, after []string, limit int) ([]string, []string, error) {
	start := 0
	if after != nil {
		rev, err := decimal.Parse(after[0])
		if err != nil {
			return nil, nil, badRequest("Parameter cursor is not valid for this query: start again without cursor.")
		}
		start = sort.Search(len(ranked), func(i int) bool { return rankLess(rev, after[1], m[ranked[i]].Revenue, ranked[i]) })
	}
	end := min(start+limit, len(ranked))
	out := ranked[start:end]
	if end < len(ranked) && len(out) > 0 {
		last := out[len(out)-1]
		return out, []string{m[last].Revenue.String(), last}, nil
	}
	return out, nil, nil
}

// rest sums the measures of the values not in shown.
func (m sums) rest(shown []string) (aggregate.Measures, int, error) {
	in := make(map[string]bool, len(shown))
	for _, v := range shown {
		in[v] = true
	}
	var t aggregate.Measures
	n := 0
	for v, x := range m {
		if in[v] {
			continue
		}
		n++
		if err := t.Add(*x); err != nil {
			return t, n, err
		}
	}
	return t, n, nil
}

// restOf sums the measures of m's values that are not in shown but are in
// universe (the values ranked in the current range).
func (m sums) restOf(universe sums, shown []string) (aggregate.Measures, error) {
	in := make(map[string]bool, len(shown))
	for _, v := range shown {
		in[v] = true
	}
	var t aggregate.Measures
	for v, x := range m {
		if _, ok := universe[v]; !ok || in[v] {
			continue
		}
		if err := t.Add(*x); err != nil {
			return t, err
		}
	}
	return t, nil
}

// compared are a window's sums with those of the previous range and the
// same range a year earlier (empty when the window is not comparable).
type compared struct {
	cur, prev, ya sums
	comparisons   Comparisons
}

// loadCompared reads the window's range and, when it is comparable, the
// previous range and the year-ago range in the same manifest read, and sums
// each over the values keep accepts (all values for nil keep).
func (s *Service) loadCompared(ctx context.Context, d dims, w window, keep func(string) bool) (compared, error) {
	var c compared
	ranges := []period.Range{w.r}
	var prevR, yaR period.Range
	if w.comparable {
		var err error
		if prevR, err = w.cal.Previous(w.grain, w.r); err != nil {
			return c, err
		}
		yaR = period.YearAgo(w.grain, w.r)
		ranges = append(ranges, prevR)
		if w.yearAgo {
			ranges = append(ranges, yaR)
		}
		c.comparisons = comparisonsOf(w, prevR, yaR)
	}
	rows, err := s.load(ctx, d, w, ranges...)
	if err != nil {
		return c, err
	}
	if c.cur, err = sumIn(rows, w.r, w.open, keep); err != nil {
		return c, err
	}
	c.prev, c.ya = sums{}, sums{}
	if w.comparable {
		if c.prev, err = sumIn(rows, prevR, false, keep); err != nil {
			return c, err
		}
		if w.yearAgo {
			if c.ya, err = sumIn(rows, yaR, false, keep); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}
