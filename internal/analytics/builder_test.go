package analytics

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

func TestGrainLabels(t *testing.T) {
	m := period.NewYearMonth(2019, time.November)
	for _, tc := range []struct {
		grain      Grain
		want, prev string
	}{
		{ByMonth, "2019-11", "2019-10"},
		{ByQuarter, "2019-Q4", "2019-Q3"},
		{ByYear, "2019", "2018"},
	} {
		t.Run(string(tc.grain), func(t *testing.T) {
			p, ok := tc.grain.Of(m)
			if !ok || tc.grain.Label(p) != tc.want || tc.grain.Label(p-1) != tc.prev {
				t.Errorf("%s of %s: %q/%q, want %q/%q", tc.grain, m, tc.grain.Label(p), tc.grain.Label(p-1), tc.want, tc.prev)
			}
		})
	}
	if q, _ := ByQuarter.Of(period.NewYearMonth(2019, time.January)); ByQuarter.Label(q-1) != "2018-Q4" {
		t.Errorf("quarter before 2019-Q1 = %s", ByQuarter.Label(q-1))
	}
	if _, ok := Grain("week").Of(m); ok {
		t.Error("week grain accepted")
	}
}

func attrs(kv ...string) map[dimension.Dimension]string {
	m := map[dimension.Dimension]string{}
	for i := 0; i < len(kv); i += 2 {
		m[dimension.Dimension(kv[i])] = kv[i+1]
	}
	return m
}

