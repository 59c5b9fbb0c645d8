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

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/spelling"
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
// whose set is this cell alone (see countSet). Cells are a cache in front
// of the rollup (see rollup), so a cell may come and go several times.
// It keeps its tuple's values too: in a file of many combinations, looking
// them up when the cell rolls up would cost a cache miss a cell.
type cell struct {
	keyAcc
	date  notation.RawDate
	tuple uint32
	vals  [maxDims]uint32
}

// cellRef names a cell whether or not it is in the cache: its raw date <<
// 32 | its tuple. It is never 0, as dates are not.
type cellRef = uint64

func refOf(date notation.RawDate, tuple uint32) cellRef { return uint64(date)<<32 | uint64(tuple) }
func refDate(c cellRef) notation.RawDate                { return notation.RawDate(c >> 32) }
func refTuple(c cellRef) uint32                         { return uint32(c) }

// cellCache is how many cells the cache holds before the cells whose date
// can be read roll up: enough for every cell of a file with few
// combinations of values (which then roll up once, at the end).
const cellCache = 1 << 17

// addRow adds a row's measures; on error (a sum past 19 digits, wrapping
// money.ErrOverflow) c may be partly changed, which does not matter as
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

// dimValues interns one dimension's values; id 0 is dimension.Blank.
type dimValues struct {
	interner
	// raw caches banded dimensions: raw cell → value id.
	raw map[string]uint32
}

// newDimValues returns the value table of dimension d, spelling values as
// opt says (see Options.Values and Options.KeepSpelling); match, nil
// without a lookup keyed by d, finds the lookup's spelling of a value.
func newDimValues(d dimension.Dimension, opt *Options, match func(string) (string, bool)) dimValues {
	v := dimValues{interner: newInterner(6, dimension.Blank), raw: map[string]uint32{}}
	own := opt.Values[string(d)]
	switch {
	case opt.KeepSpelling && len(own) == 0:
	case opt.KeepSpelling:
		v.canon = func(s string) string {
			if o, ok := own[s]; ok {
				return o
			}
			return s
		}
	default:
		// The user's respelling wins; after the built-in rules it
		// applies again, so {"United States": "USA"} also catches "US".
		// A lookup keyed by d then gives its own spelling of a value
		// written with other case or spacing.
		v.canon = func(s string) string {
			if o, ok := own[s]; ok {
				return o
			}
			if d == dimension.Country {
				s, _ = spelling.Country(s)
			} else {
				s = spelling.Tidy(s)
			}
			if o, ok := own[s]; ok {
				return o
			}
			if match != nil {
				if o, ok := match(s); ok {
					return o
				}
			}
			return s
		}
	}
	return v
}

