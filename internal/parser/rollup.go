package parser

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// The rollup sums cells into the delta's keys. A file with D dimensions
// has 2+2D+D(D-1)/2 keys per cell (the total and each dimension by day and
// by month, each pair of dimensions by month): 37 with seven dimensions,
// for up to one cell per row in a file of many customers and values. So
// the rollup does little per (cell, key), and runs while the file is read:
//
//   - cells are a cache: when it is full, the cells whose date can be read
//     (an unambiguous date, or once the day/month order is settled) are
//     rolled up and leave it, so that memory follows keys, not rows;
//   - keys are grouped in blocks, one per kind (the total, a dimension, a
//     pair) and grain; a block holds a row of sums per period, indexed
//     directly by value ids, unless that would leave most slots empty:
//     then it finds keys through a keyTable;
//   - sums are exact, added as packed coefficients (see exact), not
//     decimals;
//   - cells add into day keys, and month keys of the total and the
//     dimensions are summed from those when the file ends (one add per day
//     key, not per cell); pairs have month keys only.
//
// Orders are the exception to summing days into months: an order counts
// once in every key its lines reach. The orders within one cell (lines
// without an order id, orders of one cell) are the cell's and sum like the
// rest; those of a multi-cell set (see orderSets) are added to every
// block's keys directly, to a count that days do not pass on to months.

// Grains of a block.
const (
	grainDay   = 0
	grainMonth = 1
)

// keyAcc is one key's sums: revenue, cost and units as exact decimals
// (coefficients and meta bytes apart, so that they pack), lines, lines with
// a cost, orders that lie in one cell (orders) and orders of multi-cell
// sets (setOrders). A key with no lines does not exist.
type keyAcc struct {
	coef             [3]uint64
	lines, costLines int64
	orders           int64
	setOrders        int64
	meta             [3]uint8
}

// addExact adds y into the exact whose parts are *coef and *meta. Its
// only error is a sum past 19 digits, wrapping money.ErrOverflow.
func addExact(coef *uint64, meta *uint8, y exact) error {
	if *meta == y.meta && (*coef|y.coef) < exactFast {
		*coef += y.coef // same sign and scale: the magnitudes add
		return nil
	}
	s, err := exact{*coef, *meta}.add(y)
	if err != nil {
		return err
	}
	*coef, *meta = s.coef, s.meta
	return nil
}

// add adds the sums of a cell or of a day into its month, but not
// o.setOrders. Most often the three amounts each have the scale and sign
// of the sum so far, and their coefficients add as they are.
func (k *keyAcc) add(o *keyAcc) error {
	if k.meta == o.meta && (k.coef[0]|k.coef[1]|k.coef[2]|o.coef[0]|o.coef[1]|o.coef[2]) < exactFast {
		k.coef[0] += o.coef[0]
		k.coef[1] += o.coef[1]
		k.coef[2] += o.coef[2]
	} else {
		for i := range k.coef {
			if err := addExact(&k.coef[i], &k.meta[i], exact{o.coef[i], o.meta[i]}); err != nil {
				return err
			}
		}
	}
	k.lines += o.lines
	k.costLines += o.costLines
	k.orders += o.orders
	return nil
}

// dealAcc is one key's closed deals (see dealSums): sales cycles are in
// days, the cell's date being the close date; cycled and cycleDays are by
// outcome (won, lost).
type dealAcc struct {
	won, lost         int64
	cycled, cycleDays [2]int64
	wonCoef, lostCoef uint64
	wonMeta, lostMeta uint8
}

func (d *dealAcc) add(o *dealAcc) error {
	if err := addExact(&d.wonCoef, &d.wonMeta, exact{o.wonCoef, o.wonMeta}); err != nil {
		return err
	}
	if err := addExact(&d.lostCoef, &d.lostMeta, exact{o.lostCoef, o.lostMeta}); err != nil {
		return err
	}
	d.won += o.won
	d.lost += o.lost
	for i := range d.cycled {
		d.cycled[i] += o.cycled[i]
		d.cycleDays[i] += o.cycleDays[i]
	}
	return nil
}

