package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

func TestBreakdown(t *testing.T) {
	e := newEnv(t)
	t.Run("quarter with growth", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment&period=2024-Q2", 200, &b)
		want := e.f.expected(dimension.Segment, aggregate.Month, "2024-04", "2024-06")
		prev := e.f.expected(dimension.Segment, aggregate.Month, "2024-01", "2024-03")
		ya := e.f.expected(dimension.Segment, aggregate.Month, "2023-04", "2023-06")
		if b.Period.Label != "2024-Q2" || *b.Period.From != "2024-04-01" || *b.Period.To != "2024-06-30" || b.Period.Grain != "quarter" {
			t.Fatalf("period %+v", b.Period)
		}
		if b.Comparisons.Previous.Label != "2024-Q1" || b.Comparisons.YearAgo.Label != "2023-Q2" {
			t.Fatalf("comparisons %+v %+v", b.Comparisons.Previous, b.Comparisons.YearAgo)
		}
		if len(b.Segments) != 3 || b.ValueCount != 3 {
			t.Fatalf("%d segments", len(b.Segments))
		}
		total := decimal.Decimal{}
		for i, s := range b.Segments {
			w := want[str(s.Value)]
			sameDec(t, s.Revenue, w.Revenue)
			sameDec(t, s.Growth.Previous.Revenue, prev[str(s.Value)].Revenue)
			sameDec(t, s.Growth.YearAgo.Revenue, ya[str(s.Value)].Revenue)
			change, _ := w.Revenue.Sub(prev[str(s.Value)].Revenue)
			sameDec(t, s.Growth.Previous.Change, change)
			if s.Orders != w.Orders || s.Lines != w.Lines {
				t.Fatalf("%s: orders %d lines %d, want %d %d", str(s.Value), s.Orders, s.Lines, w.Orders, w.Lines)
			}
			if i > 0 && decimal.MustParse(b.Segments[i-1].Revenue).Cmp(decimal.MustParse(s.Revenue)) < 0 {
				t.Fatalf("not ranked by revenue: %s before %s", b.Segments[i-1].Revenue, s.Revenue)
			}
			total, _ = total.Add(w.Revenue)
		}
		sameDec(t, b.Revenue, total)
	})
	t.Run("margin only where every line had a cost", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment&period=2024", 200, &b)
		for _, s := range b.Segments {
			hasCost := str(s.Value) != "Café ☕ Zürich"
			if (s.Margin != nil) != hasCost || (s.Cost != nil) != hasCost || (s.MarginRate != nil) != hasCost {
				t.Fatalf("%s: cost %v margin %v", str(s.Value), s.Cost, s.Margin)
			}
		}
		if b.Margin != nil {
			t.Fatalf("total margin %v although one segment has no costs", *b.Margin)
		}
	})
	t.Run("shares add up to one", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=region&from=2023-01&to=2023-12", 200, &b)
		sum := decimal.Decimal{}
		for _, s := range b.Segments {
			sum, _ = sum.Add(decimal.MustParse(*s.Share))
		}
		if d, _ := sum.Sub(decimal.One); d.Abs().Cmp(decimal.MustParse("0.0002")) > 0 {
			t.Fatalf("shares sum to %s", sum)
		}
	})
	t.Run("top-N with other", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment&period=2024&top=1", 200, &b)
		if len(b.Segments) != 1 || b.Other == nil || b.Other.ValueCount != 2 {
			t.Fatalf("segments %d other %+v", len(b.Segments), b.Other)
		}
		sum, _ := decimal.MustParse(b.Segments[0].Revenue).Add(decimal.MustParse(b.Other.Revenue))
		sameDec(t, b.Revenue, sum)
		if b.Other.Growth.YearAgo == nil {
			t.Fatal("other has no growth")
		}
	})
	t.Run("pages with a cursor", func(t *testing.T) {
		seen := map[string]bool{}
		target := "/v1/segments?dimension=segment&period=2024&limit=1"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("cursor does not end")
			}
			var b Breakdown
			e.get(target, 200, &b)
			for _, s := range b.Segments {
				if seen[str(s.Value)] {
					t.Fatalf("%s twice", str(s.Value))
				}
				seen[str(s.Value)] = true
			}
			if b.NextCursor == nil {
				break
			}
			target = "/v1/segments?dimension=segment&period=2024&limit=1&cursor=" + *b.NextCursor
		}
		if len(seen) != 3 {
			t.Fatalf("pages held %d values", len(seen))
		}
	})
	t.Run("crossed dimensions in the order asked", func(t *testing.T) {
		for _, c := range []struct{ dims, first string }{{"segment,region", "segment"}, {"region,segment", "region"}} {
			var b Breakdown
			e.get("/v1/segments?dimension="+c.dims+"&period=2024-Q1", 200, &b)
			if b.Dimensions[0] != c.first || len(b.Segments) != 6 {
				t.Fatalf("%s: dimensions %v, %d segments", c.dims, b.Dimensions, len(b.Segments))
			}
			for _, s := range b.Segments {
				region := str(s.Values[1])
				if c.first == "region" {
					region = str(s.Values[0])
				}
				if region != "East" && region != "West" {
					t.Fatalf("%s: values %v in the wrong order", c.dims, s.Values)
				}
				if str(s.Value) != str(s.Values[0])+" × "+str(s.Values[1]) {
					t.Fatalf("value %q", str(s.Value))
				}
			}
			total := e.f.expected(dimension.Total, aggregate.Month, "2024-01", "2024-03")[dimension.TotalValue]
			sameDec(t, b.Revenue, total.Revenue)
		}
	})
	t.Run("week uses day data", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment&period=2024-W03", 200, &b) // 2024-01-15..21
		want := e.f.expected(dimension.Segment, aggregate.Day, "2024-01-15", "2024-01-21")
		if len(b.Segments) != 3 {
			t.Fatalf("%d segments", len(b.Segments))
		}
		for _, s := range b.Segments {
			sameDec(t, s.Revenue, want[str(s.Value)].Revenue)
		}
		if b.Comparisons.YearAgo.Label != "2023-W03" || b.Comparisons.Previous.Label != "2024-W02" {
			t.Fatalf("comparisons %+v %+v", b.Comparisons.Previous, b.Comparisons.YearAgo)
		}
	})
	t.Run("custom day range", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment&from=2024-01-10&to=2024-02-20", 200, &b)
		want := e.f.expected(dimension.Total, aggregate.Day, "2024-01-10", "2024-02-20")[dimension.TotalValue]
		sameDec(t, b.Revenue, want.Revenue)
		if b.Period.Grain != "day" || b.Comparisons.Previous.Label != "2023-11-29..2024-01-09" {
			t.Fatalf("period %+v previous %+v", b.Period, b.Comparisons.Previous)
		}
	})
	t.Run("fiscal year starting in april", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment&period=FY2024&fiscal_year_start=4", 200, &b)
		want := e.f.expected(dimension.Total, aggregate.Month, "2023-04", "2024-03")[dimension.TotalValue]
		sameDec(t, b.Revenue, want.Revenue)
		if *b.Period.From != "2023-04-01" || b.Comparisons.Previous.Label != "FY2023" {
			t.Fatalf("period %+v previous %+v", b.Period, b.Comparisons.Previous)
		}
	})
	t.Run("all time has no comparisons", func(t *testing.T) {
		var b Breakdown
		e.get("/v1/segments?dimension=segment", 200, &b)
		want := e.f.expected(dimension.Total, aggregate.Month, "0000", "9999")[dimension.TotalValue]
		sameDec(t, b.Revenue, want.Revenue)
		if b.Growth.Previous != nil || b.Comparisons.Previous != nil || b.Period.From != nil {
			t.Fatalf("open range with comparisons: %+v", b)
		}
	})
}

