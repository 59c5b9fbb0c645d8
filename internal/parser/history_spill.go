package parser

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
)

// historySpill builds the purchase history on disk: each run of accepted
// lines with one customer, raw date and order (or of lines without an
// order id) is one record of a spill file, written as the file is read;
// memory holds only the open run. When the file ends, finish groups the
// runs by customer and day — in partitions of customers by rank, each
// sorted in memory — and writes the purchases, in the order Purchases
// gives them, to a second spill file. A purchase's orders are its distinct
// order ids, counted from the runs' ids, plus its lines without one: the
// figures the in-memory history (historyTable) gives, byte for byte.
type historySpill struct {
	dir   string
	part  int // runs per partition at finish
	named bool
	dims  int // how many dimension values a purchase has
	log   *spillFile
	// perCust counts the runs logged by customer index, for finish's
	// partitions.
	perCust []uint32
	cur     histRun
	open    bool
	rec     [spillRecSize]byte // scratch of flushRun: a local would escape
	scratch emitScratch
	sink    uint64 // keeps emit's warming loads from being optimised away
	// Set by finish.
	out   *spillFile
	count int
	a     *accumulator
}

// histRun is a run of lines in a purchase (see historySpill).
type histRun struct {
	revCoef, costCoef uint64
	order             uint64 // the order id's hash, 0 for lines without one
	cust              uint32 // customer index
	date              notation.RawDate
	seq               uint32 // the run's place in the log
	tuple             uint32 // the dimension values of the run's last line
	name              uint32 // the last customer name given (index+1), 0 for none
	lines, costLines  uint32
	noID              uint32 // lines without an order id
	revMeta, costMeta uint8
}

// defaultSpillPart is about how many records finish sorts at a time (64
// bytes each).
const defaultSpillPart = 1 << 17

// maxSpillParts bounds the partitions of a spill file.
const maxSpillParts = 256

func newHistorySpill(dir string, part int, named bool) (*historySpill, error) {
	log, err := newSpillFile(dir, "salesseg-history-*", spillRecSize)
	if err != nil {
		return nil, err
	}
	if part <= 0 {
		part = defaultSpillPart
	}
	return &historySpill{dir: dir, part: part, named: named, log: log}, nil
}

// add counts an accepted line with a customer (stage 2). Its only errors
// are a sum past 19 digits and a failed write.
func (s *historySpill) add(r *parsedRow) error {
	var order uint64
	if r.hasOrder {
		order = r.order
	}
	c := &s.cur
	if !s.open || c.cust != r.cust-1 || c.date != r.date || c.order != order {
		if err := s.flushRun(); err != nil {
			return err
		}
		*c = histRun{cust: r.cust - 1, date: r.date, order: order}
		s.open = true
	}
	rev, err := exact{c.revCoef, c.revMeta}.add(r.m.revenue)
	if err != nil {
		return err
	}
	c.revCoef, c.revMeta = rev.coef, rev.meta
	if r.m.costLines > 0 {
		cost, err := exact{c.costCoef, c.costMeta}.add(r.m.cost)
		if err != nil {
			return err
		}
		c.costCoef, c.costMeta = cost.coef, cost.meta
		c.costLines++
	}
	c.lines++
	if !r.hasOrder {
		c.noID++
	}
	c.tuple = r.tuple
	if r.name != 0 {
		c.name = r.name
	}
	return nil
}

// flushRun writes the open run to the log.
func (s *historySpill) flushRun() error {
	if !s.open {
		return nil
	}
	s.open = false
	if c := int(s.cur.cust); c >= len(s.perCust) {
		s.perCust = append(s.perCust, make([]uint32, c+1-len(s.perCust))...)
	}
	s.perCust[s.cur.cust]++
	s.cur.seq = uint32(s.log.n)
	s.cur.encode(s.rec[:])
	return s.log.put(s.rec[:])
}

func (h *histRun) encode(rec []byte) {
	le := binary.LittleEndian
	le.PutUint64(rec[0:], h.revCoef)
	le.PutUint64(rec[8:], h.costCoef)
	le.PutUint64(rec[16:], h.order)
	le.PutUint32(rec[24:], h.cust)
	le.PutUint32(rec[28:], uint32(h.date))
	le.PutUint32(rec[32:], h.seq)
	le.PutUint32(rec[36:], h.tuple)
	le.PutUint32(rec[40:], h.name)
	le.PutUint32(rec[44:], h.lines)
	le.PutUint32(rec[48:], h.costLines)
	le.PutUint32(rec[52:], h.noID)
	rec[56], rec[57] = h.revMeta, h.costMeta
}

