package ingest

import (
	"fmt"
	"slices"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/segment"
)

// Distinct order counting.
//
// An order must count once in every aggregate key its lines reach, however
// many lines it has there. Keeping a set of order ids per key would grow
// with orders × keys (each order reaches a day and a month key per
// dimension, and a month key per pair of dimensions). Instead each order
// id (as a 64-bit hash) remembers the set of cells its lines touched, and
// sets are shared: a set is an id into orderSets, where one cell is
// encoded in the id itself and larger sets are interned once by content.
// While an order's lines follow one another (the usual layout), its cells
// gather in a small buffer (openOrder) and only its final set is interned
// when the next order starts; an order that reappears later reopens with
// its set's cells. Memory is one table entry per order (16 bytes at most
// 3/4 full) plus the distinct sets. When the file ends, each set's
// multiplicity is added to every key of the union of its cells' keys,
// which is exact (up to 64-bit hash collisions of order ids: for a million
// orders the chance of any is about 3·10⁻⁸).
//
// An order reaching more than maxSharedSet cells (a constant written in the
// order id column, say) gets a private set instead, so that interning and
// the open buffer stay small; its memory is one entry per cell it touched.

const (
	setSingle = 1 << 31 // the id is one cell
	setBig    = 1 << 30 // the id indexes big, an order's private set
	setIDMask = setBig - 1
	// maxSharedSet is the size above which a set becomes private.
	maxSharedSet = 64
)

// orderSets interns sets of cell ids. Set 0 is empty; multi-cell set k
// (0 < k < setBig) is arena[start[k]:start[k+1]], sorted.
type orderSets struct {
	start  []uint32
	arena  []uint32
	byHash keyTable // hash of a set's cells → set id
	big    []map[uint32]struct{}
}

func newOrderSets() orderSets {
	return orderSets{start: []uint32{0, 0}}
}

// elems returns the cells of a set; single must have room for one.
func (o *orderSets) elems(s uint32, single *[1]uint32) []uint32 {
	switch {
	case s == 0:
		return nil
	case s&setSingle != 0:
		single[0] = s &^ setSingle
		return single[:]
	case s&setBig != 0:
		big := o.big[s&setIDMask]
		cells := make([]uint32, 0, len(big))
		for c := range big {
			cells = append(cells, c)
		}
		return cells
	}
	return o.arena[o.start[s]:o.start[s+1]]
}

// intern returns the id of the set of cells, which must be sorted,
// distinct and at most maxSharedSet.
func (o *orderSets) intern(cells []uint32) uint32 {
	if len(cells) == 1 {
		return setSingle | cells[0]
	}
	h := uint64(len(cells))
	for _, c := range cells {
		h = mix64(h ^ uint64(c))
	}
	for {
		h = max(h, 1) // keyTable keys are nonzero
		v, found := o.byHash.upsert(h)
		if !found {
			id := uint32(len(o.start) - 1)
			o.arena = append(o.arena, cells...)
			o.start = append(o.start, uint32(len(o.arena)))
			*v = uint64(id)
			return id
		}
		if id := uint32(*v); slices.Equal(o.arena[o.start[id]:o.start[id+1]], cells) {
			return id
		}
		h++ // another set with the same hash: probe the next key
	}
}

// private returns a new private set of cells.
func (o *orderSets) private(cells []uint32) uint32 {
	big := make(map[uint32]struct{}, len(cells))
	for _, c := range cells {
		big[c] = struct{}{}
	}
	o.big = append(o.big, big)
	return setBig | uint32(len(o.big)-1)
}

// openOrder is the order whose lines are being read: its slot in the
// orders table, the set it had when its current run of lines began, its
// first purchase, and the cells it has touched so far (sorted), unless its
// set is private (then cells go straight into it).
type openOrder struct {
	key      uint64
	slot     *uint64
	old      uint32
	set      uint32 // while private: the private set
	purchase uint32
	cells    []uint32
	ok       bool
}

// openOrder makes the order of hash key the open one, closing the
// previous.
func (a *accumulator) openOrder(key uint64) {
	a.closeOrder()
	o := &a.open
	slot, _ := a.orders.upsert(key)
	o.key, o.slot, o.ok = key, slot, true
	o.old, o.purchase, o.set = uint32(*slot), uint32(*slot>>32), 0
	o.cells = o.cells[:0]
	if o.old&setBig != 0 {
		o.set = o.old
	} else {
		var one [1]uint32
		o.cells = append(o.cells, a.sets.elems(o.old, &one)...)
	}
}

// addCell records that the open order touches cell c.
func (a *accumulator) addCell(c uint32) {
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

// closeOrder interns the open order's set, moves its count from its old
// set and stores its state.
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
	if set != o.old {
		if o.old != 0 {
			a.countSet(o.old, -1)
		}
		a.countSet(set, 1)
	}
	*o.slot = uint64(o.purchase)<<32 | uint64(set)
}

// rolledKey is an aggregate key in compact form: kind 0 is Total, 1+i the
// file's dimension i, 1+D+p its pair p; period is a day number (days since
// 1970-01-01) at Day grain, year*12+month-1 at Month grain.
type rolledKey struct {
	kind   uint16
	grain  uint8
	period int32
	v1, v2 uint32
}

// rollup turns cells into the delta's keys.
type rollup struct {
	a       *accumulator
	dropped []bool
	pairs   [][2]int
	idx     map[rolledKey]uint32
	keys    []rolledKey
	ms      []aggregate.Measures
	single  []int64 // orders whose set is one cell, per cell
	scratch []rolledKey
	// cellKeys holds each cell's key indices (perCell of them), for the
	// cells in multi-cell order sets.
	cellKeys []uint32
	perCell  int
	inSet    []bool
	pos      []int32 // a cell's position in cellKeys, in perCell units
}

