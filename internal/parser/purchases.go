package parser

import (
	"cmp"
	"slices"
	"time"

	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
)

// purchaseAgg is one customer's activity on one (raw) day, in 48 bytes:
// revenue and cost are exact decimals, their coefficients and meta bytes
// apart so that they pack (see exact).
type purchaseAgg struct {
	revCoef, costCoef uint64
	lines             uint32
	orders            uint32
	costLines         uint32
	lastTuple         uint32 // the dimension values of the day's last line (see tupleTable)
	lastSeq           uint32 // when that line came, for merging
	cust              uint32
	date              notation.RawDate
	revMeta, costMeta uint8
}

func (p *purchaseAgg) revenue() exact     { return exact{p.revCoef, p.revMeta} }
func (p *purchaseAgg) cost() exact        { return exact{p.costCoef, p.costMeta} }
func (p *purchaseAgg) setRevenue(x exact) { p.revCoef, p.revMeta = x.coef, x.meta }
func (p *purchaseAgg) setCost(x exact)    { p.costCoef, p.costMeta = x.coef, x.meta }

// purchaseOrder is an order seen in a purchase other than its first.
type purchaseOrder struct {
	p uint32
	h uint64
}

// historyTable holds one purchaseAgg per distinct customer and day: memory
// grows with customer-days, not rows.
type historyTable struct {
	idx     keyTable // customer<<32 | raw date → purchase index
	lastKey uint64
	lastP   uint32
	rows    chunked[purchaseAgg]
	extra   map[purchaseOrder]struct{}
	seq     uint32
	// names holds, when named (the file has a customer name column), each
	// purchase's customer name (see setName), by index as rows: 4 bytes a
	// purchase only in such files.
	named bool
	names chunked[uint32]

	// Set by finish.
	order []uint32 // rows to emit, by customer id then day
	a     *accumulator
}

func newHistoryTable(named bool) *historyTable {
	return &historyTable{extra: map[purchaseOrder]struct{}{}, named: named}
}

// purchaseKey is the key of customer c's (an index) purchase on a raw
// date in idx; never 0, as dates are not.
func purchaseKey(c uint32, date notation.RawDate) uint64 { return uint64(c)<<32 | uint64(date) }

// purchase returns the index+1 of the purchase of customer c (an index)
// on a raw date, numbering new ones in order of appearance.
func (h *historyTable) purchase(c uint32, date notation.RawDate) uint32 {
	key := purchaseKey(c, date)
	if h.lastP != 0 && key == h.lastKey {
		return h.lastP
	}
	v, found := h.idx.upsert(key)
	if !found {
		*v = uint64(h.rows.len())
		*h.rows.add() = purchaseAgg{cust: c, date: date}
		if h.named {
			h.names.add()
		}
	}
	h.lastKey, h.lastP = key, uint32(*v)+1
	return h.lastP
}

// add counts a valid line in purchase p (index+1, from purchase), of
// tuple t. Orders are counted by the caller.
func (h *historyTable) add(p, t uint32, m *cellMeasures) error {
	row := h.rows.at(p - 1)
	rev, err := row.revenue().add(m.revenue)
	if err != nil {
		return err
	}
	if m.costLines > 0 {
		cost, err := row.cost().add(m.cost)
		if err != nil {
			return err
		}
		row.setCost(cost)
		row.costLines++
	}
	row.setRevenue(rev)
	row.lines++
	row.lastTuple = t
	h.seq++
	row.lastSeq = h.seq
	return nil
}

// setName records name (an index+1 in the accumulator's names) as the
// customer name of purchase p (index+1): the last line's that had one.
func (h *historyTable) setName(p, name uint32) { *h.names.at(p - 1) = name }

// extraOrder counts order h in purchase p (index+1) once: the order's
// run began in another purchase.
func (h *historyTable) extraOrder(p uint32, hash uint64) {
	if !h.hasExtra(p, hash) {
		h.addExtra(p, hash)
		h.rows.at(p-1).orders++
	}
}

// hasExtra reports whether extraOrder counted order hash in purchase p.
func (h *historyTable) hasExtra(p uint32, hash uint64) bool {
	_, ok := h.extra[purchaseOrder{p, hash}]
	return ok
}

// addExtra records order hash as counted in purchase p.
func (h *historyTable) addExtra(p uint32, hash uint64) { h.extra[purchaseOrder{p, hash}] = struct{}{} }

