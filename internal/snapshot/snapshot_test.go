package snapshot_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/snapshot"
)

func ptr[T any](v T) *T { return &v }

// sample is a snapshot with every kind of part and no zero-valued field
// that could hide a field lost on the way.
func sample() snapshot.Snapshot {
	// Ratios and amounts are stored as the API writes them (4 and 2
	// places), so the fixture uses such values to round-trip exactly.
	summary := func(d dimension.Dimension, value string) analytics.Summary {
		return analytics.Summary{Dimension: d, Value: value, Customers: 3, Revenue: decimal.MustParse("30.50"),
			Groups: []analytics.GroupStats{{Group: "A", Customers: 1, Revenue: decimal.MustParse("25.00"), CustomerShare: 0.3333, RevenueShare: 0.8197},
				{Group: "B", Customers: 2, Revenue: decimal.MustParse("5.50"), CustomerShare: 0.6667, RevenueShare: 0.1803}}}
	}
	mv := func(c int64, r string) analytics.Movement {
		return analytics.Movement{Customers: c, Revenue: decimal.MustParse(r)}
	}
	bridge := func(d dimension.Dimension, period, prev string) []analytics.BridgeRow {
		return []analytics.BridgeRow{{Dimension: d, Value: "Consumer", Period: period, Previous: prev, Start: mv(1, "10"), End: mv(2, "15"),
			New: mv(1, "7"), Retained: mv(1, "8"), Expansion: mv(0, "0"), Contraction: mv(1, "-2"), Churned: mv(0, "0"),
			Reactivated: mv(0, "0"), Known: 2, Prospects: 1, RetentionRate: ptr[analytics.Ratio](1), RevenueRetention: ptr[analytics.Ratio](0.8),
			GrossRevenueRetention: ptr[analytics.Ratio](0.8), Conversion: nil, Penetration: ptr[analytics.Ratio](0.6667)}}
	}
	dim := func(d dimension.Dimension, clv bool) snapshot.DimensionParts {
		p := snapshot.DimensionParts{Dimension: d,
			Tiers: []analytics.Summary{summary(d, "Consumer")}, RFM: []analytics.Summary{summary(d, "Corporate")},
			Bridges: map[analytics.Grain][]analytics.BridgeRow{analytics.ByMonth: bridge(d, "2026-02", "2026-01"),
				analytics.ByQuarter: bridge(d, "2026-Q1", "2025-Q4"), analytics.ByYear: bridge(d, "2026", "2025")}}
		if clv {
			p.Quadrants = []analytics.Summary{summary(d, "Home Office")}
			p.Forecast = []analytics.ValueForecast{{Dimension: d, Value: "Consumer", Customers: 2, Revenue: decimal.MustParse("30.00"),
				ExpectedActive: 1.4, ExpectedPurchases: 3.2, ProjectedRevenue: 96.5}}
		}
		return p
	}
	return snapshot.Snapshot{
		Meta: snapshot.Meta{AsOf: "2026-11-22", FirstDay: "2025-01-03", LastDay: "2026-11-22", Customers: 5, Purchases: 9,
			Revenue: "5.00", Dimensions: []string{"total", "segment"}, Warnings: []string{"a warning"},
			CLV: &snapshot.CLVParams{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4, P: 6.2, Q: 3.7, Gamma: 15.4, LogLikelihood: -9582.4,
				UnitDays: 7, HorizonMonths: 12, RepeatBuyers: 3, SpendLogLikelihood: -12.5}},
		Dimensions: []snapshot.DimensionParts{dim(dimension.Total, true), dim(dimension.Segment, false)},
		Customers: []snapshot.TopCustomer{{ID: "c1", Revenue: "1.00", Orders: 2, FirstDay: "2026-01-01", LastDay: "2026-02-01",
			Tier: "A", RFM: "Champions", RFMScore: "555", Quadrant: "Prioritize", PAlive: ptr[analytics.Ratio](0.9), ExpectedPurchases: ptr[analytics.Amount](1.5),
			CLV: ptr[analytics.Amount](12.5), Attributes: map[string]string{"segment": "Consumer"}}},
		Lookalikes: []analytics.Lookalike{{ID: "p1", Score: 0.7, Matches: []analytics.AttributeMatch{{Dimension: dimension.Industry,
			Value: "Retail", SeedShare: 0.7, BaseShare: 0.4, Lift: 1.75, Contribution: 0.35}}}},
	}
}

