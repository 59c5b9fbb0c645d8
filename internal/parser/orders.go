package parser

import (
	"maps"
	"slices"
)

// Distinct order counting.
//
// An order must count once in every aggregate key its lines reach, however
// many lines it has there. Keeping a set of order ids per key would grow
// with orders × keys (each order reaches a day and a month key per
// dimension, and a month key per pair of dimensions). Instead each order
// id (as a 64-bit hash) is tied to the set of cells its lines touched
// (named by cellRef, so that they outlive the cell cache), and sets are
// shared: a set is an id into orderSets, where sets of one cell and larger
// sets are interned once by content. A set's orders count in
// its cell, or are added to every key of the union of its cells' keys as
// soon as their dates can be read (see countSet), which is exact (up to
// 64-bit hash collisions of order ids: for a million orders the chance of
// any is about 3·10⁻⁸).
//
// An order's lines usually follow one another. While they do, its cells
// gather in a small buffer (openOrder); when the next order starts, the
// run's set is interned and the run is appended to a log, counted as if it
// were the whole order. Appending costs no lookup in a table of all orders
// (a cache miss per order). The log is split into runBuckets buckets by
// order hash; an order that comes back in several runs is found when its
// bucket is compacted (each time it doubles, and at the end) and its runs
// merge into one, with their counts corrected. Memory is one 16-byte run
// per order, up to twice that between compactions, plus the distinct sets.
// A parse that spills (the default) keeps this log on disk instead, and
// merges repeated orders' runs only when the file ends: see orderSpill.
//
// An order reaching more than maxSharedSet cells (a constant written in the
// order id column, say) gets a private set instead, so that interning and
// the open buffer stay small; its memory is one entry per cell it touched.

// setID names a set of cells: 0 is empty, setSingle|k the set of the one
// cell singles[k], setBig|k the private set k, any other the interned set
// of several cells it is. 32 bits keep an order's run in 16 bytes.
type setID uint32

const (
	setBig    setID = 1 << 31
	setSingle setID = 1 << 30
	setIDMask       = setSingle - 1
	// maxSharedSet is the size above which a set becomes private.
	maxSharedSet = 64
)

// orderSets interns sets of cells. Interned set k (k > 0) is
// arena[start[k]:start[k+1]], sorted.
type orderSets struct {
	start     []uint32
	arena     []cellRef
	byHash    keyTable // hash of a set's cells → set id
	singles   []cellRef
	singleIdx keyTable // cell → index in singles
	big       []map[cellRef]struct{}
}

func newOrderSets() orderSets {
	return orderSets{start: []uint32{0, 0}}
}

// reset empties o, keeping its memory.
func (o *orderSets) reset() {
	o.start = append(o.start[:0], 0, 0)
	o.arena = o.arena[:0]
	o.byHash.reset()
	o.singles = o.singles[:0]
	o.singleIdx.reset()
	o.big = nil
}

// pendingOrders counts, by interned set id, the orders of each set not yet
// added to their keys (see countSet); sets counts the sets with some.
type pendingOrders struct {
	n    []int64
	sets int
}

// add adds n orders to set s.
func (p *pendingOrders) add(s setID, n int64) {
	if int(s) >= len(p.n) {
		p.n = append(p.n, make([]int64, int(s)+1-len(p.n))...)
	}
	was := p.n[s] != 0
	p.n[s] += n
	switch now := p.n[s] != 0; {
	case now && !was:
		p.sets++
	case was && !now:
		p.sets--
	}
}

// elems returns the cells of a set; single must have room for one.
func (o *orderSets) elems(s setID, single *[1]cellRef) []cellRef {
	switch {
	case s == 0:
		return nil
	case s&setBig != 0:
		big := o.big[s&setIDMask]
		cells := make([]cellRef, 0, len(big))
		for c := range big {
			cells = append(cells, c)
		}
		return cells
	case s&setSingle != 0:
		single[0] = o.singles[s&setIDMask]
		return single[:]
	}
	return o.arena[o.start[s]:o.start[s+1]]
}

// intern returns the id of the set of cells, which must be sorted,
// distinct and at most maxSharedSet.
func (o *orderSets) intern(cells []cellRef) setID {
	if len(cells) == 1 {
		v, found := o.singleIdx.upsert(cells[0])
		if !found {
			*v = uint64(len(o.singles))
			o.singles = append(o.singles, cells[0])
		}
		return setSingle | setID(*v)
	}
	h := uint64(len(cells))
	for _, c := range cells {
		h = mix64(h ^ uint64(c))
	}
	for {
		h = max(h, 1) // keyTable keys are nonzero
		v, found := o.byHash.upsert(h)
		if !found {
			id := setID(len(o.start) - 1)
			o.arena = append(o.arena, cells...)
			o.start = append(o.start, uint32(len(o.arena)))
			*v = uint64(id)
			return id
		}
		if id := setID(*v); slices.Equal(o.arena[o.start[id]:o.start[id+1]], cells) {
			return id
		}
		h++ // another set with the same hash: probe the next key
	}
}

// private returns a new private set of cells.
func (o *orderSets) private(cells []cellRef) setID {
	big := make(map[cellRef]struct{}, len(cells))
	for _, c := range cells {
		big[c] = struct{}{}
	}
	o.big = append(o.big, big)
	return setBig | setID(len(o.big)-1)
}

