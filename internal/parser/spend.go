package parser

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/tabular"
)

var (
	// ErrBadPeriod is the reject reason for a spend row whose period is
	// neither a day in any date notation nor a month, quarter or year
	// label; weeks and fiscal periods are refused too, since they do not
	// add up to calendar months.
	ErrBadPeriod = errors.New("not a period: use a day, a month (2017-03), a quarter (2017-Q1) or a year (2017)")
	// ErrNegativeSpend is the reject reason for a spend amount below
	// zero: acquisition cost is money spent, and a refund belongs in the
	// row of the spend it refunds.
	ErrNegativeSpend = errors.New("negative spend")
)

// Spend is an acquisition spend table read by ParseSpend.
type Spend struct {
	// Records holds the spend per period label, segment and channel (rows
	// naming the same ones are summed), sorted by period, segment and
	// channel.
	Records  []history.Spend
	Rows     int64
	Accepted int64
	Rejected int64
	Format   Format
}

// spendSynonym maps a normalized header of a spend file to its field: the
// period (under the date field) and the amount. In a spend file "cost"
// is what was spent, not the cost of goods sold.
func spendSynonym(norm string) (field, bool) {
	switch norm {
	case "period", "month", "date", "day", "quarter", "year", "yearmonth", "monthyear", "spendmonth", "spenddate",
		"spendperiod", "periodstart", "startdate", "monthstart":
		return fieldDate, true
	case "spend", "cost", "amount", "budgetspent", "spendamount", "totalspend", "spent", "marketingspend", "adspend",
		"acquisitionspend", "acquisitioncost", "marketingcost", "mediaspend", "costamount", "spendusd", "costusd":
		return fieldAmount, true
	}
	return 0, false
}

// mapSpendHeader maps a spend file's header: a period and an amount are
// required; a segment and a channel column are optional, and no other
// dimension is read (spend is attributed to segments and channels only).
func mapSpendHeader(header []string, mapping map[string]string) (*columnMap, error) {
	ov, err := applyMapping(header, mapping)
	if err != nil {
		return nil, err
	}
	cm := ov.cm
	for i, norm := range ov.norms {
		if norm == "" || ov.used[i] {
			continue
		}
		var t target
		if f, ok := spendSynonym(norm); ok {
			t = target{f: f}
		} else if d, ok := dimSynonym(header[i]); ok && (d == dimension.Segment || d == dimension.Channel) {
			t = target{dim: d}
		} else {
			continue
		}
		if ov.fixed[t] {
			continue
		}
		if t.dim != "" {
			if _, taken := ov.dimCol[t.dim]; !taken {
				ov.dimCol[t.dim] = i
			}
		} else if cm.col[t.f] < 0 {
			cm.col[t.f] = i
		}
	}
	if !cm.has(fieldDate) {
		return nil, &HeaderError{Column: "period (month, date, quarter or year)", Err: ErrMissingColumn}
	}
	if !cm.has(fieldAmount) {
		return nil, &HeaderError{Column: "amount (spend, cost)", Err: ErrMissingColumn}
	}
	for _, d := range []dimension.Dimension{dimension.Segment, dimension.Channel} {
		if i, ok := ov.dimCol[d]; ok {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromColumn, col: i})
		}
	}
	return cm, nil
}

// spendRow is an accepted spend row whose day may still wait for the date
// column's day/month order.
type spendRow struct {
	line  int
	label string           // a month, quarter or year label, or "" for a day
	day   notation.RawDate // the day when label is ""
	value string           // the period as written, for a later reject
	seg   string
	ch    string
	spend decimal.Decimal
}

