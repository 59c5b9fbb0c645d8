package parser

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestInterner checks numbering against a map while names repeat, recur
// and collide in a recent-name table far smaller than the names.
func TestInterner(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bits  int
		names int
	}{
		{"one slot", 0, 30},
		{"few slots", 2, 50},
		{"more slots than names", 8, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(tc.bits)))
			n := newInterner(tc.bits, "(blank)")
			want := map[string]uint32{"(blank)": 0}
			for range 20000 {
				v := fmt.Sprintf("customer-%d", r.IntN(tc.names))
				if r.IntN(3) == 0 {
					v = v[len(v)-3:] // shorter than eight bytes
				}
				id, ok := n.id([]byte(v))
				w, seen := want[v]
				if !seen {
					w = uint32(len(want))
					want[v] = w
				}
				if !ok || id != w || n.names[id] != v {
					t.Fatalf("id(%q) = %d, %v (name %q), want %d", v, id, ok, n.names[id], w)
				}
			}
			for _, bad := range []string{"a\x00b", "\xff\xfe"} {
				if _, ok := n.id([]byte(bad)); ok {
					t.Fatalf("id(%q) accepted", bad)
				}
			}
			if len(n.names) != len(want) {
				t.Fatalf("%d names, want %d", len(n.names), len(want))
			}
		})
	}
}
