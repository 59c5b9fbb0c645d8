package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/store"
)

// withRealSnapshot publishes the snapshot recompute computes from base.
func withRealSnapshot(e *env, base *analytics.Base) {
	t := e.t
	snap, err := recompute.Analyze(context.Background(), base, nil, nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	parts, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}
	e.f.publish(store.SnapshotInfo{ID: "real", StartedAt: "2026-11-23T10:00:00.000000000Z", ComputedAt: "2026-11-23T10:00:05Z", AsOf: snap.Meta.AsOf}, parts)
}

// superstoreBase parses the UTF-8 Superstore file as ingestion does.
func superstoreBase(t *testing.T) *analytics.Base {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, "sample_superstore_utf8bom_2016-2019.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.ParseWith(f, "superstore.csv", parser.NewCSVRejects(io.Discard), parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := analytics.NewBuilder()
	if err := res.Purchases(b.Add); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

// cdnowBase folds the CDNOW 1/10 cohort (headerless: master id, cohort
// id, YYYYMMDD, CDs, dollars) up to the papers' calibration end.
func cdnowBase(t *testing.T) *analytics.Base {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, "CDNOW_sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b := analytics.NewBuilder()
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[2] > "19970930" {
			continue
		}
		day, err := time.Parse("20060102", f[2])
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(history.Purchase{Customer: f[1], Day: period.DateOf(day), Orders: 1, Lines: 1, Revenue: f[4]}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func TestCLVStatusAndProbAliveAt(t *testing.T) {
	t.Run("superstore: the degenerate model is withheld, in plain words", func(t *testing.T) {
		e := newEnv(t)
		withRealSnapshot(e, superstoreBase(t))
		var m ModelResponse
		e.get("/v1/analytics/model", 200, &m)
		if m.Meta.CLVStatus != "degenerate" || !strings.Contains(m.Meta.CLVReason, "nobody ever stops buying") {
			t.Errorf("model status %q, reason %q", m.Meta.CLVStatus, m.Meta.CLVReason)
		}
		for _, target := range []string{"/v1/analytics/quadrants?dimension=segment", "/v1/analytics/forecast", "/v1/analytics/customers?alive_at=2020-06-30"} {
			e.problemOf(e.do(request("GET", target, true)), 404, "nobody ever stops buying")
		}
		var list CustomerList
		e.get("/v1/analytics/customers?limit=5", 200, &list)
		for _, c := range list.Customers {
			if c.PAlive != nil || c.CLV != nil || c.Quadrant != "" {
				t.Errorf("customer %s has predictions from a withheld model: %+v", c.ID, c)
			}
		}
	})
	t.Run("cdnow: P(alive) on a chosen day", func(t *testing.T) {
		e := newEnv(t)
		withRealSnapshot(e, cdnowBase(t))
		var now, later CustomerList
		e.get("/v1/analytics/customers?limit=50&alive_at=1997-09-30", 200, &now)
		e.get("/v1/analytics/customers?limit=50&alive_at=1998-09-30", 200, &later)
		if now.AliveAt == nil || *now.AliveAt != "1997-09-30" || len(now.Customers) != 50 {
			t.Fatalf("%+v", now)
		}
		for i, c := range now.Customers {
			l := later.Customers[i]
			if c.PAliveAt == nil || c.PAlive == nil || *c.PAliveAt != *c.PAlive || l.PAliveAt == nil || !(*l.PAliveAt < *c.PAliveAt) {
				t.Fatalf("customer %s: P(alive) %v, on the as-of day %v, a year on %v", c.ID, c.PAlive, c.PAliveAt, l.PAliveAt)
			}
		}
		e.problemOf(e.do(request("GET", "/v1/analytics/customers?alive_at=1997-09-29", true)), 400, "before the snapshot's as-of day")
		e.problemOf(e.do(request("GET", "/v1/analytics/customers?alive_at=next-year", true)), 400, "alive_at must be a day")
	})
}

// TestAnalyticsByDimensionOnSuperstore checks, on Superstore through
// recompute, that tier revenue by region adds up to the region totals the
// ingested history gives (customers bought in several regions), that
// product dimensions are refused with a 400 problem, and that tiers can be
// ranked within each segment.
func TestAnalyticsByDimensionOnSuperstore(t *testing.T) {
	e := newEnv(t)
	base := superstoreBase(t)
	withRealSnapshot(e, base)
	want := map[string]decimal.Decimal{}
	for i := range base.Customers {
		shares, err := base.Customers[i].RevenueBy(dimension.Region)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shares {
			if want[s.Value], err = want[s.Value].Add(s.Revenue); err != nil {
				t.Fatal(err)
			}
		}
	}
	var tiers Analytics[analytics.Summary]
	e.get("/v1/analytics/tiers?dimension=region", 200, &tiers)
	customers := int64(0)
	for _, r := range tiers.Rows {
		var sum decimal.Decimal
		for _, g := range r.Groups {
			var err error
			if sum, err = sum.Add(g.Revenue); err != nil {
				t.Fatal(err)
			}
		}
		customers += r.Customers
		if sum.Cmp(want[r.Value]) != 0 || r.Revenue.Cmp(want[r.Value]) != 0 {
			t.Errorf("region %s: tiers add up to %s, row says %s, region total %s", r.Value, sum, r.Revenue, want[r.Value])
		}
	}
	if len(tiers.Rows) != 4 || customers <= 793 {
		t.Errorf("%d regions holding %d customers: a customer who bought in several regions counts in each", len(tiers.Rows), customers)
	}
	for _, target := range []string{"/v1/analytics/tiers?dimension=category", "/v1/analytics/rfm?dimension=product_line",
		"/v1/analytics/bridge?dimension=category", "/v1/analytics/forecast?dimension=category"} {
		e.problemOf(e.do(request("GET", target, true)), 400, "describes products, not customers")
	}
	var within Analytics[analytics.Summary]
	e.get("/v1/analytics/tiers?dimension=segment&within=true", 200, &within)
	for _, r := range within.Rows {
		// Ranked within the segment, its A tier makes at least 80% of its revenue.
		share := r.Groups[0].RevenueShare
		if r.Groups[0].Group != "A" || share < 0.8 || share > 0.9 {
			t.Errorf("segment %s: tier A makes %.3f of its revenue", r.Value, share)
		}
	}
	if len(within.Rows) != 3 {
		t.Errorf("%d segments", len(within.Rows))
	}
	e.problemOf(e.do(request("GET", "/v1/analytics/tiers?within=true", true)), 400, "name one")
	e.problemOf(e.do(request("GET", "/v1/analytics/tiers?dimension=segment&within=yes", true)), 400, "true or false")
	e.problemOf(e.do(request("GET", "/v1/analytics/rfm?dimension=segment&within=true", true)), 400, "within")
}

// TestCustomerListFilters filters the Superstore customer list by tier,
// RFM group and segment: every filter keeps exactly the customers of the
// unfiltered list that match, in the same order, with totals that add up.
func TestCustomerListFilters(t *testing.T) {
	e := newEnv(t)
	withRealSnapshot(e, superstoreBase(t))
	type cust struct {
		ID         string            `json:"id"`
		Tier       string            `json:"tier"`
		RFM        string            `json:"rfm_group"`
		Attributes map[string]string `json:"attributes"`
	}
	var all struct {
		Total     int    `json:"total"`
		Customers []cust `json:"customers"`
	}
	e.get("/v1/analytics/customers?limit=500", 200, &all)
	var more struct {
		Customers []cust `json:"customers"`
	}
	e.get("/v1/analytics/customers?limit=500&cursor="+url.QueryEscape(nextCursor(t, e, "/v1/analytics/customers?limit=500")), 200, &more)
	everyone := append(all.Customers, more.Customers...)
	if all.Total != 793 || len(everyone) != 793 {
		t.Fatalf("%d customers listed of %d", len(everyone), all.Total)
	}
	for _, tc := range []struct {
		query string
		keep  func(cust) bool
	}{
		{"tier=A", func(c cust) bool { return c.Tier == "A" }},
		{"rfm_group=Champions", func(c cust) bool { return c.RFM == "Champions" }},
		{"dimension=segment&value=Home+Office", func(c cust) bool { return c.Attributes["segment"] == "Home Office" }},
		{"tier=B&dimension=region&value=West", func(c cust) bool { return c.Tier == "B" && c.Attributes["region"] == "West" }},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var want []string
			for _, c := range everyone {
				if tc.keep(c) {
					want = append(want, c.ID)
				}
			}
			var got struct {
				Total     int    `json:"total"`
				Customers []cust `json:"customers"`
			}
			e.get("/v1/analytics/customers?limit=500&"+tc.query, 200, &got)
			var ids []string
			for _, c := range got.Customers {
				ids = append(ids, c.ID)
			}
			if len(want) == 0 || got.Total != len(want) || !slices.Equal(ids, want) {
				t.Errorf("%d customers (total %d), want the %d matching ones in list order", len(ids), got.Total, len(want))
			}
		})
	}
	for _, bad := range []string{"tier=Z", "rfm_group=Heroes", "quadrant=Top", "value=Consumer", "dimension=category&value=Chairs", "dimension=total&value=all"} {
		e.problemOf(e.do(request(http.MethodGet, "/v1/analytics/customers?"+bad, true)), 400, "")
	}
}

// nextCursor returns the next_cursor of a list page.
func nextCursor(t *testing.T, e *env, target string) string {
	t.Helper()
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	e.get(target, 200, &page)
	if page.NextCursor == nil {
		t.Fatalf("%s has no next page", target)
	}
	return *page.NextCursor
}