func TestBuilderFold(t *testing.T) {
	// Two files both hold customer c1 on 2019-03-05; c1 also buys on
	// 2019-03-20 and 2019-05-01, and once before (2019-02-28).
	ps := []history.Purchase{
		{Customer: "c1", Day: mustDay(t, "2019-03-05"), Orders: 1, Lines: 2, Revenue: "10.50", Cost: "4", Attrs: attrs("segment", "Consumer", "region", "East")},
		{Customer: "c1", Day: mustDay(t, "2019-03-05"), Orders: 2, Lines: 3, Revenue: "0.25", Attrs: attrs("segment", "Corporate", "region", "")},
		{Customer: "c1", Day: mustDay(t, "2019-03-20"), Orders: 1, Lines: 1, Revenue: "-2.000000000000000000", Cost: "1.5", Attrs: attrs("region", dimension.Blank)},
		{Customer: "c1", Day: mustDay(t, "2019-05-01"), Orders: 1, Lines: 1, Revenue: "100", Attrs: attrs("segment", "Home Office")},
		{Customer: "c1", Day: mustDay(t, "2019-02-28"), Orders: 1, Lines: 1, Revenue: "1.125", Attrs: attrs("segment", "Old", "industry", "Retail")},
		{Customer: "c0", Day: mustDay(t, "2018-12-31"), Orders: 1, Lines: 1, Revenue: "5"},
	}
	want := Customer{
		ID: "c1", FirstDay: mustDay(t, "2019-02-28"), LastDay: mustDay(t, "2019-05-01"), FirstDayRevenue: mustDec("1.125"),
		PurchaseDays: 4, Orders: 6, Lines: 8, Revenue: mustDec("109.875"), Cost: mustDec("5.5"),
		Months: []MonthActivity{
			{Month: period.NewYearMonth(2019, time.February), Revenue: mustDec("1.125"), Days: 1},
			{Month: period.NewYearMonth(2019, time.March), Revenue: mustDec("8.75"), Days: 2},
			{Month: period.NewYearMonth(2019, time.May), Revenue: mustDec("100"), Days: 1},
		},
		// segment: latest day wins; region: blanks never replace East;
		// industry: only value ever seen.
		Attrs: []Attr{{dimension.Industry, "Retail"}, {dimension.Region, "East"}, {dimension.Segment, "Home Office"}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var first *Base
	for run := range 20 {
		t.Run("permutation", func(t *testing.T) {
			order := rng.Perm(len(ps))
			shuffled := make([]history.Purchase, len(ps))
			for i, j := range order {
				shuffled[i] = ps[j]
			}
			b := build(t, shuffled)
			if b.Len() != 2 || b.Customers[0].ID != "c0" {
				t.Fatalf("customers %+v", b.Customers)
			}
			assertCustomer(t, &b.Customers[1], &want)
			if b.FirstDay != mustDay(t, "2018-12-31") || b.LastDay != mustDay(t, "2019-05-01") {
				t.Errorf("base spans %s..%s", b.FirstDay, b.LastDay)
			}
			if run == 0 {
				first = b
			} else if !reflect.DeepEqual(canonical(first), canonical(b)) {
				t.Errorf("order %v builds a different base", order)
			}
		})
	}
	t.Run("same day, two files, conflicting segment: smallest wins", func(t *testing.T) {
		for _, order := range [][]int{{0, 1}, {1, 0}} {
			in := []history.Purchase{
				{Customer: "x", Day: mustDay(t, "2019-01-01"), Revenue: "1", Attrs: attrs("segment", "Zeta")},
				{Customer: "x", Day: mustDay(t, "2019-01-01"), Revenue: "1", Attrs: attrs("segment", "Alpha")},
			}
			b := build(t, []history.Purchase{in[order[0]], in[order[1]]})
			if got := b.Customers[0].Attr(dimension.Segment); got != "Alpha" {
				t.Errorf("order %v: segment %q, want Alpha", order, got)
			}
			if b.Customers[0].PurchaseDays != 1 {
				t.Errorf("purchase days %d, want 1", b.Customers[0].PurchaseDays)
			}
		}
	})
	t.Run("other dimensions; total ignored", func(t *testing.T) {
		b := build(t, []history.Purchase{
			{Customer: "x", Day: mustDay(t, "2019-01-02"), Revenue: "1", Attrs: attrs("tier", "gold", "total", "everything")},
			{Customer: "x", Day: mustDay(t, "2019-01-01"), Revenue: "1", Attrs: attrs("tier", "silver", "channel", "web")},
			{Customer: "y", Day: mustDay(t, "2019-01-01"), Revenue: "1", Attrs: attrs("channel", "shop")},
		})
		x := &b.Customers[0]
		if x.Attr("tier") != "gold" || x.Attr(dimension.Total) != dimension.TotalValue || x.Attr(dimension.Channel) != "web" ||
			!reflect.DeepEqual(x.Attrs, []Attr{{dimension.Channel, "web"}, {"tier", "gold"}}) {
			t.Errorf("attrs %+v", x.Attrs)
		}
		if got := b.Values(dimension.Channel); !reflect.DeepEqual(got, []string{"shop", "web"}) {
			t.Errorf("Values(channel) = %q", got)
		}
		if got := b.Values("tier"); !reflect.DeepEqual(got, []string{dimension.Blank, "gold", "silver"}) {
			t.Errorf("Values(tier) = %q", got)
		}
	})
	t.Run("Attr of missing and total", func(t *testing.T) {
		c := &Customer{Attrs: []Attr{{dimension.Region, ""}}}
		if c.Attr(dimension.Region) != dimension.Blank || c.Attr(dimension.Size) != dimension.Blank || c.Attr(dimension.Total) != dimension.TotalValue {
			t.Errorf("Attr: %q %q %q", c.Attr(dimension.Region), c.Attr(dimension.Size), c.Attr(dimension.Total))
		}
	})
}

func mustDay(tb testing.TB, s string) period.Date {
	tb.Helper()
	d, err := period.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func assertCustomer(t *testing.T, got, want *Customer) {
	t.Helper()
	eq := got.ID == want.ID && got.FirstDay == want.FirstDay && got.LastDay == want.LastDay &&
		got.FirstDayRevenue.Cmp(want.FirstDayRevenue) == 0 && got.PurchaseDays == want.PurchaseDays &&
		got.Orders == want.Orders && got.Lines == want.Lines &&
		got.Revenue.Cmp(want.Revenue) == 0 && got.Cost.Cmp(want.Cost) == 0 &&
		len(got.Months) == len(want.Months) && reflect.DeepEqual(got.Attrs, want.Attrs)
	for i := 0; eq && i < len(got.Months); i++ {
		g, w := got.Months[i], want.Months[i]
		eq = g.Month == w.Month && g.Days == w.Days && g.Revenue.Cmp(w.Revenue) == 0
	}
	if !eq {
		t.Errorf("customer\n got %+v\nwant %+v", *got, *want)
	}
}

func TestBuilderRejects(t *testing.T) {
	// big has 19 digits, the most a decimal holds.
	const big = "99999999999999999.99"
	one := []history.Purchase{{Customer: "c", Day: mustDay(t, "2019-01-01"), Orders: 1, Lines: 1, Revenue: big, Cost: big}}
	// two nets to zero over January and February.
	two := []history.Purchase{
		{Customer: "c", Day: mustDay(t, "2019-01-01"), Orders: 1, Lines: 1, Revenue: big},
		{Customer: "c", Day: mustDay(t, "2019-02-01"), Orders: 1, Lines: 1, Revenue: "-" + big},
	}
	for _, tc := range []struct {
		name  string
		setup []history.Purchase
		p     history.Purchase
		want  error
	}{
		{"empty customer", one, history.Purchase{Day: mustDay(t, "2019-01-01"), Revenue: "1"}, ErrInvalidPurchase},
		{"no day", one, history.Purchase{Customer: "c", Revenue: "1"}, ErrInvalidPurchase},
		{"empty revenue", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01")}, ErrInvalidPurchase},
		{"bad revenue", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "1,5"}, ErrInvalidPurchase},
		{"revenue with 20 decimals", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "0.00000000000000000001"}, ErrInvalidPurchase},
		{"revenue with 20 digits", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "99999999999999999.991"}, ErrInvalidPurchase},
		{"revenue in exponent notation", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "1e3"}, ErrInvalidPurchase},
		{"bad cost", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "1", Cost: "x"}, ErrInvalidPurchase},
		{"negative orders", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "1", Orders: -1}, ErrInvalidPurchase},
		{"negative lines", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "1", Lines: -1}, ErrInvalidPurchase},
		{"revenue overflow", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-03-01"), Revenue: "1"}, money.ErrOverflow},
		{"cost overflow", one, history.Purchase{Customer: "c", Day: mustDay(t, "2019-03-01"), Revenue: "0", Cost: "1"}, money.ErrOverflow},
		{"month overflow", two, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-05"), Revenue: "1"}, money.ErrOverflow},
		{"first-day overflow", two, history.Purchase{Customer: "c", Day: mustDay(t, "2019-01-01"), Revenue: "0.001"}, money.ErrOverflow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder()
			for _, p := range tc.setup {
				if err := b.Add(p); err != nil {
					t.Fatal(err)
				}
			}
			before := b.Build()
			err := b.Add(tc.p)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Add = %v, want %v", err, tc.want)
			}
			if after := b.Build(); !reflect.DeepEqual(before, after) || b.Purchases() != int64(len(tc.setup)) || b.Customers() != 1 {
				t.Errorf("builder changed after a rejected purchase:\n%+v\n%+v", before, after)
			}
		})
	}
}