// union returns the set of the cells of sets s and t, both counted by
// their caller; scratch is reused. A private set absorbs the other set
// (another private one is emptied, so that it counts no order).
func (o *orderSets) union(s, t setID, scratch *[]cellRef) setID {
	if s == t {
		return s
	}
	if t&setBig != 0 && s&setBig == 0 {
		s, t = t, s
	}
	var one [1]cellRef
	if s&setBig != 0 {
		big := o.big[s&setIDMask]
		for _, c := range o.elems(t, &one) {
			big[c] = struct{}{}
		}
		if t&setBig != 0 {
			o.big[t&setIDMask] = nil
		}
		return s
	}
	cells := append((*scratch)[:0], o.elems(s, &one)...)
	cells = append(cells, o.elems(t, &one)...)
	slices.Sort(cells)
	cells = slices.Compact(cells)
	*scratch = cells
	if len(cells) > maxSharedSet {
		return o.private(cells)
	}
	return o.intern(cells)
}

// openOrder is the current run of an order's lines: its first purchase
// (index+1, 0 for none) and the cells it has touched so far (sorted),
// unless its set is private (then cells go straight into it).
type openOrder struct {
	key      uint64
	set      setID // while private: the private set
	purchase uint32
	cells    []cellRef
	ok       bool
}

// orderRun is a closed run of an order's lines in the log, or several
// runs of one order merged.
type orderRun struct {
	key      uint64
	set      setID
	purchase uint32 // the first purchase, index+1, 0 for none
}

const (
	runBucketBits = 8
	runBuckets    = 1 << runBucketBits
	// minCompact is the bucket length below which no compaction is
	// worth it.
	minCompact = 64
)

// orderLog holds the runs, in buckets by order hash, and what finding an
// order's repeated runs needs.
type orderLog struct {
	buckets [runBuckets][]orderRun
	// compactAt is each bucket's length that triggers its next
	// compaction.
	compactAt [runBuckets]int
	seen      keyTable  // scratch of compact: order → its run's index+1
	cells     []cellRef // scratch of compact
}

// openOrder starts a run of the order of hash key, closing the previous.
func (a *accumulator) openOrder(key uint64) {
	a.closeOrder()
	o := &a.open
	o.key, o.ok, o.set, o.purchase = key, true, 0, 0
	o.cells = o.cells[:0]
}

// addCell records that the open order touches cell c.
func (a *accumulator) addCell(c cellRef) {
	o := &a.open
	if o.set != 0 {
		a.sets.big[o.set&setIDMask][c] = struct{}{}
		return
	}
	i, found := slices.BinarySearch(o.cells, c)
	if found {
		return
	}
	o.cells = slices.Insert(o.cells, i, c)
	if len(o.cells) > maxSharedSet {
		o.set = a.sets.private(o.cells)
	}
}

// closeOrder interns the open run's set, counts it and appends the run to
// the log, compacting its bucket when it has doubled.
func (a *accumulator) closeOrder() {
	o := &a.open
	if !o.ok {
		return
	}
	o.ok = false
	set := o.set
	if set == 0 {
		set = a.sets.intern(o.cells)
	}
	a.countSet(set, 1)
	if a.orders != nil {
		cells := o.cells
		if o.set != 0 {
			cells = slices.Sorted(maps.Keys(a.sets.big[o.set&setIDMask]))
		}
		a.orders.add(o.key, cells)
		return
	}
	l := &a.log
	b := o.key >> (64 - runBucketBits)
	l.buckets[b] = append(l.buckets[b], orderRun{key: o.key, purchase: o.purchase, set: set})
	if n := len(l.buckets[b]); n >= max(minCompact, l.compactAt[b]) {
		a.compact(int(b))
		l.compactAt[b] = 2 * len(l.buckets[b])
	}
}

// compact merges the runs of bucket b that belong to one order, keeping
// the first run's place.
func (a *accumulator) compact(b int) {
	l := &a.log
	runs := l.buckets[b]
	l.seen.reset()
	var merged bool
	for i := range runs {
		v, found := l.seen.upsert(runs[i].key)
		if !found {
			*v = uint64(i + 1)
			continue
		}
		// A repeated order: fold run i into its first run, which keeps
		// accumulating until the bucket's end.
		first := &runs[*v-1]
		a.mergeRun(first, &runs[i])
		runs[i].key = 0
		merged = true
	}
	if !merged {
		return
	}
	kept := runs[:0]
	for _, r := range runs {
		if r.key != 0 {
			kept = append(kept, r)
		}
	}
	l.buckets[b] = kept
}

// mergeRun folds run r of an order into its earlier run into, undoing
// what closeOrder and aggregate counted as if r were a separate order:
// r's set count and any purchase now counted twice for the order.
func (a *accumulator) mergeRun(into, r *orderRun) {
	a.countSet(into.set, -1)
	a.countSet(r.set, -1)
	into.set = a.sets.union(into.set, r.set, &a.log.cells)
	a.countSet(into.set, 1)
	// The order's purchases, each counted once, are into.purchase and
	// those in the history's extra orders; r counted its own purchase
	// again.
	if p := r.purchase; p != 0 {
		switch {
		case into.purchase == 0:
			into.purchase = p
		case p == into.purchase || a.hist.hasExtra(p, into.key):
			a.hist.rows.at(p-1).orders--
		default:
			a.hist.addExtra(p, into.key)
		}
	}
	// r's lines may have recorded into's purchase as an extra one.
	if q := into.purchase; q != 0 && a.hist.dropExtra(q, into.key) {
		a.hist.rows.at(q-1).orders--
	}
}

// finishOrders closes the last run and merges every order's runs.
func (a *accumulator) finishOrders() {
	a.closeOrder()
	if a.orders != nil {
		return // see orderSpill.fix
	}
	for b := range runBuckets {
		if len(a.log.buckets[b]) > 1 {
			a.compact(b)
		}
	}
}
