package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/store"
)

// TestQueryRangesMatchesQuery holds QueryRanges to Query's semantics: for
// every range, the same rows, with live files only.
func TestQueryRangesMatchesQuery(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	d := aggregate.Delta{}
	for m := 1; m <= 12; m++ {
		for _, v := range []string{"A", "B#1", "Ç"} {
			if err := d.Add(aggregate.Key{Dim: dimension.Segment, Value: v, Grain: aggregate.Month, Period: fmt.Sprintf("2024-%02d", m)},
				aggregate.Measures{Revenue: decimal.MustNew(int64(m*100+len(v)), 2), Lines: 1, Orders: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range []string{"live", "dead"} {
		if err := s.PutFragments(ctx, "transactions/x.csv", f, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Commit(ctx, "transactions/x.csv", "01", "live"); err != nil {
		t.Fatal(err)
	}
	ranges := []store.KeyRange{{From: "2024-01", To: "2024-03"}, {From: "2024-06", To: "2024-06"}, {From: "2024-11", To: "2025-02"}}
	got, n, err := s.QueryRanges(ctx, dimension.Segment, aggregate.Month, ranges)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 + 2*len(ranges); n != want {
		t.Errorf("%d requests, want %d: the view and the pending file's META, then per range the base and the pending file", n, want)
	}
	if _, err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	folded, n, err := s.QueryRanges(ctx, dimension.Segment, aggregate.Month, ranges)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + len(ranges); n != want {
		t.Errorf("%d requests after compaction, want %d", n, want)
	}
	if !reflect.DeepEqual(folded, got) {
		t.Errorf("compaction changed the answer: %v, was %v", folded, got)
	}
	for i, r := range ranges {
		want, _, err := s.Query(ctx, dimension.Segment, aggregate.Month, r.From, r.To)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("range %v: QueryRanges %v, Query %v", r, got[i], want)
		}
	}
	vals, _, err := s.Values(ctx, dimension.Segment, dimension.Region)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vals[dimension.Segment]) != "[{A 2024-01 2024-12} {B#1 2024-01 2024-12} {Ç 2024-01 2024-12}]" || len(vals[dimension.Region]) != 0 {
		t.Fatalf("values %v", vals)
	}
}