func TestSuperstoreBase(t *testing.T) {
	ref := loadReference(t).Superstore
	rows := superstoreRows(t)
	single := build(t, toPurchases(t, rows, 1))
	t.Run("customers and totals", func(t *testing.T) {
		if single.Len() != 793 || ref.Customers != 793 {
			t.Errorf("customers = %d (reference %d), want 793", single.Len(), ref.Customers)
		}
		total, err := single.Revenue()
		if err != nil || total.Cmp(mustDec(ref.Total)) != 0 || total.Cmp(mustDec("2297200.8603")) != 0 {
			t.Errorf("revenue = %s, %v; want 2297200.8603 (reference.mjs)", total, err)
		}
		days := 0
		for _, c := range single.Customers {
			days += c.PurchaseDays
		}
		if days != ref.PurchaseDays {
			t.Errorf("purchase days = %d, reference %d", days, ref.PurchaseDays)
		}
		if single.FirstDay.String() != "2016-01-03" || single.LastDay.String() != "2019-12-30" {
			t.Errorf("span %s..%s", single.FirstDay, single.LastDay)
		}
	})
	t.Run("segment totals match reference.mjs", func(t *testing.T) {
		// node infra/node/reference.mjs ... --dimension Segment (DuckDB).
		want := map[string]string{"Consumer": "1161401.3450", "Corporate": "706146.3668", "Home Office": "429653.1485"}
		sums, err := Assignment{Groups: []string{"all"}, Of: make([]int, single.Len())}.Summarize(single, dimension.Segment)
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 3 {
			t.Fatalf("%d segments", len(sums))
		}
		for _, s := range sums {
			if s.Revenue.Cmp(mustDec(want[s.Value])) != 0 {
				t.Errorf("%s: %s, want %s", s.Value, s.Revenue, want[s.Value])
			}
		}
	})
	t.Run("three files fold like one", func(t *testing.T) {
		multi := build(t, toPurchases(t, rows, 3))
		a, b := canonical(single), canonical(multi)
		if !reflect.DeepEqual(a, b) {
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("at %d (%v): %q vs %q", i, a[max(0, i-8):i], a[i], b[i])
				}
			}
			t.Error("folding the rows split over three files gives a different base")
		}
	})
	t.Run("through history encoding", func(t *testing.T) {
		var buf bytes.Buffer
		w := history.NewWriter(&buf)
		for _, p := range toPurchases(t, rows, 2) {
			if err := w.Write(p); err != nil {
				t.Fatal(err)
			}
		}
		b := NewBuilder()
		if err := history.Read(&buf, b.Add); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(canonical(single), canonical(b.Build())) {
			t.Error("history round trip gives a different base")
		}
	})
}

// canonical renders decimals as normalized strings so that equal values of
// different scales (1.50 from one file split, 1.5 from another) compare
// equal under reflect.DeepEqual.
func canonical(b *Base) []string {
	var out []string
	for _, c := range b.Customers {
		out = append(out, c.ID, c.FirstDay.String(), c.LastDay.String(), c.FirstDayRevenue.Trim(0).String(),
			c.Revenue.Trim(0).String(), c.Cost.Trim(0).String())
		for _, m := range c.Months {
			out = append(out, m.Month.String(), m.Revenue.Trim(0).String(), string(rune('0'+m.Days)))
		}
		for _, a := range c.Attrs {
			// Category and, in Superstore, Region (the ship-to region) are
			// those of a day's last line, which depends on how a day's
			// orders are split between files; Segment and Country are the
			// customer's own.
			if a.Dim == dimension.Segment || a.Dim == dimension.Country {
				out = append(out, string(a.Dim), a.Value)
			}
		}
		out = append(out, string(rune(c.PurchaseDays)), string(rune(c.Orders)), string(rune(c.Lines)))
	}
	return out
}
