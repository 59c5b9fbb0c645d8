package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

// withSnapshot gives the fake a published snapshot, encoded as recompute
// encodes it.
func withSnapshot(e *env) {
	t := e.t
	group := func(value string) analytics.Summary {
		return analytics.Summary{Dimension: dimension.Segment, Value: value, Customers: 2, Revenue: decimal.MustParse("30.00"), Groups: []analytics.GroupStats{
			{Group: "A", Customers: 1, Revenue: decimal.MustParse("25.00"), CustomerShare: 0.5, RevenueShare: 25.0 / 30},
			{Group: "B", Customers: 1, Revenue: decimal.MustParse("5.00"), CustomerShare: 0.5, RevenueShare: 5.0 / 30}}}
	}
	mv := func(c int64, r string) analytics.Movement {
		return analytics.Movement{Customers: c, Revenue: decimal.MustParse(r)}
	}
	bridge := func(value, period, prev string) analytics.BridgeRow {
		return analytics.BridgeRow{Dimension: dimension.Segment, Value: value, Period: period, Previous: prev,
			Start: mv(1, "10"), End: mv(2, "15"), New: mv(1, "7"), Retained: mv(1, "8"), Expansion: mv(0, "0"),
			Contraction: mv(1, "-2"), Churned: mv(0, "0"), Reactivated: mv(0, "0"), Known: 2, Prospects: 0,
			RetentionRate: ptr[analytics.Ratio](1.0), RevenueRetention: ptr[analytics.Ratio](0.8), GrossRevenueRetention: ptr[analytics.Ratio](0.8), Conversion: nil, Penetration: ptr[analytics.Ratio](1.0)}
	}
	customers := make([]snapshot.TopCustomer, 0, 5)
	for _, id := range []string{"c1", "c2", "c3", "c4", "c5"} {
		customers = append(customers, snapshot.TopCustomer{ID: id, Revenue: "1.00", Orders: 1, FirstDay: "2026-01-01",
			LastDay: "2026-02-01", Tier: "A", RFM: "Champions", RFMScore: "555", Quadrant: "Prioritize",
			PAlive: ptr[analytics.Ratio](0.9), ExpectedPurchases: ptr[analytics.Amount](1.5), CLV: ptr[analytics.Amount](12.5), Attributes: map[string]string{"segment": "Consumer"}})
	}
	e.f.publish(store.SnapshotInfo{ID: "s1", StartedAt: "2026-11-23T10:00:00.000000000Z", ComputedAt: "2026-11-23T10:00:05Z", AsOf: "2026-11-22"},
		[]snapshot.Encoded{
			encoded(t, snapshot.GroupsPart(snapshot.Tiers, dimension.Segment), []analytics.Summary{group("Consumer"), group("Corporate")}),
			encoded(t, snapshot.GroupsPart(snapshot.RFM, dimension.Segment), []analytics.Summary{group("Consumer")}),
			encoded(t, snapshot.GroupsPart(snapshot.Quadrants, dimension.Segment), []analytics.Summary{group("Consumer")}),
			encoded(t, snapshot.ForecastPart(dimension.Segment), []analytics.ValueForecast{{Dimension: dimension.Segment, Value: "Consumer",
				Customers: 2, Revenue: decimal.MustParse("30.00"), ExpectedActive: 1.4, ExpectedPurchases: 3.2, ProjectedRevenue: 96.5}}),
			encoded(t, snapshot.BridgePart(dimension.Segment, analytics.ByMonth), []analytics.BridgeRow{bridge("Consumer", "2026-01", "2025-12"),
				bridge("Consumer", "2026-02", "2026-01"), bridge("Corporate", "2026-02", "2026-01")}),
			encoded(t, snapshot.CustomersPart(), customers),
			encoded(t, snapshot.AcquisitionPart(dimension.Segment, analytics.ByMonth), analytics.Acquisition{Dimension: dimension.Segment,
				Grain: analytics.ByMonth, PaybackBasis: analytics.BasisGrossMargin, Rows: []analytics.AcquisitionRow{
					{Dimension: dimension.Segment, Value: "Consumer", Period: "2026-01", Spend: decimal.MustParse("100.50"), NewCustomers: 3, Matched: true,
						CAC: ptr[analytics.Amount](33.5), FirstYearMargin: decimal.MustParse("90"), ObservedMonths: 30, PaybackMonths: ptr[analytics.Amount](11.1666),
						MeanCLV: ptr[analytics.Amount](50), CLVToCAC: ptr[analytics.Ratio](50 / 33.5), ProspectsAtStart: 10, Converted: 2, Conversion: ptr[analytics.Ratio](0.2)},
					{Dimension: dimension.Segment, Value: "Retail", Period: "2026-01", Spend: decimal.MustParse("7"), FirstYearMargin: decimal.Zero}},
				Unattributed: []analytics.SpendAmount{{Period: "2026-01", Spend: decimal.MustParse("5")}}, Unplaced: []analytics.SpendAmount{},
				Notes: []string{"CAC is spend ÷ new customers."}}),
			encoded(t, snapshot.HoldoutPart(), snapshot.HoldoutCheck{CalibrationEnd: "2026-06-30", Report: &analytics.HoldoutReport{
				From: "2026-07-01", To: "2026-11-22", Periods: 20.4, Total: analytics.HoldoutGroup{Frequency: "all", Customers: 5, Actual: 4,
					Predicted: 3.61, ActualPerCustomer: 0.8, PredictedPerCustomer: 0.722},
				Groups: []analytics.HoldoutGroup{{Frequency: "0", Customers: 5, Actual: 4, Predicted: 3.61, ActualPerCustomer: 0.8, PredictedPerCustomer: 0.722}}}}),
			encoded(t, snapshot.LookalikesPart(), []analytics.Lookalike{{ID: "p1", Score: 0.7, Matches: []analytics.AttributeMatch{
				{Dimension: dimension.Industry, Value: "Retail", SeedShare: 0.7, BaseShare: 0.4, Lift: 1.75, Contribution: 0.35}}}}),
			encoded(t, snapshot.MetaPart(), snapshot.Meta{AsOf: "2026-11-22", FirstDay: "2026-01-01", LastDay: "2026-11-22", Customers: 5,
				Purchases: 7, Revenue: "5.00", Dimensions: []string{"total", "segment"}, Warnings: []string{},
				CLV: &snapshot.CLVParams{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4, P: 6.2, Q: 3.7, Gamma: 15.4, LogLikelihood: -9582.4,
					UnitDays: 7, HorizonMonths: 12, RepeatBuyers: 3, SpendLogLikelihood: -120.5}}),
		})
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
		var a Analytics[json.RawMessage]
		e.get("/v1/analytics/tiers?dimension=Segment", 200, &a)
		if a.Snapshot.AsOf != "2026-11-22" || a.Kind != "tiers" || a.Dimension != "segment" || len(a.Rows) != 2 {
			t.Fatalf("%+v", a)
		}
	})
	for _, kind := range []string{"rfm", "quadrants", "forecast"} {
		t.Run(kind, func(t *testing.T) {
			var a Analytics[json.RawMessage]
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
		if m.Meta.Customers != 5 || m.Meta.CLV == nil || m.Snapshot.ID != "s1" {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("analytics need a token", func(t *testing.T) {
		e.unauthorized(e.do(request(http.MethodGet, "/v1/analytics/tiers", false)))
	})
}

// TestAcquisitionRoute checks GET /v1/acquisition against the snapshot's
// part: money as exact or 2-place decimal strings, ratios with 4 places,
// missing figures null, and a 400 or 404 that says what to do.
func TestAcquisitionRoute(t *testing.T) {
	e := newEnv(t)
	e.problemOf(e.do(request(http.MethodGet, "/v1/acquisition", true)), 404, "not computed yet")
	withSnapshot(e)
	resp := e.get("/v1/acquisition?dimension=segment&period=month", 200, nil)
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	rows := body["rows"].([]any)
	if len(rows) != 2 || body["period"] != "month" || body["dimension"] != "segment" || body["payback_basis"] != "gross_margin" {
		t.Fatalf("body %s", resp.Body)
	}
	want := []map[string]any{
		{"value": "Consumer", "spend": "100.50", "new_customers": 3.0, "matched": true, "cac": "33.50", "payback_months": "11.17",
			"mean_clv": "50.00", "clv_to_cac": "1.4925", "first_year_margin": "90", "observed_months": 30.0, "prospects_at_start": 10.0, "converted": 2.0, "conversion": "0.2000"},
		{"value": "Retail", "spend": "7", "new_customers": 0.0, "matched": false, "cac": nil, "payback_months": nil, "mean_clv": nil, "clv_to_cac": nil, "conversion": nil},
	}
	for i, w := range want {
		got := rows[i].(map[string]any)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("row %d %s: %#v, want %#v", i, k, got[k], v)
			}
		}
	}
	if u := body["unattributed"].([]any); len(u) != 1 || u[0].(map[string]any)["spend"] != "5" {
		t.Errorf("unattributed %v", u)
	}
	if body["snapshot"].(map[string]any)["as_of"] != "2026-11-22" {
		t.Errorf("snapshot %v", body["snapshot"])
	}
	for _, c := range []struct{ target, detail string }{
		{"/v1/acquisition?dimension=region", "segment or a channel"},
		{"/v1/acquisition?dimension=nope", "unknown dimension"},
		{"/v1/acquisition?period=week", "month, quarter or year"},
		{"/v1/acquisition?grain=month", "grain"},
	} {
		e.problemOf(e.do(request(http.MethodGet, c.target, true)), 400, c.detail)
	}
	e.problemOf(e.do(request(http.MethodGet, "/v1/acquisition?dimension=channel", true)), 404, "no live spend/ file names a channel")
	e.problemOf(e.do(request(http.MethodGet, "/v1/acquisition?period=year", true)), 404, "upload a spend/ file")
}