func TestTrend(t *testing.T) {
	e := newEnv(t)
	t.Run("one value by quarter", func(t *testing.T) {
		var tr Trend
		e.get("/v1/trend?dimension=segment&value=Consumer&grain=quarter&from=2023-Q1&to=2024-Q4", 200, &tr)
		if len(tr.Periods) != 8 || len(tr.Series) != 1 || len(tr.Series[0].Points) != 8 {
			t.Fatalf("periods %d series %d", len(tr.Periods), len(tr.Series))
		}
		p := tr.Series[0].Points[4] // 2024-Q1
		if p.Period != "2024-Q1" {
			t.Fatalf("point %s", p.Period)
		}
		cur := e.f.expected(dimension.Segment, aggregate.Month, "2024-01", "2024-03")["Consumer"].Revenue
		ya := e.f.expected(dimension.Segment, aggregate.Month, "2023-01", "2023-03")["Consumer"].Revenue
		sameDec(t, p.Revenue, cur)
		diff, _ := cur.Sub(ya)
		rate, _ := diff.Quo(ya)
		sameDec(t, *p.Growth.YearAgo.Rate, rate.Round(4))
		// The first point compares with 2022-Q4, before the range.
		if tr.Series[0].Points[0].Growth.Previous == nil {
			t.Fatal("first point has no previous growth")
		}
	})
	t.Run("top with other adds up to the total", func(t *testing.T) {
		var tr Trend
		e.get("/v1/trend?dimension=segment&period=2024&top=2", 200, &tr)
		if len(tr.Periods) != 12 || len(tr.Series) != 2 || tr.Other == nil || tr.Other.ValueCount != 1 {
			t.Fatalf("periods %d series %d other %+v", len(tr.Periods), len(tr.Series), tr.Other)
		}
		for i := range tr.Periods {
			sum := decimal.MustParse(tr.Other.Points[i].Revenue)
			for _, s := range tr.Series {
				sum, _ = sum.Add(decimal.MustParse(s.Points[i].Revenue))
			}
			sameDec(t, tr.Total.Points[i].Revenue, sum)
		}
	})
	t.Run("iso weeks across a 53-week year", func(t *testing.T) {
		var tr Trend
		e.get("/v1/trend?dimension=segment&value=Consumer&grain=week&from=2020-W52&to=2021-W02", 200, &tr)
		var labels []string
		for _, p := range tr.Periods {
			labels = append(labels, p.Label)
		}
		if strings.Join(labels, " ") != "2020-W52 2020-W53 2021-W01 2021-W02" {
			t.Fatalf("weeks %v", labels)
		}
		want := e.f.expected(dimension.Segment, aggregate.Day, "2020-12-28", "2021-01-03")["Consumer"].Revenue
		sameDec(t, tr.Series[0].Points[1].Revenue, want)
	})
	t.Run("fiscal quarters", func(t *testing.T) {
		var tr Trend
		e.get("/v1/trend?dimension=region&grain=fiscal_quarter&period=FY2024&fiscal_year_start=4", 200, &tr)
		if len(tr.Periods) != 4 || tr.Periods[0].Label != "FY2024-Q1" || *tr.Periods[0].From != "2023-04-01" {
			t.Fatalf("periods %+v", tr.Periods)
		}
	})
	t.Run("pages of series", func(t *testing.T) {
		var tr Trend
		e.get("/v1/trend?dimension=segment&period=2024&limit=2", 200, &tr)
		if len(tr.Series) != 2 || tr.NextCursor == nil {
			t.Fatalf("series %d cursor %v", len(tr.Series), tr.NextCursor)
		}
		var next Trend
		e.get("/v1/trend?dimension=segment&period=2024&limit=2&cursor="+*tr.NextCursor, 200, &next)
		if len(next.Series) != 1 || next.NextCursor != nil || str(next.Series[0].Value) == str(tr.Series[1].Value) {
			t.Fatalf("second page %+v", next.Series)
		}
	})
	t.Run("a value without data has a zero series", func(t *testing.T) {
		var tr Trend
		e.get("/v1/trend?dimension=segment&value=Nobody&period=2024-Q1&grain=month", 200, &tr)
		if len(tr.Series) != 1 || tr.Series[0].Revenue != "0" || len(tr.Series[0].Points) != 3 {
			t.Fatalf("series %+v", tr.Series)
		}
	})
}

