package parser

import (
	"fmt"
	"hash/maphash"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/segment"
	"github.com/salesseg/salesseg/internal/tabular"
)

// maxValueBytes bounds a customer id or dimension value: they become parts
// of aggregate keys.
const maxValueBytes = 256

// cellMeasures are the additive figures of a row.
type cellMeasures struct {
	revenue, cost, units exact
	lines, costLines     int64
	ordersNoID           int64 // lines without an order id: an order each
	returns, noCustomer  int64
}

// cell is the finest aggregate: one raw date and one tuple (the row's
// value id per dimension, see tupleTable), with its sums. Its orders are
// those that lie wholly in it: lines without an order id, and the orders
// whose set is this cell alone (see countSet).
type cell struct {
	keyAcc
	date  notation.RawDate
	tuple uint32
}

// addRow adds a row's measures; on error (a sum past 19 digits, wrapping
// aggregate.ErrOverflow) c may be partly changed, which does not matter as
// the error ends the parse. A zero cost or units does not add, so that its
// scale ("0.00") does not widen the sum's.
func (c *cell) addRow(m *cellMeasures) error {
	if err := addExact(&c.coef[0], &c.meta[0], m.revenue); err != nil {
		return err
	}
	if !m.cost.isZero() {
		if err := addExact(&c.coef[1], &c.meta[1], m.cost); err != nil {
			return err
		}
	}
	if !m.units.isZero() {
		if err := addExact(&c.coef[2], &c.meta[2], m.units); err != nil {
			return err
		}
	}
	c.lines += m.lines
	c.costLines += m.costLines
	c.orders += m.ordersNoID
	return nil
}

// sideCounts are the returns and rows without a customer among the rows
// whose date only reads in one day/month order (by that order), or in
// either: the rows of the order that loses are rejected at the end.
type sideCounts struct {
	returns, noCustomer int64
	date                notation.RawDate // one of the side's dates, 0 for none
}

// dimValues interns one dimension's values; id 0 is segment.Blank.
type dimValues struct {
	interner
	// raw caches banded dimensions: raw cell → value id.
	raw map[string]uint32
}

func newDimValues() dimValues {
	return dimValues{interner: newInterner(6, segment.Blank), raw: map[string]uint32{}}
}

// accumulator validates rows and sums the valid ones into cells, orders
// and purchases. Cells keep raw dates until the date column's order is
// decided at the end.
//
// It works in two stages on two goroutines (see pipeline): parseRow
// (stage 1: splitting, validation, dates, numbers, interning values) owns
// the fields above the blank line; prepare and aggregate (stage 2: value
// combinations, cells, orders, purchases) own those below it. finish runs
// after both stopped.
type accumulator struct {
	cm         *columnMap
	opt        *Options
	dims       []dimSource
	vals       [maxDims]dimValues
	dates      *notation.DateColumn
	comma      [numFields]bool
	decimal    map[string]string
	typed      bool
	seed       maphash.Seed
	currencies map[string]struct{}
	customers  interner

	tuples  tupleTable
	cells   chunked[cell]
	cellIdx *keyTable // raw date << 32 | tuple → cell
	log     orderLog  // runs of orders' lines, see orderLog
	sets    orderSets
	hist    *historyTable
	// How many orders currently have each set: per interned set (in their
	// cells' orders for one-cell sets; private sets have one order each).
	multiCount []int64
	deals      []dealSums    // by cell, for files with a deal stage; shorter when the last cells have none
	sides      [3]sideCounts // by a row's side+1
	open       openOrder
	sink       uint64 // keeps prepare's warming loads from being optimised away
}

// parsedRow is a row after stage 1: either rejected (rowErr) or ready to
// be aggregated.
type parsedRow struct {
	rowErr   *RowError
	m        cellMeasures
	date     notation.RawDate
	tuple    uint32 // interned vals, set by prepare
	vals     [maxDims]uint32
	cust     uint32 // customer index+1, 0 for none
	cell     uint32 // set by prepare
	purchase uint32 // purchase index+1, 0 for none; set by prepare
	order    uint64 // hash of the order id
	hasOrder bool
	side     int8             // the date's day/month vote, -1 for none
	deal     int8             // dealWon, dealLost, or 0 (no stage, or open)
	created  notation.RawDate // a closed deal's created date, 0 for none
}

