package parser

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// interner numbers the distinct names of a column (customer ids, one
// dimension's values) in order of first appearance. A row's name is most
// often the previous row's (an order's lines) or one of a few recent ones
// (a dimension's handful of values, a customer's orders), so two caches
// stand in front of the map: the last name, and a small direct-mapped
// table indexed by a multiplicative hash of the name's last eight bytes,
// which costs a few instructions where a map lookup hashes and probes.
type interner struct {
	ids   map[string]uint32
	names []string
	// canon, when set, gives the name a new value is stored under (see
	// package spelling); values that differ but share a canonical name
	// share its number, and renamed records each value changed.
	canon   func(string) string
	renamed map[string]string
	// stored numbers the names as stored when canon renames some: ids
	// also holds the names as written, which must not be taken for a
	// stored name ("USA" written, stored as "United States").
	stored map[string]uint32
	last   []byte
	lastID uint32
	recent []recentName // len is a power of two
}

// recentName is a slot of the recent-name table: a name with its number
// and its last eight bytes (see tail), which rule out most other names
// without reading the name's bytes, elsewhere in memory.
type recentName struct {
	name string
	tail uint64
	id   uint32
}

// newInterner returns an interner with names already numbered from 0 and
// a recent-name table of 1<<bits slots.
func newInterner(bits int, names ...string) interner {
	n := interner{ids: make(map[string]uint32, len(names)), recent: make([]recentName, 1<<bits)}
	for _, name := range names {
		n.ids[name] = uint32(len(n.names))
		n.names = append(n.names, name)
	}
	return n
}

// id returns the number of name v, which must be non-empty, numbering it
// when new. ok is false, and nothing numbered, when v is not valid text
// (see validText).
func (n *interner) id(v []byte) (id uint32, ok bool) {
	if n.last != nil && bytes.Equal(v, n.last) {
		return n.lastID, true
	}
	t := tail(v)
	slot := &n.recent[n.slot(t)]
	if slot.tail == t && slot.name == string(v) {
		id = slot.id
	} else {
		if id, ok = n.ids[string(v)]; !ok {
			if !validText(v) {
				return 0, false
			}
			id = n.add(string(v))
		}
		*slot = recentName{n.names[id], t, id}
	}
	n.last, n.lastID = append(n.last[:0], v...), id
	return id, true
}

// add numbers a name not seen before, under its canonical name.
func (n *interner) add(name string) uint32 {
	if n.canon == nil {
		id := uint32(len(n.names))
		n.ids[name] = id
		n.names = append(n.names, name)
		return id
	}
	if n.stored == nil {
		n.stored = make(map[string]uint32, len(n.names))
		for i, s := range n.names {
			n.stored[s] = uint32(i)
		}
	}
	stored := n.canon(name)
	id, ok := n.stored[stored]
	if !ok {
		id = uint32(len(n.names))
		n.stored[stored] = id
		n.names = append(n.names, stored)
	}
	n.ids[name] = id
	if stored != name {
		if n.renamed == nil {
			n.renamed = map[string]string{}
		}
		n.renamed[name] = stored
	}
	return id
}

// tail returns the last eight bytes of v (all of a shorter v) with its
// length.
func tail(v []byte) uint64 {
	var x uint64
	if len(v) >= 8 {
		x = binary.LittleEndian.Uint64(v[len(v)-8:])
	} else {
		for _, c := range v {
			x = x<<8 | uint64(c)
		}
	}
	return x ^ uint64(len(v))
}

// slot returns the place in n.recent of a name of tail t.
func (n *interner) slot(t uint64) int {
	x := t * 0x9e3779b97f4a7c15 // 2^64 / golden ratio
	return int(x >> 32 & uint64(len(n.recent)-1))
}

// validText reports whether a customer id or dimension value can become
// part of a key: valid UTF-8 without control characters, at most
// maxValueBytes long, and not a spreadsheet formula (see formulaLike).
func validText(v []byte) bool {
	if len(v) > maxValueBytes || !utf8.Valid(v) {
		return false
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return !formulaLike(v)
}

// formulaLike reports whether a value would run as a formula in a
// spreadsheet opening a CSV or report that holds it (OWASP's CSV
// injection): it starts, after spaces, with '=', or with '+', '-' or '@'
// followed somewhere by a function call (letters then '(', as in
// "@SUM(" or "+HYPERLINK(") or a DDE link ('|', as in "+cmd|' /C calc'!A0").
// The full-width forms of these signs count too. Such a value is rejected
// rather than stored: no category or id is written that way, and once a
// dimension value it would reach every report. Plain signed text ("-",
// "+1 plan", "@home", "+49 (0) 30 1234") is not formula-like.
func formulaLike(v []byte) bool {
	v = bytes.TrimLeft(v, " ")
	r, n := utf8.DecodeRune(v)
	switch r {
	case '=', '＝':
		return true
	case '+', '-', '@', '＋', '－', '＠':
	default:
		return false
	}
	rest := v[n:]
	if bytes.IndexByte(rest, '|') >= 0 {
		return true
	}
	for i := 1; i < len(rest); i++ {
		if c := rest[i-1] | 0x20; rest[i] == '(' && c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}