func TestKPIs(t *testing.T) {
	e := newEnv(t)
	t.Run("whole business", func(t *testing.T) {
		var k KPIs
		e.get("/v1/kpis?period=2024", 200, &k)
		cur := e.f.expected(dimension.Total, aggregate.Month, "2024-01", "2024-12")[dimension.TotalValue]
		prev := e.f.expected(dimension.Total, aggregate.Month, "2023-01", "2023-12")[dimension.TotalValue]
		sameDec(t, k.Revenue, cur.Revenue)
		sameDec(t, k.Growth.Previous.Revenue, prev.Revenue)
		avg, _ := cur.Revenue.Quo(decimal.MustNew(cur.Orders, 0))
		sameDec(t, *k.AvgDealSize, avg.Round(4))
		if k.Scope != nil || k.Customers.Available || k.Customers.Customers != nil || k.Customers.Source != "recompute_snapshot" || k.Customers.Detail == "" {
			t.Fatalf("scope %+v customers %+v", k.Scope, k.Customers)
		}
	})
	t.Run("one segment with customers from the snapshot", func(t *testing.T) {
		mv := func(c int64) analytics.Movement { return analytics.Movement{Customers: c} }
		e.f.publish(store.SnapshotInfo{ID: "s1", AsOf: "2024-12-31", ComputedAt: "2025-01-01T02:00:00Z"}, []snapshot.Encoded{
			encoded(t, snapshot.BridgePart(dimension.Segment, analytics.ByQuarter), []analytics.BridgeRow{
				{Value: "Corporate", Period: "2024-Q4", End: mv(40), New: mv(10)}, {Value: "Consumer", Period: "2024-Q4", End: mv(7), New: mv(1)}})})
		defer func() { e.f.snapshot = nil }()
		var k KPIs
		e.get("/v1/kpis?period=2024-Q4&dimension=segment&value=Corporate", 200, &k)
		cur := e.f.expected(dimension.Segment, aggregate.Month, "2024-10", "2024-12")["Corporate"]
		sameDec(t, k.Revenue, cur.Revenue)
		perCustomer, _ := cur.Revenue.Quo(decimal.MustNew(40, 0))
		if !k.Customers.Available || *k.Customers.Customers != 40 || *k.Customers.New != 10 || *k.Customers.Returning != 30 || *k.Customers.AsOf != "2024-12-31" {
			t.Fatalf("customers %+v", k.Customers)
		}
		sameDec(t, *k.Customers.RevenuePerCustomer, perCustomer.Round(4))
		if k.Scope == nil || str(k.Scope.Value) != "Corporate" {
			t.Fatalf("scope %+v", k.Scope)
		}
	})
}

