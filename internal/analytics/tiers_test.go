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
		{"ranked within segment",
			[]string{"a=90/S1", "b=10/S1", "c=5/S2", "d=5/S2"}, TierConfig{Names: []string{"A", "B", "C"}, Cuts: DefaultTierConfig().Cuts, Within: dimension.Segment},
			"a:A b:B c:A d:A"},
		{"without within, segments share the ranking",
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
// counts and shares add up.
func checkSummaries(t *testing.T, sums []Summary, want map[string]map[string]refMove, customers int) {
	t.Helper()
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
			cshare += g.CustomerShare
			rshare += g.RevenueShare
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
	if n != int64(customers) {
		t.Errorf("values hold %d customers, base %d", n, customers)
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
				cfg := DefaultTierConfig()
				cfg.Within = within
				a, err := Tiers(b, cfg)
				if err != nil {
					t.Fatal(err)
				}
				sums, err := a.Summarize(b, within)
				if err != nil {
					t.Fatal(err)
				}
				checkSummaries(t, sums, want, b.Len())
			})
		})
	}
}
