package analytics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
)

func TestLookalikes(t *testing.T) {
	p := func(id string, kv ...string) history.Purchase {
		return history.Purchase{Customer: id, Day: mustDay(t, "2020-01-01"), Orders: 1, Lines: 1, Revenue: "1", Attrs: attrs(kv...)}
	}
	b := build(t, []history.Purchase{
		p("s1", "industry", "Retail", "size", "1-10", "country", "US"),
		p("s2", "industry", "Retail", "size", "11-50", "country", "US"),
		p("s3", "industry", "Tech", "size", "11-50"),
		p("n1", "industry", "Tech", "size", "1-10", "country", "UK"),
	})
	var seeds []int
	for _, id := range []string{"s1", "s2", "s3"} {
		i, _ := b.Index(id)
		seeds = append(seeds, i)
	}
	prospects := []Prospect{
		{ID: "p3", Attrs: attrs("industry", "Mining", "size", "500+", "country", "FR")},
		{ID: "p1", Attrs: attrs("industry", "Retail", "size", "11-50", "country", "US")},
		{ID: "s1", Attrs: attrs("industry", "Retail")},                                    // a customer
		{ID: "p1", Attrs: attrs("industry", "Mining")},                                    // repeated id
		{ID: "p6", Attrs: attrs("industry", "Tech", "region", "East", "country", " us ")}, // case and space
		{ID: "p2", Attrs: attrs("industry", "retail", "size", "1-10", "country", "UK")},
	}
	for _, tc := range []struct {
		name string
		cfg  LookalikeConfig
		want []string
	}{
		// Four dimensions; seed counts Retail 2, Tech 1, 1-10 1, 11-50 2,
		// US 2, region none. Score = Σ counts / (3 seeds · 4).
		{"equal weights", LookalikeConfig{}, []string{
			"p1 0.5000 [industry=Retail 0.667/0.500 size=11-50 0.667/0.500 country=US 0.667/0.500]",
			"p2 0.2500 [industry=retail 0.667/0.500 size=1-10 0.333/0.500]",
			"p6 0.2500 [country= us  0.667/0.500 industry=Tech 0.333/0.500]",
			"p3 0.0000 []",
		}},
		// Σ w·count / (Σw = 4 · 3 seeds).
		{"weighted, limited", LookalikeConfig{Weights: map[dimension.Dimension]float64{dimension.Industry: 3, dimension.Size: 0, dimension.Region: 0}, Limit: 3}, []string{
			"p1 0.6667 [industry=Retail 0.667/0.500 country=US 0.667/0.500]",
			"p2 0.5000 [industry=retail 0.667/0.500]",
			"p6 0.4167 [industry=Tech 0.333/0.500 country= us  0.667/0.500]",
		}},
		{"chosen dimensions", LookalikeConfig{Dimensions: []dimension.Dimension{dimension.Size}}, []string{
			"p1 0.6667 [size=11-50 0.667/0.500]",
			"p2 0.3333 [size=1-10 0.333/0.500]",
			"p3 0.0000 []",
			"p6 0.0000 []",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Lookalikes(b, seeds, prospects, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range got {
				if l.Matches == nil {
					t.Errorf("%s: nil matches encode as null, not the empty list", l.ID)
				}
				var ms []string
				sum := 0.0
				for _, m := range l.Matches {
					ms = append(ms, fmt.Sprintf("%s=%s %.3f/%.3f", m.Dimension, m.Value, m.SeedShare, m.BaseShare))
					sum += float64(m.Contribution)
					if math.Abs(float64(m.Lift-m.SeedShare/m.BaseShare)) > 1e-12 {
						t.Errorf("lift %v", m.Lift)
					}
				}
				if math.Abs(sum-float64(l.Score)) > 1e-12 {
					t.Errorf("%s: contributions add to %v, score %v", l.ID, sum, l.Score)
				}
				lines = append(lines, fmt.Sprintf("%s %.4f [%s]", l.ID, l.Score, strings.Join(ms, " ")))
			}
			if !slices.Equal(lines, tc.want) {
				t.Errorf("ranking\n got %q\nwant %q", lines, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		seeds []int
		cfg   LookalikeConfig
		want  error
	}{
		{"negative weight", seeds, LookalikeConfig{Weights: map[dimension.Dimension]float64{dimension.Size: -1}}, ErrInvalidConfig},
		{"NaN weight", seeds, LookalikeConfig{Weights: map[dimension.Dimension]float64{dimension.Size: math.NaN()}}, ErrInvalidConfig},
		{"infinite weight", seeds, LookalikeConfig{Weights: map[dimension.Dimension]float64{dimension.Size: math.Inf(1)}}, ErrInvalidConfig},
		{"all weights zero", seeds, LookalikeConfig{Dimensions: []dimension.Dimension{dimension.Size}, Weights: map[dimension.Dimension]float64{dimension.Size: 0}}, ErrInvalidConfig},
		{"negative limit", seeds, LookalikeConfig{Limit: -1}, ErrInvalidConfig},
		{"no seeds", nil, LookalikeConfig{}, ErrNoSeeds},
		{"seed outside the base", []int{4}, LookalikeConfig{}, ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Lookalikes(b, tc.seeds, prospects, tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("Lookalikes = %v, want %v", err, tc.want)
			}
		})
	}
}

// crmData builds, from the Maven CRM files, a base of the won deals of
// four accounts in five (sorted by name) and the fifth as prospects, as
// testdata/reference.py does.
func crmData(tb testing.TB) (*Base, []Prospect) {
	tb.Helper()
	cols, recs := readCSV(tb, "crm_accounts.csv")
	accounts := map[string]map[dimension.Dimension]string{}
	var names []string
	for _, r := range recs {
		emp, err := strconv.Atoi(r[cols["employees"]])
		if err != nil {
			tb.Fatal(err)
		}
		band := "5000+"
		switch {
		case emp < 1000:
			band = "1-999"
		case emp < 5000:
			band = "1000-4999"
		}
		name := r[cols["account"]]
		accounts[name] = map[dimension.Dimension]string{
			dimension.Industry: r[cols["sector"]], dimension.Size: band, dimension.Country: r[cols["office_location"]],
		}
		names = append(names, name)
	}
	slices.Sort(names)
	held := map[string]bool{}
	var prospects []Prospect
	for k, n := range names {
		if k%5 == 4 {
			held[n] = true
			prospects = append(prospects, Prospect{ID: n, Attrs: accounts[n]})
		}
	}
	cols, recs = readCSV(tb, "crm_sales_pipeline.csv")
	b := NewBuilder()
	for _, r := range recs {
		acc := r[cols["account"]]
		if r[cols["deal_stage"]] != "Won" || held[acc] {
			continue
		}
		if err := b.Add(history.Purchase{Customer: acc, Day: mustDay(tb, r[cols["close_date"]]), Orders: 1, Lines: 1,
			Revenue: r[cols["close_value"]], Attrs: accounts[acc]}); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Build(), prospects
}

func TestLookalikesCRM(t *testing.T) {
	ref := loadReference(t).CRM
	b, prospects := crmData(t)
	tiers, err := Tiers(b, DefaultTierConfig())
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := tiers.Members("A")
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != ref.Customers || len(seeds) != ref.Seeds {
		t.Fatalf("%d customers, %d in A; reference %d, %d", b.Len(), len(seeds), ref.Customers, ref.Seeds)
	}
	got, err := Lookalikes(b, seeds, prospects, LookalikeConfig{Dimensions: []dimension.Dimension{dimension.Industry, dimension.Size, dimension.Country}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ref.Ranking) {
		t.Fatalf("%d prospects ranked, reference %d", len(got), len(ref.Ranking))
	}
	for i, w := range ref.Ranking {
		g := got[i]
		var matched []dimension.Dimension
		for _, m := range g.Matches {
			matched = append(matched, m.Dimension)
		}
		slices.Sort(matched)
		slices.Sort(w.Matched)
		if g.ID != w.ID || math.Abs(float64(g.Score)-w.Score) > 1e-12 || !slices.Equal(matched, w.Matched) {
			t.Errorf("rank %d: %s %.6f %v; reference %s %.6f %v", i+1, g.ID, g.Score, matched, w.ID, w.Score, w.Matched)
		}
	}
	t.Logf("top prospects: %s %.3f, %s %.3f, %s %.3f", got[0].ID, got[0].Score, got[1].ID, got[1].Score, got[2].ID, got[2].Score)
}