// blockKey is a key of a block: a period (a day number at day grain,
// year*12+month-1 at month grain) and the value ids of the block's
// dimensions (0 when it has fewer than two).
type blockKey struct {
	period int32
	v1, v2 uint32
}

// blockRow holds sums by value ids: accs[v1*n2+v2] for v1 < n1, v2 < n2.
// A hashed block keeps all its keys in one row, in order of appearance.
type blockRow struct {
	n1, n2 uint32
	accs   []keyAcc
	deals  []dealAcc // nil until the file has a closed deal
}

// keyBlock holds the keys of one kind and grain.
type keyBlock struct {
	kind  int // 0 total, 1+i dimension i, 1+D+p pair p
	grain int
	d1    int // the dimensions keying the block, noDim for none
	d2    int
	// Dense: rows[p-first] holds the keys of period p.
	first int32
	rows  []blockRow
	// Hashed: the keys in hrow, found through table by hash.
	hashed bool
	hrow   blockRow
	table  keyTable
	keys   []blockKey
	// slots counts the dense sums held, used the keys with lines: a dense
	// block with too few of its slots used turns hashed.
	slots, used int
	// max1 and max2 bound the value ids seen, the width of new rows.
	max1, max2 uint32
}

// Limits of dense blocks: a row of at most maxDenseRow sums, and slots at
// most denseSlack plus denseFactor per key with lines.
const (
	maxDenseRow = 1 << 14
	denseSlack  = 1 << 12
	denseFactor = 4
)

// noDim is the index of a cell's always-zero value in a blockVals.
const noDim = maxDims

// blockVals is a cell's value ids with a zero after them, for blocks keyed
// by fewer than two dimensions.
type blockVals [maxDims + 1]uint32

// set sets the value ids to a tuple's.
func (v *blockVals) set(t *[maxDims]uint32) { *(*[maxDims]uint32)(v[:maxDims]) = *t }

// cellKey returns the block's key of a cell of period p (its day or
// month, by the block's grain) and values vals.
func (b *keyBlock) cellKey(p cellPeriod, vals *blockVals) blockKey {
	k := blockKey{period: p.day, v1: vals[b.d1], v2: vals[b.d2]}
	if b.grain == grainMonth {
		k.period = p.month
	}
	return k
}

// at returns the row and index of key k, making room for it. The row is
// valid until the next call.
func (b *keyBlock) at(k blockKey, r *rollup) (*blockRow, int) {
	if !b.hashed {
		if off := uint(k.period - b.first); off < uint(len(b.rows)) {
			row := &b.rows[off]
			if k.v1 < row.n1 && k.v2 < row.n2 {
				return row, int(k.v1*row.n2 + k.v2)
			}
		}
		if b.grow(k, r) {
			return b.at(k, r)
		}
	}
	return &b.hrow, b.hashedAt(k, r)
}

// hashedAt returns the index in hrow of key k, adding it.
func (b *keyBlock) hashedAt(k blockKey, r *rollup) int {
	h := mix64(mix64(uint64(uint32(k.period))<<32|uint64(k.v1)) ^ uint64(k.v2))
	for {
		h = max(h, 1) // keyTable keys are nonzero
		v, found := b.table.upsert(h)
		if !found {
			*v = uint64(len(b.keys))
			b.keys = append(b.keys, k)
			b.hrow.accs = append(b.hrow.accs, keyAcc{})
			if r.deals {
				b.hrow.deals = append(b.hrow.deals, dealAcc{})
			}
			return int(*v)
		}
		if b.keys[*v] == k {
			return int(*v)
		}
		h++ // another key with the same hash: probe the next
	}
}

