package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/localstack/emutest"
	"github.com/salesseg/salesseg/internal/segment"
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
			if err := d.Add(aggregate.Key{Dim: segment.Segment, Value: v, Grain: aggregate.Month, Period: fmt.Sprintf("2024-%02d", m)},
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
	got, n, err := s.QueryRanges(ctx, segment.Segment, aggregate.Month, ranges)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 2*len(ranges); n != want {
		t.Errorf("%d requests, want %d: the view, then per range the base and the pending file", n, want)
	}
	if _, err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	folded, n, err := s.QueryRanges(ctx, segment.Segment, aggregate.Month, ranges)
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
		want, _, err := s.Query(ctx, segment.Segment, aggregate.Month, r.From, r.To)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("range %v: QueryRanges %v, Query %v", r, got[i], want)
		}
	}
	vals, _, err := s.Values(ctx, segment.Segment, segment.Region)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vals[segment.Segment]) != "[{A 2024-01 2024-12} {B#1 2024-01 2024-12} {Ç 2024-01 2024-12}]" || len(vals[segment.Region]) != 0 {
		t.Fatalf("values %v", vals)
	}
}

func TestCustomerStatsFromTheSnapshotBridge(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	if _, err := s.CustomerStats(ctx, segment.Total, segment.TotalValue, "2024-01-01", "2024-12-31"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before any snapshot: %v, want ErrNotFound", err)
	}
	row := func(value, period string, end, fresh int64) map[string]any {
		return map[string]any{"value": value, "period": period, "end": map[string]any{"customers": end}, "new": map[string]any{"customers": fresh}}
	}
	parts := map[string]any{
		"bridge/segment/month":   []map[string]any{row("Consumer", "2024-02", 7, 2)},
		"bridge/segment/quarter": []map[string]any{row("Consumer", "2024-Q1", 9, 4)},
		"bridge/segment/year":    []map[string]any{row("Consumer", "2024", 12, 12)},
		"meta":                   map[string]any{"first_day": "2024-01-03", "last_day": "2024-12-20"},
		"tiers/segment":          []map[string]any{{"value": "Consumer", "customers": 15}},
	}
	info := store.SnapshotInfo{ID: "s1", StartedAt: "2026-01-01T00:00:00.000000000Z", ComputedAt: "2026-01-01T00:00:09Z", AsOf: "2025-12-31"}
	for name, v := range parts {
		if err := s.PutSnapshotPart(ctx, info.ID, name, v); err != nil {
			t.Fatal(err)
		}
		info.Parts = append(info.Parts, name)
	}
	if _, err := s.PublishSnapshot(ctx, info); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, from, to            string
		customers, fresh, return_ int64
		err                       error
	}{
		{"month", "2024-02-01", "2024-02-29", 7, 2, 5, nil},
		{"quarter", "2024-01-01", "2024-03-31", 9, 4, 5, nil},
		{"year", "2024-01-01", "2024-12-31", 12, 12, 0, nil},
		{"all history", "2023-06-01", "2025-01-15", 15, 15, 0, nil},
		{"not a calendar period", "2024-01-05", "2024-02-04", 0, 0, 0, store.ErrNotFound},
		{"quarter not on a quarter boundary", "2024-02-01", "2024-04-30", 0, 0, 0, store.ErrNotFound},
		{"period the snapshot lacks", "2023-01-01", "2023-12-31", 0, 0, 0, store.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := s.CustomerStats(ctx, segment.Segment, "Consumer", c.from, c.to)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || st.Customers != c.customers || st.New != c.fresh || st.Returning != c.return_ || st.AsOf != "2025-12-31" {
				t.Fatalf("got %+v %v", st, err)
			}
		})
	}
}
