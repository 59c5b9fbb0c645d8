package analytics

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
)

// bridgeFixture exercises every movement over January–April 2020:
//
//	c1 (S1): Jan 100, Feb 150, Mar 120, Apr –    new, expansion, contraction, churned
//	c2 (S1): Jan 50,  Feb –,   Mar 70,  Apr 70   new, churned, reactivated, flat
//	c3 (S2): Jan –,   Feb 4+6, Mar –,   Apr 5    new, churned, reactivated
//	c4 (S2): Mar −3 (returns only), then –        new with negative revenue, churned
func bridgeFixture(tb testing.TB) *Base {
	p := func(c, day, rev, seg string) history.Purchase {
		return history.Purchase{Customer: c, Day: mustDay(tb, day), Orders: 1, Lines: 1, Revenue: rev, Attrs: attrs("segment", seg)}
	}
	return build(tb, []history.Purchase{
		p("c1", "2020-01-10", "100", "S1"), p("c1", "2020-02-10", "150", "S1"), p("c1", "2020-03-10", "120", "S1"),
		p("c2", "2020-01-31", "50", "S1"), p("c2", "2020-03-01", "70", "S1"), p("c2", "2020-04-30", "70.00", "S1"),
		p("c3", "2020-02-01", "4", "S2"), p("c3", "2020-02-29", "6", "S2"), p("c3", "2020-04-01", "5", "S2"),
		p("c4", "2020-03-15", "-3", "S2"),
	})
}

// renderRow prints a row's movements as customers/revenue pairs.
func renderRow(r BridgeRow) string {
	m := func(x Movement) string { return fmt.Sprintf("%d/%s", x.Customers, x.Revenue.Trim(0)) }
	return fmt.Sprintf("%s %s<-%s start %s new %s ret %s exp %s con %s churn %s react %s end %s",
		r.Value, r.Period, r.Previous, m(r.Start), m(r.New), m(r.Retained), m(r.Expansion), m(r.Contraction),
		m(r.Churned), m(r.Reactivated), m(r.End))
}

func fmtRate(p *Ratio) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%.4f", *p)
}

