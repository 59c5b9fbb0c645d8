package parser

import (
	"math/rand/v2"
	"testing"

	"github.com/salesseg/salesseg/internal/notation"
)

// TestKeyTable checks keyTable against a Go map over keys that grow every
// part several times, including structured keys that differ in few bits.
func TestKeyTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(i int) uint64
	}{
		{"random", func(i int) uint64 { return rand.New(rand.NewPCG(uint64(i), 7)).Uint64() | 1 }},
		{"customer and date", func(i int) uint64 { return purchaseKey(uint32(i%300), notation.ISODate(2020, 1+i/300%12, 1+i/3600%28)) }},
		{"small integers", func(i int) uint64 { return uint64(i%5000 + 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tab keyTable
			ref := map[uint64]uint64{}
			for i := range 20000 {
				k := tc.key(i)
				v, found := tab.upsert(k)
				want, ok := ref[k]
				if found != ok || *v != want {
					t.Fatalf("upsert(%#x) #%d = %d, %v; want %d, %v", k, i, *v, found, want, ok)
				}
				*v += uint64(i)
				ref[k] = *v
				tab.touch(k)
			}
			if tab.len() != len(ref) {
				t.Fatalf("len = %d, want %d", tab.len(), len(ref))
			}
			for k, want := range ref {
				if v, found := tab.upsert(k); !found || *v != want {
					t.Fatalf("upsert(%#x) after filling = %d, %v; want %d, true", k, *v, found, want)
				}
			}
			if tab.len() != len(ref) {
				t.Fatalf("len after upserting present keys = %d, want %d", tab.len(), len(ref))
			}
		})
	}
}
