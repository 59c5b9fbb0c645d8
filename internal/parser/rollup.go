package parser

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/segment"
)

// The rollup turns cells into the delta's keys. A file with D dimensions
// has 2+2D+D(D-1)/2 keys per cell (the total and each dimension by day and
// by month, each pair of dimensions by month): 37 with seven dimensions,
// for up to one cell per row in a file of many customers and values. So
// the rollup does little per (cell, key):
//
//   - keys are grouped in blocks, one per kind (the total, a dimension, a
//     pair) and grain; a block indexes its sums directly by period and
//     value ids when its range is small (dense), else through a keyTable;
//   - sums are exact, added as packed coefficients (see exact), not
//     decimals;
//   - cells add into day keys, and month keys of the total and the
//     dimensions are then summed from those (one add per day key, not per
//     cell); pairs have month keys only;
//   - blocks are shared out among workers, one per core: each reads every
//     cell and writes only its blocks.
//
// Orders are the exception to summing days into months: an order counts
// once in every key its lines reach, so the orders of multi-cell sets (see
// orderSets) are added to every block's keys directly, after the sums.

// Grains of a block.
const (
	grainDay   = 0
	grainMonth = 1
)

// keyAcc is one key's sums: revenue, cost and units as exact decimals
// (coefficients and meta bytes apart, so that they pack), lines, lines with
// a cost, orders. A key with no lines does not exist.
type keyAcc struct {
	coef             [3]uint64
	lines, costLines int64
	orders           int64
	meta             [3]uint8
}

// addExact adds y into the exact whose parts are *coef and *meta. Its
// only error is a sum past 19 digits, wrapping aggregate.ErrOverflow.
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

// add adds the sums of a cell or another key. Most often the three
// amounts each have the scale and sign of the sum so far, and their
// coefficients add as they are.
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
// days, the cell's date being the close date.
type dealAcc struct {
	won, lost, cycled, cycleDays int64
	wonCoef                      uint64
	wonMeta                      uint8
}

func (d *dealAcc) add(o *dealAcc) error {
	if err := addExact(&d.wonCoef, &d.wonMeta, exact{o.wonCoef, o.wonMeta}); err != nil {
		return err
	}
	d.won += o.won
	d.lost += o.lost
	d.cycled += o.cycled
	d.cycleDays += o.cycleDays
	return nil
}

// blockKey is a key of a block: a period (a day number at day grain,
// year*12+month-1 at month grain) and the value ids of the block's
// dimensions (0 when it has fewer than two).
type blockKey struct {
	period int32
	v1, v2 uint32
}

// keyBlock holds the keys of one kind and grain.
type keyBlock struct {
	kind  int // 0 total, 1+i dimension i, 1+D+p pair p
	grain int
	d1    int // the dimensions keying the block, noDim for none
	d2    int
	// Dense blocks: accs[(period-first)*width + v1*n2 + v2].
	dense     bool
	first     int32
	width, n2 uint64
	accs      []keyAcc
	deals     []dealAcc  // nil unless the file has deals
	table     keyTable   // hashed blocks: hash of a key → index in accs
	keys      []blockKey // hashed blocks: the key of each acc
}

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

// at returns the index in accs of key k, creating it in a hashed block.
func (b *keyBlock) at(k blockKey) uint32 {
	if b.dense {
		return uint32(uint64(k.period-b.first)*b.width + uint64(k.v1)*b.n2 + uint64(k.v2))
	}
	return b.hashedAt(k)
}

func (b *keyBlock) hashedAt(k blockKey) uint32 {
	h := mix64(mix64(uint64(uint32(k.period))<<32|uint64(k.v1)) ^ uint64(k.v2))
	for {
		h = max(h, 1) // keyTable keys are nonzero
		v, found := b.table.upsert(h)
		if !found {
			*v = uint64(len(b.accs))
			b.accs = append(b.accs, keyAcc{})
			b.keys = append(b.keys, k)
			if b.deals != nil {
				b.deals = append(b.deals, dealAcc{})
			}
			return uint32(*v)
		}
		if b.keys[*v] == k {
			return uint32(*v)
		}
		h++ // another key with the same hash: probe the next
	}
}