// Outcomes of a deal stage.
const (
	dealWon  = 1
	dealLost = 2
)

// dealOutcome reads a deal stage: Won, Closed Won, closed-won… are won,
// Lost, Closed Lost… lost; anything else is an open stage (0).
func dealOutcome(stage []byte) int8 {
	var buf [16]byte
	n := 0
	for _, c := range stage {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c < 'a' || c > 'z':
			continue
		}
		if n == len(buf) {
			return 0
		}
		buf[n] = c
		n++
	}
	switch string(buf[:n]) {
	case "won", "win", "closedwon", "wonclosed", "closewon":
		return dealWon
	case "lost", "loss", "closedlost", "lostclosed", "closelost":
		return dealLost
	}
	return 0
}

// dealSums are a cell's closed deals: won and lost lines, and of those
// with a created date, how many and the sums of their created day numbers
// under each day/month order (the close date's order decides at the end).
type dealSums struct {
	won, lost, cycled      int64
	createdMDY, createdDMY int64
	wonRevenue             exact
}

func newAccumulator(cm *columnMap, opt *Options, date1904 bool) *accumulator {
	a := &accumulator{cm: cm, opt: opt, dates: notation.NewDateColumn(opt.DateOrder, date1904),
		cellIdx: &keyTable{}, seed: maphash.MakeSeed(),
		sets: newOrderSets(), hist: newHistoryTable(), currencies: map[string]struct{}{},
		customers: newInterner(12)}
	have := map[segment.Dimension]bool{}
	for _, d := range cm.dims {
		have[d.dim] = true
	}
	extra := map[segment.Dimension]bool{}
	if cm.has(fieldCustomer) {
		for _, attrs := range opt.Customers {
			for d := range attrs {
				if !have[d] && d != segment.Total {
					extra[d] = true
				}
			}
		}
	}
	for _, d := range segment.All() {
		if i := slices.IndexFunc(cm.dims, func(s dimSource) bool { return s.dim == d }); i >= 0 {
			a.dims = append(a.dims, cm.dims[i])
		} else if extra[d] {
			a.dims = append(a.dims, dimSource{dim: d, kind: fromCustomers, col: cm.col[fieldCustomer]})
		}
	}
	for i := range a.dims {
		a.vals[i] = newDimValues()
	}
	return a
}

// decideNotation fixes each numeric column's decimal separator from the
// sample rows: the majority of the values that only read one way decides;
// a column with none follows the other columns' majority, else ',' for a
// ';'-delimited file and '.' otherwise. Typed cells always use '.'.
func (a *accumulator) decideNotation(sample []tabular.Record, typed, semicolon bool) {
	a.typed = typed
	if typed {
		return
	}
	a.decimal = map[string]string{}
	var votes [numFields][2]int
	decided := [2]int{}
	var undecided []field
	for f := range numFields {
		if !f.numeric() || !a.cm.has(f) {
			continue
		}
		if a.opt.DecimalSeparator != "" {
			a.comma[f] = a.opt.DecimalSeparator == ","
			a.decimal[a.cm.name(f)] = a.opt.DecimalSeparator + " (set by the options)"
			continue
		}
		col := a.cm.col[f]
		for _, rec := range sample {
			if col < len(rec.Fields) {
				switch notation.DecimalVote(notation.TrimSpace(rec.Fields[col])) {
				case '.':
					votes[f][0]++
				case ',':
					votes[f][1]++
				}
			}
		}
		switch v := votes[f]; {
		case v[0] > v[1]:
			decided[0]++
			a.decimal[a.cm.name(f)] = "."
		case v[1] > v[0]:
			decided[1]++
			a.comma[f] = true
			a.decimal[a.cm.name(f)] = ","
		default:
			undecided = append(undecided, f)
		}
	}
	for _, f := range undecided {
		comma := decided[1] > decided[0] || (decided[1] == decided[0] && semicolon)
		a.comma[f] = comma
		sep := "."
		if comma {
			sep = ","
		}
		a.decimal[a.cm.name(f)] = sep + " (assumed)"
	}
}