func (h *histRun) decode(rec []byte) {
	le := binary.LittleEndian
	*h = histRun{revCoef: le.Uint64(rec[0:]), costCoef: le.Uint64(rec[8:]), order: le.Uint64(rec[16:]),
		cust: le.Uint32(rec[24:]), date: notation.RawDate(le.Uint32(rec[28:])), seq: le.Uint32(rec[32:]),
		tuple: le.Uint32(rec[36:]), name: le.Uint32(rec[40:]), lines: le.Uint32(rec[44:]),
		costLines: le.Uint32(rec[48:]), noID: le.Uint32(rec[52:]), revMeta: rec[56], costMeta: rec[57]}
}

// customerRanks returns each customer's (by index) rank in the order of
// their ids.
func customerRanks(names []string) []uint32 {
	byName := make([]uint32, len(names))
	for i := range byName {
		byName[i] = uint32(i)
	}
	slices.SortFunc(byName, func(x, y uint32) int { return strings.Compare(names[x], names[y]) })
	rank := make([]uint32, len(names))
	for r, c := range byName {
		rank[c] = uint32(r)
	}
	return rank
}

// finish groups the runs into purchases, ordered by customer id then
// day, leaving out those whose date contradicts the date order, and
// writes them to out.
func (s *historySpill) finish(a *accumulator) error {
	if err := s.flushRun(); err != nil {
		return err
	}
	s.a = a
	s.dims = len(a.dims)
	out, err := newSpillFile(s.dir, "salesseg-purchases-*", purchaseRecHead+4*s.dims)
	if err != nil {
		return err
	}
	s.out = out
	// The buffers of emit go with the last partition, before the delta
	// is built.
	defer func() { s.scratch = emitScratch{} }()
	rank := customerRanks(a.customers.names)
	var runs []histRun
	read := func(f *spillFile) error {
		runs = slices.Grow(runs[:0], f.n) // in one allocation: growing would copy
		return f.each(func(rec []byte) error {
			var h histRun
			h.decode(rec)
			if !a.dates.Dropped(h.date) {
				runs = append(runs, h)
			}
			return nil
		})
	}
	if s.log.n <= s.part {
		if err := read(s.log); err != nil {
			return err
		}
		s.log.close()
		s.log = nil
		if err := s.emit(runs, rank); err != nil {
			return err
		}
		return s.out.flush()
	}
	// Partitions of consecutive customers by rank, of about s.part runs
	// (more for a customer who has more): each holds whole customers, and
	// they follow one another in order.
	target := max(s.part, s.log.n/(maxSpillParts/2))
	byRank := make([]uint32, len(rank))
	for c, r := range rank {
		byRank[r] = uint32(c)
	}
	partOf := make([]uint16, len(rank))
	k, size := 0, 0
	for _, c := range byRank {
		var n int
		if int(c) < len(s.perCust) {
			n = int(s.perCust[c])
		}
		if size > 0 && size+n > target {
			k, size = k+1, 0
		}
		partOf[c] = uint16(k)
		size += n
	}
	byRank, s.perCust = nil, nil
	parts := make([]*spillFile, k+1)
	defer func() {
		for _, p := range parts {
			p.close()
		}
	}()
	for i := range parts {
		if parts[i], err = newSpillFile(s.dir, "salesseg-history-part-*", spillRecSize); err != nil {
			return err
		}
	}
	err = s.log.each(func(rec []byte) error {
		return parts[partOf[binary.LittleEndian.Uint32(rec[24:])]].put(rec)
	})
	if err != nil {
		return err
	}
	s.log.close()
	s.log = nil
	for i, p := range parts {
		if err := read(p); err != nil {
			return err
		}
		p.close()
		parts[i] = nil
		if err := s.emit(runs, rank); err != nil {
			return err
		}
	}
	return s.out.flush()
}

// emitScratch is what emit reuses from one partition to the next: the
// counting sort's offsets by rank, the runs it sorts with their sort keys,
// their order within each customer, and the raw dates of one purchase.
type emitScratch struct {
	at, idx []uint32
	sorted  []histRun
	keys    []uint64
	rows    []purchaseRec
}

// purchaseRecHead is the size of a purchase's record before its
// dimension values (value ids, 4 bytes each): with them, the purchases
// need no tuple table.
const purchaseRecHead = 44

// purchaseRec is a purchase as finish writes it.
type purchaseRec struct {
	vals               [maxDims]uint32 // the values of tuple
	revCoef, costCoef  uint64
	cust               uint32
	year               uint16
	month, day         uint8
	orders, lines      uint32
	tuple, name        uint32
	revMeta, costMeta  uint8
	costAll            bool // every line had a cost
	firstSeq, lastSeq  uint32
	costLines, nameSeq uint32 // while grouping only
}