// key returns the key of accs[i].
func (b *keyBlock) key(i int) blockKey {
	if !b.dense {
		return b.keys[i]
	}
	off, v := uint64(i)/b.width, uint64(i)%b.width
	return blockKey{period: b.first + int32(off), v1: uint32(v / b.n2), v2: uint32(v % b.n2)}
}

// cellPeriod is a surviving cell's day number and month.
type cellPeriod struct {
	day, month int32
}

// rollup turns cells into the delta's keys.
type rollup struct {
	a       *accumulator
	dropped []bool
	pairs   [][2]int
	blocks  []*keyBlock
	periods []cellPeriod // by cell
	deals   bool
}

func newRollup(a *accumulator, dropped []bool) *rollup {
	r := &rollup{a: a, dropped: dropped, deals: len(a.deals) > 0}
	for i := range a.dims {
		for j := i + 1; j < len(a.dims); j++ {
			r.pairs = append(r.pairs, [2]int{i, j})
		}
	}
	return r
}

// run sums the surviving cells into the blocks, with the orders of
// multi-cell sets. Its only error is a sum past 19 digits.
func (r *rollup) run() error {
	if !r.plan() {
		return nil
	}
	// A kind's blocks go to one worker: its month block sums its day block.
	kinds := 1 + len(r.a.dims) + len(r.pairs)
	workers := min(runtime.GOMAXPROCS(0), kinds, 4)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		var mine []*keyBlock
		for _, b := range r.blocks {
			if b.kind%workers == w {
				mine = append(mine, b)
			}
		}
		wg.Go(func() { errs[w] = r.work(mine) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// plan resolves every surviving cell's day and month and lays out the
// blocks, dense while their slots stay within a budget of about one per
// cell. It reports false when no cell survives.
func (r *rollup) plan() bool {
	a := r.a
	r.periods = make([]cellPeriod, a.cells.len())
	minDay, maxDay, live := int32(1<<31-1), int32(-1<<31), 0
	var last notation.RawDate
	var lastP cellPeriod
	for ci := range r.periods {
		if r.dropped[ci] {
			continue
		}
		live++
		if d := a.cells.at(uint32(ci)).date; d != last {
			y, m, day := a.dates.Resolve(d)
			last, lastP = d, cellPeriod{int32(period.DayNumber(y, m, day)), int32(y*12 + m - 1)}
		}
		r.periods[ci] = lastP
		minDay, maxDay = min(minDay, lastP.day), max(maxDay, lastP.day)
	}
	if live == 0 {
		return false
	}
	y0, m0, _ := period.Civil(int(minDay))
	y1, m1, _ := period.Civil(int(maxDay))
	minMonth, maxMonth := int32(y0*12+m0-1), int32(y1*12+m1-1)
	size := func(i int) uint64 { return uint64(len(a.vals[i].names)) }
	add := func(kind, grain, d1, d2 int) {
		b := &keyBlock{kind: kind, grain: grain, d1: d1, d2: d2, n2: 1, width: 1}
		if d1 != noDim {
			b.width = size(d1)
		}
		if d2 != noDim {
			b.n2 = size(d2)
			b.width *= b.n2
		}
		b.first = minDay
		if grain == grainMonth {
			b.first = minMonth
		}
		r.blocks = append(r.blocks, b)
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
	// Dense blocks, smallest first, while their slots fit the budget.
	slots := func(b *keyBlock) uint64 {
		n := uint64(maxDay-minDay) + 1
		if b.grain == grainMonth {
			n = uint64(maxMonth-minMonth) + 1
		}
		return n * b.width
	}
	bySize := slices.Clone(r.blocks)
	slices.SortStableFunc(bySize, func(x, y *keyBlock) int { return cmpUint(slots(x), slots(y)) })
	budget := uint64(live) + 4096*uint64(len(r.blocks))
	for _, b := range bySize {
		n := slots(b)
		if n > budget {
			break
		}
		budget -= n
		b.dense = true
		b.accs = make([]keyAcc, n)
		if r.deals {
			b.deals = make([]dealAcc, n)
		}
	}
	for _, b := range r.blocks {
		if !b.dense && r.deals {
			b.deals = []dealAcc{}
		}
	}
	return true
}

func cmpUint(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// work fills blocks: the cells' sums, the months of the day blocks' kinds,
// the orders of multi-cell sets.
func (r *rollup) work(blocks []*keyBlock) error {
	a := r.a
	// Cells add into the day blocks and the pair blocks; the month blocks
	// of the total and the dimensions sum their day block afterwards.
	var direct []*keyBlock
	monthOf := map[int]*keyBlock{}
	for _, b := range blocks {
		if b.grain == grainMonth && b.kind <= len(a.dims) {
			monthOf[b.kind] = b
			continue
		}
		direct = append(direct, b)
	}
	var vals blockVals
	var deal dealAcc
	for ci := range r.periods {
		if r.dropped[ci] {
			continue
		}
		c := a.cells.at(uint32(ci))
		vals.set(a.tuples.at(c.tuple))
		pd := r.periods[ci]
		hasDeal := ci < len(a.deals)
		if hasDeal {
			deal = r.dealOf(&a.deals[ci], pd.day)
		}
		for _, b := range direct {
			i := b.at(b.cellKey(pd, &vals))
			if err := b.accs[i].add(&c.keyAcc); err != nil {
				return err
			}
			if hasDeal {
				if err := b.deals[i].add(&deal); err != nil {
					return err
				}
			}
		}
	}
	for _, b := range direct {
		if m := monthOf[b.kind]; m != nil && b.grain == grainDay {
			if err := r.months(b, m); err != nil {
				return err
			}
		}
	}
	r.orders(blocks)
	return nil
}

// dealOf returns a cell's deal sums: a sales cycle is the close day (the
// cell's date, day) minus the created day, read in the order decided for
// the close dates.
func (r *rollup) dealOf(d *dealSums, day int32) dealAcc {
	out := dealAcc{won: d.won, lost: d.lost, cycled: d.cycled, wonCoef: d.wonRevenue.coef, wonMeta: d.wonRevenue.meta}
	if d.cycled != 0 {
		created := d.createdMDY
		if r.a.dates.Order() == notation.OrderDMY {
			created = d.createdDMY
		}
		out.cycleDays = d.cycled*int64(day) - created
	}
	return out
}

// months sums a day block into the month block of its kind.
func (r *rollup) months(day, month *keyBlock) error {
	lastDay, lastMonth := int32(1<<31-1), int32(0)
	for i := range day.accs {
		if day.accs[i].lines == 0 {
			continue
		}
		k := day.key(i)
		if k.period != lastDay {
			y, m, _ := period.Civil(int(k.period))
			lastDay, lastMonth = k.period, int32(y*12+m-1)
		}
		k.period = lastMonth
		j := month.at(k)
		if err := month.accs[j].add(&day.accs[i]); err != nil {
			return err
		}
		if r.deals {
			if err := month.deals[j].add(&day.deals[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// orders adds the orders of multi-cell sets: each set's multiplicity once
// to every key of the union of its cells' keys. A set's cells are
// gathered first, then each block finds their keys and counts the
// distinct ones.
func (r *rollup) orders(blocks []*keyBlock) {
	a := r.a
	type member struct {
		p    cellPeriod
		vals blockVals
	}
	var members []member
	var idx []uint32
	var one [1]uint32
	add := func(s uint32, k int64) {
		members = members[:0]
		for _, ci := range a.sets.elems(s, &one) {
			if !r.dropped[ci] {
				m := member{p: r.periods[ci]}
				m.vals.set(a.tuples.at(a.cells.at(ci).tuple))
				members = append(members, m)
			}
		}
		for _, b := range blocks {
			idx = idx[:0]
			for i := range members {
				idx = append(idx, b.at(b.cellKey(members[i].p, &members[i].vals)))
			}
			if len(idx) > 16 {
				slices.Sort(idx)
				idx = slices.Compact(idx)
			}
			for j, i := range idx {
				if j == 0 || !slices.Contains(idx[:j], i) {
					b.accs[i].orders += k
				}
			}
		}
	}
	for s, k := range a.multiCount {
		if k > 0 {
			add(uint32(s), k)
		}
	}
	for i := range a.sets.big {
		add(setBig|uint32(i), 1)
	}
}

// delta returns the rolled keys with their names.
func (r *rollup) delta() (aggregate.Delta, error) {
	a := r.a
	dims := a.dims
	n := 0
	for _, b := range r.blocks {
		for i := range b.accs {
			if b.accs[i].lines != 0 {
				n++
			}
		}
	}
	d := make(aggregate.Delta, n)
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
	for _, b := range r.blocks {
		var dim segment.Dimension
		var names map[[2]uint32]string // a pair's joined values
		swap, merge := false, false
		switch {
		case b.kind == 0:
			dim = segment.Total
		case b.kind <= len(dims):
			dim = dims[b.kind-1].dim
		default:
			pr := r.pairs[b.kind-1-len(dims)]
			dim = segment.Cross(dims[pr[0]].dim, dims[pr[1]].dim)
			first, _, _ := segment.Split(dim)
			swap = first != dims[pr[0]].dim
			names = map[[2]uint32]string{}
			// Joined values can only collide when a value holds the
			// separator; then keys merge as Delta.Add would.
			merge = slices.ContainsFunc(a.vals[pr[0]].names, hasValueSep) || slices.ContainsFunc(a.vals[pr[1]].names, hasValueSep)
		}
		for i := range b.accs {
			acc := &b.accs[i]
			if acc.lines == 0 {
				continue
			}
			k := b.key(i)
			key := aggregate.Key{Dim: dim, Grain: aggregate.Day, Period: periodName(b.grain, k.period)}
			if b.grain == grainMonth {
				key.Grain = aggregate.Month
			}
			switch {
			case b.kind == 0:
				key.Value = segment.TotalValue
			case names == nil:
				key.Value = a.vals[b.d1].names[k.v1]
			default:
				v, ok := names[[2]uint32{k.v1, k.v2}]
				if !ok {
					v1, v2 := a.vals[b.d1].names[k.v1], a.vals[b.d2].names[k.v2]
					if swap {
						v1, v2 = v2, v1
					}
					v = segment.JoinValues(v1, v2)
					names[[2]uint32{k.v1, k.v2}] = v
				}
				key.Value = v
			}
			if len(ms) == 0 {
				ms = make([]aggregate.Measures, min(n, 2048))
			}
			m := &ms[0]
			ms, n = ms[1:], n-1
			*m = aggregate.Measures{Revenue: exact{acc.coef[0], acc.meta[0]}.decimal(), Cost: exact{acc.coef[1], acc.meta[1]}.decimal(),
				Units: exact{acc.coef[2], acc.meta[2]}.decimal(), Lines: acc.lines, CostLines: acc.costLines, Orders: acc.orders}
			if r.deals {
				dl := &b.deals[i]
				m.Won, m.Lost, m.Cycled, m.CycleDays = dl.won, dl.lost, dl.cycled, dl.cycleDays
				m.WonRevenue = exact{dl.wonCoef, dl.wonMeta}.decimal()
			}
			if merge {
				if cur, ok := d[key]; ok {
					if err := cur.Add(*m); err != nil {
						return nil, fmt.Errorf("%v %s %s: %w", key.Dim, key.Value, key.Period, err)
					}
					continue
				}
			}
			d[key] = m
		}
	}
	return d, nil
}

func hasValueSep(v string) bool { return strings.Contains(v, segment.JoinValues("", "")) }