// cellValue returns column f of the row, trimmed, and whether the file has
// the column.
func (a *accumulator) cellValue(rec [][]byte, f field) ([]byte, bool) {
	i := a.cm.col[f]
	if i < 0 {
		return nil, false
	}
	return notation.TrimSpace(rec[i]), true
}

func (a *accumulator) rowErr(line int, f field, value []byte, err error) *RowError {
	return &RowError{Line: line, Column: a.cm.name(f), Value: rejectValue(value), Err: err}
}

// rejectValue renders a rejected value for the rejects file: at most 200
// bytes, invalid UTF-8 replaced.
func rejectValue(v []byte) string {
	if len(v) > 200 {
		return strings.ToValidUTF8(string(v[:200]), "\uFFFD") + "…"
	}
	return strings.ToValidUTF8(string(v), "\uFFFD")
}

// number parses a numeric field in its column's notation.
func (a *accumulator) number(f field, b []byte) (decimal.Decimal, error) {
	if a.typed {
		b = excelPrecision(b)
	}
	d, cur, err := notation.ParseAmount(b, a.comma[f])
	if cur != nil && len(a.currencies) < 8 {
		if _, ok := a.currencies[string(cur)]; !ok {
			a.currencies[string(cur)] = struct{}{}
		}
	}
	return d, err
}

// parseRow validates one row (stage 1). A row that fails validation is
// returned with rowErr set and changes nothing but the interned values.
func (a *accumulator) parseRow(rec tabular.Record, out *parsedRow) {
	*out = parsedRow{side: -1}
	out.rowErr = a.check(rec, out)
}