func (p *purchaseRec) encode(rec []byte, dims int) {
	le := binary.LittleEndian
	le.PutUint64(rec[0:], p.revCoef)
	le.PutUint64(rec[8:], p.costCoef)
	le.PutUint32(rec[16:], p.cust)
	le.PutUint16(rec[20:], p.year)
	rec[22], rec[23] = p.month, p.day
	le.PutUint32(rec[24:], p.orders)
	le.PutUint32(rec[28:], p.lines)
	le.PutUint32(rec[32:], p.tuple)
	le.PutUint32(rec[36:], p.name)
	rec[40], rec[41] = p.revMeta, p.costMeta
	rec[42] = 0
	if p.costAll {
		rec[42] = 1
	}
	for i := range dims {
		le.PutUint32(rec[purchaseRecHead+4*i:], p.vals[i])
	}
}

func (p *purchaseRec) decode(rec []byte, dims int) {
	le := binary.LittleEndian
	*p = purchaseRec{revCoef: le.Uint64(rec[0:]), costCoef: le.Uint64(rec[8:]), cust: le.Uint32(rec[16:]),
		year: le.Uint16(rec[20:]), month: rec[22], day: rec[23], orders: le.Uint32(rec[24:]),
		lines: le.Uint32(rec[28:]), tuple: le.Uint32(rec[32:]), name: le.Uint32(rec[36:]),
		revMeta: rec[40], costMeta: rec[41], costAll: rec[42] == 1}
	for i := range dims {
		p.vals[i] = le.Uint32(rec[purchaseRecHead+4*i:])
	}
}

// addSums adds q's sums into p.
func (p *purchaseRec) addSums(revCoef, costCoef uint64, revMeta, costMeta uint8, lines, costLines uint32) error {
	rev, err := exact{p.revCoef, p.revMeta}.add(exact{revCoef, revMeta})
	if err != nil {
		return err
	}
	cost, err := exact{p.costCoef, p.costMeta}.add(exact{costCoef, costMeta})
	if err != nil {
		return err
	}
	p.revCoef, p.revMeta, p.costCoef, p.costMeta = rev.coef, rev.meta, cost.coef, cost.meta
	p.lines += lines
	p.costLines += costLines
	return nil
}

