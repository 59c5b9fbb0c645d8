package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/store"
)

func delta(t *testing.T, rows map[string]string) aggregate.Delta {
	t.Helper()
	d := aggregate.Delta{}
	for k, rev := range rows {
		var value, period string
		if _, err := fmt.Sscanf(k, "%s %s", &period, &value); err != nil {
			t.Fatal(err)
		}
		if err := d.Add(aggregate.Key{Dim: dimension.Segment, Value: value, Grain: aggregate.Month, Period: period},
			aggregate.Measures{Revenue: decimal.MustParse(rev), Lines: 1, Orders: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// totals sums a query by value.
func totals(t *testing.T, s *store.Store, from, to string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for v, d := range emutest.RevenueByValue(t, s, dimension.Segment, from, to) {
		out[v] = d.Trim(0).String()
	}
	return out
}

func equal(a, b map[string]string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestFragmentsCountOnlyOnceCommitted(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	d := delta(t, map[string]string{"2024-01 A": "10.50", "2024-02 A": "1.25", "2024-01 B": "7"})
	if err := s.PutFragments(ctx, "transactions/a.csv", "f1", d); err != nil {
		t.Fatal(err)
	}
	if got := totals(t, s, "2024-01", "2024-12"); len(got) != 0 {
		t.Fatalf("uncommitted fragments visible: %v", got)
	}
	if _, err := s.Commit(ctx, "transactions/a.csv", "0001", "f1"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "11.75", "B": "7"}
	if got := totals(t, s, "2024-01", "2024-12"); !equal(got, want) {
		t.Fatalf("after commit got %v, want %v", got, want)
	}
	if got := totals(t, s, "2024-02", "2024-02"); !equal(got, map[string]string{"A": "1.25"}) {
		t.Fatalf("range 2024-02 got %v", got)
	}
	t.Run("same commit again is a no-op", func(t *testing.T) {
		prev, err := s.Commit(ctx, "transactions/a.csv", "0001", "f1")
		if err != nil {
			t.Fatal(err)
		}
		if prev.File != "" {
			t.Fatalf("repeat commit reports previous file %q, want none", prev.File)
		}
		if got := totals(t, s, "2024-01", "2024-12"); !equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("newer version replaces", func(t *testing.T) {
		if err := s.PutFragments(ctx, "transactions/a.csv", "f2", delta(t, map[string]string{"2024-03 A": "2"})); err != nil {
			t.Fatal(err)
		}
		prev, err := s.Commit(ctx, "transactions/a.csv", "0002", "f2")
		if err != nil {
			t.Fatal(err)
		}
		if prev.File != "f1" {
			t.Fatalf("replaced %q, want f1", prev.File)
		}
		if got := totals(t, s, "2024-01", "2024-12"); !equal(got, map[string]string{"A": "2"}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("older version is stale", func(t *testing.T) {
		_, err := s.Commit(ctx, "transactions/a.csv", "0001", "f0")
		if !errors.Is(err, store.ErrStale) {
			t.Fatalf("err = %v, want ErrStale", err)
		}
		if got := totals(t, s, "2024-01", "2024-12"); !equal(got, map[string]string{"A": "2"}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("tombstone retracts", func(t *testing.T) {
		prev, err := s.Commit(ctx, "transactions/a.csv", "0003", store.Tombstone)
		if err != nil || prev.File != "f2" {
			t.Fatalf("prev %+v err %v", prev, err)
		}
		if got := totals(t, s, "2024-01", "2024-12"); len(got) != 0 {
			t.Fatalf("deleted object still counts: %v", got)
		}
	})
}

func TestBatchesLargerThanTheLimit(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	rows := map[string]string{}
	for i := 0; i < 1000; i++ {
		rows[fmt.Sprintf("%04d-%02d V%d", 2000+i/12, i%12+1, i%7)] = "0.01"
	}
	if err := s.PutFragments(ctx, "transactions/big.csv", "big", delta(t, rows)); err != nil {
		t.Fatal(err) // dynalite rejects batches over 25, like AWS
	}
	if _, err := s.Commit(ctx, "transactions/big.csv", "01", "big"); err != nil {
		t.Fatal(err)
	}
	n := decimal.Decimal{}
	for _, v := range totals(t, s, "0000-00", "9999-12") {
		n, _ = money.Add(n, decimal.MustParse(v))
	}
	if n.String() != "10.00" {
		t.Fatalf("sum of 1000 × 0.01 = %s, want 10.00", n)
	}
}

func TestConcurrentCommitsOfManyObjects(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			file := fmt.Sprintf("file%02d", i)
			if err := s.PutFragments(ctx, fmt.Sprintf("transactions/%02d.csv", i), file, delta(t, map[string]string{"2024-01 A": "1"})); err != nil {
				errs <- err
				return
			}
			_, err := s.Commit(ctx, fmt.Sprintf("transactions/%02d.csv", i), "01", file)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := totals(t, s, "2024-01", "2024-01"); !equal(got, map[string]string{"A": "20"}) {
		t.Fatalf("20 concurrent files: got %v, want A=20", got)
	}
}

func TestConcurrentVersionsOfOneObjectNewestWins(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	var wg sync.WaitGroup
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			file := fmt.Sprintf("v%02d", i)
			if err := s.PutFragments(ctx, "transactions/x.csv", file, delta(t, map[string]string{"2024-01 A": fmt.Sprint(i)})); err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Commit(ctx, "transactions/x.csv", fmt.Sprintf("%02d", i), file); err != nil && !errors.Is(err, store.ErrStale) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := totals(t, s, "2024-01", "2024-01"); !equal(got, map[string]string{"A": "10"}) {
		t.Fatalf("got %v, want the newest version's A=10", got)
	}
}

// TestManifestBeyondOneItem commits more objects, with longer keys, than
// one 400 KB item could list, and a key too long for a sort key: every
// entry must read back, and a query must page through the manifest.
func TestManifestBeyondOneItem(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	const n = 2500
	pad := strings.Repeat("x", 400)
	keys := make(chan string, n+1)
	for i := range n {
		keys <- fmt.Sprintf("transactions/%s/%04d.csv", pad, i)
	}
	longKey := "transactions/" + strings.Repeat("é", 600) // 1,213 bytes: over a sort key's 1,024
	if err := s.PutFragments(ctx, longKey, "f0", delta(t, map[string]string{"2024-01 A": "1"})); err != nil {
		t.Fatal(err)
	}
	keys <- longKey
	close(keys)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range keys {
				file := "f-" + k[len(k)-8:]
				if k == longKey {
					file = "f0"
				}
				if _, err := s.Commit(ctx, k, "01", file); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	live, err := s.LiveObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != n+1 || live[longKey].File != "f0" || live[fmt.Sprintf("transactions/%s/%04d.csv", pad, 7)].File != "f-0007.csv" {
		t.Fatalf("%d live objects, long key %+v", len(live), live[longKey])
	}
	if e, ok, err := s.Object(ctx, longKey); err != nil || !ok || e.File != "f0" {
		t.Fatalf("Object(long key) = %+v, %v, %v", e, ok, err)
	}
	for {
		c, err := s.Compact(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending == 0 {
			break
		}
	}
	rows, requests, err := s.Query(ctx, dimension.Segment, aggregate.Month, "2024-01", "2024-01")
	if err != nil || len(rows) != 1 || rows[0].Revenue.String() != "1" {
		t.Fatalf("query %+v, %v", rows, err)
	}
	if requests != 2 {
		t.Fatalf("%d requests after compaction, want 2 (the view and one base query) whatever the number of objects", requests)
	}
}

// TestDealMeasuresRoundTrip writes deal measures in two files' fragments
// and reads their sums back; fragments without them read as zero.
func TestDealMeasuresRoundTrip(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	k := aggregate.Key{Dim: dimension.Segment, Value: "A", Grain: aggregate.Month, Period: "2024-01"}
	for i, m := range []aggregate.Measures{
		{Revenue: decimal.MustParse("10"), Lines: 2, Orders: 2, Won: 2, Lost: 1, Cycled: 2, CycleDays: 45, WonRevenue: decimal.MustParse("10"),
			LostValue: decimal.MustParse("3.25"), LostCycled: 1, LostCycleDays: 12},
		// A lost deal's measures alone: no line, still kept.
		{Lost: 1, LostValue: decimal.MustParse("0.75"), LostCycled: 1, LostCycleDays: 8},
		{Revenue: decimal.MustParse("1"), Lines: 1, Orders: 1},
	} {
		file := fmt.Sprintf("deals%d", i)
		if err := s.PutFragments(ctx, "transactions/"+file+".csv", file, aggregate.Delta{k: &m}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, "transactions/"+file+".csv", "01", file); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, err := s.Query(ctx, dimension.Segment, aggregate.Month, "2024-01", "2024-01")
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	if m := rows[0].Measures; m.Won != 2 || m.Lost != 2 || m.Cycled != 2 || m.CycleDays != 45 || m.Lines != 3 || m.WonRevenue.String() != "10" ||
		m.LostValue.String() != "4.00" || m.LostCycled != 2 || m.LostCycleDays != 20 {
		t.Fatalf("sums %+v", m)
	}
}