// TestKPICustomersFromTheSnapshot answers customer counts only for ranges
// the snapshot can count distinct customers over: one calendar month,
// quarter or year (from its revenue bridge) or all of its history (from
// its value tiers, every customer then new).
func TestKPICustomersFromTheSnapshot(t *testing.T) {
	e := newEnv(t)
	e.get("/v1/kpis?period=2024&dimension=segment&value=Consumer", 200, nil) // no snapshot yet: unavailable, not an error
	row := func(period string, end, fresh int64) analytics.BridgeRow {
		return analytics.BridgeRow{Dimension: dimension.Segment, Value: "Consumer", Period: period,
			End: analytics.Movement{Customers: end}, New: analytics.Movement{Customers: fresh}}
	}
	e.f.publish(store.SnapshotInfo{ID: "s1", ComputedAt: "2026-01-01T00:00:09Z", AsOf: "2025-12-31"}, []snapshot.Encoded{
		encoded(t, snapshot.BridgePart(dimension.Segment, analytics.ByMonth), []analytics.BridgeRow{row("2024-02", 7, 2)}),
		encoded(t, snapshot.BridgePart(dimension.Segment, analytics.ByQuarter), []analytics.BridgeRow{row("2024-Q1", 9, 4)}),
		encoded(t, snapshot.BridgePart(dimension.Segment, analytics.ByYear), []analytics.BridgeRow{row("2024", 12, 12)}),
		encoded(t, snapshot.MetaPart(), snapshot.Meta{FirstDay: "2024-01-03", LastDay: "2024-12-20"}),
		encoded(t, snapshot.GroupsPart(snapshot.Tiers, dimension.Segment), []analytics.Summary{{Value: "Consumer", Customers: 15}}),
	})
	cases := []struct {
		name, query                 string
		customers, fresh, returning int64 // all 0: not available
	}{
		{"month", "period=2024-02", 7, 2, 5},
		{"quarter", "period=2024-Q1", 9, 4, 5},
		{"year", "period=2024", 12, 12, 0},
		{"fiscal year that is the calendar year", "period=FY2024&fiscal_year_start=1", 12, 12, 0},
		{"month as a range of days", "from=2024-02-01&to=2024-02-29", 7, 2, 5},
		{"all history", "from=2023-06-01&to=2025-01-15", 15, 15, 0},
		{"no range", "", 15, 15, 0},
		{"not a calendar period", "from=2024-01-05&to=2024-02-04", 0, 0, 0},
		{"quarter not on a quarter boundary", "from=2024-02&to=2024-04", 0, 0, 0},
		{"period the snapshot lacks", "period=2023", 0, 0, 0},
		{"open range short of the history", "from=2024-02", 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var k KPIs
			e.get("/v1/kpis?dimension=segment&value=Consumer&"+c.query, 200, &k)
			got := k.Customers
			if c.customers == 0 {
				if got.Available || got.Customers != nil {
					t.Fatalf("customers %+v, want none", got)
				}
				return
			}
			if !got.Available || *got.Customers != c.customers || *got.New != c.fresh || *got.Returning != c.returning ||
				*got.AsOf != "2025-12-31" || *got.ComputedAt != "2026-01-01T00:00:09Z" {
				t.Fatalf("customers %+v", got)
			}
		})
	}
}