// grow makes room for key k in a dense block: rows up to its period, a
// row as wide as the values of its dimensions. It reports false, having
// made the block hashed, when the room would be too sparse.
func (b *keyBlock) grow(k blockKey, r *rollup) bool {
	// Values are numbered as they appear, so rows are as wide as the
	// values seen so far; a later value widens the rows it reaches.
	b.max1, b.max2 = max(b.max1, k.v1+1), max(b.max2, k.v2+1)
	n1, n2 := b.max1, b.max2
	// Rows from the first period to the last: a period before them
	// shifts them, one after extends them.
	span := len(b.rows)
	switch {
	case span == 0:
		b.first, span = k.period, 1
	case k.period < b.first:
		span += int(b.first - k.period)
	case int(k.period-b.first) >= span:
		span = int(k.period-b.first) + 1
	}
	old := uint64(0)
	if off := uint(k.period - b.first); k.period >= b.first && off < uint(len(b.rows)) {
		old = uint64(len(b.rows[off].accs))
	}
	row := uint64(n1) * uint64(n2)
	if row > maxDenseRow || uint64(b.slots)-old+row+uint64(span) > denseFactor*uint64(b.used)+denseSlack {
		b.toHashed(r)
		return false
	}
	if k.period < b.first {
		rows := make([]blockRow, span, span+span/2)
		copy(rows[b.first-k.period:], b.rows)
		b.rows, b.first = rows, k.period
	} else if span > len(b.rows) {
		b.rows = append(b.rows, make([]blockRow, span-len(b.rows))...)
	}
	cur := &b.rows[k.period-b.first]
	grown := blockRow{n1: max(n1, cur.n1), n2: max(n2, cur.n2)}
	grown.accs = make([]keyAcc, grown.n1*grown.n2)
	if r.deals {
		grown.deals = make([]dealAcc, len(grown.accs))
	}
	for i := range cur.accs {
		j := uint32(i)/cur.n2*grown.n2 + uint32(i)%cur.n2
		grown.accs[j] = cur.accs[i]
		if cur.deals != nil {
			grown.deals[j] = cur.deals[i]
		}
	}
	b.slots += len(grown.accs) - len(cur.accs)
	*cur = grown
	return true
}

// toHashed moves a dense block's keys into its hashed row.
func (b *keyBlock) toHashed(r *rollup) {
	rows, first := b.rows, b.first
	b.hashed, b.rows, b.slots = true, nil, 0
	for off := range rows {
		row := &rows[off]
		for i := range row.accs {
			if row.accs[i] == (keyAcc{}) && (row.deals == nil || row.deals[i] == (dealAcc{})) {
				continue
			}
			k := blockKey{period: first + int32(off), v1: uint32(i) / row.n2, v2: uint32(i) % row.n2}
			j := b.hashedAt(k, r)
			b.hrow.accs[j] = row.accs[i]
			if row.deals != nil {
				b.hrow.deals[j] = row.deals[i]
			}
		}
	}
}

// present reports whether key i of a row holds anything: lines, or
// closed deals (a lost deal is no line).
func (row *blockRow) present(i int) bool {
	return row.accs[i].lines != 0 || (row.deals != nil && row.deals[i].won+row.deals[i].lost != 0)
}

