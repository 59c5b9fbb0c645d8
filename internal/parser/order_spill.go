package parser

import (
	"encoding/binary"
	"slices"
)

// orderSpill is the log of orders' runs on disk (see orderLog for the
// log in memory). Each run is counted as an order of its own when it
// closes, as in memory, and written with its cells; its set needs to stay
// interned only until its orders are added to their keys, so the sets are
// forgotten as the cache rolls up (see accumulator.forgetSets). When the
// file ends, fix finds the orders that came in several runs — in
// partitions of the log by order hash, each read into memory — and
// corrects their counts: minus one for each run's set, plus one for the
// union of their cells, which is what merging the runs in memory adds up
// to.
//
// A run is a header record (its order's hash, its number of cells, four
// unused bytes and up to orderHeadCells cells), followed by records of up
// to orderMoreCells cells.
type orderSpill struct {
	dir  string
	part int // records per partition at finish
	log  *spillFile
	err  error              // the first failed write, returned by fix
	rec  [spillRecSize]byte // scratch of put: a local would escape
}

const (
	orderHeadCells = (spillRecSize - 16) / 8
	orderMoreCells = spillRecSize / 8
)

func newOrderSpill(dir string, part int) (*orderSpill, error) {
	log, err := newSpillFile(dir, "salesseg-orders-*", spillRecSize)
	if err != nil {
		return nil, err
	}
	if part <= 0 {
		part = defaultSpillPart
	}
	return &orderSpill{dir: dir, part: part, log: log}, nil
}

// add writes a run of order key over cells; a failed write is kept for
// fix to return.
func (s *orderSpill) add(key uint64, cells []cellRef) {
	if s.err == nil {
		s.err = s.put(key, cells)
	}
}

// put writes a run of order key over cells.
func (s *orderSpill) put(key uint64, cells []cellRef) error {
	le := binary.LittleEndian
	rec := &s.rec
	*rec = [spillRecSize]byte{}
	le.PutUint64(rec[0:], key)
	le.PutUint32(rec[8:], uint32(len(cells)))
	off := 16
	for _, c := range cells {
		if off == spillRecSize {
			if err := s.log.put(rec[:]); err != nil {
				return err
			}
			*rec, off = [spillRecSize]byte{}, 0
		}
		le.PutUint64(rec[off:], c)
		off += 8
	}
	return s.log.put(rec[:])
}

// records returns how many records a run of n cells takes.
func orderRecords(n int) int {
	if n <= orderHeadCells {
		return 1
	}
	return 1 + (n-orderHeadCells+orderMoreCells-1)/orderMoreCells
}

// spilledRun is a run read back: its cells are cells[at:at+n] of its
// partition, and next is the index+1 of its order's next run (0 for
// none).
type spilledRun struct {
	at, n, next uint32
}

// fixScratch is what fixPart reuses from one partition to the next.
type fixScratch struct {
	runs  []spilledRun
	cells []cellRef
	// ends maps an order's hash to the index+1 of its last run read so
	// far << 32 | the index+1 of its first.
	ends     keyTable
	repeated []uint32 // the first runs of orders of several runs
	union    []cellRef
}

// fix corrects the orders counted for the orders that came in several
// runs, through addOrders; the dates must be decided.
func (s *orderSpill) fix(a *accumulator) error {
	if s.err != nil {
		return s.err
	}
	if err := s.log.flush(); err != nil {
		return err
	}
	var scratch fixScratch
	k := min((s.log.n+s.part-1)/s.part, maxSpillParts)
	if k <= 1 {
		err := s.fixPart(a, s.log, &scratch)
		s.log.close()
		s.log = nil
		return err
	}
	// Partitions by order hash (its top bits), whole runs in each.
	parts := make([]*spillFile, k)
	defer func() {
		for _, p := range parts {
			p.close()
		}
	}()
	var err error
	for i := range parts {
		if parts[i], err = newSpillFile(s.dir, "salesseg-orders-part-*", spillRecSize); err != nil {
			return err
		}
	}
	var to *spillFile
	left := 0 // records of the current run still to copy
	err = s.log.each(func(rec []byte) error {
		if left == 0 {
			key := binary.LittleEndian.Uint64(rec[0:])
			to = parts[(key>>32)*uint64(k)>>32]
			left = orderRecords(int(binary.LittleEndian.Uint32(rec[8:])))
		}
		left--
		return to.put(rec)
	})
	if err != nil {
		return err
	}
	s.log.close()
	s.log = nil
	for i, p := range parts {
		if err := s.fixPart(a, p, &scratch); err != nil {
			return err
		}
		p.close()
		parts[i] = nil
	}
	return nil
}

// fixPart corrects the orders of one partition's orders. Its runs are
// read in the log's order, so each order's runs are chained in the order
// they came; only the orders of several runs, few in most files, need
// more than a lookup.
func (s *orderSpill) fixPart(a *accumulator, f *spillFile, sc *fixScratch) error {
	le := binary.LittleEndian
	runs, cells := slices.Grow(sc.runs[:0], f.n), sc.cells[:0] // a run is at least a record
	sc.ends.reset()
	sc.repeated = sc.repeated[:0]
	left, off := 0, 0
	err := f.each(func(rec []byte) error {
		if left == 0 {
			n := le.Uint32(rec[8:])
			key := le.Uint64(rec[0:])
			runs = append(runs, spilledRun{at: uint32(len(cells)), n: n})
			i := uint32(len(runs))
			ends, found := sc.ends.upsert(key)
			if !found {
				*ends = uint64(i)<<32 | uint64(i)
			} else {
				first, last := uint32(*ends), uint32(*ends>>32)
				if first == last {
					sc.repeated = append(sc.repeated, first)
				}
				runs[last-1].next = i
				*ends = uint64(i)<<32 | uint64(first)
			}
			left, off = int(n), 16
		} else {
			off = 0
		}
		for ; left > 0 && off < spillRecSize; off += 8 {
			cells = append(cells, le.Uint64(rec[off:]))
			left--
		}
		return nil
	})
	sc.runs, sc.cells = runs, cells
	if err != nil {
		return err
	}
	for _, i := range sc.repeated {
		union := sc.union[:0]
		for ; i != 0; i = runs[i-1].next {
			r := &runs[i-1]
			own := cells[r.at : r.at+r.n]
			a.addOrders(own, -1)
			union = append(union, own...)
		}
		slices.Sort(union)
		sc.union = slices.Compact(union)
		a.addOrders(sc.union, 1)
	}
	return nil
}

// close closes the log; a nil orderSpill is a no-op.
func (s *orderSpill) close() error {
	if s == nil {
		return nil
	}
	return s.log.close()
}

// forgetSets drops the interned sets no pending order needs any more,
// renumbering those that stay, once most are done with: with the log of
// runs on disk, a set is not needed after its orders reached their keys.
// Private sets stay (their orders count when the file ends).
func (a *accumulator) forgetSets() {
	old := a.sets
	if a.pending.sets > (len(old.start)+len(old.singles))/4 {
		return
	}
	kept := a.spareSets
	kept.reset()
	kept.big = old.big
	// Kept sets are renumbered in order, each to at most its old number:
	// their counts move down in place.
	p := &a.pending
	for s, n := range p.n {
		if n != 0 {
			p.n[s] = 0
			p.n[kept.intern(old.elems(setID(s), nil))] = n
		}
	}
	p.n = p.n[:min(len(p.n), len(kept.start)-1)]
	a.sets, a.spareSets = kept, old
}