func TestBridgeFixture(t *testing.T) {
	b := bridgeFixture(t)
	prospects := []Prospect{
		{ID: "p1", Attrs: attrs("segment", "S2")},
		{ID: "p2", Attrs: attrs("segment", "s2")}, // another value: case is not folded
		{ID: "c1", Attrs: attrs("segment", "S2")}, // an account that bought: under its purchases' S1
		{ID: "p1", Attrs: attrs("segment", "S2")}, // repeated: counts once
	}
	for _, tc := range []struct {
		name  string
		cfg   BridgeConfig
		rows  []string
		rates []string // retention, NRR, GRR, conversion, penetration per row
	}{
		{"total by month", BridgeConfig{}, []string{
			"all 2020-01<-2019-12 start 0/0 new 2/150 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 2/150",
			"all 2020-02<-2020-01 start 2/150 new 1/10 ret 1/100 exp 1/50 con 0/0 churn 1/-50 react 0/0 end 2/160",
			"all 2020-03<-2020-02 start 2/160 new 1/-3 ret 1/120 exp 0/0 con 1/-30 churn 1/-10 react 1/70 end 3/187",
			"all 2020-04<-2020-03 start 3/187 new 0/0 ret 1/70 exp 0/0 con 0/0 churn 2/-117 react 1/5 end 2/75",
		}, []string{
			// conversion: no accounts, so none (customers who buy later
			// are not counted as prospects); penetration: end / known.
			"nil nil nil nil 1.0000",
			"0.5000 1.0000 0.6667 nil 0.6667",
			// NRR Mar: (160 − 30 − 10) / 160; Apr: (187 − 117) / 187.
			"0.5000 0.7500 0.7500 nil 0.7500",
			"0.3333 0.3743 0.3743 nil 0.5000",
		}},
		{"total by quarter", BridgeConfig{Grain: ByQuarter}, []string{
			"all 2020-Q1<-2019-Q4 start 0/0 new 4/497 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 4/497",
			"all 2020-Q2<-2020-Q1 start 4/497 new 0/0 ret 2/75 exp 0/0 con 2/-55 churn 2/-367 react 0/0 end 2/75",
		}, []string{
			"nil nil nil nil 1.0000",
			"0.5000 0.1509 0.1509 nil 0.5000",
		}},
		{"by segment with prospects", BridgeConfig{Dimension: dimension.Segment, Prospects: prospects}, []string{
			"S1 2020-01<-2019-12 start 0/0 new 2/150 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 2/150",
			"S1 2020-02<-2020-01 start 2/150 new 0/0 ret 1/100 exp 1/50 con 0/0 churn 1/-50 react 0/0 end 1/150",
			"S1 2020-03<-2020-02 start 1/150 new 0/0 ret 1/120 exp 0/0 con 1/-30 churn 0/0 react 1/70 end 2/190",
			"S1 2020-04<-2020-03 start 2/190 new 0/0 ret 1/70 exp 0/0 con 0/0 churn 1/-120 react 0/0 end 1/70",
			"S2 2020-01<-2019-12 start 0/0 new 0/0 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 0/0",
			"S2 2020-02<-2020-01 start 0/0 new 1/10 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 1/10",
			"S2 2020-03<-2020-02 start 1/10 new 1/-3 ret 0/0 exp 0/0 con 0/0 churn 1/-10 react 0/0 end 1/-3",
			"S2 2020-04<-2020-03 start 1/-3 new 0/0 ret 0/0 exp 0/0 con 0/0 churn 1/3 react 1/5 end 1/5",
			"s2 2020-01<-2019-12 start 0/0 new 0/0 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 0/0",
			"s2 2020-02<-2020-01 start 0/0 new 0/0 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 0/0",
			"s2 2020-03<-2020-02 start 0/0 new 0/0 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 0/0",
			"s2 2020-04<-2020-03 start 0/0 new 0/0 ret 0/0 exp 0/0 con 0/0 churn 0/0 react 0/0 end 0/0",
		}, []string{
			// Account c1 converts in January; c2 has no account.
			"nil nil nil 1.0000 1.0000",
			"0.5000 1.0000 0.6667 nil 0.5000",
			"1.0000 0.8000 0.8000 nil 1.0000",
			"0.5000 0.3684 0.3684 nil 0.5000",
			// S2: 2 customers without accounts and prospect p1, who never
			// converts.
			"nil nil nil 0.0000 0.0000",
			"nil nil nil 0.0000 0.5000",
			"0.0000 0.0000 0.0000 0.0000 0.3333",
			"0.0000 nil nil 0.0000 0.3333",
			// s2: prospect p2 alone.
			"nil nil nil 0.0000 0.0000",
			"nil nil nil 0.0000 0.0000",
			"nil nil nil 0.0000 0.0000",
			"nil nil nil 0.0000 0.0000",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := Bridge(b, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tc.rows) {
				t.Fatalf("%d rows, want %d", len(rows), len(tc.rows))
			}
			for i, r := range rows {
				if got := renderRow(r); got != tc.rows[i] {
					t.Errorf("row %d\n got %s\nwant %s", i, got, tc.rows[i])
				}
				rates := strings.Join([]string{fmtRate(r.RetentionRate), fmtRate(r.RevenueRetention), fmtRate(r.GrossRevenueRetention),
					fmtRate(r.Conversion), fmtRate(r.Penetration)}, " ")
				if rates != tc.rates[i] {
					t.Errorf("row %d %s %s rates %s, want %s", i, r.Value, r.Period, rates, tc.rates[i])
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		rows, err := Bridge(b, BridgeConfig{})
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(rows[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"period":"2020-02"`, `"start":{"customers":2,"revenue":"150"}`, `"churned":{"customers":1,"revenue":"-50"}`,
			`"retention_rate":"0.5000"`, `"known":3`} {
			if !strings.Contains(string(data), want) {
				t.Errorf("JSON %s lacks %s", data, want)
			}
		}
		data, _ = json.Marshal(rows[0])
		if !strings.Contains(string(data), `"retention_rate":null`) {
			t.Errorf("JSON %s: an undefined rate should be null", data)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := Bridge(b, BridgeConfig{Grain: "week"}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("week grain: %v", err)
		}
		if rows, err := Bridge(&Base{}, BridgeConfig{}); err != nil || rows != nil {
			t.Errorf("empty base: %v, %v", rows, err)
		}
		r := BridgeRow{End: Movement{Customers: 1, Revenue: mustDec("1")}}
		if err := r.Check(); !errors.Is(err, ErrUnbalanced) {
			t.Errorf("Check of an unbalanced row: %v", err)
		}
		r.New = r.End
		if err := r.Check(); err != nil {
			t.Errorf("Check of a balanced row: %v", err)
		}
		r.New.Customers = 2
		if err := r.Check(); !errors.Is(err, ErrUnbalanced) {
			t.Errorf("Check with customers off: %v", err)
		}
	})
}

func TestBridgeRealData(t *testing.T) {
	ref := loadReference(t)
	for _, ds := range realDataSets(ref) {
		t.Run(ds.name, func(t *testing.T) {
			b := build(t, toPurchases(t, ds.rows(t), 1))
			for _, g := range []Grain{ByMonth, ByQuarter, ByYear} {
				var total []BridgeRow
				for _, d := range ds.dims {
					t.Run(string(g)+"/"+string(d), func(t *testing.T) {
						rows, err := Bridge(b, BridgeConfig{Grain: g, Dimension: d})
						if err != nil {
							t.Fatal(err)
						}
						if d == dimension.Total {
							total = rows
						}
						compareBridge(t, rows, ds.ref.Bridge[g][d])
						checkAddsUpToTotal(t, rows, total)
					})
				}
			}
		})
	}
}

func TestBridgeEndsMatchDuckDB(t *testing.T) {
	// testdata/superstore_segment_months.duckdb.json is the output of
	//	node infra/node/reference.mjs --file .../sample_superstore_utf8bom_2016-2019.csv \
	//	  --amount Sales --date 'Order Date' --date-format '%m/%d/%Y' --dimension Segment
	// (DuckDB DECIMAL sums): every bridge row's End revenue must equal it.
	data, err := os.ReadFile("testdata/superstore_segment_months.duckdb.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		ByValueMonth map[string]map[string]string `json:"by_value_month"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	b := build(t, toPurchases(t, superstoreRows(t), 1))
	rows, err := Bridge(b, BridgeConfig{Dimension: dimension.Segment})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3*48 {
		t.Fatalf("%d rows, want 3 segments × 48 months", len(rows))
	}
	for _, r := range rows {
		want, ok := ref.ByValueMonth[r.Value][r.Period]
		if !ok || r.End.Revenue.Cmp(mustDec(want)) != 0 {
			t.Errorf("%s %s: end %s, DuckDB %q", r.Value, r.Period, r.End.Revenue, want)
		}
	}
}

// compareBridge checks every row against the reference and that it
// reconciles exactly.
func compareBridge(t *testing.T, rows []BridgeRow, want map[string][]refBridgeRow) {
	t.Helper()
	n := 0
	for _, w := range want {
		n += len(w)
	}
	if len(rows) != n {
		t.Fatalf("%d rows, reference %d", len(rows), n)
	}
	next := map[string]int{}
	for _, r := range rows {
		if err := r.Check(); err != nil {
			t.Error(err)
		}
		k := next[r.Value]
		next[r.Value]++
		if k >= len(want[r.Value]) {
			t.Fatalf("value %q: extra row %s", r.Value, r.Period)
		}
		w := want[r.Value][k]
		if r.Period != w.Period {
			t.Fatalf("value %q row %d: period %s, reference %s", r.Value, k, r.Period, w.Period)
		}
		for _, m := range []struct {
			name string
			got  Movement
			want refMove
		}{
			{"start", r.Start, w.Start}, {"end", r.End, w.End}, {"new", r.New, w.New}, {"retained", r.Retained, w.Retained},
			{"expansion", r.Expansion, w.Expansion}, {"contraction", r.Contraction, w.Contraction},
			{"churned", r.Churned, w.Churned}, {"reactivated", r.Reactivated, w.Reactivated},
		} {
			if m.got.Customers != m.want.N || m.got.Revenue.Cmp(m.want.Rev) != 0 {
				t.Errorf("%q %s %s: %d/%s, reference %d/%s", r.Value, r.Period, m.name, m.got.Customers, m.got.Revenue, m.want.N, m.want.Rev)
			}
		}
	}
}

// checkAddsUpToTotal checks that the values' rows of each period add up
// exactly to the total bridge's row.
func checkAddsUpToTotal(t *testing.T, rows, total []BridgeRow) {
	t.Helper()
	sums := map[string]*BridgeRow{}
	for _, r := range rows {
		s, ok := sums[r.Period]
		if !ok {
			s = &BridgeRow{}
			sums[r.Period] = s
		}
		for _, p := range []struct{ dst, src *Movement }{
			{&s.Start, &r.Start}, {&s.End, &r.End}, {&s.New, &r.New}, {&s.Retained, &r.Retained},
			{&s.Expansion, &r.Expansion}, {&s.Contraction, &r.Contraction}, {&s.Churned, &r.Churned}, {&s.Reactivated, &r.Reactivated},
		} {
			if err := move(p.dst, p.src.Customers, p.src.Revenue); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tr := range total {
		s := sums[tr.Period]
		if s == nil {
			t.Fatalf("no rows for %s", tr.Period)
		}
		if renderRow(BridgeRow{Value: "all", Period: tr.Period, Previous: tr.Previous, Start: s.Start, End: s.End, New: s.New, Retained: s.Retained,
			Expansion: s.Expansion, Contraction: s.Contraction, Churned: s.Churned, Reactivated: s.Reactivated}) != renderRow(tr) {
			t.Errorf("%s: values add up to a different bridge than the total", tr.Period)
		}
	}
}

// TestBridgeConversionHasNoLookAhead checks on Superstore, with every
// customer and 50 accounts that never buy known from a customers file,
// that a period's conversion is the same whether or not the data after the
// period exists: its denominator holds only accounts known, and not yet
// converted, at the period's start.
func TestBridgeConversionHasNoLookAhead(t *testing.T) {
	purchases := toPurchases(t, superstoreRows(t), 1)
	full := build(t, purchases)
	var accounts []Prospect
	for _, c := range full.Customers {
		accounts = append(accounts, Prospect{ID: c.ID})
	}
	for i := range 50 {
		accounts = append(accounts, Prospect{ID: fmt.Sprintf("never-%02d", i)})
	}
	rows, err := Bridge(full, BridgeConfig{Grain: ByQuarter, Prospects: accounts})
	if err != nil {
		t.Fatal(err)
	}
	for _, end := range []string{"2016-03-31", "2016-06-30", "2017-03-31", "2018-12-31"} {
		var upTo []history.Purchase
		for _, p := range purchases {
			if p.Day <= mustDay(t, end) {
				upTo = append(upTo, p)
			}
		}
		cut, err := Bridge(build(t, upTo), BridgeConfig{Grain: ByQuarter, Prospects: accounts})
		if err != nil {
			t.Fatal(err)
		}
		last := cut[len(cut)-1]
		var same *BridgeRow
		for i := range rows {
			if rows[i].Period == last.Period {
				same = &rows[i]
			}
		}
		if same == nil || same.Conversion == nil || last.Conversion == nil || *same.Conversion != *last.Conversion {
			t.Errorf("%s: conversion %s with the data up to then, %s with all of it", last.Period, fmtRate(last.Conversion), fmtRate(same.Conversion))
		}
		t.Logf("%s: %d of %d accounts converted", last.Period, last.Converted, last.ProspectsAtStart)
	}
}