// TestDeals reads closed deals of a deal file's segments: counts, win
// rate by count and by value, the won deals' average cycle, the lost
// deals' apart, and velocity (won revenue / average won cycle), all
// checked against the OpenAPI document; segments without deals have none.
func TestDeals(t *testing.T) {
	e := newEnv(t)
	for _, v := range []struct {
		value, rev, lostValue                        string
		won, lost, cycled, cycDays, lostCyc, lostDay int64
	}{
		{"Enterprise", "9000", "1000", 3, 1, 3, 75, 1, 10},
		{"Startup", "0", "0", 0, 2, 0, 0, 0, 0},
	} {
		// Only won deals are lines and orders.
		m := aggregate.Measures{Revenue: decimal.MustParse(v.rev), Lines: v.won, Orders: v.won,
			Won: v.won, Lost: v.lost, Cycled: v.cycled, CycleDays: v.cycDays, WonRevenue: decimal.MustParse(v.rev),
			LostValue: decimal.MustParse(v.lostValue), LostCycled: v.lostCyc, LostCycleDays: v.lostDay}
		e.f.put(dimension.Segment, aggregate.Month, "2030-01", v.value, m)
		e.f.put(dimension.Total, aggregate.Month, "2030-01", dimension.TotalValue, m)
	}
	// Sales from a file without deal stages in the same month: in revenue,
	// not in the deals' won revenue or velocity.
	e.f.put(dimension.Segment, aggregate.Month, "2030-01", "Enterprise", aggregate.Measures{Revenue: decimal.MustParse("1000"), Lines: 1, Orders: 1})
	var b Breakdown
	e.get("/v1/segments?dimension=segment&period=2030-01", 200, &b)
	byValue := map[string]Segment{}
	for _, s := range b.Segments {
		byValue[str(s.Value)] = s
	}
	ent, st := byValue["Enterprise"].Deals, byValue["Startup"].Deals
	if ent == nil || ent.Won != 3 || ent.Lost != 1 || ent.WinRate != "0.7500" || ent.WonRevenue != "9000" || *ent.AvgWonDeal != "3000.0000" ||
		*ent.AvgCycleDays != "25.0000" || *ent.Velocity != "360.0000" || byValue["Enterprise"].Revenue != "10000" ||
		ent.LostValue != "1000" || ent.WinRateByValue == nil || *ent.WinRateByValue != "0.9000" ||
		ent.AvgLostCycleDays == nil || *ent.AvgLostCycleDays != "10.0000" {
		t.Fatalf("Enterprise deals %+v", ent)
	}
	if st == nil || st.WinRate != "0.0000" || st.AvgCycleDays != nil || st.Velocity != nil || st.WinRateByValue != nil || st.AvgLostCycleDays != nil {
		t.Fatalf("Startup deals %+v", st)
	}
	if b.Deals == nil || b.Deals.Won != 3 || b.Deals.Lost != 3 || b.Deals.WinRate != "0.5000" {
		t.Fatalf("total deals %+v", b.Deals)
	}
	e.get("/v1/segments?dimension=segment&period=2024", 200, &b)
	if b.Deals != nil || b.Segments[0].Deals != nil {
		t.Fatalf("deals in a range without deal files: %+v", b.Deals)
	}
}

