package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

// analyzedSnapshot runs recompute's analysis on a synthetic base that
// yields every kind of part: dimensions with values, enough repeat buyers
// for the CLV model, and accounts that never bought, some like the buyers
// (Retail) and some like none of them (Mining).
func analyzedSnapshot(t *testing.T) *fakeReader {
	t.Helper()
	b := analytics.NewBuilder()
	accounts := map[string]map[dimension.Dimension]string{}
	x := uint32(2463534242)
	next := func(n uint32) uint32 { // xorshift: varied but reproducible
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return x % n
	}
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for c := range 120 {
		id := fmt.Sprintf("c%03d", c)
		industry := []string{"Retail", "Software"}[c%2]
		accounts[id] = map[dimension.Dimension]string{dimension.Industry: industry}
		attrs := map[dimension.Dimension]string{dimension.Segment: []string{"Consumer", "Corporate"}[c%2],
			dimension.Region: []string{"East", "West", "North"}[c%3], dimension.Industry: industry}
		day := int(next(300))
		for n := 1 + int(next(6)); n > 0 && day < 730; n-- {
			if err := b.Add(history.Purchase{Customer: id, Day: period.DateOf(start.AddDate(0, 0, day)), Orders: 1, Lines: 1,
				Revenue: fmt.Sprintf("%d.%02d", 10+next(500), next(100)), Attrs: attrs}); err != nil {
				t.Fatal(err)
			}
			day += 1 + int(next(120))
		}
	}
	for p := range 10 {
		accounts[fmt.Sprintf("p%02d", p)] = map[dimension.Dimension]string{dimension.Industry: []string{"Retail", "Mining"}[p%2]}
	}
	// Synthetic spend by segment, and some by channel, which no customer
	// has: every acquisition part is written.
	var spend []history.Spend
	for m := 1; m <= 12; m++ {
		for _, seg := range []string{"Consumer", "Corporate"} {
			spend = append(spend, history.Spend{Period: fmt.Sprintf("2023-%02d", m), Amount: fmt.Sprintf("%d.50", 100*m), Segment: seg})
		}
	}
	spend = append(spend, history.Spend{Period: "2023-Q2", Amount: "75", Channel: "Web"})
	snap, err := recompute.Analyze(context.Background(), b.Build(), recompute.Prospects(accounts), spend, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Meta.CLV == nil || snap.Lookalikes == nil || len(snap.Meta.Dimensions) < 3 {
		t.Fatalf("the base should yield every kind of part: meta %+v, %d lookalikes", snap.Meta, len(snap.Lookalikes))
	}
	parts, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}
	f := newFake()
	f.publish(store.SnapshotInfo{ID: "s1", AsOf: snap.Meta.AsOf, ComputedAt: "2025-01-01T00:00:00Z"}, parts)
	return f
}

// TestAPIReadsEveryPartRecomputeWrites holds recompute and the API to one
// contract: asking every analytics route for every dimension and grain the
// API accepts reads each part recompute wrote, and every dimension the
// snapshot describes is answered (as the OpenAPI document says).
func TestAPIReadsEveryPartRecomputeWrites(t *testing.T) {
	e := newEnv(t)
	e.f = analyzedSnapshot(t)
	e.svc = New(e.f, fakePresigner{}, nil, Options{Bucket: "sales-bucket"})
	e.get("/v1/analytics/customers", 200, nil)
	e.get("/v1/analytics/lookalikes", 200, nil)
	var model ModelResponse
	e.get("/v1/analytics/model", 200, &model)
	described := map[string]bool{}
	for _, d := range model.Meta.Dimensions {
		described[d] = true
	}
	for _, d := range dimension.All() {
		targets := []string{}
		for _, kind := range []string{"tiers", "rfm", "quadrants", "forecast"} {
			targets = append(targets, "/v1/analytics/"+kind+"?dimension="+string(d))
		}
		for _, g := range []string{"month", "quarter", "year"} {
			targets = append(targets, "/v1/analytics/bridge?dimension="+string(d)+"&grain="+g)
		}
		if d != dimension.Total {
			targets = append(targets, "/v1/analytics/tiers?within=true&dimension="+string(d))
		}
		spent := d == dimension.Total || d == dimension.Segment || d == dimension.Channel
		for _, g := range []string{"month", "quarter", "year"} {
			if resp := e.do(request(http.MethodGet, "/v1/acquisition?dimension="+string(d)+"&period="+g, true)); spent != (resp.StatusCode == http.StatusOK) {
				t.Errorf("GET /v1/acquisition by %s per %s: %d %s", d, g, resp.StatusCode, resp.Body)
			}
		}
		for _, target := range targets {
			if resp := e.do(request(http.MethodGet, target, true)); described[string(d)] && resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d %s", target, resp.StatusCode, resp.Body)
			}
		}
	}
	var unread []string
	for _, name := range e.f.snapshot.Parts {
		if !e.f.partsRead[name] {
			unread = append(unread, name)
		}
	}
	sort.Strings(unread)
	if len(unread) > 0 || len(e.f.snapshot.Parts) == 0 {
		t.Fatalf("recompute writes parts no API route reads: %v", unread)
	}
}