// accumulator validates rows and sums the valid ones into cells, orders
// and purchases. Cells keep raw dates until the date column's order is
// decided at the end.
//
// It works in two stages on two goroutines (see stagePipe): parseRow
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
	// names numbers the customer names of a file with a name column.
	names interner
	// rounded counts, by field, the values of accepted rows rounded to
	// moneyScale decimals.
	rounded [numFields]int64

	tuples  tupleTable
	cells   []cell   // the cell cache
	cellIdx keyTable // cellRef → index in cells
	cellCap int      // the cache's length that makes it roll up
	// cacheSize is cellCap when the cache holds no cell that must stay.
	cacheSize int
	deals     []dealSums // by index in cells, for files with a deal stage; shorter when the last cells have none
	roll      *rollup
	roller    *roller
	members   []orderMember // scratch of addOrders
	// tupleHashes is scratch of prepare: the hashes of a batch's tuples.
	tupleHashes []uint64
	log         orderLog // runs of orders' lines, see orderLog
	sets        orderSets
	hist        *historyTable // nil when spilled
	spill       *historySpill // the purchase history when spilled
	orders      *orderSpill   // the log of orders' runs when spilled (log stays empty)
	// pending holds the orders of interned sets not yet added to their
	// keys (see countSet).
	pending pendingOrders
	// spareSets is the memory of forgotten sets, reused by forgetSets.
	spareSets orderSets
	sides     [3]sideCounts // by a row's side+1
	// votes counts the accepted rows whose date only reads month first,
	// and day first; decided is set once the file's order is decided.
	votes   [2]int64
	decided bool
	// droppedLines counts the rolled-up rows (lines, and lost deals,
	// which have none) whose date contradicts the order.
	droppedLines int64
	// The last date period resolved.
	lastDate            notation.RawDate
	lastPeriod          cellPeriod
	lastDropped, lastOK bool
	open                openOrder
	sink                uint64 // keeps prepare's warming loads from being optimised away

	// In a file with a deal stage, every accepted row's deal (stage 2)
	// and the stages as written (stage 1).
	dealRecs chunked[dealRec]
	stages   []string
	stageIdx map[string]uint32
	// matchers find, by the dimension a lookup is keyed by, the lookup
	// key a value names (see Table.matcher); read-only once built.
	matchers map[dimension.Dimension]func(string) (string, bool)
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
	name     uint32 // customer name index+1, 0 for none
	cell     uint32 // set by prepare
	purchase uint32 // purchase index+1, 0 for none; set by prepare
	order    uint64 // hash of the order id
	hasOrder bool
	side     int8             // the date's day/month vote, -1 for none
	deal     int8             // dealWon, dealLost, or 0 (no stage, or open)
	created  notation.RawDate // a closed deal's created date, 0 for none
	// lostValue is a lost deal's value (its measures are zero); open
	// marks an open deal, accepted but neither a sale nor a closed deal.
	lostValue exact
	open      bool
	// noAccount marks a deal without an account in a file with an
	// account column, reported in Format.DealsWithoutAccount.
	noAccount bool
	// A deal's id, account (customer index+1, kept for lost deals too),
	// stage (see accumulator.stageID), and an open deal's value.
	dealID    string
	account   uint32
	stage     uint32
	openValue exact
	hasValue  bool
}

// openDeal accepts an open deal's row (a stage neither won nor lost): it
// is pipeline, not a sale, so it needs no close date or value, but a
// created date or value it has must read as one.
func (a *accumulator) openDeal(f [][]byte, line int, out *parsedRow) *RowError {
	if cs, ok := a.cellValue(f, fieldCreated); ok && !isMissing(cs) {
		cr, err := a.dates.ParseOther(cs)
		if err != nil {
			return a.rowErr(line, fieldCreated, cs, err)
		}
		out.created = cr
	}
	if s, ok := a.cellValue(f, fieldAmount); ok && !isMissing(s) {
		v, err := a.number(fieldAmount, s)
		if err != nil {
			return a.rowErr(line, fieldAmount, s, err)
		}
		var rounded roundedFields
		out.openValue, out.hasValue = exactOf(rounded.fit(fieldAmount, v)), true
		for _, fl := range rounded.list() {
			a.rounded[fl]++
		}
	}
	cust, ok := a.cellValue(f, fieldCustomer)
	out.open, out.noAccount = true, ok && isMissing(cust)
	if !isMissing(cust) {
		if out.account = a.customer(cust); out.account == 0 {
			return a.rowErr(line, fieldCustomer, cust, ErrBadText)
		}
	}
	vals, rowErr := a.rowValues(f, line, cust)
	out.vals = vals
	return rowErr
}