// dropExtra forgets that order hash was counted in purchase p as an extra
// one, and reports whether it was.
func (h *historyTable) dropExtra(p uint32, hash uint64) bool {
	k := purchaseOrder{p, hash}
	_, ok := h.extra[k]
	delete(h.extra, k)
	return ok
}

// finish drops the purchases whose date contradicts the date order and
// sorts the rest by customer id, then day.
func (h *historyTable) finish(a *accumulator) (*historyTable, error) {
	// Every order's runs are merged: the index and the extra orders are
	// done with, and their memory goes to the sort.
	h.idx, h.extra = keyTable{}, nil
	rank := customerRanks(a.customers.names)
	type sortKey struct {
		key uint64 // customer rank << 20 | day
		row uint32
	}
	keys := make([]sortKey, 0, h.rows.len())
	for i := range h.rows.len() {
		p := h.rows.at(uint32(i))
		if a.dates.Dropped(p.date) {
			continue
		}
		y, m, d := a.dates.Resolve(p.date)
		keys = append(keys, sortKey{uint64(rank[p.cust])<<20 | uint64(period.DayNumber(y, m, d)+100000), uint32(i)})
	}
	slices.SortFunc(keys, func(x, y sortKey) int { return cmp.Compare(x.key, y.key) })
	sorted := make([]uint32, 0, len(keys))
	for i, k := range keys {
		if i > 0 && k.key == keys[i-1].key {
			// The same customer and day written two ways (2024-03-04 and
			// 3/4/2024): merge into the first.
			if err := h.merge(sorted[len(sorted)-1], k.row); err != nil {
				return nil, err
			}
			continue
		}
		sorted = append(sorted, k.row)
	}
	h.order, h.a = sorted, a
	return h, nil
}

// merge adds purchase row j into row i. An order with lines under both
// spellings of the date counts in each (the one inexactness of Orders).
func (h *historyTable) merge(i, j uint32) error {
	p, q := h.rows.at(i), h.rows.at(j)
	rev, err := p.revenue().add(q.revenue())
	if err != nil {
		return err
	}
	cost, err := p.cost().add(q.cost())
	if err != nil {
		return err
	}
	p.setRevenue(rev)
	p.setCost(cost)
	p.lines += q.lines
	p.orders += q.orders
	p.costLines += q.costLines
	if h.named {
		if n, m := h.names.at(i), *h.names.at(j); m != 0 && (*n == 0 || q.lastSeq > p.lastSeq) {
			*n = m
		}
	}
	if q.lastSeq > p.lastSeq {
		p.lastTuple, p.lastSeq = q.lastTuple, q.lastSeq
	}
	return nil
}

// PurchaseCount returns how many purchases (customer-days) Purchases
// yields.
func (r *Result) PurchaseCount() int {
	if r.spilled != nil {
		return r.spilled.count
	}
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
// (dimension.Blank when empty). In a file with a customer name column, a
// customer's last purchase carries Name: the name of the last line of the
// latest day that gave one ("" when none did); the others carry none.
func (r *Result) Purchases(fn func(history.Purchase) error) error {
	if r.spilled != nil {
		return r.spilled.purchases(fn)
	}
	h := r.history
	if h == nil {
		return nil
	}
	var name uint32 // the current customer's latest name so far
	for k, i := range h.order {
		p := h.rows.at(i)
		y, m, d := h.a.dates.Resolve(p.date)
		vals := h.a.tuples.at(p.lastTuple)
		out := h.a.purchase(p.cust, period.NewDate(y, time.Month(m), d), p.orders, p.lines, p.revenue(), p.cost(), p.costLines == p.lines, &vals)
		if h.named {
			if n := *h.names.at(i); n != 0 {
				name = n
			}
			if k+1 == len(h.order) || h.rows.at(h.order[k+1]).cust != p.cust {
				if name != 0 {
					out.Name = h.a.names.names[name-1]
				}
				name = 0
			}
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// chunked is an append-only slice in fixed-size chunks: growing never
// copies (which matters for millions of purchases) and element pointers
// stay valid.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const chunkSize = 4096

func (c *chunked[T]) len() int { return c.n }

// add appends a zero element and returns it.
func (c *chunked[T]) add() *T {
	if c.n%chunkSize == 0 {
		c.chunks = append(c.chunks, make([]T, chunkSize))
	}
	c.n++
	return &c.chunks[(c.n-1)/chunkSize][(c.n-1)%chunkSize]
}

func (c *chunked[T]) at(i uint32) *T { return &c.chunks[i/chunkSize][i%chunkSize] }
