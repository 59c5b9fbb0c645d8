package parser

// keyTable maps nonzero 64-bit keys to 64-bit values. It serves the
// per-cell, per-purchase and per-set lookups that dominate aggregation, where Go maps cost two probes for a new key (a lookup, then
// an insert) and give no way to warm the cache ahead of use: upsert finds
// or inserts in one probe and returns the value in place, and touch lets a
// batch issue its cache misses together before processing its rows one by
// one (the CPU overlaps independent loads; it cannot overlap the dependent
// ones of a row-at-a-time loop).
//
// It is split into parts by the key's hash so that growing never copies
// more than 1/keyTableParts of it at once: memory stays near the live
// entries instead of doubling for a moment. Each part is open addressing
// with linear probing, at most 3/4 full.
type keyTable struct {
	parts [keyTableParts]tablePart
	n     int
}

const (
	keyTablePartBits = 6
	keyTableParts    = 1 << keyTablePartBits
)

type tablePart struct {
	slots []tableSlot // len is a power of two, or 0
	n     int
}

type tableSlot struct {
	key, val uint64
}

// mix64 spreads every bit of a key over the whole hash (the finaliser of
// MurmurHash3, a published constant pair): keys such as customer<<32|date
// differ in few bits.
func mix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// len returns the number of keys.
func (t *keyTable) len() int { return t.n }

// upsert returns the value of key, inserting it with value 0 when absent;
// found tells which. The pointer is valid until the next upsert. key must
// not be 0.
func (t *keyTable) upsert(key uint64) (val *uint64, found bool) {
	h := mix64(key)
	p := &t.parts[h>>(64-keyTablePartBits)]
	if (p.n+1)*4 > len(p.slots)*3 {
		p.grow()
	}
	mask := uint64(len(p.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &p.slots[i]
		if s.key == key {
			return &s.val, true
		}
		if s.key == 0 {
			s.key = key
			p.n++
			t.n++
			return &s.val, false
		}
	}
}

// get returns the value of key and whether it is there, inserting
// nothing. key must not be 0.
func (t *keyTable) get(key uint64) (uint64, bool) {
	h := mix64(key)
	p := &t.parts[h>>(64-keyTablePartBits)]
	if len(p.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(p.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s := &p.slots[i]; s.key {
		case key:
			return s.val, true
		case 0:
			return 0, false
		}
	}
}

// reset removes every key, keeping the memory.
func (t *keyTable) reset() {
	for i := range t.parts {
		clear(t.parts[i].slots)
		t.parts[i].n = 0
	}
	t.n = 0
}

// touch loads the slot where key's probe starts, so that an upsert of key
// soon after finds it in cache. It returns what it loaded, which the
// caller must use (sum it into a sink) so that the load is not optimised
// away.
func (t *keyTable) touch(key uint64) uint64 {
	h := mix64(key)
	p := &t.parts[h>>(64-keyTablePartBits)]
	if len(p.slots) == 0 {
		return 0
	}
	return p.slots[h&uint64(len(p.slots)-1)].key
}

// grow doubles a part (or gives an empty one its first slots) and
// reinserts its keys.
func (p *tablePart) grow() {
	old := p.slots
	p.slots = make([]tableSlot, max(16, 2*len(old)))
	mask := uint64(len(p.slots) - 1)
	for _, s := range old {
		if s.key == 0 {
			continue
		}
		i := mix64(s.key) & mask
		for p.slots[i].key != 0 {
			i = (i + 1) & mask
		}
		p.slots[i] = s
	}
}