// rowValues returns the ids of a row's dimension values.
func (a *accumulator) rowValues(f [][]byte, line int, cust []byte) ([maxDims]uint32, *RowError) {
	var vals [maxDims]uint32
	for i := range a.dims {
		id, ok := a.dimValue(i, f, cust)
		if !ok {
			return vals, &RowError{Line: line, Column: a.cm.colName(a.dims[i].col), Value: rejectValue(notation.TrimSpace(f[a.dims[i].col])), Err: ErrBadText}
		}
		vals[i] = id
	}
	return vals, nil
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

// dealSums are a cell's closed deals: won and lost deals and their
// values, and by outcome (won, lost) the cycles of those with a created
// date (the close date's order decides at the end).
type dealSums struct {
	won, lost           int64
	wonValue, lostValue exact
	cycles              [2]cycleSums
}

// cycleSums are closed deals with a created date: how many, and the sums
// of their created day numbers under each day/month order.
type cycleSums struct {
	n, createdMDY, createdDMY int64
}

// ambiguous reports whether the created dates' day numbers depend on the
// day/month order.
func (d *dealSums) ambiguous() bool {
	for _, c := range d.cycles {
		if c.n != 0 && c.createdMDY != c.createdDMY {
			return true
		}
	}
	return false
}

func newAccumulator(cm *columnMap, opt *Options, date1904 bool) (*accumulator, error) {
	a := &accumulator{cm: cm, opt: opt, dates: notation.NewDateColumn(opt.DateOrder, date1904),
		cellCap: cellCache, seed: maphash.MakeSeed(),
		sets: newOrderSets(), currencies: map[string]struct{}{},
		customers: newInterner(12), stageIdx: map[string]uint32{}}
	if opt.inMemory {
		a.hist = newHistoryTable(cm.has(fieldName))
	} else {
		dir := opt.spillDir
		if dir == "" {
			dir = opt.Read.TempDir
		}
		var err error
		if a.spill, err = newHistorySpill(dir, opt.spillPart, cm.has(fieldName)); err != nil {
			return nil, err
		}
		if a.orders, err = newOrderSpill(dir, opt.spillPart); err != nil {
			a.spill.close()
			return nil, err
		}
	}
	if cm.has(fieldName) {
		a.names = newInterner(10)
	}
	have := map[dimension.Dimension]bool{}
	for _, d := range cm.dims {
		have[d.dim] = true
	}
	extra := map[dimension.Dimension]bool{}
	if cm.has(fieldCustomer) {
		for _, attrs := range opt.Customers {
			for d := range attrs {
				if !have[d] && d != dimension.Total {
					extra[d] = true
				}
			}
		}
	}
	a.matchers = make(map[dimension.Dimension]func(string) (string, bool), len(opt.Lookups))
	for key, t := range opt.Lookups {
		if t != nil {
			a.matchers[key] = t.matcher()
		}
	}
	// A lookup's attributes join by its key dimension's column.
	looked := map[dimension.Dimension]dimension.Dimension{}
	for _, key := range slices.Sorted(maps.Keys(opt.Lookups)) {
		if !have[key] {
			continue
		}
		for _, attrs := range opt.Lookups[key].Attrs {
			for d := range attrs {
				if _, taken := looked[d]; !have[d] && !extra[d] && !taken && d != dimension.Total {
					looked[d] = key
				}
			}
		}
	}
	for _, d := range dimension.All() {
		if i := slices.IndexFunc(cm.dims, func(s dimSource) bool { return s.dim == d }); i >= 0 {
			a.dims = append(a.dims, cm.dims[i])
		} else if extra[d] {
			a.dims = append(a.dims, dimSource{dim: d, kind: fromCustomers, col: cm.col[fieldCustomer]})
		} else if key, ok := looked[d]; ok {
			k := slices.IndexFunc(cm.dims, func(s dimSource) bool { return s.dim == key })
			a.dims = append(a.dims, dimSource{dim: d, kind: fromLookup, col: cm.dims[k].col})
		}
	}
	for i := range a.dims {
		if src := &a.dims[i]; src.kind == fromLookup {
			src.key = slices.IndexFunc(a.dims, func(s dimSource) bool { return s.kind == fromColumn && s.col == src.col })
		}
	}
	for i, d := range a.dims {
		a.vals[i] = newDimValues(d.dim, opt, a.matchers[d.dim])
	}
	a.tuples.n = len(a.dims)
	if opt.cellCache > 0 {
		a.cellCap = opt.cellCache
	}
	a.cacheSize = a.cellCap
	a.roll = newRollup(a)
	a.roller = startRoller(a.roll)
	return a, nil
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
	if s, ok := a.cellValue(f, fieldStage); ok {
		if isMissing(s) {
			return a.rowErr(line, fieldStage, s, ErrMissingValue)
		}
		out.stage = a.stageID(s)
		if id, ok := a.cellValue(f, fieldOrder); ok && !isMissing(id) {
			out.dealID = string(id)
		}
		if out.deal = dealOutcome(s); out.deal == 0 {
			return a.openDeal(f, line, out)
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
	var rounded roundedFields
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
		revenue = rounded.fit(fieldAmount, revenue)
	} else {
		s, _ := a.cellValue(f, fieldUnitPrice)
		if isMissing(s) {
			return a.rowErr(line, fieldUnitPrice, s, ErrMissingValue)
		}
		price, err := a.number(fieldUnitPrice, s)
		if err != nil {
			return a.rowErr(line, fieldUnitPrice, s, err)
		}
		// The product of the unrounded quantity and price is what is
		// rounded, as an invoice line's amount is.
		if revenue, err = units.Mul(price); err == nil {
			err = notation.CheckRange(revenue)
		}
		if err != nil {
			return a.rowErr(line, fieldUnitPrice, s, fmt.Errorf("%w: quantity × unit price", notation.ErrAmountRange))
		}
		revenue = rounded.fit(fieldUnitPrice, revenue)
	}
	units = rounded.fit(fieldQuantity, units)
	if s, ok := a.cellValue(f, fieldCost); ok && !isMissing(s) {
		cost, err := a.number(fieldCost, s)
		if err != nil {
			return a.rowErr(line, fieldCost, s, err)
		}
		m.cost, m.costLines = exactOf(rounded.fit(fieldCost, cost)), 1
	} else if s, ok := a.cellValue(f, fieldProfit); ok && !isMissing(s) {
		profit, err := a.number(fieldProfit, s)
		if err != nil {
			return a.rowErr(line, fieldProfit, s, err)
		}
		profit = rounded.fit(fieldProfit, profit)
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
	cust, hasCust := a.cellValue(f, fieldCustomer)
	out.noAccount = out.deal != 0 && hasCust && isMissing(cust)
	if isMissing(cust) {
		m.noCustomer = 1
	} else if out.cust = a.customer(cust); out.cust == 0 {
		return a.rowErr(line, fieldCustomer, cust, ErrBadText)
	} else if rowErr := a.customerName(f, line, out); rowErr != nil {
		return rowErr
	}
	out.account = out.cust
	vals, rowErr := a.rowValues(f, line, cust)
	if rowErr != nil {
		return rowErr
	}
	if hasOrder {
		out.order, out.hasOrder = max(maphash.Bytes(a.seed, order), 1), true // keyTable keys are nonzero
	} else {
		m.ordersNoID = 1
	}
	if out.deal != 0 {
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
		if out.deal == dealLost {
			// A lost deal is no sale: not a line, order, revenue or
			// purchase; its value is kept apart.
			out.lostValue = m.revenue
			*m = cellMeasures{}
			out.cust, out.hasOrder = 0, false
		}
	}
	out.date, out.vals = date, vals
	for _, fl := range rounded.list() {
		a.rounded[fl]++
	}
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
	if err := a.cells[ci].addRow(&r.m); err != nil {
		return err
	}
	if r.side >= 0 {
		a.votes[r.side]++
	}
	if s := &a.sides[r.side+1]; r.m.returns != 0 || r.m.noCustomer != 0 || s.date == 0 {
		s.returns += r.m.returns
		s.noCustomer += r.m.noCustomer
		s.date = r.date
	}
	if a.spill != nil && r.cust != 0 {
		if err := a.spill.add(r); err != nil {
			return err
		}
	}
	if p != 0 {
		if err := a.hist.add(p, r.tuple, &r.m); err != nil {
			return err
		}
		if r.name != 0 {
			a.hist.setName(p, r.name)
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
	a.addCell(cellKeyOf(r))
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
		won, err := d.wonValue.add(r.m.revenue)
		if err != nil {
			return err
		}
		d.won++
		d.wonValue = won
	} else {
		lost, err := d.lostValue.add(r.lostValue)
		if err != nil {
			return err
		}
		d.lost++
		d.lostValue = lost
	}
	if r.created != 0 {
		mdy, dmy := r.created.DayNumbers()
		c := &d.cycles[r.deal-1]
		c.n++
		c.createdMDY += mdy
		c.createdDMY += dmy
	}
	return nil
}

// prepare finds (or creates) the tuple, cell and purchase of every valid
// row of a batch, warming the cache with their slots first: a batch's
// misses then overlap instead of stalling one row at a time.
func (a *accumulator) prepare(rows []parsedRow) {
	hist := a.hist != nil
	var lastP uint64
	if hist {
		lastP = a.hist.lastKey
	}
	hashes := a.tupleHashes[:0]
	for i := range rows {
		if r := &rows[i]; r.rowErr == nil && !r.open {
			h := a.tuples.hash(&r.vals)
			a.sink += a.tuples.touch(h)
			hashes = append(hashes, h)
		}
	}
	a.tupleHashes = hashes
	for _, h := range hashes {
		a.sink += a.tuples.touchVals(h)
	}
	for i := range rows {
		r := &rows[i]
		if r.rowErr != nil || r.open {
			continue
		}
		r.tuple = a.tuples.id(&r.vals, hashes[0])
		hashes = hashes[1:]
		a.sink += a.cellIdx.touch(cellKeyOf(r))
		if hist && r.cust != 0 {
			if k := purchaseKey(r.cust-1, r.date); k != lastP {
				a.sink += a.hist.idx.touch(k)
				lastP = k
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.rowErr != nil || r.open {
			continue
		}
		r.cell = a.cellIndex(cellKeyOf(r), &r.vals)
		a.sink += uint64(a.cells[r.cell].lines)
		if hist && r.cust != 0 {
			r.purchase = a.hist.purchase(r.cust-1, r.date)
			a.sink += uint64(a.hist.rows.at(r.purchase - 1).lines)
		}
	}
}

// cellKeyOf is a row's cell.
func cellKeyOf(r *parsedRow) cellRef { return refOf(r.date, r.tuple) }

// cellIndex returns the index of cell c in the cache, adding it; vals
// are its tuple's values, nil to look them up.
func (a *accumulator) cellIndex(c cellRef, vals *[maxDims]uint32) uint32 {
	v, found := a.cellIdx.upsert(c)
	if !found {
		if a.cells == nil {
			// The cache's room in one allocation: growing it would
			// copy it several times over.
			a.cells = make([]cell, 0, a.cellCap)
		}
		*v = uint64(len(a.cells))
		a.cells = append(a.cells, cell{date: refDate(c), tuple: refTuple(c)})
		if vals != nil {
			a.cells[*v].vals = *vals
		} else {
			a.cells[*v].vals = a.tuples.at(refTuple(c))
		}
	}
	return uint32(*v)
}

// countSet adds n to the number of orders whose set is s: to its cell's
// orders for one cell (which comes back into the cache if it left); for an
// interned set, to pending, whose orders go to every key of the union of
// the set's cells' keys with the cells (see rollCells), once per set
// however many orders share it; nothing for a private set (one order
// each, added when the file ends).
func (a *accumulator) countSet(s setID, n int64) {
	switch {
	case s&setBig != 0:
	case s&setSingle != 0:
		a.cells[a.cellIndex(a.sets.singles[s&setIDMask], nil)].orders += n
	default:
		a.pending.add(s, n)
	}
}

// addOrders queues n orders for every key of the union of the keys of
// cells (whose dates must be readable), leaving out cells whose date
// contradicts the day/month order.
func (a *accumulator) addOrders(cells []cellRef, n int64) {
	a.members = a.members[:0]
	for _, c := range cells {
		p, dropped, _ := a.period(refDate(c))
		if dropped {
			continue
		}
		m := orderMember{p: p}
		vals := a.tuples.at(refTuple(c))
		m.vals.set(&vals)
		a.members = append(a.members, m)
	}
	a.roller.orders(a.members, n)
}

// settledOrder returns the day/month order the file's ambiguous dates
// will be read in, once it can no longer change: when more than
// notation.MaxOrderLines rows read only in one order, the decided order is
// that one or the file fails (the rows of the losing order are rejected,
// up to that many). It is "" until then.
func (a *accumulator) settledOrder() string {
	switch {
	case a.votes[0] > notation.MaxOrderLines:
		return notation.OrderMDY
	case a.votes[1] > notation.MaxOrderLines:
		return notation.OrderDMY
	}
	return ""
}

// period returns a date's day and month, whether it contradicts the
// day/month order (dropped), and ok false while neither can be told.
func (a *accumulator) period(d notation.RawDate) (p cellPeriod, dropped, ok bool) {
	if d == a.lastDate && a.lastOK {
		return a.lastPeriod, a.lastDropped, true
	}
	var y, m, day int
	switch {
	case a.decided:
		dropped = a.dates.Dropped(d)
		y, m, day = a.dates.Resolve(d)
	case d.ISO():
		y, m, day = d.Year(), d.A(), d.B()
	default:
		order := a.settledOrder()
		if order == "" {
			return p, false, false
		}
		y, m, day = d.Year(), d.A(), d.B()
		if order == notation.OrderDMY {
			m, day = day, m
		}
		dropped = m < 1 || m > 12 || day < 1 || day > period.DaysIn(y, m)
	}
	if !dropped {
		p = cellPeriod{int32(period.DayNumber(y, m, day)), int32(y*12 + m - 1)}
	}
	a.lastDate, a.lastPeriod, a.lastDropped, a.lastOK = d, p, dropped, true
	return p, dropped, true
}

// createdDMY reports whether created dates read day first (in the close
// dates' order; month first when those need none), and ok false while
// that cannot be told.
func (a *accumulator) createdDMY() (dmy, ok bool) {
	if a.decided {
		return a.dates.Order() == notation.OrderDMY, true
	}
	switch a.settledOrder() {
	case notation.OrderMDY:
		return false, true
	case notation.OrderDMY:
		return true, true
	}
	return false, false
}

// maybeRoll rolls the cache up when it is full; cells whose date cannot
// be read yet stay, and the cache then holds cacheSize more. Its only
// error is a sum past 19 digits.
func (a *accumulator) maybeRoll() error {
	if len(a.cells) < a.cellCap {
		return nil
	}
	if err := a.rollCells(); err != nil {
		return err
	}
	a.cellCap = len(a.cells) + a.cacheSize
	return nil
}

// rollCells adds the cells whose date can be read into the rollup (or
// counts their lines as dropped, when the date contradicts the order) and
// empties them from the cache.
func (a *accumulator) rollCells() error {
	a.cellIdx.reset()
	kept := 0
	var none dealSums
	for i := range a.cells {
		c := &a.cells[i]
		deal := &none
		if i < len(a.deals) {
			deal = &a.deals[i]
		}
		p, dropped, ok := a.period(c.date)
		dmy, dmyOK := a.createdDMY()
		if ok && deal.ambiguous() && !dmyOK {
			ok = false // its sales cycles depend on the order
		}
		switch {
		case !ok:
			v, _ := a.cellIdx.upsert(refOf(c.date, c.tuple))
			*v = uint64(kept)
			a.cells[kept] = *c
			if kept < len(a.deals) {
				a.deals[kept] = *deal
			}
			kept++
		case dropped:
			// A lost deal is a row without a line: it is dropped too.
			a.droppedLines += c.lines + deal.lost
		default:
			rc := rolledCell{acc: c.keyAcc, p: p}
			rc.vals.set(&c.vals)
			if *deal != none {
				rc.deal, rc.hasDeal = dealOf(deal, p.day, dmy), true
			}
			a.roller.cell(rc)
		}
	}
	a.cells = a.cells[:kept]
	a.deals = a.deals[:min(len(a.deals), kept)]
	defer func() {
		if a.orders != nil {
			a.forgetSets()
		}
	}()
	// The pending orders of sets whose cells' dates can be read, in the
	// order the sets appeared: close in time, their keys are close in the
	// blocks.
pending:
	for s, n := range a.pending.n {
		if n == 0 {
			continue
		}
		cells := a.sets.elems(setID(s), nil)
		for _, c := range cells {
			if _, _, ok := a.period(refDate(c)); !ok {
				continue pending
			}
		}
		a.addOrders(cells, n)
		a.pending.add(setID(s), -n)
	}
	return nil
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

// customerName reads the customer name of a row with a customer into
// out.name (0 when the file has no name column or the cell is empty). A
// name that is not valid text (see validText) rejects the row, as a
// dimension value would: it would reach every customer list.
func (a *accumulator) customerName(f [][]byte, line int, out *parsedRow) *RowError {
	v, ok := a.cellValue(f, fieldName)
	if !ok || isMissing(v) {
		return nil
	}
	id, ok := a.names.id(v)
	if !ok {
		return a.rowErr(line, fieldName, v, ErrBadText)
	}
	out.name = id + 1
	return nil
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
	case fromLookup:
		key, ok := a.dimValue(src.key, f, cust)
		if !ok || key == 0 {
			return 0, ok
		}
		keyDim := a.dims[src.key].dim
		k, found := a.matchers[keyDim](a.vals[src.key].names[key])
		v := a.opt.Lookups[keyDim].Attrs[k][src.dim]
		if !found || v == "" {
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

// closeSpills closes the spill files the parse still owns, on an error.
func (a *accumulator) closeSpills() {
	a.spill.close()
	a.orders.close()
}

// finish decides the date order, rejects the rows that contradict it,
// rolls the last cells and orders up into the delta and prepares the
// purchase history.
func (a *accumulator) finish(res *Result, rejects RejectWriter) error {
	a.finishOrders()
	a.log = orderLog{} // every order's runs are merged: the runs can go
	// No row is left: no name or combination of values needs numbering,
	// and the indexes can go before the history and the delta need
	// memory.
	a.tuples.idx, a.customers.ids, a.names.ids = keyTable{}, nil, nil
	for i := range a.vals {
		a.vals[i].ids, a.vals[i].raw = nil, nil
	}
	losers, err := a.dates.Decide()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	a.decided = true
	// The purchase history is sorted while the rest rolls up: the two
	// share only what they read.
	var histWG sync.WaitGroup
	defer histWG.Wait() // on the error returns below
	var hist *historyTable
	var histErr error
	histWG.Go(func() {
		if a.spill != nil {
			histErr = a.spill.finish(a)
			return
		}
		hist, histErr = a.hist.finish(a)
	})
	if err := a.rollCells(); err != nil {
		return err
	}
	for i := range a.sets.big {
		a.addOrders(a.sets.elems(setBig|setID(i), nil), 1)
	}
	// Every set's orders have reached their keys.
	a.sets, a.spareSets, a.pending = orderSets{}, orderSets{}, pendingOrders{}
	if a.orders != nil {
		if err := a.orders.fix(a); err != nil {
			return err
		}
	}
	if err := a.roller.stop(); err != nil {
		return err
	}
	if err := a.roll.months(); err != nil {
		return err
	}
	droppedLines := a.droppedLines
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

	// The cells and orders are rolled up: let them go before the delta
	// takes their memory, and the history's sort too (its keys are
	// garbage once it is done).
	a.cells, a.cellIdx, a.deals = nil, keyTable{}, nil
	histWG.Wait()
	if histErr != nil {
		return histErr
	}
	if a.spill != nil && !a.cm.has(fieldStage) {
		// The spilled purchases carry their dimension values and no
		// deal needs them: the value combinations can go.
		a.tuples = tupleTable{}
	}
	runtime.GC()
	if res.Delta, err = a.roll.delta(); err != nil {
		return err
	}
	a.roll = nil
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
	f.Rounded = a.roundedColumns()
	f.Normalized = a.normalized()
	for _, d := range a.dims {
		switch d.kind {
		case fromEmployees:
			f.SizeBands = "employees: " + describeBands(a.opt.employeeBands())
		case fromAnnualRev:
			f.SizeBands = "annual revenue: " + describeBands(a.opt.revenueBands())
		case fromCustomers:
			f.Columns[string(d.dim)] = "customers table"
		case fromLookup:
			f.Columns[string(d.dim)] = "lookup by " + string(a.dims[d.key].dim)
		}
	}
	res.history, res.spilled = hist, a.spill
	if a.cm.has(fieldStage) {
		res.deals = a
	}
	a.roller = nil // stopped: its buffers can go
	return nil
}

// roundedColumns returns how many values of accepted rows were rounded
// (see moneyScale), by column header, or nil when none were.
func (a *accumulator) roundedColumns() map[string]int64 {
	var out map[string]int64
	for fl, n := range a.rounded {
		if n > 0 {
			if out == nil {
				out = map[string]int64{}
			}
			out[a.cm.name(field(fl))] = n
		}
	}
	return out
}

// normalized returns the values stored under another spelling, by
// dimension name, or nil when there are none.
func (a *accumulator) normalized() map[string]map[string]string {
	var out map[string]map[string]string
	for i, d := range a.dims {
		if r := a.vals[i].renamed; len(r) > 0 {
			if out == nil {
				out = map[string]map[string]string{}
			}
			out[string(d.dim)] = r
		}
	}
	return out
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