func (a *accumulator) check(rec tabular.Record, out *parsedRow) *RowError {
	f, line := rec.Fields, rec.Line
	if rec.Issue != nil {
		return &RowError{Line: line, Column: a.cm.colName(rec.IssueField), Err: fmt.Errorf("%w: %v", ErrMalformedRow, rec.Issue)}
	}
	if n := len(a.cm.header); len(f) != n {
		extraEmpty := len(f) > n
		for _, v := range f[min(n, len(f)):] {
			if len(notation.TrimSpace(v)) > 0 {
				extraEmpty = false
			}
		}
		if !extraEmpty {
			return &RowError{Line: line, Err: ErrFieldCount,
				Value: strconv.Itoa(len(f)) + " fields, the header has " + strconv.Itoa(n)}
		}
		f = f[:n]
	}
	for i, v := range f {
		if len(v) > tabular.MaxFieldBytes {
			return &RowError{Line: line, Column: a.cm.colName(i), Value: rejectValue(v[:64]) + "…", Err: ErrFieldTooLong}
		}
	}
	ds, _ := a.cellValue(f, fieldDate)
	if isMissing(ds) {
		return a.rowErr(line, fieldDate, ds, ErrMissingValue)
	}
	date, side, err := a.dates.Parse(ds)
	if err != nil {
		return a.rowErr(line, fieldDate, ds, err)
	}
	m := &out.m
	m.lines = 1
	var units, revenue decimal.Decimal
	if s, ok := a.cellValue(f, fieldQuantity); ok && !isMissing(s) {
		if units, err = a.number(fieldQuantity, s); err != nil {
			return a.rowErr(line, fieldQuantity, s, err)
		}
	} else if ok && !a.cm.has(fieldAmount) {
		return a.rowErr(line, fieldQuantity, s, ErrMissingValue)
	}
	if s, ok := a.cellValue(f, fieldAmount); ok {
		if isMissing(s) {
			return a.rowErr(line, fieldAmount, s, ErrMissingValue)
		}
		if revenue, err = a.number(fieldAmount, s); err != nil {
			return a.rowErr(line, fieldAmount, s, err)
		}
	} else {
		s, _ := a.cellValue(f, fieldUnitPrice)
		if isMissing(s) {
			return a.rowErr(line, fieldUnitPrice, s, ErrMissingValue)
		}
		price, err := a.number(fieldUnitPrice, s)
		if err != nil {
			return a.rowErr(line, fieldUnitPrice, s, err)
		}
		if revenue, err = units.MulExact(price, units.Scale()+price.Scale()); err != nil {
			return a.rowErr(line, fieldUnitPrice, s, fmt.Errorf("%w: quantity × unit price", aggregate.ErrOverflow))
		}
	}
	if s, ok := a.cellValue(f, fieldCost); ok && !isMissing(s) {
		cost, err := a.number(fieldCost, s)
		if err != nil {
			return a.rowErr(line, fieldCost, s, err)
		}
		m.cost, m.costLines = exactOf(cost), 1
	} else if s, ok := a.cellValue(f, fieldProfit); ok && !isMissing(s) {
		profit, err := a.number(fieldProfit, s)
		if err != nil {
			return a.rowErr(line, fieldProfit, s, err)
		}
		if m.cost, err = exactOf(revenue).add(exactOf(profit).neg()); err != nil {
			return a.rowErr(line, fieldProfit, s, err)
		}
		m.costLines = 1
	}
	order, hasOrder := a.cellValue(f, fieldOrder)
	hasOrder = hasOrder && !isMissing(order)
	m.units, m.revenue = exactOf(units), exactOf(revenue)
	if m.units.isNeg() || (a.cm.invoice && hasOrder && cancellation(order)) {
		m.returns = 1
		if m.revenue.isPos() {
			m.revenue = m.revenue.neg()
		}
		if m.cost.isPos() {
			m.cost = m.cost.neg()
		}
		if m.units.isPos() {
			m.units = m.units.neg()
		}
	}
	cust, _ := a.cellValue(f, fieldCustomer)
	if isMissing(cust) {
		m.noCustomer = 1
	} else if out.cust = a.customer(cust); out.cust == 0 {
		return a.rowErr(line, fieldCustomer, cust, ErrBadText)
	}
	var vals [maxDims]uint32
	for i := range a.dims {
		id, ok := a.dimValue(i, f, cust)
		if !ok {
			return &RowError{Line: line, Column: a.cm.colName(a.dims[i].col), Value: rejectValue(notation.TrimSpace(f[a.dims[i].col])), Err: ErrBadText}
		}
		vals[i] = id
	}
	if hasOrder {
		out.order, out.hasOrder = max(maphash.Bytes(a.seed, order), 1), true // keyTable keys are nonzero
	} else {
		m.ordersNoID = 1
	}
	if s, ok := a.cellValue(f, fieldStage); ok {
		if out.deal = dealOutcome(s); out.deal != 0 {
			if cs, ok := a.cellValue(f, fieldCreated); ok && !isMissing(cs) {
				cr, err := a.dates.ParseOther(cs)
				if err != nil {
					return a.rowErr(line, fieldCreated, cs, err)
				}
				createdMDY, createdDMY := cr.DayNumbers()
				closedMDY, closedDMY := date.DayNumbers()
				if createdMDY > closedMDY && createdDMY > closedDMY {
					return a.rowErr(line, fieldCreated, cs, ErrCreatedAfterClose)
				}
				out.created = cr
			}
		}
	}
	out.date, out.vals = date, vals
	if side >= 0 {
		a.dates.Vote(side, line, ds)
		out.side = int8(side)
	}
	return nil
}

// aggregate adds a valid row to the cells, orders and purchases (stage 2);
// prepare must have seen its batch. Its only error is a sum overflowing 19
// digits, a file-level error.
func (a *accumulator) aggregate(r *parsedRow) error {
	ci, p := r.cell, r.purchase
	if err := a.cells.at(ci).addRow(&r.m); err != nil {
		return err
	}
	if s := &a.sides[r.side+1]; r.m.returns != 0 || r.m.noCustomer != 0 || s.date == 0 {
		s.returns += r.m.returns
		s.noCustomer += r.m.noCustomer
		s.date = r.date
	}
	if p != 0 {
		if err := a.hist.add(p, r.tuple, &r.m); err != nil {
			return err
		}
	}
	if r.deal != 0 {
		if err := a.addDeal(ci, r); err != nil {
			return err
		}
	}
	if !r.hasOrder {
		if p != 0 {
			a.hist.rows.at(p-1).orders++
		}
		return nil
	}
	if !a.open.ok || r.order != a.open.key {
		a.openOrder(r.order)
	}
	o := &a.open
	a.addCell(ci)
	if p != 0 && o.purchase != p {
		if o.purchase == 0 {
			o.purchase = p
			a.hist.rows.at(p-1).orders++
		} else {
			a.hist.extraOrder(p, r.order)
		}
	}
	return nil
}

