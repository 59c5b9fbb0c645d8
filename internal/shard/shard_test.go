package shard

import (
	"errors"
	"fmt"
	"testing"
)

// The expected shards were computed outside Go, with a Python
// implementation of 64-bit FNV-1a (offset 0xcbf29ce484222325, prime
// 0x100000001b3), so a change of hash fails here before it silently
// moves customers between shards of histories already written.
func TestOf(t *testing.T) {
	cases := []struct {
		id              string
		n256, n7, n4096 int
	}{
		{"", 37, 2, 805},
		{"12345", 248, 1, 2552},
		{"CG-12520", 130, 6, 3458},
		{"alice@example.com", 70, 6, 2630},
		{"Ü-1", 156, 6, 2204},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.id), func(t *testing.T) {
			for _, k := range []struct{ n, want int }{{256, c.n256}, {7, c.n7}, {4096, c.n4096}, {1, 0}} {
				if got := Of(c.id, k.n); got != k.want {
					t.Errorf("Of(%q, %d) = %d, want %d", c.id, k.n, got, k.want)
				}
			}
		})
	}
}

// TestOfSpread checks that sequential numeric ids, the commonest kind,
// spread evenly: no shard of 256 holds more than 20% above its share of
// 100,000 ids.
func TestOfSpread(t *testing.T) {
	const ids, n = 100_000, Default
	counts := make([]int, n)
	for i := range ids {
		counts[Of(fmt.Sprint(10000+i), n)]++
	}
	for s, c := range counts {
		if c > ids/n*12/10 || c < ids/n*8/10 {
			t.Errorf("shard %d holds %d of %d ids, want about %d", s, c, ids, ids/n)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		n  int
		ok bool
	}{{0, false}, {-1, false}, {1, true}, {Default, true}, {Max, true}, {Max + 1, false}} {
		t.Run(fmt.Sprint(c.n), func(t *testing.T) {
			err := Check(c.n)
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrCount)) {
				t.Errorf("Check(%d) = %v, want ok %v", c.n, err, c.ok)
			}
		})
	}
}

func BenchmarkOf(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len("CUST-0012345678")))
	for b.Loop() {
		Of("CUST-0012345678", Default)
	}
}