// roundTrip decodes an encoded part with p and checks it equals want.
func roundTrip[T any](t *testing.T, parts map[string][]byte, p snapshot.Part[T], want T) {
	t.Helper()
	data, ok := parts[p.Name()]
	if !ok {
		t.Fatalf("no part %s", p.Name())
	}
	delete(parts, p.Name())
	got, err := p.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s decodes as\n%+v\nwant\n%+v", p.Name(), got, want)
	}
}

func TestEveryPartRoundTrips(t *testing.T) {
	s := sample()
	encoded, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	var names []string
	for _, e := range encoded {
		parts[e.Name] = e.Data
		names = append(names, e.Name)
	}
	want := "bridge/segment/month bridge/segment/quarter bridge/segment/year bridge/total/month bridge/total/quarter bridge/total/year " +
		"customers forecast/total lookalikes meta quadrants/total rfm/segment rfm/total tiers/segment tiers/total"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("parts, in order:\n%s\nwant\n%s", got, want)
	}
	t.Run("meta", func(t *testing.T) { roundTrip(t, parts, snapshot.MetaPart(), s.Meta) })
	t.Run("customers", func(t *testing.T) { roundTrip(t, parts, snapshot.CustomersPart(), s.Customers) })
	t.Run("lookalikes", func(t *testing.T) { roundTrip(t, parts, snapshot.LookalikesPart(), s.Lookalikes) })
	for _, d := range s.Dimensions {
		t.Run(string(d.Dimension), func(t *testing.T) {
			roundTrip(t, parts, snapshot.GroupsPart(snapshot.Tiers, d.Dimension), d.Tiers)
			roundTrip(t, parts, snapshot.GroupsPart(snapshot.RFM, d.Dimension), d.RFM)
			if d.Quadrants != nil {
				roundTrip(t, parts, snapshot.GroupsPart(snapshot.Quadrants, d.Dimension), d.Quadrants)
				roundTrip(t, parts, snapshot.ForecastPart(d.Dimension), d.Forecast)
			}
			for _, g := range snapshot.BridgeGrains() {
				roundTrip(t, parts, snapshot.BridgePart(d.Dimension, g), d.Bridges[g])
			}
		})
	}
	if len(parts) != 0 {
		t.Fatalf("parts no Part decodes: %v", parts)
	}
}

func TestOptionalParts(t *testing.T) {
	cases := []struct {
		name   string
		change func(*snapshot.Snapshot)
		absent []string
		none   bool
	}{
		{"no lookalikes", func(s *snapshot.Snapshot) { s.Lookalikes = nil }, []string{"lookalikes"}, false},
		{"no CLV model", func(s *snapshot.Snapshot) {
			s.Meta.CLV = nil
			s.Dimensions[0].Quadrants, s.Dimensions[0].Forecast = nil, nil
		}, []string{"quadrants/total", "forecast/total"}, false},
		{"no customers", func(s *snapshot.Snapshot) { s.Meta.Customers = 0 }, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sample()
			c.change(&s)
			encoded, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if c.none != (len(encoded) == 0) {
				t.Fatalf("%d parts", len(encoded))
			}
			for _, e := range encoded {
				for _, a := range c.absent {
					if e.Name == a {
						t.Fatalf("part %s written", a)
					}
				}
			}
		})
	}
}

func TestDecodeNamesThePart(t *testing.T) {
	_, err := snapshot.BridgePart(dimension.Region, analytics.ByQuarter).Decode([]byte(`{"not":"rows"}`))
	if err == nil || !strings.Contains(err.Error(), "bridge/region/quarter") {
		t.Fatalf("err %v", err)
	}
}
