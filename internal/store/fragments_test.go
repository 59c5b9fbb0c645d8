package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
)

// runDelta is a delta of three years of months: a segment of 5 values
// (small month and day buckets, packed many to a run), and a country of
// 9,000 values whose day bucket in 2024-06 alone is split into pages.
func runDelta(t *testing.T) aggregate.Delta {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	d := aggregate.Delta{}
	add := func(k aggregate.Key) {
		m := aggregate.Measures{Revenue: decimal.MustNew(rng.Int64N(1e9), 2), Lines: 1 + rng.Int64N(9), Orders: 1}
		if err := d.Add(k, m); err != nil {
			t.Fatal(err)
		}
	}
	for y := 2023; y <= 2025; y++ {
		for mo := 1; mo <= 12; mo++ {
			month := fmt.Sprintf("%d-%02d", y, mo)
			values := map[dimension.Dimension]int{dimension.Segment: 5, dimension.Country: 40}
			if month == "2024-06" {
				values[dimension.Country] = 9000
			}
			for dim, n := range values {
				for i := range n {
					v := fmt.Sprintf("%s %d", dim, i)
					add(aggregate.Key{Dim: dim, Value: v, Grain: aggregate.Month, Period: month})
					add(aggregate.Key{Dim: dim, Value: v, Grain: aggregate.Day, Period: fmt.Sprintf("%s-%02d", month, 1+i%28)})
				}
			}
		}
	}
	return d
}

// TestRunsCoverEveryBucketOnceInOrder encodes a delta as runs, as
// PutFragments writes them, and checks what readers rely on: every
// bucket's pages come back once and unchanged, runs of a dimension and
// kind in sort-key order have rising, disjoint months, small months are
// packed, and a split bucket has its own items.
func TestRunsCoverEveryBucketOnceInOrder(t *testing.T) {
	d := runDelta(t)
	entries, err := deltaEntries(d)
	if err != nil {
		t.Fatal(err)
	}
	// What each bucket encodes to on its own, for comparison.
	want := map[bucketID][][]byte{}
	for id, es := range entries {
		merged, err := mergeEntries(slices.Clone(es))
		if err != nil {
			t.Fatal(err)
		}
		want[id] = encodePages(merged)
	}
	got := map[bucketID][][]byte{}
	var keys []runKey
	err = eachRun(entries, func(k runKey, run []byte) error {
		keys = append(keys, k)
		if k.first != k.last && len(run) > runTarget {
			return fmt.Errorf("run %v of several months and %d bytes, over %d", k, len(run), runTarget)
		}
		return eachRunPage(run, func(month string, page []byte) error {
			if month < k.first || month > k.last {
				return fmt.Errorf("month %s in run %v", month, k)
			}
			id := bucketID{k.dim, k.kind, month}
			if got[id] == nil {
				got[id] = make([][]byte, len(want[id]))
			}
			if got[id][k.page] != nil {
				return fmt.Errorf("page %d of %v twice", k.page, id)
			}
			got[id][k.page] = bytes.Clone(page) // run is reused
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d buckets in the runs, want %d", len(got), len(want))
	}
	for id, pages := range want {
		for p := range pages {
			if !bytes.Equal(got[id][p], pages[p]) {
				t.Fatalf("bucket %v page %d differs", id, p)
			}
		}
	}
	slices.SortFunc(keys, func(a, b runKey) int { return strings.Compare(a.sk(), b.sk()) })
	items := map[[2]string]int{}
	for i, k := range keys {
		items[[2]string{k.dim, k.kind}]++
		if i > 0 && keys[i-1].dim == k.dim && keys[i-1].kind == k.kind && k.first <= keys[i-1].last &&
			!(k.first == keys[i-1].first && k.last == keys[i-1].last) {
			t.Fatalf("run %v after %v: months overlap or fall", k, keys[i-1])
		}
		if back, ok := parseRunKey(k.sk()); !ok || back != k {
			t.Fatalf("key %q parses to %v, want %v", k.sk(), back, k)
		}
	}
	if n := items[[2]string{"segment", kindMonth}]; n != 1 {
		t.Errorf("segment's 36 small month buckets take %d items, want 1 run", n)
	}
	split := len(want[bucketID{"country", kindDay, "2024-06"}])
	if split < 2 {
		t.Fatal("the case does not split a bucket into pages")
	}
	// The split month's pages, and a run on each side of it at least.
	if n := items[[2]string{"country", kindDay}]; n < split+2 {
		t.Errorf("country's day buckets take %d items, want the %d pages of the split month and runs on both sides", n, split)
	}
}

func TestEachRunPageRefusesCorruptRuns(t *testing.T) {
	good := appendRun(appendRun(nil, "2024-01", []byte{1, 'a', 1, 0, 0}), "2024-02", []byte{1, 'b', 1, 0, 0})
	for _, tc := range []struct {
		name string
		run  []byte
	}{
		{"cut inside a page", good[:len(good)-1]},
		{"cut inside a month", good[:3]},
		{"page longer than the run", append([]byte("2024-01"), 0x7f, 1)},
		{"bad page length", append([]byte("2024-01"), 0xff)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := eachRunPage(tc.run, func(string, []byte) error { return nil }); err == nil {
				t.Fatal("read without an error")
			}
		})
	}
	var months []string
	if err := eachRunPage(good, func(m string, _ []byte) error { months = append(months, m); return nil }); err != nil ||
		!reflect.DeepEqual(months, []string{"2024-01", "2024-02"}) {
		t.Fatalf("good run: months %v, %v", months, err)
	}
}

// FuzzEachRunPage checks that no run, however corrupt, panics the
// reader, and that a run it accepts is rebuilt from its months and pages.
func FuzzEachRunPage(f *testing.F) {
	f.Add(appendRun(appendRun(nil, "2024-01", []byte{1, 'a', 1, 0, 0}), "2024-02", []byte{}))
	f.Fuzz(func(t *testing.T, run []byte) {
		var again []byte
		if err := eachRunPage(run, func(m string, page []byte) error {
			again = appendRun(again, m, page)
			return nil
		}); err != nil {
			return
		}
		if !bytes.Equal(again, run) && len(run) > 0 {
			// A uvarint may be written with redundant bytes; read again, it
			// must give the same months and pages.
			var a, b []string
			_ = eachRunPage(run, func(m string, p []byte) error { a = append(a, m+string(p)); return nil })
			_ = eachRunPage(again, func(m string, p []byte) error { b = append(b, m+string(p)); return nil })
			if !reflect.DeepEqual(a, b) {
				t.Fatal("rebuilt run reads differently")
			}
		}
	})
}