// ParseSpend reads an acquisition spend file (spend/*.csv, or XLSX,
// Parquet; detected like ParseWith): one row per period with the amount
// spent, and optionally the segment and the channel it was spent on. The
// period is a day in any notation ParseWith reads dates in (numeric
// day/month order decided over the column), or a month (2017-03), quarter
// (2017-Q1) or year (2017) label. The amount reads like a sales amount
// (decimal notation decided per column, currency signs, rounded half to
// even beyond 4 places) and may not be negative. Segment and channel
// values are spelled as in sales files, so they meet the customers'
// values. Rows for the same period, segment and channel are summed.
//
// Columns are found by synonyms ("Month", "Date", "Period" → period;
// "Spend", "Cost", "Amount", "Budget spent" → amount; the dimension
// synonyms of segment and channel) or Options.Mapping ("date", "amount",
// "segment", "channel"). Rows are rejected to rejects with their line,
// column and reason. Memory holds the table.
//
// Errors are those of ParseWith: ErrUnreadable, a *HeaderError (no period
// or no amount column), ErrBadOptions, money.ErrOverflow for a sum beyond
// 19 digits; on error the result is nil.
func ParseSpend(r io.Reader, name string, rejects RejectWriter, opt Options) (*Spend, error) {
	s, err := parseSpend(r, rejects, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

func parseSpend(r io.Reader, rejects RejectWriter, opt Options) (*Spend, error) {
	opt.Customers = nil
	out := &Spend{}
	var rows []spendRow
	labels := map[period.Grain]int64{}
	a, counts, err := scanTable(r, rejects, &opt, &out.Format, mapSpendHeader,
		func(a *accumulator, rec tabular.Record) *RowError {
			row, rowErr := a.spendRow(rec)
			if rowErr == nil {
				rows = append(rows, row)
			}
			return rowErr
		})
	if err != nil {
		return nil, err
	}
	out.Rows, out.Accepted, out.Rejected = counts.rows, counts.accepted, counts.rejected
	if _, err := a.dates.Decide(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	type key struct{ period, seg, ch string }
	sums := map[key]decimal.Decimal{}
	for _, row := range rows {
		label := row.label
		if label == "" {
			if a.dates.Dropped(row.day) {
				out.Accepted--
				out.Rejected++
				if err := rejects.Reject(&RowError{Line: row.line, Column: a.cm.name(fieldDate), Value: row.value,
					Err: fmt.Errorf("%w %s (%s)", notation.ErrDateOrder, a.dates.Order(), a.dates.How())}); err != nil {
					return nil, fmt.Errorf("write reject: %w", err)
				}
				continue
			}
			y, m, d := a.dates.Resolve(row.day)
			label = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
			labels[period.Day]++
		} else {
			g, _ := spendLabel(label)
			labels[g]++
		}
		k := key{label, row.seg, row.ch}
		sum, err := money.Add(sums[k], row.spend)
		if err != nil {
			return nil, fmt.Errorf("spend of %s: %w", label, err)
		}
		sums[k] = sum
	}
	for _, k := range slices.SortedFunc(maps.Keys(sums), func(x, y key) int {
		return cmp.Or(cmp.Compare(x.period, y.period), cmp.Compare(x.seg, y.seg), cmp.Compare(x.ch, y.ch))
	}) {
		out.Records = append(out.Records, history.Spend{Period: k.period, Amount: sums[k].String(), Segment: k.seg, Channel: k.ch})
	}
	f := &out.Format
	var kinds []string
	for _, g := range []period.Grain{period.Year, period.Quarter, period.Month} {
		if n := labels[g]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s labels (%d)", g, n))
		}
	}
	if days := a.dates.Describe(); days != "" {
		kinds = append(kinds, days)
	}
	f.DateFormat = strings.Join(kinds, ", ")
	if f.DateOrder = a.dates.Order(); f.DateOrder != "" {
		f.DateOrderBasis = a.dates.How()
	}
	f.Currencies = slices.Sorted(maps.Keys(a.currencies))
	f.Rounded = a.roundedColumns()
	f.Normalized = a.normalized()
	return out, nil
}

// spendLabel reads a period label a spend row may give instead of a day:
// a month, quarter or year. ok is false for anything else, a week or a
// fiscal period included.
func spendLabel(s string) (period.Grain, bool) {
	if len(s) != 4 && len(s) != 7 {
		return "", false
	}
	p, err := period.Calendar{}.Parse(s)
	if err != nil {
		return "", false
	}
	switch p.Grain {
	case period.Month, period.Quarter, period.Year:
		return p.Grain, true
	}
	return "", false
}

// spendRow reads one row of a spend file.
func (a *accumulator) spendRow(rec tabular.Record) (spendRow, *RowError) {
	f, line := rec.Fields, rec.Line
	if rec.Issue != nil {
		return spendRow{}, &RowError{Line: line, Column: a.cm.colName(rec.IssueField), Err: fmt.Errorf("%w: %v", ErrMalformedRow, rec.Issue)}
	}
	if n := len(a.cm.header); len(f) < n {
		return spendRow{}, &RowError{Line: line, Err: ErrFieldCount, Value: fmt.Sprintf("%d fields, the header has %d", len(f), n)}
	}
	row := spendRow{line: line}
	ps, _ := a.cellValue(f, fieldDate)
	if isMissing(ps) {
		return row, a.rowErr(line, fieldDate, ps, ErrMissingValue)
	}
	row.value = rejectValue(ps)
	side := -1
	if _, ok := spendLabel(string(ps)); ok {
		row.label = strings.ToUpper(string(ps))
	} else {
		var err error
		if row.day, side, err = a.dates.Parse(ps); err != nil {
			return row, a.rowErr(line, fieldDate, ps, fmt.Errorf("%w (%v)", ErrBadPeriod, err))
		}
	}
	as, _ := a.cellValue(f, fieldAmount)
	if isMissing(as) {
		return row, a.rowErr(line, fieldAmount, as, ErrMissingValue)
	}
	amount, err := a.number(fieldAmount, as)
	if err != nil {
		return row, a.rowErr(line, fieldAmount, as, err)
	}
	if amount.IsNeg() {
		return row, a.rowErr(line, fieldAmount, as, ErrNegativeSpend)
	}
	var rounded roundedFields
	row.spend = rounded.fit(fieldAmount, amount)
	for i, d := range a.dims {
		id, ok := a.dimValue(i, f, nil)
		if !ok {
			return row, &RowError{Line: line, Column: a.cm.colName(d.col), Value: rejectValue(notation.TrimSpace(f[d.col])), Err: ErrBadText}
		}
		if id == 0 {
			continue
		}
		if d.dim == dimension.Segment {
			row.seg = a.vals[i].names[id]
		} else {
			row.ch = a.vals[i].names[id]
		}
	}
	// Only an accepted row counts: its rounding, and its date's vote for
	// the column's day/month order.
	for _, fl := range rounded.list() {
		a.rounded[fl]++
	}
	if side >= 0 {
		a.dates.Vote(side, line, ps)
	}
	return row, nil
}
