package analytics

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/history"
)

func TestRFMQuintiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string // id=revenue, scored on M
		want  string   // M score per customer in ID order
	}{
		{"one customer", []string{"a=5"}, "[3]"},
		{"two", []string{"a=1", "b=2"}, "[2 4]"},
		{"three", []string{"a=1", "b=2", "c=3"}, "[1 3 5]"},
		{"four", []string{"a=1", "b=2", "c=3", "d=4"}, "[1 2 4 5]"},
		{"five", []string{"a=5", "b=4", "c=3", "d=2", "e=1"}, "[5 4 3 2 1]"},
		{"ten, two per quintile", []string{"a=1", "b=2", "c=3", "d=4", "e=5", "f=6", "g=7", "h=8", "i=9", "j=10"}, "[1 1 2 2 3 3 4 4 5 5]"},
		{"all tied, split by ID", []string{"a=7", "b=7", "c=7", "d=7", "e=7", "f=7", "g=7"}, "[1 2 2 3 4 4 5]"},
		{"ties split by ID", []string{"b=1", "a=1", "c=2", "d=3"}, "[1 2 4 5]"},
		{"equal values of different scale tie", []string{"a=1.50", "b=1.5", "c=0"}, "[3 5 1]"},
		{"negative monetary lowest", []string{"a=-1", "b=0", "c=1", "d=2", "e=3"}, "[1 2 3 4 5]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := revenueBase(t, tc.specs...)
			res, err := RFM(b, RFMConfig{})
			if err != nil {
				t.Fatal(err)
			}
			var m, r, f []int
			for _, s := range res.Scores {
				m, r, f = append(m, s.M), append(r, s.R), append(f, s.F)
			}
			// Everyone bought once on one day: R and F tie throughout and
			// are split by ID alone.
			if !slices.Equal(r, f) || !slices.IsSorted(r) {
				t.Errorf("tied R %v and F %v are not split by ID", r, f)
			}
			if got := fmt.Sprint(m); got != tc.want {
				t.Errorf("M scores %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRFMGrid(t *testing.T) {
	// R 5 row first, FM 1..5 — transcribed from the documented table.
	want := [5][5]string{
		{"New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"},
		{"Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Champions"},
		{"About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"},
		{"Hibernating", "Hibernating", "At risk", "At risk", "Can't lose"},
		{"Lost", "Lost", "Hibernating", "At risk", "Can't lose"},
	}
	seen := map[string]bool{}
	for r := 5; r >= 1; r-- {
		for fm := 1; fm <= 5; fm++ {
			got := rfmGroup(r, fm)
			seen[got] = true
			if got != want[5-r][fm-1] {
				t.Errorf("R%d FM%d = %q, want %q", r, fm, got, want[5-r][fm-1])
			}
		}
	}
	for _, g := range RFMGroups() {
		if !seen[g] {
			t.Errorf("group %q unreachable", g)
		}
	}
	if len(seen) != len(RFMGroups()) {
		t.Errorf("grid has %d groups, RFMGroups %d", len(seen), len(RFMGroups()))
	}
}

func TestRFMMeasures(t *testing.T) {
	// Five customers with distinct recency, frequency and spend.
	ps := []history.Purchase{
		{Customer: "champ", Day: mustDay(t, "2020-03-30"), Orders: 9, Revenue: "500"},
		{Customer: "champ", Day: mustDay(t, "2020-03-01"), Orders: 1, Revenue: "500"},
		{Customer: "champ", Day: mustDay(t, "2020-02-01"), Orders: 1, Revenue: "500"},
		{Customer: "champ", Day: mustDay(t, "2020-01-01"), Orders: 1, Revenue: "500"},
		{Customer: "new", Day: mustDay(t, "2020-03-29"), Orders: 1, Revenue: "1"},
		{Customer: "lapsed", Day: mustDay(t, "2019-01-01"), Orders: 1, Revenue: "900"},
		{Customer: "lapsed", Day: mustDay(t, "2019-01-02"), Orders: 1, Revenue: "900"},
		{Customer: "lapsed", Day: mustDay(t, "2019-01-03"), Orders: 1, Revenue: "900"},
		{Customer: "lost", Day: mustDay(t, "2018-01-01"), Orders: 5, Revenue: "2"},
		{Customer: "mid", Day: mustDay(t, "2019-06-01"), Orders: 1, Revenue: "50"},
		{Customer: "mid", Day: mustDay(t, "2019-06-02"), Orders: 1, Revenue: "50"},
	}
	b := build(t, ps)
	asOf := time.Date(2020, 3, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cfg  RFMConfig
		want map[string]string // id → "recency frequency R F M group"
	}{
		// Worked by hand. Recency from 2020-03-31: lost 820 days, lapsed
		// 453, mid 303, new 2, champ 1, so R = 1..5 in that order.
		// Purchase days: new 1 and lost 1 tie and are ranked by ID, lost at
		// position 0 of 5 scoring 1 + ⌊5·1/10⌋ = 1, new at 1 scoring
		// 1 + ⌊5·3/10⌋ = 2; mid 2 → 3, lapsed 3 → 4, champ 4 → 5.
		// Revenue: new 1 → 1, lost 2 → 2, mid 100 → 3, champ 2000 → 4,
		// lapsed 2700 → 5. FM = ⌊(F+M+1)/2⌋.
		{"purchase days", RFMConfig{AsOf: asOf}, map[string]string{
			"champ":  "1 4 5 5 4 Champions",          // FM 5
			"new":    "2 1 4 2 1 Potential loyalist", // FM 2
			"lapsed": "453 3 2 4 5 Can't lose",       // FM 5
			"lost":   "820 1 1 1 2 Lost",             // FM 2
			"mid":    "303 2 3 3 3 Need attention",   // FM 3
		}},
		// Orders: new 1 → 1, mid 2 → 2, lapsed 3 → 3, lost 5 → 4, champ 12 → 5.
		{"orders", RFMConfig{AsOf: asOf, Frequency: OrderCount}, map[string]string{
			"champ":  "1 12 5 5 4 Champions",       // FM 5
			"new":    "2 1 4 1 1 Promising",        // FM 1
			"lapsed": "453 3 2 3 5 At risk",        // FM 4
			"lost":   "820 5 1 4 2 Hibernating",    // FM 3
			"mid":    "303 2 3 2 3 Need attention", // FM 3
		}},
		{"as of the last purchase by default", RFMConfig{}, map[string]string{
			"champ":  "0 4 5 5 4 Champions",
			"new":    "1 1 4 2 1 Potential loyalist",
			"lapsed": "452 3 2 4 5 Can't lose",
			"lost":   "819 1 1 1 2 Lost",
			"mid":    "302 2 3 3 3 Need attention",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := RFM(b, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range b.Customers {
				s := res.Scores[i]
				got := fmt.Sprintf("%d %d %d %d %d %s", s.Recency, s.Frequency, s.R, s.F, s.M, s.Group)
				if got != tc.want[c.ID] {
					t.Errorf("%s: %s, want %s", c.ID, got, tc.want[c.ID])
				}
				if res.Group(i) != s.Group || s.Monetary.Cmp(c.Revenue) != 0 {
					t.Errorf("%s: assignment %q, score group %q, monetary %s", c.ID, res.Group(i), s.Group, s.Monetary)
				}
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		for _, cfg := range []RFMConfig{
			{AsOf: time.Date(2020, 3, 29, 0, 0, 0, 0, time.UTC)},
			{Frequency: "lines"},
		} {
			if _, err := RFM(b, cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("RFM(%+v) = %v, want ErrInvalidConfig", cfg, err)
			}
		}
	})
	t.Run("empty base", func(t *testing.T) {
		res, err := RFM(&Base{}, RFMConfig{AsOf: asOf})
		if err != nil || len(res.Scores) != 0 || !slices.Equal(res.Groups, RFMGroups()) {
			t.Errorf("RFM(empty) = %+v, %v", res, err)
		}
	})
}

func TestRFMRealData(t *testing.T) {
	ref := loadReference(t)
	for _, ds := range realDataSets(ref) {
		t.Run(ds.name, func(t *testing.T) {
			b := build(t, toPurchases(t, ds.rows(t), 1))
			res, err := RFM(b, RFMConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds.dims {
				t.Run(string(d), func(t *testing.T) {
					sums, err := res.Summarize(b, d)
					if err != nil {
						t.Fatal(err)
					}
					checkSummaries(t, sums, ds.ref.RFM[d], b.Len())
				})
			}
			// Each score level holds about a fifth of the base when ties
			// allow; recency on 1,400 days has few ties.
			counts := [6]int{}
			for _, s := range res.Scores {
				counts[s.R]++
			}
			for r := 1; r <= 5; r++ {
				if share := float64(counts[r]) / float64(b.Len()); share < 0.15 || share > 0.25 {
					t.Errorf("R=%d holds %.2f of customers", r, share)
				}
			}
		})
	}
}

// TestRFMCDNOWTies checks that ties do not leave scores or groups empty on
// CDNOW, where 12,054 of the 23,570 customers bought on one day only: every
// score 1 to 5 is given on each measure at every as-of day, and every named
// group is populated at some as-of day of the cohort's history (New, for
// example, needs recent first-time buyers, so it fills during the
// acquisition quarter and empties after it).
func TestRFMCDNOWTies(t *testing.T) {
	seen := map[string]int{}
	for _, through := range []string{"1997-02-28", "1997-03-31", "1997-06-30", "1997-12-31", "1998-06-30"} {
		t.Run(through, func(t *testing.T) {
			b := cdnowFileBase(t, "CDNOW_master.txt", through)
			res, err := RFM(b, RFMConfig{})
			if err != nil {
				t.Fatal(err)
			}
			var r, f, m [6]int
			for _, s := range res.Scores {
				r[s.R]++
				f[s.F]++
				m[s.M]++
			}
			for q := 1; q <= 5; q++ {
				if r[q] == 0 || f[q] == 0 || m[q] == 0 {
					t.Errorf("score %d not given: R %v F %v M %v", q, r[1:], f[1:], m[1:])
				}
			}
			sums, err := res.Summarize(b, "total")
			if err != nil {
				t.Fatal(err)
			}
			var line []string
			for _, g := range sums[0].Groups {
				seen[g.Group] += int(g.Customers)
				line = append(line, fmt.Sprintf("%s %d", g.Group, g.Customers))
			}
			t.Logf("%d customers, F scores %v; %v", b.Len(), f[1:], line)
		})
	}
	if b := cdnowFileBase(t, "CDNOW_master.txt", "1998-06-30"); b.Len() != 23570 {
		t.Errorf("CDNOW master has %d customers, want 23,570", b.Len())
	}
	for _, g := range RFMGroups() {
		if seen[g] == 0 {
			t.Errorf("group %q is never populated", g)
		}
	}
}
