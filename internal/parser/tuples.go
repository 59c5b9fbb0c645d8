package parser

// tupleTable numbers the distinct combinations of dimension value ids
// (tuples) in order of first appearance. Cells are keyed by raw date and
// tuple, and purchases keep the tuple of their last line for its
// dimension values, so that cells can go once rolled up.
//
// A row's tuple is often the previous row's (an order's lines), which is
// checked first; otherwise one probe of a keyTable by the tuple's hash,
// checked against the stored tuple (another tuple with the same hash
// moves on to the next hash). In a file of many customers and values most
// rows' tuples are far apart in memory: a batch of rows first warms their
// slots and stored tuples (touch, touchVals), so that their cache misses
// overlap.
//
// Tuples are stored with only the file's dimensions' values (n of them),
// in chunks of tuplesPerChunk: a million tuples of seven values take 28
// MB, not the 40 of full [maxDims] arrays.
type tupleTable struct {
	idx    keyTable // hash of a tuple → its id
	n      int      // values per tuple, set before the first id
	chunks [][]uint32
	count  int
	last   [maxDims]uint32
	lastN  uint32 // id+1 of last, 0 when none
}

const tuplesPerChunk = 4096

// tupleLookahead is how far ahead a loop that reads the tuples of runs in
// no particular order warms them (see touchID).
const tupleLookahead = 16

// hash returns the key tuple v is looked up by (nonzero, as keyTable
// keys are).
func (t *tupleTable) hash(v *[maxDims]uint32) uint64 {
	h := uint64(len(v))
	for i := 0; i < len(v); i += 2 {
		x := uint64(v[i])
		if i+1 < len(v) {
			x |= uint64(v[i+1]) << 32
		}
		h = mix64(h ^ x)
	}
	return max(h, 1)
}

// touch loads the slot of the table where a tuple of hash h is looked up
// first, as keyTable.touch does.
func (t *tupleTable) touch(h uint64) uint64 { return t.idx.touch(h) }

// touchVals loads the stored values of the tuple of hash h, if there is
// one, so that id finds them in cache; it returns one of them, as touch
// does. Its slot should be in cache already (see touch).
func (t *tupleTable) touchVals(h uint64) uint64 {
	id, found := t.idx.get(h)
	if !found {
		return 0
	}
	return t.touchID(uint32(id))
}

// touchID loads the stored values of tuple id, as touch does.
func (t *tupleTable) touchID(id uint32) uint64 {
	if t.n == 0 {
		return 0
	}
	return uint64(t.stored(id)[0])
}

// id returns the number of tuple v of hash h (see hash), numbering it when
// new.
func (t *tupleTable) id(v *[maxDims]uint32, h uint64) uint32 {
	if t.lastN != 0 && *v == t.last {
		return t.lastN - 1
	}
	var id uint32
	for {
		p, found := t.idx.upsert(h)
		if !found {
			id = t.add(v)
			*p = uint64(id)
			break
		}
		if id = uint32(*p); t.equal(id, v) {
			break
		}
		h = max(h+1, 1) // another tuple with the same hash: probe the next
	}
	t.last, t.lastN = *v, id+1
	return id
}

// add stores a new tuple and returns its id.
func (t *tupleTable) add(v *[maxDims]uint32) uint32 {
	if t.count%tuplesPerChunk == 0 {
		t.chunks = append(t.chunks, make([]uint32, tuplesPerChunk*t.n))
	}
	id := t.count
	t.count++
	o := id % tuplesPerChunk * t.n
	copy(t.chunks[id/tuplesPerChunk][o:o+t.n], v[:t.n])
	return uint32(id)
}

// stored returns the stored values of tuple id.
func (t *tupleTable) stored(id uint32) []uint32 {
	o := int(id%tuplesPerChunk) * t.n
	return t.chunks[id/tuplesPerChunk][o : o+t.n : o+t.n]
}

// equal reports whether tuple id is v.
func (t *tupleTable) equal(id uint32, v *[maxDims]uint32) bool {
	for i, x := range t.stored(id) {
		if v[i] != x {
			return false
		}
	}
	return true
}

// at returns the value ids of tuple id (0 past the file's dimensions).
func (t *tupleTable) at(id uint32) (v [maxDims]uint32) {
	for i, x := range t.stored(id) {
		v[i] = x
	}
	return v
}
