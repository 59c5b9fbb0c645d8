package ingest

import (
	"slices"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/segment"
)

// purchaseAgg is one customer's activity on one (raw) day.
type purchaseAgg struct {
	revenue, cost decimal.Decimal
	lines         uint32
	orders        uint32
	costLines     uint32
	lastCell      uint32 // the cell of the day's last line: its dimension values
	cust          uint32
	date          rawDate
}

// purchaseOrder is an order seen in a purchase other than its first.
type purchaseOrder struct {
	p uint32
	h uint64
}

// historyTable holds one purchaseAgg per distinct customer and day: memory
// grows with customer-days, not rows.
type historyTable struct {
	custIdx   map[string]uint32
	custNames []string
	idx       map[uint64]uint32
	rows      []purchaseAgg
	extra     map[purchaseOrder]struct{}
	lastKey   uint64
	lastP     uint32

	// Set by finish.
	order []uint32 // rows to emit, by customer id then day
	a     *accumulator
}

func newHistoryTable() *historyTable {
	return &historyTable{custIdx: map[string]uint32{}, idx: map[uint64]uint32{}, extra: map[purchaseOrder]struct{}{}}
}

// add counts a valid line of customer c (an index) on a raw date in cell
// ci, returning the purchase's index+1. Orders are counted by the caller.
func (h *historyTable) add(c uint32, date rawDate, ci uint32, m *cellMeasures) (uint32, error) {
	key := uint64(c)<<32 | uint64(date)
	p := h.lastP
	if p == 0 || key != h.lastKey {
		i, ok := h.idx[key]
		if !ok {
			i = uint32(len(h.rows))
			h.idx[key] = i
			h.rows = append(h.rows, purchaseAgg{cust: c, date: date})
		}
		p = i + 1
		h.lastKey, h.lastP = key, p
	}
	row := &h.rows[p-1]
	rev, err := aggregate.Sum(row.revenue, m.revenue)
	if err != nil {
		return 0, err
	}
	if m.costLines > 0 {
		cost, err := aggregate.Sum(row.cost, m.cost)
		if err != nil {
			return 0, err
		}
		row.cost = cost
		row.costLines++
	}
	row.revenue = rev
	row.lines++
	row.lastCell = ci
	return p, nil
}

// extraOrder counts order h in purchase p (index+1) once.
func (h *historyTable) extraOrder(p uint32, hash uint64) {
	k := purchaseOrder{p, hash}
	if _, ok := h.extra[k]; !ok {
		h.extra[k] = struct{}{}
		h.rows[p-1].orders++
	}
}

// finish drops the purchases whose date contradicts the date order and
// sorts the rest by customer id, then day.
func (h *historyTable) finish(a *accumulator, dropped []bool) *historyTable {
	rank := make([]uint32, len(h.custNames))
	byName := make([]uint32, len(h.custNames))
	for i := range byName {
		byName[i] = uint32(i)
	}
	slices.SortFunc(byName, func(x, y uint32) int { return strings.Compare(h.custNames[x], h.custNames[y]) })
	for r, c := range byName {
		rank[c] = uint32(r)
	}
	keys := make([]uint64, 0, len(h.rows))
	for i := range h.rows {
		p := &h.rows[i]
		if dropped[p.lastCell] {
			continue
		}
		y, m, d := a.dates.resolve(p.date)
		keys = append(keys, uint64(rank[p.cust])<<20|uint64(daysFromCivil(y, m, d)+100000))
		h.order = append(h.order, uint32(i))
	}
	perm := make([]int, len(keys))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(x, y int) int {
		switch {
		case keys[x] < keys[y]:
			return -1
		case keys[x] > keys[y]:
			return 1
		}
		return 0
	})
	sorted := make([]uint32, len(perm))
	for i, j := range perm {
		sorted[i] = h.order[j]
	}
	h.order, h.a = sorted, a
	h.idx, h.extra, h.custIdx = nil, nil, nil
	return h
}

// PurchaseCount returns how many purchases (customer-days) Purchases
// yields.
func (r *Result) PurchaseCount() int {
	if r.history == nil {
		return 0
	}
	return len(r.history.order)
}

// Purchases calls fn for every purchase of the file, one per customer and
// day, ordered by customer id then day, and returns the first error fn
// returns. Rows without a customer id (Result.NoCustomer) have none. A
// purchase's Orders are its distinct order ids (lines without an order id
// count one each), Cost is set only when every line had a cost or profit,
// and Attrs are the dimension values of the customer's last line that day
// (segment.Blank when empty).
func (r *Result) Purchases(fn func(history.Purchase) error) error {
	h := r.history
	if h == nil {
		return nil
	}
	for _, i := range h.order {
		p := &h.rows[i]
		y, m, d := h.a.dates.resolve(p.date)
		out := history.Purchase{Customer: h.custNames[p.cust], Day: formatDay(y, m, d), Orders: int64(p.orders),
			Lines: int64(p.lines), Revenue: p.revenue.String()}
		if p.costLines == p.lines {
			out.Cost = p.cost.String()
		}
		if len(h.a.dims) > 0 {
			out.Attrs = make(map[segment.Dimension]string, len(h.a.dims))
			c := &h.a.cells[p.lastCell]
			for j, ds := range h.a.dims {
				out.Attrs[ds.dim] = h.a.vals[j].names[c.key.vals[j]]
			}
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}
