package parser

import (
	"fmt"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
)

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
	y, m, d := r.a.dates.Resolve(c.key.date)
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
		m := aggregate.Measures{Revenue: c.m.revenue.decimal(), Cost: c.m.cost.decimal(), Units: c.m.units.decimal(), Lines: c.m.lines,
			CostLines: c.m.costLines, Orders: c.m.ordersNoID + r.single[ci]}
		if ci < len(r.a.deals) {
			r.dealMeasures(&m, c, &r.a.deals[ci])
		}
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

// dealMeasures sets a cell's deal measures: a sales cycle is the close
// day (the cell's date) minus the created day, read in the order decided
// for the close dates.
func (r *rollup) dealMeasures(m *aggregate.Measures, c *cell, d *dealSums) {
	m.Won, m.Lost, m.Cycled, m.WonRevenue = d.won, d.lost, d.cycled, d.wonRevenue.decimal()
	if d.cycled == 0 {
		return
	}
	y, mo, day := r.a.dates.Resolve(c.key.date)
	created := d.createdMDY
	if r.a.dates.Order() == notation.OrderDMY {
		created = d.createdDMY
	}
	m.CycleDays = d.cycled*int64(period.DayNumber(y, mo, day)) - created
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
	cross := make([]dimension.Dimension, len(r.pairs))
	swap := make([]bool, len(r.pairs))
	for p, pr := range r.pairs {
		cross[p] = dimension.Cross(dims[pr[0]].dim, dims[pr[1]].dim)
		first, _, _ := dimension.Split(cross[p])
		swap[p] = first != dims[pr[0]].dim
	}
	days := map[int32]string{}
	months := map[int32]string{}
	for i, k := range r.keys {
		var key aggregate.Key
		if k.grain == 0 {
			key.Grain = aggregate.Day
			if key.Period = days[k.period]; key.Period == "" {
				key.Period = period.DayKey(period.Civil(int(k.period)))
				days[k.period] = key.Period
			}
		} else {
			key.Grain = aggregate.Month
			if key.Period = months[k.period]; key.Period == "" {
				key.Period = period.MonthKey(int(k.period)/12, int(k.period)%12+1)
				months[k.period] = key.Period
			}
		}
		switch kind := int(k.kind); {
		case kind == 0:
			key.Dim, key.Value = dimension.Total, dimension.TotalValue
		case kind <= len(dims):
			key.Dim, key.Value = dims[kind-1].dim, r.a.vals[kind-1].names[k.v1]
		default:
			p := kind - 1 - len(dims)
			v1, v2 := r.a.vals[r.pairs[p][0]].names[k.v1], r.a.vals[r.pairs[p][1]].names[k.v2]
			if swap[p] {
				v1, v2 = v2, v1
			}
			key.Dim, key.Value = cross[p], dimension.JoinValues(v1, v2)
		}
		if err := d.Add(key, r.ms[i]); err != nil {
			return fmt.Errorf("%v %s %s: %w", key.Dim, key.Value, key.Period, err)
		}
	}
	return nil
}