func newRollup(a *accumulator, dropped []bool) *rollup {
	r := &rollup{a: a, dropped: dropped, idx: map[rolledKey]uint32{}, single: a.singleCount}
	for i := range a.dims {
		for j := i + 1; j < len(a.dims); j++ {
			r.pairs = append(r.pairs, [2]int{i, j})
		}
	}
	r.perCell = 2 + 2*len(a.dims) + len(r.pairs)
	r.inSet = make([]bool, len(a.cells))
	r.pos = make([]int32, len(a.cells))
	for _, big := range a.sets.big {
		for c := range big {
			r.inSet[c] = true
		}
	}
	for _, c := range a.sets.arena {
		r.inSet[c] = true
	}
	n := 0
	for _, in := range r.inSet {
		if in {
			n++
		}
	}
	r.cellKeys = make([]uint32, 0, n*r.perCell)
	return r
}

// keysOf lists a cell's rolled keys into r.scratch.
func (r *rollup) keysOf(c *cell) []rolledKey {
	y, m, d := r.a.dates.resolve(c.key.date)
	day, month := int32(period.DayNumber(y, m, d)), int32(y*12+m-1)
	ks := r.scratch[:0]
	ks = append(ks, rolledKey{kind: 0, grain: 0, period: day}, rolledKey{kind: 0, grain: 1, period: month})
	for i := range r.a.dims {
		v := c.key.vals[i]
		ks = append(ks, rolledKey{kind: uint16(1 + i), grain: 0, period: day, v1: v},
			rolledKey{kind: uint16(1 + i), grain: 1, period: month, v1: v})
	}
	for p, pr := range r.pairs {
		ks = append(ks, rolledKey{kind: uint16(1 + len(r.a.dims) + p), grain: 1, period: month,
			v1: c.key.vals[pr[0]], v2: c.key.vals[pr[1]]})
	}
	r.scratch = ks
	return ks
}

// measures adds every surviving cell into its keys, with the orders that
// are exactly one cell's (no id, or a single-cell set).
func (r *rollup) measures() error {
	for ci := range r.a.cells {
		if r.dropped[ci] {
			continue
		}
		c := &r.a.cells[ci]
		m := aggregate.Measures{Revenue: c.m.revenue, Cost: c.m.cost, Units: c.m.units, Lines: c.m.lines,
			CostLines: c.m.costLines, Orders: c.m.ordersNoID + r.single[ci]}
		if r.inSet[ci] {
			r.pos[ci] = int32(len(r.cellKeys) / r.perCell)
		}
		for _, k := range r.keysOf(c) {
			i, ok := r.idx[k]
			if !ok {
				i = uint32(len(r.keys))
				r.idx[k] = i
				r.keys = append(r.keys, k)
				r.ms = append(r.ms, aggregate.Measures{})
			}
			if err := r.ms[i].Add(m); err != nil {
				return err
			}
			if r.inSet[ci] {
				r.cellKeys = append(r.cellKeys, i)
			}
		}
	}
	return nil
}

// orders adds the orders of multi-cell sets: each set's multiplicity once
// to every key of the union of its cells' keys.
func (r *rollup) orders() {
	stamp := make([]uint32, len(r.keys))
	gen := uint32(0)
	var one [1]uint32
	add := func(s uint32, k int64) {
		gen++
		for _, ci := range r.a.sets.elems(s, &one) {
			if r.dropped[ci] {
				continue
			}
			pos := int(r.pos[ci]) * r.perCell
			for _, i := range r.cellKeys[pos : pos+r.perCell] {
				if stamp[i] != gen {
					stamp[i] = gen
					r.ms[i].Orders += k
				}
			}
		}
	}
	for s, k := range r.a.multiCount {
		if k > 0 {
			add(uint32(s), k)
		}
	}
	for i := range r.a.sets.big {
		add(setBig|uint32(i), 1)
	}
}

// delta writes the rolled keys into d with their names.
func (r *rollup) delta(d aggregate.Delta) error {
	dims := r.a.dims
	cross := make([]segment.Dimension, len(r.pairs))
	swap := make([]bool, len(r.pairs))
	for p, pr := range r.pairs {
		cross[p] = segment.Cross(dims[pr[0]].dim, dims[pr[1]].dim)
		first, _, _ := segment.Split(cross[p])
		swap[p] = first != dims[pr[0]].dim
	}
	days := map[int32]string{}
	months := map[int32]string{}
	for i, k := range r.keys {
		var key aggregate.Key
		if k.grain == 0 {
			key.Grain = aggregate.Day
			if key.Period = days[k.period]; key.Period == "" {
				key.Period = formatDay(period.Civil(int(k.period)))
				days[k.period] = key.Period
			}
		} else {
			key.Grain = aggregate.Month
			if key.Period = months[k.period]; key.Period == "" {
				key.Period = formatMonth(int(k.period)/12, int(k.period)%12+1)
				months[k.period] = key.Period
			}
		}
		switch kind := int(k.kind); {
		case kind == 0:
			key.Dim, key.Value = segment.Total, segment.TotalValue
		case kind <= len(dims):
			key.Dim, key.Value = dims[kind-1].dim, r.a.vals[kind-1].names[k.v1]
		default:
			p := kind - 1 - len(dims)
			v1, v2 := r.a.vals[r.pairs[p][0]].names[k.v1], r.a.vals[r.pairs[p][1]].names[k.v2]
			if swap[p] {
				v1, v2 = v2, v1
			}
			key.Dim, key.Value = cross[p], segment.JoinValues(v1, v2)
		}
		if err := d.Add(key, r.ms[i]); err != nil {
			return fmt.Errorf("%v %s %s: %w", key.Dim, key.Value, key.Period, err)
		}
	}
	return nil
}
