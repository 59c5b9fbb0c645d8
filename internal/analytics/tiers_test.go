package analytics

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
)

// revenueBase builds a base with one purchase per "id=revenue[/segment]"
// spec, all on one day.
func revenueBase(tb testing.TB, specs ...string) *Base {
	tb.Helper()
	var ps []history.Purchase
	for _, s := range specs {
		id, rest, _ := strings.Cut(s, "=")
		rev, seg, _ := strings.Cut(rest, "/")
		ps = append(ps, history.Purchase{Customer: id, Day: mustDay(tb, "2020-01-01"), Orders: 1, Lines: 1, Revenue: rev, Attrs: attrs("segment", seg)})
	}
	return build(tb, ps)
}

// tierOf renders an assignment as "id:group" in base order.
func tierOf(b *Base, a Assignment) string {
	var parts []string
	for i := range b.Customers {
		parts = append(parts, b.Customers[i].ID+":"+a.Group(i))
	}
	return strings.Join(parts, " ")
}

func TestTiers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string
		cfg   TierConfig
		want  string
	}{
		{"customer ending exactly at 80% is A, next starts B",
			[]string{"a=50", "b=30", "c=10", "d=6", "e=4"}, DefaultTierConfig(), "a:A b:A c:B d:B e:C"},
		{"customer crossing 80% is A",
			[]string{"a=60", "b=25", "c=15"}, DefaultTierConfig(), "a:A b:A c:B"},
		{"one customer above 80% is all of A",
			[]string{"a=90", "b=5", "c=5"}, DefaultTierConfig(), "a:A b:B c:C"},
		{"equal revenues split by ID at a boundary",
			[]string{"x5=20", "x3=20", "x1=20", "x4=20", "x2=20"}, DefaultTierConfig(), "x1:A x2:A x3:A x4:A x5:B"},
		{"zero and negative revenue are last",
			[]string{"a=100", "z=0", "n=-10"}, DefaultTierConfig(), "a:A n:C z:C"},
		{"single customer", []string{"a=1"}, DefaultTierConfig(), "a:A"},
		{"exact decimals at the line",
			[]string{"a=0.4", "b=0.4", "c=0.2"}, TierConfig{Names: []string{"Top", "Rest"}, Cuts: []decimal.Decimal{mustDec("0.8")}}, "a:Top b:Top c:Rest"},
		{"segments share the ranking",
			[]string{"a=90/S1", "b=10/S1", "c=5/S2", "d=5/S2"}, DefaultTierConfig(), "a:A b:B c:B d:C"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := revenueBase(t, tc.specs...)
			a, err := Tiers(b, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := tierOf(b, a); got != tc.want {
				t.Errorf("tiers %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("empty base", func(t *testing.T) {
		a, err := Tiers(&Base{}, DefaultTierConfig())
		if err != nil || len(a.Of) != 0 || len(a.Groups) != 3 {
			t.Errorf("Tiers(empty) = %+v, %v", a, err)
		}
	})
}

func TestTiersInvalidConfig(t *testing.T) {
	d := mustDec
	for _, tc := range []struct {
		name string
		cfg  TierConfig
	}{
		{"zero value", TierConfig{}},
		{"one name too many", TierConfig{Names: []string{"A", "B", "C"}, Cuts: []decimal.Decimal{d("0.8")}}},
		{"cut of 1", TierConfig{Names: []string{"A", "B"}, Cuts: []decimal.Decimal{d("1")}}},
		{"cut of 0", TierConfig{Names: []string{"A", "B"}, Cuts: []decimal.Decimal{d("0")}}},
		{"negative cut", TierConfig{Names: []string{"A", "B"}, Cuts: []decimal.Decimal{d("-0.5")}}},
		{"decreasing cuts", TierConfig{Names: []string{"A", "B", "C"}, Cuts: []decimal.Decimal{d("0.9"), d("0.8")}}},
		{"equal cuts", TierConfig{Names: []string{"A", "B", "C"}, Cuts: []decimal.Decimal{d("0.8"), d("0.80")}}},
		{"duplicate names", TierConfig{Names: []string{"A", "A"}, Cuts: []decimal.Decimal{d("0.8")}}},
		{"empty name", TierConfig{Names: []string{"A", ""}, Cuts: []decimal.Decimal{d("0.8")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Tiers(revenueBase(t, "a=1"), tc.cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Tiers = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	b := revenueBase(t, "a=60/S1", "b=30/S1", "c=15/S2", "d=-5/S2")
	a, err := Tiers(b, DefaultTierConfig())
	if err != nil {
		t.Fatal(err)
	}
	sums, err := a.Summarize(b, dimension.Segment)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(renderSummaries(sums))
	want := "[S1 2 90: A 2 90 1.000 1.000 | B 0 0 0.000 0.000 | C 0 0 0.000 0.000 S2 2 10: A 0 0 0.000 0.000 | B 1 15 0.500 1.500 | C 1 -5 0.500 -0.500]"
	if got != want {
		t.Errorf("Summarize\n got %s\nwant %s", got, want)
	}
	t.Run("mismatch", func(t *testing.T) {
		if _, err := (Assignment{Groups: []string{"x"}, Of: []int{0}}).Summarize(b, dimension.Total); !errors.Is(err, ErrMismatch) {
			t.Errorf("short assignment: %v", err)
		}
		if _, err := (Assignment{Groups: []string{"x"}, Of: []int{0, 0, 0, 1}}).Summarize(b, dimension.Total); !errors.Is(err, ErrMismatch) {
			t.Errorf("group out of range: %v", err)
		}
	})
	t.Run("members", func(t *testing.T) {
		m, err := a.Members("A")
		if err != nil || fmt.Sprint(m) != "[0 1]" {
			t.Errorf("Members(A) = %v, %v", m, err)
		}
		if _, err := a.Members("D"); !errors.Is(err, ErrUnknownGroup) {
			t.Errorf("Members(D) = %v", err)
		}
	})
}

func renderSummaries(sums []Summary) []string {
	var out []string
	for _, s := range sums {
		var gs []string
		for _, g := range s.Groups {
			gs = append(gs, fmt.Sprintf("%s %d %s %.3f %.3f", g.Group, g.Customers, g.Revenue, g.CustomerShare, g.RevenueShare))
		}
		out = append(out, fmt.Sprintf("%s %d %s: %s", s.Value, s.Customers, s.Revenue, strings.Join(gs, " | ")))
	}
	return out
}

// checkSummaries compares summaries with reference figures and checks that
// counts and shares add up; customers is the base's size, which the
// values' customers add up to at least (a customer counts under every
// value it bought in).
func checkSummaries(t *testing.T, sums []Summary, want map[string]map[string]refMove, customers int) {
	t.Helper()
	var refN int64
	for _, groups := range want {
		for _, g := range groups {
			refN += g.N
		}
	}
	if len(sums) != len(want) {
		t.Errorf("%d values, reference %d", len(sums), len(want))
	}
	n := int64(0)
	for _, s := range sums {
		n += s.Customers
		w, ok := want[s.Value]
		if !ok {
			t.Errorf("value %q not in reference", s.Value)
			continue
		}
		var cshare, rshare float64
		var count int64
		rev := decimal.Decimal{}
		for _, g := range s.Groups {
			if wg := w[g.Group]; g.Customers != wg.N || g.Revenue.Cmp(wg.Rev) != 0 {
				t.Errorf("%s %q %s: %d customers, %s; reference %d, %s", s.Dimension, s.Value, g.Group, g.Customers, g.Revenue, wg.N, wg.Rev)
			}
			cshare += float64(g.CustomerShare)
			rshare += float64(g.RevenueShare)
			count += g.Customers
			var err error
			if rev, err = rev.Add(g.Revenue); err != nil {
				t.Fatal(err)
			}
		}
		if count != s.Customers || rev.Cmp(s.Revenue) != 0 {
			t.Errorf("%q: groups add to %d, %s; value has %d, %s", s.Value, count, rev, s.Customers, s.Revenue)
		}
		if math.Abs(cshare-1) > 1e-9 || (!s.Revenue.IsZero() && math.Abs(rshare-1) > 1e-9) {
			t.Errorf("%q: shares add to %v customers, %v revenue", s.Value, cshare, rshare)
		}
	}
	if n != refN || n < int64(customers) {
		t.Errorf("values hold %d customers, reference %d, base %d", n, refN, customers)
	}
}

func TestTiersRealData(t *testing.T) {
	ref := loadReference(t)
	for _, ds := range realDataSets(ref) {
		t.Run(ds.name, func(t *testing.T) {
			b := build(t, toPurchases(t, ds.rows(t), 1))
			a, err := Tiers(b, DefaultTierConfig())
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds.dims {
				t.Run(string(d), func(t *testing.T) {
					sums, err := a.Summarize(b, d)
					if err != nil {
						t.Fatal(err)
					}
					checkSummaries(t, sums, ds.ref.Tiers[d], b.Len())
				})
			}
			within, want := dimension.Segment, ds.ref.TiersWithinSegment
			if ds.ref.TiersWithinCountry != nil {
				within, want = dimension.Country, ds.ref.TiersWithinCountry
			}
			t.Run("within "+string(within), func(t *testing.T) {
				sums, err := TiersWithin(b, DefaultTierConfig(), within)
				if err != nil {
					t.Fatal(err)
				}
				checkSummaries(t, sums, want, b.Len())
			})
		})
	}
}

func TestTiersWithin(t *testing.T) {
	b := build(t, []history.Purchase{
		{Customer: "a", Day: mustDay(t, "2020-01-01"), Revenue: "90", Attrs: attrs("segment", "S1")},
		{Customer: "b", Day: mustDay(t, "2020-01-01"), Revenue: "10", Attrs: attrs("segment", "S1")},
		{Customer: "c", Day: mustDay(t, "2020-01-01"), Revenue: "5", Attrs: attrs("segment", "S2")},
		{Customer: "d", Day: mustDay(t, "2020-01-01"), Revenue: "5", Attrs: attrs("segment", "S2")},
		// b also bought in S2, more than anybody there: A in S2, B in S1.
		{Customer: "b", Day: mustDay(t, "2020-02-01"), Revenue: "50", Attrs: attrs("segment", "S2")},
	})
	sums, err := TiersWithin(b, DefaultTierConfig(), dimension.Segment)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(renderSummaries(sums)); got != "[S1 2 100: A 1 90 0.500 0.900 | B 1 10 0.500 0.100 | C 0 0 0.000 0.000 S2 3 60: A 1 50 0.333 0.833 | B 2 10 0.667 0.167 | C 0 0 0.000 0.000]" {
		t.Errorf("tiers within segment %s", got)
	}
	if _, err := TiersWithin(b, DefaultTierConfig(), dimension.Category); !errors.Is(err, ErrProductDimension) {
		t.Errorf("within category: %v", err)
	}
	if _, err := TiersWithin(b, TierConfig{}, dimension.Segment); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad config: %v", err)
	}
}

// TestSummarizeAttributesRevenueByValue checks on Superstore, where 766 of
// the 793 customers bought in several regions, that tier revenue by region
// adds up to each region's total (it used to put a customer's whole revenue
// under its latest region, off by up to 38k), and that a product dimension
// is refused. The purchase history keeps one set of values per customer
// and day (the day's last line), so the region totals are those of the
// file with each customer-day under its last line's region; they differ
// from the line totals only by the few days a customer had orders shipped
// to two regions.
func TestSummarizeAttributesRevenueByValue(t *testing.T) {
	rows := superstoreRows(t)
	want, lines := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	regions := map[string]map[string]bool{}
	type custDay struct{ customer, day string }
	lastRegion := map[custDay]string{}
	dayRegions := map[custDay]map[string]bool{}
	for _, r := range rows {
		k := custDay{r.customer, r.day}
		lastRegion[k] = r.attrs[dimension.Region]
		if dayRegions[k] == nil {
			dayRegions[k] = map[string]bool{}
		}
		dayRegions[k][r.attrs[dimension.Region]] = true
	}
	split := 0
	for _, rs := range dayRegions {
		if len(rs) > 1 {
			split++
		}
	}
	var err error
	for _, r := range rows {
		v := r.attrs[dimension.Region]
		if lines[v], err = lines[v].Add(r.amount); err != nil {
			t.Fatal(err)
		}
		day := lastRegion[custDay{r.customer, r.day}]
		if want[day], err = want[day].Add(r.amount); err != nil {
			t.Fatal(err)
		}
		if regions[r.customer] == nil {
			regions[r.customer] = map[string]bool{}
		}
		regions[r.customer][v] = true
	}
	several := 0
	for _, rs := range regions {
		if len(rs) > 1 {
			several++
		}
	}
	if several != 766 || len(regions) != 793 {
		t.Fatalf("%d of %d customers bought in several regions, want 766 of 793", several, len(regions))
	}
	t.Logf("%d of %d customer-days had orders to two regions; region totals by line: %v, by customer-day: %v", split, len(dayRegions), lines, want)
	b := build(t, toPurchases(t, rows, 1))
	tiers, err := Tiers(b, DefaultTierConfig())
	if err != nil {
		t.Fatal(err)
	}
	sums, err := tiers.Summarize(b, dimension.Region)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != len(want) {
		t.Fatalf("%d regions, file has %d", len(sums), len(want))
	}
	for _, s := range sums {
		var groups decimal.Decimal
		for _, g := range s.Groups {
			if groups, err = groups.Add(g.Revenue); err != nil {
				t.Fatal(err)
			}
		}
		if s.Revenue.Cmp(want[s.Value]) != 0 || groups.Cmp(want[s.Value]) != 0 {
			t.Errorf("region %s: tiers add up to %s (value %s), file total %s", s.Value, groups, s.Revenue, want[s.Value])
		}
	}
	preds := make([]Prediction, b.Len())
	for _, refuse := range []func() error{
		func() error { _, err := tiers.Summarize(b, dimension.Category); return err },
		func() error { _, err := Forecast(b, preds, dimension.Category); return err },
		func() error { _, err := Bridge(b, BridgeConfig{Dimension: dimension.Category}); return err },
		func() error { _, err := TiersWithin(b, DefaultTierConfig(), dimension.Category); return err },
	} {
		if err := refuse(); !errors.Is(err, ErrProductDimension) {
			t.Errorf("by category: %v, want ErrProductDimension", err)
		}
	}
}

// TestShareTableTiersWithin checks the column form against the customers'
// own shares: rows added in another customer order and renumbered, a
// customer whose purchases carried the segment only in part (the rest
// goes to its blank row), one that never carried it, and one with a blank
// value of its own and a remainder.
func TestShareTableTiersWithin(t *testing.T) {
	b := build(t, []history.Purchase{
		{Customer: "a", Day: mustDay(t, "2020-01-01"), Revenue: "90", Attrs: attrs("segment", "S1")},
		{Customer: "a", Day: mustDay(t, "2020-01-02"), Revenue: "7"},
		{Customer: "b", Day: mustDay(t, "2020-01-01"), Revenue: "10", Attrs: attrs("segment", "S1")},
		{Customer: "b", Day: mustDay(t, "2020-02-01"), Revenue: "50", Attrs: attrs("segment", "S2")},
		{Customer: "c", Day: mustDay(t, "2020-01-01"), Revenue: "5"},
		{Customer: "d", Day: mustDay(t, "2020-01-01"), Revenue: "4", Attrs: attrs("segment", "S2")},
		{Customer: "d", Day: mustDay(t, "2020-03-01"), Revenue: "3", Attrs: attrs("segment", dimension.Blank)},
		{Customer: "d", Day: mustDay(t, "2020-04-01"), Revenue: "2"},
		{Customer: "e", Day: mustDay(t, "2020-01-01"), Revenue: "0", Attrs: attrs("segment", "S2")},
	})
	want, err := TiersWithin(b, DefaultTierConfig(), dimension.Segment)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(renderSummaries(want)); !strings.Contains(got, "(blank) 3 17") {
		t.Fatalf("blank value: want a, c and d with 7 + 5 + 3 + 2: %s", got)
	}
	// Rows added last customer first, as if the base had been reversed.
	n := b.Len()
	tab := NewShareTable(dimension.Segment)
	to := make([]int32, n)
	for i := n - 1; i >= 0; i-- {
		old := n - 1 - i
		to[old] = int32(i)
		for _, s := range b.Customers[i].Shares {
			if s.Dim == dimension.Segment {
				tab.Add(old, s.Value, s.Revenue)
			}
		}
	}
	if !tab.Carried() {
		t.Error("Carried: false with S1 and S2")
	}
	tab.Renumber(to)
	got, err := tab.TiersWithin(b, DefaultTierConfig())
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprint(renderSummaries(got)), fmt.Sprint(renderSummaries(want)); g != w {
		t.Errorf("share table:\n%s\nwant\n%s", g, w)
	}
	blank := NewShareTable(dimension.Region)
	blank.Add(0, dimension.Blank, decimal.One)
	if blank.Carried() {
		t.Error("Carried: true with a blank value only")
	}
}