// addDeal counts a closed deal's row in cell ci. Its only error is its
// won revenue overflowing 19 digits.
func (a *accumulator) addDeal(ci uint32, r *parsedRow) error {
	if int(ci) >= len(a.deals) {
		a.deals = append(a.deals, make([]dealSums, int(ci)+1-len(a.deals))...)
	}
	d := &a.deals[ci]
	if r.deal == dealWon {
		won, err := d.wonRevenue.add(r.m.revenue)
		if err != nil {
			return err
		}
		d.won++
		d.wonRevenue = won
	} else {
		d.lost++
	}
	if r.created != 0 {
		mdy, dmy := r.created.DayNumbers()
		d.cycled++
		d.createdMDY += mdy
		d.createdDMY += dmy
	}
	return nil
}

// prepare finds (or creates) the cell and purchase of every valid row of
// a batch, warming the cache with their slots first: a batch's misses then
// overlap instead of stalling one row at a time.
func (a *accumulator) prepare(rows []parsedRow) {
	lastP := a.hist.lastKey
	for i := range rows {
		r := &rows[i]
		if r.rowErr != nil {
			continue
		}
		r.tuple = a.tuples.id(&r.vals)
		a.sink += a.cellIdx.touch(cellKeyOf(r))
		if r.cust != 0 {
			if k := purchaseKey(r.cust-1, r.date); k != lastP {
				a.sink += a.hist.idx.touch(k)
				lastP = k
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.rowErr != nil {
			continue
		}
		v, found := a.cellIdx.upsert(cellKeyOf(r))
		if !found {
			*v = uint64(a.cells.len())
			*a.cells.add() = cell{date: r.date, tuple: r.tuple}
		}
		r.cell = uint32(*v)
		a.sink += uint64(a.cells.at(r.cell).lines)
		if r.cust != 0 {
			r.purchase = a.hist.purchase(r.cust-1, r.date)
			a.sink += uint64(a.hist.rows.at(r.purchase - 1).lines)
		}
	}
}

// cellKeyOf is a row's key in cellIdx; never 0, as dates are not.
func cellKeyOf(r *parsedRow) uint64 { return uint64(r.date)<<32 | uint64(r.tuple) }

// countSet adds n to the number of orders whose set is s.
func (a *accumulator) countSet(s uint32, n int64) {
	switch {
	case s&setSingle != 0:
		a.cells.at(s &^ setSingle).orders += n
	case s&setBig != 0: // one order each
	default:
		for int(s) >= len(a.multiCount) {
			a.multiCount = append(a.multiCount, 0)
		}
		a.multiCount[s] += n
	}
}

// cancellation reports whether an invoice number is "C" and digits.
func cancellation(order []byte) bool {
	return len(order) > 1 && (order[0] == 'C' || order[0] == 'c') && notation.AllDigits(order[1:])
}

// customer interns a customer id; it returns index+1, or 0 when the id is
// not valid text.
func (a *accumulator) customer(id []byte) uint32 {
	c, ok := a.customers.id(id)
	if !ok {
		return 0
	}
	return c + 1
}

// dimValue returns the value id of dimension i for a row.
func (a *accumulator) dimValue(i int, f [][]byte, cust []byte) (uint32, bool) {
	src, vals := a.dims[i], &a.vals[i]
	switch src.kind {
	case fromColumn:
		v := notation.TrimSpace(f[src.col])
		if len(v) == 0 {
			return 0, true
		}
		return vals.id(v)
	case fromEmployees, fromAnnualRev:
		raw := notation.TrimSpace(f[src.col])
		if id, ok := vals.raw[string(raw)]; ok {
			return id, true
		}
		id := uint32(0)
		nf, bands := fieldEmployees, a.opt.employeeBands()
		if src.kind == fromAnnualRev {
			nf, bands = fieldAnnualRevenue, a.opt.revenueBands()
		}
		if n, err := a.number(nf, raw); err == nil && !n.IsNeg() {
			if name := bandOf(bands, n); name != "" {
				id, _ = vals.id([]byte(name))
			}
		}
		if len(vals.raw) < 100000 {
			vals.raw[string(raw)] = id
		}
		return id, true
	case fromCustomers:
		if isMissing(cust) {
			return 0, true
		}
		v := a.opt.Customers[string(cust)][src.dim]
		if v == "" {
			return 0, true
		}
		return vals.id([]byte(v))
	}
	return 0, true
}

// excelPrecision rounds a spreadsheet number written with more than 15
// significant digits (261.95999999999998, the float Excel stores) to the
// 15 Excel displays and users typed. Other values are returned unchanged.
func excelPrecision(b []byte) []byte {
	sig := 0
	for _, c := range b {
		if c >= '0' && c <= '9' && (sig > 0 || c != '0') {
			sig++
		}
	}
	if sig <= 15 {
		return b
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return b
	}
	return strconv.AppendFloat(nil, f, 'g', 15, 64)
}

// finish decides the date order, rejects the rows that contradict it,
// rolls cells up into the delta and prepares the purchase history.
func (a *accumulator) finish(res *Result, rejects RejectWriter) error {
	a.finishOrders()
	losers, err := a.dates.Decide()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	dropped := make([]bool, a.cells.len())
	var droppedLines int64
	for i := range dropped {
		if c := a.cells.at(uint32(i)); a.dates.Dropped(c.date) {
			dropped[i] = true
			droppedLines += c.lines
		}
	}
	if droppedLines != int64(len(losers)) {
		return fmt.Errorf("internal error: %d rows contradict the date order but %d were recorded", droppedLines, len(losers))
	}
	for _, l := range losers {
		if err := rejects.Reject(&RowError{Line: l.Line, Column: a.cm.name(fieldDate), Value: l.Value,
			Err: fmt.Errorf("%w %s (%s)", notation.ErrDateOrder, a.dates.Order(), a.dates.How())}); err != nil {
			return fmt.Errorf("write reject: %w", err)
		}
	}
	res.Accepted -= droppedLines
	res.Rejected += droppedLines

	// The purchase history is sorted while the cells roll up: the two
	// share only what they read.
	var histWG sync.WaitGroup
	defer histWG.Wait() // on the error returns below
	var hist *historyTable
	var histErr error
	histWG.Go(func() { hist, histErr = a.hist.finish(a) })
	r := newRollup(a, dropped)
	if err := r.run(); err != nil {
		return err
	}
	// The cells and orders are rolled up: let them go before the delta
	// is built.
	a.cells, a.cellIdx, a.log, a.sets, a.multiCount, a.deals = chunked[cell]{}, nil, orderLog{}, orderSets{}, nil, nil
	r.dropped, r.periods = nil, nil
	runtime.GC()
	if res.Delta, err = r.delta(); err != nil {
		return err
	}
	for _, s := range a.sides {
		if s.date == 0 || !a.dates.Dropped(s.date) {
			res.NoCustomer += s.noCustomer
			res.Format.Returns += s.returns
		}
	}

	f := &res.Format
	f.DateFormat = a.dates.Describe()
	f.DateOrder, f.DateOrderBasis = a.dates.Order(), ""
	if f.DateOrder != "" {
		f.DateOrderBasis = a.dates.How()
	}
	if len(a.decimal) > 0 {
		f.Decimal = a.decimal
	}
	f.Currencies = slices.Sorted(maps.Keys(a.currencies))
	for _, d := range a.dims {
		switch d.kind {
		case fromEmployees:
			f.SizeBands = "employees: " + describeBands(a.opt.employeeBands())
		case fromAnnualRev:
			f.SizeBands = "annual revenue: " + describeBands(a.opt.revenueBands())
		case fromCustomers:
			f.Columns[string(d.dim)] = "customers table"
		}
	}
	histWG.Wait()
	if histErr != nil {
		return histErr
	}
	res.history = hist
	a.customers.ids, a.tuples.idx = nil, keyTable{}
	return nil
}

func describeBands(bands []Band) string {
	var b []byte
	for i, band := range bands {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, band.Min, 10)
		if i+1 < len(bands) {
			b = append(b, '-')
			b = strconv.AppendInt(b, bands[i+1].Min-1, 10)
		} else {
			b = append(b, '+')
		}
		b = append(b, ' ')
		b = append(b, band.Name...)
	}
	return string(b)
}