// TestAPIReadsEveryReconciliationField holds recompute's stored report and
// GET /v1/reconciliation to one set of fields: the API's decoding takes
// every field recompute writes (and none it does not), and each value
// reaches the response.
func TestAPIReadsEveryReconciliationField(t *testing.T) {
	report := recompute.Reconciliation{CheckedAt: "2026-11-23T11:00:00Z", Objects: 4,
		NeverIngested: []recompute.ObjectVersion{{Key: "transactions/lost.csv", Version: "v1", Upload: "000000000000000000000001"}},
		StaleVersion: []recompute.StaleObject{{Key: "transactions/a.csv", CurrentVersion: "v3", CurrentStatus: store.StatusFailed,
			CountedVersion: "v2", CountedUpload: "000000000000000000000002"}},
		Gone: []recompute.ObjectVersion{{Key: "transactions/gone.csv", Version: "v7", Upload: "000000000000000000000003"}},
		Stuck: []recompute.StuckUpload{{Upload: "000000000000000000000004", Key: "transactions/d.csv", Version: "v5",
			Started: "2026-11-23T10:00:00Z", Deadline: "2026-11-23T10:55:00Z"}}}
	data, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	var decoded storedReconciliation
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&decoded); err != nil {
		t.Fatalf("the API does not read every field recompute writes: %v", err)
	}
	again, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Fatalf("the API reads fields recompute does not write:\nrecompute %s\napi       %s", data, again)
	}
	e := newEnv(t)
	e.f.reconciliation = string(data)
	var r Reconciliation
	e.get("/v1/reconciliation", 200, &r)
	got := []string{str(r.CheckedAt), fmt.Sprint(*r.Objects),
		r.NeverIngested[0].Key, r.NeverIngested[0].Version, r.NeverIngested[0].UploadID,
		r.StaleVersion[0].Key, r.StaleVersion[0].CurrentVersion, str(r.StaleVersion[0].CurrentStatus), str(r.StaleVersion[0].CountedVersion), r.StaleVersion[0].CountedUploadID,
		r.Gone[0].Key, str(r.Gone[0].Version), r.Gone[0].UploadID,
		r.Stuck[0].UploadID, r.Stuck[0].Key, str(r.Stuck[0].Version), r.Stuck[0].StartedAt, r.Stuck[0].DeadlineAt}
	want := []string{"2026-11-23T11:00:00Z", "4", "transactions/lost.csv", "v1", "000000000000000000000001",
		"transactions/a.csv", "v3", "failed", "v2", "000000000000000000000002",
		"transactions/gone.csv", "v7", "000000000000000000000003",
		"000000000000000000000004", "transactions/d.csv", "v5", "2026-11-23T10:00:00Z", "2026-11-23T10:55:00Z"}
	if !slices.Equal(got, want) {
		t.Fatalf("served\n %v\nwant\n %v", got, want)
	}
}