// each calls fn with every key of the block that has lines or closed
// deals, its sums and deals (nil unless the file has deals).
func (b *keyBlock) each(fn func(k blockKey, acc *keyAcc, deal *dealAcc) error) error {
	visit := func(row *blockRow, i int, k blockKey) error {
		if !row.present(i) {
			return nil
		}
		var d *dealAcc
		if row.deals != nil {
			d = &row.deals[i]
		}
		return fn(k, &row.accs[i], d)
	}
	if b.hashed {
		for i, k := range b.keys {
			if err := visit(&b.hrow, i, k); err != nil {
				return err
			}
		}
		return nil
	}
	for off := range b.rows {
		row := &b.rows[off]
		for i := range row.accs {
			k := blockKey{period: b.first + int32(off), v1: uint32(i) / row.n2, v2: uint32(i) % row.n2}
			if err := visit(row, i, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// cellPeriod is a cell's day number and month (year*12+month-1).
type cellPeriod struct {
	day, month int32
}

// rollup holds the blocks the cells roll up into.
type rollup struct {
	a      *accumulator
	pairs  [][2]int
	blocks []*keyBlock
	// direct are the blocks cells add into: day blocks and pair blocks.
	direct []*keyBlock
	deals  bool // the file has closed deals: blocks keep dealAccs
	// Scratch of addOrders.
	keys []blockKey
	seen map[blockKey]struct{}
}

// orderMember is a cell of an order set, as addOrders needs it.
type orderMember struct {
	p    cellPeriod
	vals blockVals
}

func newRollup(a *accumulator) *rollup {
	r := &rollup{a: a, seen: map[blockKey]struct{}{}}
	for i := range a.dims {
		for j := i + 1; j < len(a.dims); j++ {
			r.pairs = append(r.pairs, [2]int{i, j})
		}
	}
	add := func(kind, grain, d1, d2 int) {
		b := &keyBlock{kind: kind, grain: grain, d1: d1, d2: d2}
		r.blocks = append(r.blocks, b)
		if grain == grainDay || kind > len(a.dims) {
			r.direct = append(r.direct, b)
		}
	}
	add(0, grainDay, noDim, noDim)
	add(0, grainMonth, noDim, noDim)
	for i := range a.dims {
		add(1+i, grainDay, i, noDim)
		add(1+i, grainMonth, i, noDim)
	}
	for p, pr := range r.pairs {
		add(1+len(a.dims)+p, grainMonth, pr[0], pr[1])
	}
	return r
}

// startDeals gives every block room for deals, when the first closed deal
// arrives.
func (r *rollup) startDeals() {
	if r.deals {
		return
	}
	r.deals = true
	for _, b := range r.blocks {
		b.hrow.deals = make([]dealAcc, len(b.hrow.accs))
		for i := range b.rows {
			b.rows[i].deals = make([]dealAcc, len(b.rows[i].accs))
		}
	}
}

// addCell adds a rolled-up cell into the blocks. Its only error is a sum
// past 19 digits.
func (r *rollup) addCell(c *rolledCell) error {
	if c.hasDeal {
		r.startDeals()
	}
	for _, b := range r.direct {
		row, i := b.at(b.cellKey(c.p, &c.vals), r)
		was := row.present(i)
		if err := row.accs[i].add(&c.acc); err != nil {
			return err
		}
		if c.hasDeal {
			if err := row.deals[i].add(&c.deal); err != nil {
				return err
			}
		}
		if !was && row.present(i) {
			b.used++
		}
	}
	return nil
}

// addOrders adds n orders to every key of the union of the keys of
// members.
func (r *rollup) addOrders(members []orderMember, n int64) {
	for _, b := range r.blocks {
		r.keys = r.keys[:0]
		clear(r.seen)
		for i := range members {
			k := b.cellKey(members[i].p, &members[i].vals)
			// A set has a few cells, except an order's private set.
			if len(members) <= 16 {
				if slices.Contains(r.keys, k) {
					continue
				}
				r.keys = append(r.keys, k)
			} else {
				if _, ok := r.seen[k]; ok {
					continue
				}
				r.seen[k] = struct{}{}
			}
			row, j := b.at(k, r)
			row.accs[j].setOrders += n
		}
	}
}

// rolledCell is a cell leaving the cache, with its period and values.
type rolledCell struct {
	acc     keyAcc
	p       cellPeriod
	vals    blockVals
	deal    dealAcc
	hasDeal bool
}

// rolledSet is n orders to add to the keys of the next count members of
// a rollWork.
type rolledSet struct {
	n     int64
	count int
}

// rollWork is a batch of work for the rollup's goroutine.
type rollWork struct {
	cells   []rolledCell
	members []orderMember
	sets    []rolledSet
}

// Sizes of a rollWork that make it go.
const (
	rollCells   = 2048
	rollMembers = 8192
)

// roller runs the rollup on a goroutine of its own, fed by the aggregation
// (stage 2 of the pipeline) with batches: the cells leaving the cache and
// the order sets whose keys gain or lose orders, their dates already read.
// Both only add, so their order does not matter. The first error (a sum
// past 19 digits) is kept for stop, and later batches are dropped.
type roller struct {
	r    *rollup
	work chan *rollWork
	free chan *rollWork
	cur  *rollWork
	done chan struct{}
	err  error
}

func startRoller(r *rollup) *roller {
	w := &roller{r: r, work: make(chan *rollWork, 4), free: make(chan *rollWork, 6), done: make(chan struct{}),
		cur: &rollWork{}}
	go w.run()
	return w
}

func (w *roller) run() {
	defer close(w.done)
	defer func() {
		// A bug must not take the process down from a goroutine the
		// caller cannot recover, nor leave the aggregation blocked.
		if v := recover(); v != nil {
			w.err = fmt.Errorf("ingest: internal error while rolling up: %v", v)
			for range w.work {
			}
		}
	}()
	for wk := range w.work {
		if w.err == nil {
			w.err = w.apply(wk)
		}
		wk.cells, wk.members, wk.sets = wk.cells[:0], wk.members[:0], wk.sets[:0]
		select {
		case w.free <- wk:
		default:
		}
	}
}

func (w *roller) apply(wk *rollWork) error {
	for i := range wk.cells {
		if err := w.r.addCell(&wk.cells[i]); err != nil {
			return err
		}
	}
	members := wk.members
	for _, s := range wk.sets {
		w.r.addOrders(members[:s.count], s.n)
		members = members[s.count:]
	}
	return nil
}

// cell queues a cell leaving the cache.
func (w *roller) cell(c rolledCell) {
	w.cur.cells = append(w.cur.cells, c)
	if len(w.cur.cells) >= rollCells {
		w.send()
	}
}

// orders queues n orders for the keys of members.
func (w *roller) orders(members []orderMember, n int64) {
	w.cur.members = append(w.cur.members, members...)
	w.cur.sets = append(w.cur.sets, rolledSet{n, len(members)})
	if len(w.cur.members) >= rollMembers {
		w.send()
	}
}

func (w *roller) send() {
	w.work <- w.cur
	select {
	case w.cur = <-w.free:
	default:
		w.cur = &rollWork{}
	}
}

// stop sends the last batch, waits for the goroutine and returns its
// error. It may be called again.
func (w *roller) stop() error {
	if w.cur != nil {
		w.work <- w.cur
		w.cur = nil
		close(w.work)
	}
	<-w.done
	// The rollup outlives the roller only as long as its owner keeps it:
	// the blocks must not stay reachable from here once the delta is built.
	w.r = nil
	return w.err
}

// dealOf returns a cell's deal sums: a sales cycle is the close day (the
// cell's date, day) minus the created day, read day first when dmy (see
// accumulator.createdDMY).
func dealOf(d *dealSums, day int32, dmy bool) dealAcc {
	out := dealAcc{won: d.won, lost: d.lost, wonCoef: d.wonValue.coef, wonMeta: d.wonValue.meta,
		lostCoef: d.lostValue.coef, lostMeta: d.lostValue.meta}
	for i, c := range d.cycles {
		created := c.createdMDY
		if dmy {
			created = c.createdDMY
		}
		out.cycled[i], out.cycleDays[i] = c.n, c.n*int64(day)-created
	}
	return out
}

// months sums the day blocks into the month blocks of their kinds, when
// the file ends.
func (r *rollup) months() error {
	monthOf := map[int]*keyBlock{}
	for _, b := range r.blocks {
		if b.grain == grainMonth && b.kind <= len(r.a.dims) {
			monthOf[b.kind] = b
		}
	}
	for _, day := range r.blocks {
		month := monthOf[day.kind]
		if day.grain != grainDay || month == nil {
			continue
		}
		lastDay, lastMonth := int32(1<<31-1), int32(0)
		err := day.each(func(k blockKey, acc *keyAcc, deal *dealAcc) error {
			if k.period != lastDay {
				y, m, _ := period.Civil(int(k.period))
				lastDay, lastMonth = k.period, int32(y*12+m-1)
			}
			k.period = lastMonth
			row, j := month.at(k, r)
			if !row.present(j) {
				month.used++
			}
			if err := row.accs[j].add(acc); err != nil {
				return err
			}
			if deal != nil {
				return row.deals[j].add(deal)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// deltaEntry is a key of the delta with its measures; merge says that
// another key may have the same name (see delta).
type deltaEntry struct {
	key   aggregate.Key
	m     *aggregate.Measures
	merge bool
}

// deltaBatch is how many entries delta passes at a time.
const deltaBatch = 4096

// delta returns the rolled keys with their names. A goroutine names the
// keys and converts their measures while this one fills the map, the
// larger half of the work.
func (r *rollup) delta() (aggregate.Delta, error) {
	n := 0
	for _, b := range r.blocks {
		_ = b.each(func(blockKey, *keyAcc, *dealAcc) error { n++; return nil })
	}
	batches := make(chan []deltaEntry, 4)
	free := make(chan []deltaEntry, 6)
	stop := make(chan struct{})
	go r.entries(n, batches, free, stop)
	defer close(stop) // on an error, the goroutine ends at its next batch
	d := make(aggregate.Delta, n)
	for batch := range batches {
		for i := range batch {
			e := &batch[i]
			if e.merge {
				if cur, ok := d[e.key]; ok {
					if err := cur.Add(*e.m); err != nil {
						return nil, fmt.Errorf("%v %s %s: %w", e.key.Dim, e.key.Value, e.key.Period, err)
					}
					continue
				}
			}
			d[e.key] = e.m
		}
		select {
		case free <- batch[:0]:
		default:
		}
	}
	return d, nil
}

// entries sends the n keys with lines to batches, in batches of up to
// deltaBatch, reusing those it gets from free, and closes batches (or
// stops when stop closes).
func (r *rollup) entries(n int, batches chan<- []deltaEntry, free <-chan []deltaEntry, stop <-chan struct{}) {
	defer close(batches)
	a := r.a
	dims := a.dims
	// Measures in slabs of a few hundred kilobytes, which fit in the
	// pages the cells left, unlike one slab of them all.
	var ms []aggregate.Measures
	days := map[int32]string{}
	months := map[int32]string{}
	periodName := func(grain int, p int32) string {
		if grain == grainDay {
			s, ok := days[p]
			if !ok {
				s = period.DayKey(period.Civil(int(p)))
				days[p] = s
			}
			return s
		}
		s, ok := months[p]
		if !ok {
			s = period.MonthKey(int(p)/12, int(p)%12+1)
			months[p] = s
		}
		return s
	}
	stopped := errors.New("stopped") // ends a walk of a block's keys
	batch := make([]deltaEntry, 0, deltaBatch)
	send := func() bool {
		select {
		case batches <- batch:
		case <-stop:
			return false
		}
		select {
		case batch = <-free:
		default:
			batch = make([]deltaEntry, 0, deltaBatch)
		}
		return true
	}
	for _, b := range r.blocks {
		var dim dimension.Dimension
		var names pairNames
		swap, merge := false, false
		switch {
		case b.kind == 0:
			dim = dimension.Total
		case b.kind <= len(dims):
			dim = dims[b.kind-1].dim
		default:
			pr := r.pairs[b.kind-1-len(dims)]
			dim = dimension.Cross(dims[pr[0]].dim, dims[pr[1]].dim)
			first, _, _ := dimension.Split(dim)
			swap = first != dims[pr[0]].dim
			names = newPairNames(len(a.vals[pr[0]].names), len(a.vals[pr[1]].names))
			// Joined values can only collide when a value holds the
			// separator; then keys merge as Delta.Add would.
			merge = slices.ContainsFunc(a.vals[pr[0]].names, hasValueSep) || slices.ContainsFunc(a.vals[pr[1]].names, hasValueSep)
		}
		grain := aggregate.Day
		if b.grain == grainMonth {
			grain = aggregate.Month
		}
		err := b.each(func(k blockKey, acc *keyAcc, deal *dealAcc) error {
			e := deltaEntry{key: aggregate.Key{Dim: dim, Grain: grain, Period: periodName(b.grain, k.period)}, merge: merge}
			switch {
			case b.kind == 0:
				e.key.Value = dimension.TotalValue
			case b.kind <= len(dims):
				e.key.Value = a.vals[b.d1].names[k.v1]
			default:
				e.key.Value = names.name(k.v1, k.v2, func() string {
					v1, v2 := a.vals[b.d1].names[k.v1], a.vals[b.d2].names[k.v2]
					if swap {
						v1, v2 = v2, v1
					}
					return dimension.JoinValues(v1, v2)
				})
			}
			if len(ms) == 0 {
				ms = make([]aggregate.Measures, min(n, 2048))
			}
			e.m = &ms[0]
			ms, n = ms[1:], n-1
			*e.m = aggregate.Measures{Revenue: exact{acc.coef[0], acc.meta[0]}.decimal(), Cost: exact{acc.coef[1], acc.meta[1]}.decimal(),
				Units: exact{acc.coef[2], acc.meta[2]}.decimal(), Lines: acc.lines, CostLines: acc.costLines,
				Orders: acc.orders + acc.setOrders}
			if deal != nil {
				e.m.Won, e.m.Lost, e.m.Cycled, e.m.CycleDays = deal.won, deal.lost, deal.cycled[0], deal.cycleDays[0]
				e.m.LostCycled, e.m.LostCycleDays = deal.cycled[1], deal.cycleDays[1]
				e.m.WonRevenue = exact{deal.wonCoef, deal.wonMeta}.decimal()
				e.m.LostValue = exact{deal.lostCoef, deal.lostMeta}.decimal()
			}
			if batch = append(batch, e); len(batch) == deltaBatch && !send() {
				return stopped
			}
			return nil
		})
		if err != nil {
			return
		}
		// The block's sums are in the entries now: its memory can go to
		// the delta's measures while the next blocks are walked.
		b.rows, b.hrow, b.keys, b.table = nil, blockRow{}, nil, keyTable{}
	}
	if len(batch) > 0 {
		send()
	}
}

// pairNames caches the joined names of a pair's values: by index when
// the pairs of values are few enough, else in a map.
type pairNames struct {
	n2    int
	dense []string
	byIDs map[[2]uint32]string
}

func newPairNames(n1, n2 int) pairNames {
	if n1*n2 <= 1<<16 {
		return pairNames{n2: n2, dense: make([]string, n1*n2)}
	}
	return pairNames{byIDs: map[[2]uint32]string{}}
}

// name returns the joined name of values v1 and v2, from join the first
// time.
func (p *pairNames) name(v1, v2 uint32, join func() string) string {
	if p.dense != nil {
		s := &p.dense[int(v1)*p.n2+int(v2)]
		if *s == "" {
			*s = join()
		}
		return *s
	}
	s, ok := p.byIDs[[2]uint32{v1, v2}]
	if !ok {
		s = join()
		p.byIDs[[2]uint32{v1, v2}] = s
	}
	return s
}

func hasValueSep(v string) bool { return strings.Contains(v, dimension.JoinValues("", "")) }
