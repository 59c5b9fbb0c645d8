package api

import (
	"net/http"
	"testing"

	"github.com/salesseg/salesseg/internal/store"
)

// withSnapshot gives the fake a published snapshot with the part shapes
// recompute writes.
func withSnapshot(e *env) {
	e.f.snapshot = &store.SnapshotInfo{ID: "s1", StartedAt: "2026-11-23T10:00:00.000000000Z", ComputedAt: "2026-11-23T10:00:05Z", AsOf: "2026-11-22"}
	group := func(value string) map[string]any {
		return map[string]any{"dimension": "segment", "value": value, "customers": 2, "revenue": "30.00", "groups": []map[string]any{
			{"group": "A", "customers": 1, "revenue": "25.00", "customer_share": 0.5, "revenue_share": 25.0 / 30},
			{"group": "B", "customers": 1, "revenue": "5.00", "customer_share": 0.5, "revenue_share": 5.0 / 30}}}
	}
	mv := func(c int, r string) map[string]any { return map[string]any{"customers": c, "revenue": r} }
	bridge := func(value, period, prev string) map[string]any {
		return map[string]any{"dimension": "segment", "value": value, "period": period, "previous": prev,
			"start": mv(1, "10"), "end": mv(2, "15"), "new": mv(1, "7"), "retained": mv(1, "8"), "expansion": mv(0, "0"),
			"contraction": mv(1, "-2"), "churned": mv(0, "0"), "reactivated": mv(0, "0"), "known": 2, "prospects": 0,
			"retention_rate": 1.0, "revenue_retention": 0.8, "gross_revenue_retention": 0.8, "conversion": nil, "penetration": 1.0}
	}
	customers := make([]map[string]any, 0, 5)
	for _, id := range []string{"c1", "c2", "c3", "c4", "c5"} {
		customers = append(customers, map[string]any{"id": id, "revenue": "1.00", "orders": 1, "first_day": "2026-01-01",
			"last_day": "2026-02-01", "tier": "A", "rfm_group": "Champions", "rfm_score": "555", "quadrant": "Prioritize",
			"p_alive": 0.9, "expected_purchases": 1.5, "clv": 12.5, "attributes": map[string]string{"segment": "Consumer"}})
	}
	e.f.parts = map[string]any{
		"tiers/segment":     []map[string]any{group("Consumer"), group("Corporate")},
		"rfm/segment":       []map[string]any{group("Consumer")},
		"quadrants/segment": []map[string]any{group("Consumer")},
		"forecast/segment": []map[string]any{{"dimension": "segment", "value": "Consumer", "customers": 2, "revenue": "30.00",
			"expected_active": 1.4, "expected_purchases": 3.2, "projected_revenue": 96.5}},
		"bridge/segment/month": []map[string]any{bridge("Consumer", "2026-01", "2025-12"), bridge("Consumer", "2026-02", "2026-01"),
			bridge("Corporate", "2026-02", "2026-01")},
		"customers": customers,
		"lookalikes": []map[string]any{{"id": "p1", "score": 0.7, "matches": []map[string]any{{"dimension": "industry", "value": "Retail",
			"seed_share": 0.7, "base_share": 0.4, "lift": 1.75, "contribution": 0.35}}}},
		"meta": map[string]any{"as_of": "2026-11-22", "customers": 5, "revenue": "5.00", "warnings": []string{},
			"clv": map[string]any{"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4, "p": 6.2, "q": 3.7, "gamma": 15.4, "log_likelihood": -9582.4}},
	}
}

func TestAnalyticsBeforeAnySnapshot(t *testing.T) {
	e := newEnv(t)
	for _, target := range []string{"/v1/analytics/tiers", "/v1/analytics/bridge", "/v1/analytics/customers", "/v1/analytics/model"} {
		t.Run(target, func(t *testing.T) {
			e.problemOf(e.do(request(http.MethodGet, target, true)), 404, "not computed yet")
		})
	}
}

func TestAnalytics(t *testing.T) {
	e := newEnv(t)
	withSnapshot(e)
	t.Run("tiers carry the snapshot's as-of", func(t *testing.T) {
		var a Analytics
		e.get("/v1/analytics/tiers?dimension=Segment", 200, &a)
		if a.Snapshot.AsOf != "2026-11-22" || a.Kind != "tiers" || a.Dimension != "segment" || len(a.Rows) != 2 {
			t.Fatalf("%+v", a)
		}
	})
	for _, kind := range []string{"rfm", "quadrants", "forecast"} {
		t.Run(kind, func(t *testing.T) {
			var a Analytics
			e.get("/v1/analytics/"+kind+"?dimension=segment", 200, &a)
			if a.Kind != kind || len(a.Rows) != 1 {
				t.Fatalf("%+v", a)
			}
		})
	}
	t.Run("a dimension without data is a clear 404", func(t *testing.T) {
		e.problemOf(e.do(request(http.MethodGet, "/v1/analytics/quadrants?dimension=industry", true)), 404, "CLV model")
	})
	t.Run("unknown dimension", func(t *testing.T) {
		e.problemOf(e.do(request(http.MethodGet, "/v1/analytics/rfm?dimension=planet", true)), 400, "unknown dimension")
	})
	t.Run("bridge filters by period and value", func(t *testing.T) {
		var b BridgeResponse
		e.get("/v1/analytics/bridge?dimension=segment&from=2026-02&to=2026-02", 200, &b)
		if len(b.Rows) != 2 || b.Grain != "month" {
			t.Fatalf("rows %d grain %s", len(b.Rows), b.Grain)
		}
		e.get("/v1/analytics/bridge?dimension=segment&value=Corporate", 200, &b)
		if len(b.Rows) != 1 {
			t.Fatalf("value filter: %d rows", len(b.Rows))
		}
		e.problemOf(e.do(request(http.MethodGet, "/v1/analytics/bridge?grain=week", true)), 400, "month, quarter or year")
	})
	t.Run("bridge from and to are periods", func(t *testing.T) {
		for _, c := range []struct {
			name, query string
			rows        int
		}{
			{"a quarter covers its months", "from=2026-Q1&to=2026-Q1", 3},
			{"a year covers its months", "from=2026&to=2026", 3},
			{"a fiscal year of the calendar", "from=FY2026", 3},
			{"only to", "to=2026-01", 1},
			{"only from", "from=2026-02", 2},
			{"days on month boundaries", "from=2026-02-01&to=2026-02-28", 2},
			{"a quarter before the data", "from=2025-Q3&to=2025-Q4", 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				var b BridgeResponse
				e.get("/v1/analytics/bridge?dimension=segment&"+c.query, 200, &b)
				if len(b.Rows) != c.rows {
					t.Fatalf("%d rows, want %d", len(b.Rows), c.rows)
				}
			})
		}
		reads := e.f.readCount()
		for _, c := range []struct{ name, query, detail string }{
			{"from after to", "from=2026-02&to=2026-01", `Parameter from ("2026-02") is after to ("2026-01")`},
			{"from after to across grains", "from=2026-Q2&to=2026-03", "is after to"},
			{"not a period", "from=soon", "Parameter from: \"soon\" is not a period"},
			{"a day inside a month", "from=2026-01-15", "does not start a month; with grain=month use a label such as 2026-01"},
			{"a month inside a quarter", "grain=quarter&to=2026-02", "does not end a quarter; with grain=quarter use a label such as 2026-Q1"},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.problemOf(e.do(request(http.MethodGet, "/v1/analytics/bridge?dimension=segment&"+c.query, true)), 400, c.detail)
			})
		}
		if n := e.f.readCount(); n != reads {
			t.Fatalf("refused requests made %d reads", n-reads)
		}
	})
	t.Run("customers page with a cursor", func(t *testing.T) {
		var page CustomerList
		e.get("/v1/analytics/customers?limit=2", 200, &page)
		seen := len(page.Customers)
		for page.NextCursor != nil {
			next := *page.NextCursor
			page = CustomerList{}
			e.get("/v1/analytics/customers?limit=2&cursor="+next, 200, &page)
			seen += len(page.Customers)
		}
		if seen != 5 || page.Total != 5 {
			t.Fatalf("saw %d of %d customers", seen, page.Total)
		}
		e.problemOf(e.do(request(http.MethodGet, "/v1/analytics/customers?limit=2&cursor=Zm9v", true)), 400, "cursor")
	})
	t.Run("lookalikes", func(t *testing.T) {
		var page LookalikeList
		e.get("/v1/analytics/lookalikes", 200, &page)
		if page.Total != 1 || len(page.Prospects) != 1 {
			t.Fatalf("%+v", page)
		}
	})
	t.Run("model", func(t *testing.T) {
		var m ModelResponse
		e.get("/v1/analytics/model", 200, &m)
		if len(m.Meta) == 0 || m.Snapshot.ID != "s1" {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("analytics need a token", func(t *testing.T) {
		e.unauthorized(e.do(request(http.MethodGet, "/v1/analytics/tiers", false)))
	})
}