func TestDimensions(t *testing.T) {
	e := newEnv(t)
	var l DimensionList
	e.get("/v1/dimensions", 200, &l)
	byName := map[string]DimensionInfo{}
	for _, d := range l.Dimensions {
		byName[d.Name] = d
	}
	if seg := byName["segment"]; !seg.HasData || seg.ValueCount != 3 || *seg.FirstMonth != "2019-01" || *seg.LastMonth != "2024-12" {
		t.Fatalf("segment %+v", seg)
	}
	if ind := byName["industry"]; ind.HasData || ind.FirstMonth != nil {
		t.Fatalf("industry %+v", ind)
	}
	t.Run("values a page at a time", func(t *testing.T) {
		var v ValueList
		e.get("/v1/dimensions/segment/values?limit=2", 200, &v)
		if v.ValueCount != 3 || len(v.Values) != 2 || v.NextCursor == nil {
			t.Fatalf("%+v", v)
		}
		var rest ValueList
		e.get("/v1/dimensions/segment/values?limit=2&cursor="+*v.NextCursor, 200, &rest)
		if len(rest.Values) != 1 || rest.Values[0].Value != "Corporate" || rest.NextCursor != nil {
			t.Fatalf("%+v", rest)
		}
	})
	t.Run("prefix ignores case", func(t *testing.T) {
		var v ValueList
		e.get("/v1/dimensions/Customer%20Segment/values?prefix=caf", 200, &v)
		if len(v.Values) != 1 || v.Values[0].Value != "Café ☕ Zürich" {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("unknown dimension", func(t *testing.T) {
		e.problemOf(e.do(request(http.MethodGet, "/v1/dimensions/planet/values", true)), 404, "No dimension")
	})
}

func TestUploads(t *testing.T) {
	e := newEnv(t)
	t.Run("status by id", func(t *testing.T) {
		var u Upload
		e.get("/v1/uploads/0123456789abcdef01234567", 200, &u)
		if u.Status != "succeeded" || u.Rows != 10 || *u.Version != "v1" || u.Error != nil {
			t.Fatalf("%+v", u)
		}
	})
	t.Run("rejects come with a download link", func(t *testing.T) {
		id := "00000000000000000000000a"
		e.f.uploads[id] = store.Upload{ID: id, Key: "transactions/r.csv", Status: store.StatusPartiallySucceeded, Rows: 3, Accepted: 2,
			Rejected: 1, RejectsKey: "rejects/" + id + ".csv", Started: "2024-01-01T00:00:00Z", Finished: "2024-01-01T00:00:01Z"}
		var u Upload
		e.get("/v1/uploads/"+id, 200, &u)
		if u.RejectsURL == nil || !strings.Contains(*u.RejectsURL, id+".csv") || !strings.Contains(*u.RejectsURL, "X-Amz-Expires=900") {
			t.Fatalf("rejects_url %v", u.RejectsURL)
		}
		var plain Upload
		e.get("/v1/uploads/0123456789abcdef01234567", 200, &plain)
		if plain.RejectsURL != nil {
			t.Fatalf("rejects_url without rejects: %v", *plain.RejectsURL)
		}
	})
	t.Run("a mapping file's status reports its effect", func(t *testing.T) {
		id := "00000000000000000000000b"
		e.f.uploads[id] = store.Upload{ID: id, Key: "config/mappings/sales.csv.json", Version: "m2", Status: store.StatusSucceeded,
			Started: "2024-01-01T00:00:00Z", Finished: "2024-01-01T00:00:01Z",
			Format: json.RawMessage(`{"file_name":"sales.csv","apply_to_uploaded":true,"note":"Re-read 1 of the 1 uploaded transactions files it applies to under this version. New uploads use it too.",` +
				`"files":[{"key":"transactions/sales.csv","upload":"00000000000000000000000c","mapping_version":"m2","state":"reapplied","reread":"00000000000000000000000c"}]}`)}
		var u Upload
		e.get("/v1/uploads/"+id, 200, &u)
		if !strings.Contains(string(u.Format), `"state":"reapplied"`) {
			t.Fatalf("format %s", u.Format)
		}
	})
	t.Run("unknown and malformed ids", func(t *testing.T) {
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads/ffffffffffffffffffffffff", true)), 404, "No upload")
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads/..%2F..%2Fetc", true)), 404, "hexadecimal")
	})
	t.Run("live upload of a key", func(t *testing.T) {
		var u Upload
		e.get("/v1/uploads?key=transactions/a.csv", 200, &u)
		if u.ID != "0123456789abcdef01234567" {
			t.Fatalf("%+v", u)
		}
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads?key=transactions/gone.csv", true)), 404, "deleted")
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads?key=transactions/never.csv", true)), 404, "version")
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads?key=curated/x.ndjson", true)), 400, "under transactions/")
	})
	t.Run("upload of a key by version", func(t *testing.T) {
		id := store.UploadID("sales-bucket", "transactions/b.csv", "3/v=")
		e.f.uploads[id] = store.Upload{ID: id, Key: "transactions/b.csv", Version: "3/v=", Status: store.StatusProcessing, Started: "2024-01-01T00:00:00Z"}
		var u Upload
		e.get("/v1/uploads?key=transactions/b.csv&version=3%2Fv%3D", 200, &u)
		if u.ID != id || u.Status != "processing" || u.FinishedAt != nil || string(u.Format) != "null" {
			t.Fatalf("%+v", u)
		}
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads?key=transactions/b.csv&version=other", true)), 404, "No status yet")
	})
	t.Run("an upload past its deadline reads failed", func(t *testing.T) {
		e := newEnv(t)
		id := "0000000000000000000000dd"
		e.f.uploads[id] = store.Upload{ID: id, Key: "transactions/d.csv", Status: store.StatusProcessing,
			Started: "2024-01-01T00:00:00Z", Deadline: "2024-01-01T00:55:00Z"}
		var u Upload
		e.get("/v1/uploads/"+id, 200, &u)
		if u.Status != store.StatusFailed || u.Error == nil || !strings.Contains(*u.Error, "did not finish by 2024-01-01T00:55:00Z") ||
			!strings.Contains(*u.Error, "redriven") {
			t.Fatalf("%+v", u)
		}
	})
	post := func(body string, headers map[string]string) events.APIGatewayV2HTTPResponse {
		req := request(http.MethodPost, "/v1/uploads", true)
		req.Body = body
		for k, v := range headers {
			req.Headers[k] = v
		}
		return e.do(req)
	}
	ticket := func(t *testing.T, body string) UploadTicket {
		t.Helper()
		resp := post(body, map[string]string{"content-type": "application/json"})
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
		var tk UploadTicket
		if err := json.Unmarshal([]byte(resp.Body), &tk); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	newKey := regexp.MustCompile(`^transactions/2026-11-23/[0-9a-f]{16}-Ventes-ete-2024-v2\.csv$`)
	t.Run("presigned PUT", func(t *testing.T) {
		tk := ticket(t, `{"file_name":"Ventes été 2024 (v2).csv","content_type":"text/csv","size":1234}`)
		if !newKey.MatchString(tk.Key) || tk.Method != "PUT" || tk.Headers["Content-Type"] != "text/csv" ||
			tk.Headers["Content-Length"] != "1234" || tk.ExpiresAt != "2026-11-23T12:15:00Z" || !strings.Contains(tk.URL, "X-Amz-Expires=900") ||
			tk.StatusURL != "/v1/uploads?key="+url.QueryEscape(tk.Key) {
			t.Fatalf("%+v", tk)
		}
		if _, ok := tk.Headers["Host"]; ok {
			t.Fatal("Host returned as a header to send")
		}
	})
	t.Run("the same file name twice gets two keys", func(t *testing.T) {
		body := `{"file_name":"Ventes été 2024 (v2).csv","size":10}`
		a, b := ticket(t, body), ticket(t, body)
		if a.Key == b.Key || !newKey.MatchString(a.Key) || !newKey.MatchString(b.Key) {
			t.Fatalf("keys %s and %s", a.Key, b.Key)
		}
	})
	t.Run("replace an upload by id or key", func(t *testing.T) {
		for _, ref := range []string{"0123456789abcdef01234567", "transactions/a.csv"} {
			if tk := ticket(t, `{"file_name":"fixed.csv","size":10,"replace":"`+ref+`"}`); tk.Key != "transactions/a.csv" {
				t.Fatalf("replace %s: key %s", ref, tk.Key)
			}
		}
	})
	t.Run("status names the upload it replaced", func(t *testing.T) {
		id := "00000000000000000000000b"
		e.f.uploads[id] = store.Upload{ID: id, Key: "transactions/a.csv", Status: store.StatusSucceeded, Replaced: "0123456789abcdef01234567",
			Started: "2024-01-02T00:00:00Z", Finished: "2024-01-02T00:00:01Z"}
		var u, first Upload
		e.get("/v1/uploads/"+id, 200, &u)
		e.get("/v1/uploads/0123456789abcdef01234567", 200, &first)
		if u.Replaced == nil || *u.Replaced != "0123456789abcdef01234567" || first.Replaced != nil {
			t.Fatalf("replaced %v, first upload's %v", u.Replaced, first.Replaced)
		}
	})
	t.Run("base64 body and default content type", func(t *testing.T) {
		req := request(http.MethodPost, "/v1/uploads", true)
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(`{"file_name":"q1.csv.gz","size":99}`)), true
		resp := e.do(req)
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"Content-Type":"application/gzip"`) {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("text exports", func(t *testing.T) {
		for _, c := range []struct{ name, ct, want string }{
			{"Sales Export.txt", "", "text/plain"},
			{"sales.tsv", "text/tab-separated-values", "text/tab-separated-values"},
			{"sales.TSV.gz", "", "application/gzip"},
		} {
			req := request(http.MethodPost, "/v1/uploads", true)
			req.Body = fmt.Sprintf(`{"file_name":%q,"content_type":%q,"size":10}`, c.name, c.ct)
			resp := e.do(req)
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"Content-Type":"`+c.want+`"`) {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, resp.Body)
			}
		}
	})
	cases := []struct {
		name, body string
		headers    map[string]string
		status     int
		detail     string
	}{
		{"no file name", `{"size":1}`, nil, 400, "file_name is required"},
		{"unknown extension", `{"file_name":"x.exe","size":1}`, nil, 400, "must end in .csv.gz, .tsv.gz, .txt.gz, .csv, .tsv, .txt, .xlsx, .parquet"},
		{"content type mismatch", `{"file_name":"x.csv","content_type":"image/png","size":1}`, nil, 400, "does not fit"},
		{"folders", `{"file_name":"../../etc/passwd.csv","size":1}`, nil, 400, "without folders"},
		{"control character", `{"file_name":"a\u0000b.csv","size":1}`, nil, 400, "control character"},
		{"too long", `{"file_name":"` + strings.Repeat("a", 300) + `.csv","size":1}`, nil, 400, "longer than"},
		{"no size", `{"file_name":"a.csv"}`, nil, 400, "size is required"},
		{"empty file", `{"file_name":"a.csv","size":0}`, nil, 400, "1 to 5368709120 bytes"},
		{"too large", `{"file_name":"a.csv","size":6000000000}`, nil, 400, "S3's limit"},
		{"size not a number", `{"file_name":"a.csv","size":"10"}`, nil, 400, "field size must be a int64"},
		{"replace unknown id", `{"file_name":"a.csv","size":1,"replace":"ffffffffffffffffffffffff"}`, nil, 404, "no upload with id"},
		{"replace deleted key", `{"file_name":"a.csv","size":1,"replace":"transactions/gone.csv"}`, nil, 404, "no live upload"},
		{"replace unknown key", `{"file_name":"a.csv","size":1,"replace":"transactions/never.csv"}`, nil, 404, "no live upload"},
		{"replace with another type", `{"file_name":"a.xlsx","size":1,"replace":"transactions/a.csv"}`, nil, 400, "same type"},
		{"replace outside transactions", `{"file_name":"a.csv","size":1,"replace":"curated/x.csv"}`, nil, 400, "upload id"},
		{"replace a customers upload", `{"file_name":"a.csv","size":1,"replace":"00000000000000000000000c"}`, nil, 400, "not a transactions file"},
		{"unknown field", `{"file_name":"a.csv","bucket":"other"}`, nil, 400, "unknown field"},
		{"not json", `file_name=a.csv`, nil, 400, "invalid JSON"},
		{"two objects", `{"file_name":"a.csv"}{}`, nil, 400, "nothing after it"},
		{"form content type", `{"file_name":"a.csv"}`, map[string]string{"content-type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"huge body", `{"file_name":"` + strings.Repeat("a", 5000) + `.csv"}`, nil, 413, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { e.problemOf(post(c.body, c.headers), c.status, c.detail) })
	}
	t.Run("not configured", func(t *testing.T) {
		bare := New(e.f, nil, nil, Options{})
		req := request(http.MethodPost, "/v1/uploads", true)
		req.Body = `{"file_name":"a.csv","size":1}`
		resp, _ := bare.Handle(t.Context(), req)
		e.spec.check(t, http.MethodPost, "/v1/uploads", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
		if resp.StatusCode != 503 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func TestSummaryHealthAndDocument(t *testing.T) {
	e := newEnv(t)
	e.problemOf(e.do(request(http.MethodGet, "/v1/summary", true)), 404, "recompute has not run")
	e.f.summary = `{"computed_at":"2024-01-01T00:00:00Z","dimensions":{}}`
	e.get("/v1/summary", 200, nil)
	var h map[string]string
	e.get("/v1/health", 200, &h)
	if h["status"] != "ok" {
		t.Fatal(h)
	}
	resp := e.get("/v1/openapi.json", 200, nil)
	if resp.Body != string(openAPI) {
		t.Fatal("served document differs from the embedded one")
	}
	e.problemOf(e.do(request(http.MethodPost, "/v1/segments?dimension=segment", true)), 405, "Use GET")
	e.problemOf(e.do(request(http.MethodDelete, "/v1/uploads", true)), 405, "Use GET")
	e.problemOf(e.do(request(http.MethodGet, "/v1/nothing", true)), 404, "No route")
}

// TestEveryOperationAnswered runs one request per documented operation and
// status family the tests above rely on, and fails if an operation of the
// document was never exercised with a 200.
func TestEveryOperationAnswered(t *testing.T) {
	e := newEnv(t)
	e.f.summary = `{"computed_at":"2024-01-01T00:00:00Z"}`
	withSnapshot(e)
	for _, target := range []string{"/v1/analytics/tiers?dimension=segment", "/v1/analytics/rfm?dimension=segment",
		"/v1/analytics/quadrants?dimension=segment", "/v1/analytics/forecast?dimension=segment",
		"/v1/analytics/bridge?dimension=segment", "/v1/acquisition?dimension=segment", "/v1/analytics/customers", "/v1/analytics/lookalikes", "/v1/analytics/model", "/v1/analytics/holdout", "/v1/health", "/v1/openapi.json", "/v1/summary", "/v1/segments?dimension=segment&period=2024",
		"/v1/trend?dimension=segment&period=2024", "/v1/forecast?horizon=3", "/v1/kpis?period=2024", "/v1/dimensions", "/v1/dimensions/region/values",
		"/v1/uploads?key=transactions/a.csv", "/v1/uploads", "/v1/uploads/0123456789abcdef01234567", "/v1/reconciliation", "/v1/pipeline?dimension=owner", "/v1/datasets"} {
		e.get(target, 200, nil)
	}
	req := request(http.MethodPost, "/v1/uploads", true)
	req.Body = `{"file_name":"a.csv","size":1}`
	if resp := e.do(req); resp.StatusCode != 200 {
		t.Fatalf("POST /v1/uploads: %d %s", resp.StatusCode, resp.Body)
	}
	for p, item := range e.spec.doc.Paths.Map() {
		for m := range item.Operations() {
			if !e.seen[m+" "+p+" 200"] {
				t.Errorf("%s %s was never answered with 200", m, p)
			}
		}
	}
}

// TestDimensionsReportTheCurrency checks that the CURRENCY setting reaches
// clients through GET /v1/dimensions, and is null when unset.
func TestDimensionsReportTheCurrency(t *testing.T) {
	e := newEnv(t)
	var none DimensionList
	e.get("/v1/dimensions", 200, &none)
	if none.Currency != nil {
		t.Errorf("currency %q without the setting", *none.Currency)
	}
	e.svc = New(e.f, fakePresigner{}, nil, Options{Bucket: "sales-bucket", Currency: "EUR"})
	var eur DimensionList
	e.get("/v1/dimensions", 200, &eur)
	if eur.Currency == nil || *eur.Currency != "EUR" {
		t.Errorf("currency %v, want EUR", eur.Currency)
	}
}