// emit groups the runs of whole customers into purchases and writes them
// in order. Runs of one customer and raw date make one purchase of the
// in-memory history; those whose raw dates read as the same day (written
// two ways) then merge as historyTable.merge does, in order of
// appearance.
func (s *historySpill) emit(runs []histRun, rank []uint32) error {
	a := s.a
	sc := &s.scratch
	if len(runs) == 0 {
		return nil
	}
	// The runs in order of customer rank, by a counting sort (the
	// partition's customers have consecutive ranks): moved rather than
	// indexed, so that what follows reads them in order.
	lo, hi := uint32(1<<32-1), uint32(0)
	for i := range runs {
		r := rank[runs[i].cust]
		lo, hi = min(lo, r), max(hi, r)
	}
	at := slices.Grow(sc.at[:0], int(hi-lo)+1)[:hi-lo+1]
	clear(at)
	for i := range runs {
		at[rank[runs[i].cust]-lo]++
	}
	n := uint32(0)
	for r, c := range at {
		at[r], n = n, n+c
	}
	sorted := slices.Grow(sc.sorted[:0], len(runs))[:len(runs)]
	keys := slices.Grow(sc.keys[:0], len(runs))[:len(runs)]
	for i := range runs {
		h := &runs[i]
		y, m, d := a.dates.Resolve(h.date)
		r := rank[h.cust]
		k := at[r-lo]
		at[r-lo]++
		sorted[k] = *h
		keys[k] = uint64(r)<<20 | uint64(period.DayNumber(y, m, d)+100000)
	}
	runs = sorted
	// Then each customer's runs, a few, by day, raw date, order and
	// place in the log.
	idx := slices.Grow(sc.idx[:0], len(runs))[:len(runs)]
	for i := range idx {
		idx[i] = uint32(i)
	}
	sc.at, sc.sorted, sc.keys, sc.idx = at, sorted, keys, idx
	byDay := func(x, y uint32) int {
		p, q := &runs[x], &runs[y]
		return cmp.Or(cmp.Compare(keys[x], keys[y]), cmp.Compare(p.date, q.date),
			cmp.Compare(p.order, q.order), cmp.Compare(p.seq, q.seq))
	}
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && keys[j]>>20 == keys[i]>>20 {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(idx[i:j], byDay)
		}
		i = j
	}
	rows := sc.rows // the raw dates of one purchase
	defer func() { sc.rows = rows }()
	var rec [purchaseRecHead + 4*maxDims]byte
	for i := 0; i < len(idx); {
		// One purchase: runs i..j-1. The tuple of a run a few ahead is
		// warmed: misses one at a time would stall this loop.
		if k := i + tupleLookahead; k < len(idx) {
			s.sink += a.tuples.touchID(runs[idx[k]].tuple)
		}
		j := i
		rows = rows[:0]
		for j < len(idx) && keys[idx[j]] == keys[idx[i]] {
			h := &runs[idx[j]]
			if j == i || h.date != runs[idx[j-1]].date {
				y, m, d := a.dates.Resolve(h.date)
				rows = append(rows, purchaseRec{cust: h.cust, year: uint16(y), month: uint8(m), day: uint8(d),
					firstSeq: h.seq, lastSeq: h.seq, tuple: h.tuple})
			}
			p := &rows[len(rows)-1]
			if err := p.addSums(h.revCoef, h.costCoef, h.revMeta, h.costMeta, h.lines, h.costLines); err != nil {
				return err
			}
			p.orders += h.noID
			if h.order != 0 && (j == i || h.date != runs[idx[j-1]].date || h.order != runs[idx[j-1]].order) {
				p.orders++
			}
			p.firstSeq = min(p.firstSeq, h.seq)
			if h.seq >= p.lastSeq {
				p.lastSeq, p.tuple = h.seq, h.tuple
			}
			if h.name != 0 && (p.name == 0 || h.seq > p.nameSeq) {
				p.name, p.nameSeq = h.name, h.seq
			}
			j++
		}
		slices.SortFunc(rows, func(x, y purchaseRec) int { return cmp.Compare(x.firstSeq, y.firstSeq) })
		p := &rows[0]
		for _, q := range rows[1:] {
			if err := p.addSums(q.revCoef, q.costCoef, q.revMeta, q.costMeta, q.lines, q.costLines); err != nil {
				return err
			}
			p.orders += q.orders
			if q.name != 0 && (p.name == 0 || q.lastSeq > p.lastSeq) {
				p.name = q.name
			}
			if q.lastSeq > p.lastSeq {
				p.tuple, p.lastSeq = q.tuple, q.lastSeq
			}
		}
		p.costAll = p.costLines == p.lines
		p.vals = a.tuples.at(p.tuple)
		p.encode(rec[:], s.dims)
		if err := s.out.put(rec[:]); err != nil {
			return err
		}
		s.count++
		i = j
	}
	return nil
}

// purchases calls fn with every purchase, as Result.Purchases describes.
func (s *historySpill) purchases(fn func(history.Purchase) error) error {
	if s.out == nil {
		return fmt.Errorf("purchase history: %w", ErrClosed)
	}
	var prev purchaseRec
	have := false
	var name uint32
	emit := func(p *purchaseRec, lastOfCustomer bool) error {
		out := s.a.purchase(p.cust, period.NewDate(int(p.year), time.Month(p.month), int(p.day)), p.orders, p.lines,
			exact{p.revCoef, p.revMeta}, exact{p.costCoef, p.costMeta}, p.costAll, &p.vals)
		if s.named {
			if p.name != 0 {
				name = p.name
			}
			if lastOfCustomer {
				if name != 0 {
					out.Name = s.a.names.names[name-1]
				}
				name = 0
			}
		}
		return fn(out)
	}
	err := s.out.each(func(rec []byte) error {
		var p purchaseRec
		p.decode(rec, s.dims)
		if have {
			if err := emit(&prev, p.cust != prev.cust); err != nil {
				return err
			}
		}
		prev, have = p, true
		return nil
	})
	if err != nil || !have {
		return err
	}
	return emit(&prev, true)
}

// purchase builds a purchase of the history; cost counts when costAll.
func (a *accumulator) purchase(cust uint32, day period.Date, orders, lines uint32, rev, cost exact, costAll bool, vals *[maxDims]uint32) history.Purchase {
	out := history.Purchase{Customer: a.customers.names[cust], Day: day, Orders: int64(orders),
		Lines: int64(lines), Revenue: rev.String()}
	if costAll {
		out.Cost = cost.String()
	}
	if len(a.dims) > 0 {
		out.Attrs = make(map[dimension.Dimension]string, len(a.dims))
		for j, ds := range a.dims {
			out.Attrs[ds.dim] = a.vals[j].names[vals[j]]
		}
	}
	return out
}

// close closes the spill files.
func (s *historySpill) close() error {
	if s == nil {
		return nil
	}
	return errors.Join(s.log.close(), s.out.close())
}
