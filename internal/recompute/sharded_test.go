package recompute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/snapshot"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/analyze.golden.json from Analyze")

// goldenCase is a real data set with what a recompute reads beside its
// purchases: accounts of a customers file and spend.
type goldenCase struct {
	name      string
	purchases []history.Purchase
	accounts  []analytics.Prospect
	spend     []history.Spend
}

// realPurchases parses a shared data file as ingestion does and returns
// its purchase history.
func realPurchases(t *testing.T, name string) []history.Purchase {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.ParseWith(f, name, parser.NewCSVRejects(io.Discard), parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []history.Purchase
	if err := res.Purchases(func(p history.Purchase) error { out = append(out, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// cdnowMasterPurchases reads the whole CDNOW data set (headerless:
// customer id, YYYYMMDD, CDs, dollars).
func cdnowMasterPurchases(t *testing.T) []history.Purchase {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, "CDNOW_master.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []history.Purchase
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[0] == "customer_id" {
			continue
		}
		day, err := time.Parse("20060102", f[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, history.Purchase{Customer: f[0], Day: period.DateOf(day), Orders: 1, Lines: 1, Revenue: f[3]})
	}
	return out
}

// syntheticAccounts makes a customers file for a base: every third
// customer, and 300 accounts that never bought, with firmographics drawn
// from small lists, so bridges count prospects and lookalikes rank them.
func syntheticAccounts(ps []history.Purchase) []analytics.Prospect {
	industries := []string{"Retail", "Finance", "Health", "Energy", "Media"}
	sizes := []string{"1-10", "11-50", "51-200", "201-1000", "1000+"}
	regions := []string{"East", "West", "Central", "South"}
	attrs := func(k int) map[dimension.Dimension]string {
		return map[dimension.Dimension]string{dimension.Industry: industries[k%5], dimension.Size: sizes[(k/5)%5],
			dimension.Region: regions[(k/3)%4], dimension.Segment: []string{"Consumer", "Corporate", "Home Office"}[(k/7)%3]}
	}
	seen := map[string]bool{}
	var ids []string
	for _, p := range ps {
		if !seen[p.Customer] {
			seen[p.Customer] = true
			ids = append(ids, p.Customer)
		}
	}
	slices.Sort(ids)
	var out []analytics.Prospect
	for k, id := range ids {
		if k%3 == 0 {
			out = append(out, analytics.Prospect{ID: id, Attrs: attrs(k)})
		}
	}
	for k := range 300 {
		out = append(out, analytics.Prospect{ID: fmt.Sprintf("prospect-%04d", k), Attrs: attrs(k * 11)})
	}
	slices.SortFunc(out, func(x, y analytics.Prospect) int { return strings.Compare(x.ID, y.ID) })
	return out
}

// superstoreSpend reads the test's made-up monthly spend by segment.
func superstoreSpend(t *testing.T) []history.Spend {
	t.Helper()
	f, err := os.Open("testdata/superstore_spend_2016-2019.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.ParseSpend(f, "spend.csv", parser.NewCSVRejects(io.Discard), parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Records
}

// goldenCases are the real data sets of ../shared/data a recompute is
// checked on: Superstore with spend and accounts (acquisition, bridges
// with prospects, lookalikes; an untrusted CLV), the UCI Online Retail
// sample, and the whole of CDNOW with accounts (a trusted CLV:
// quadrants, forecasts and predictions).
func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	store := realPurchases(t, "sample_superstore_utf8bom_2016-2019.csv")
	cdnow := cdnowMasterPurchases(t)
	storeAccounts, cdnowAccounts := syntheticAccounts(store), syntheticAccounts(cdnow)
	return []goldenCase{
		{name: "superstore", purchases: filled(store, storeAccounts), accounts: storeAccounts, spend: superstoreSpend(t)},
		{name: "online_retail", purchases: realPurchases(t, "uci_online_retail_random_sample_2709.csv")},
		{name: "cdnow", purchases: filled(cdnow, cdnowAccounts), accounts: cdnowAccounts, spend: monthlySpend(1997, 18)},
	}
}

// monthlySpend makes up spend for months months from January of year:
// some for all customers, some per segment of syntheticAccounts, and a
// quarter's spend.
func monthlySpend(year, months int) []history.Spend {
	var out []history.Spend
	for m := range months {
		label := fmt.Sprintf("%04d-%02d", year+m/12, m%12+1)
		out = append(out, history.Spend{Period: label, Amount: fmt.Sprintf("%d.%02d", 900+37*m, m)},
			history.Spend{Period: label, Amount: "250.5", Segment: []string{"Consumer", "Corporate", "Home Office"}[m%3]})
	}
	return append(out, history.Spend{Period: fmt.Sprintf("%04d-Q2", year), Amount: "1200"})
}

// filled fills in the purchases' attributes from the accounts, as a
// recompute does.
func filled(ps []history.Purchase, accounts []analytics.Prospect) []history.Purchase {
	byID := map[string]map[dimension.Dimension]string{}
	for _, a := range accounts {
		byID[a.ID] = a.Attrs
	}
	out := slices.Clone(ps)
	for i := range out {
		if a, ok := byID[out[i].Customer]; ok {
			out[i].Attrs = fill(out[i].Attrs, a)
		}
	}
	return out
}

// buildBase folds purchases into a base.
func buildBase(t *testing.T, ps []history.Purchase) *analytics.Base {
	t.Helper()
	b := analytics.NewBuilder()
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// partHashes returns the SHA-256 of every encoded part of a snapshot, by
// name.
func partHashes(t *testing.T, snap snapshot.Snapshot) map[string]string {
	t.Helper()
	parts, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range parts {
		sum := sha256.Sum256(p.Data)
		out[p.Name] = hex.EncodeToString(sum[:])
	}
	return out
}

const goldenFile = "testdata/analyze.golden.json"

// TestAnalyzeMatchesGolden checks that Analyze gives, part for part and
// byte for byte, the snapshots recorded in testdata/analyze.golden.json
// for the real data sets: the single-function results of before customer
// shards, which every sharded computation must equal. Run with -update
// to record new ones after a deliberate change of the analytics.
func TestAnalyzeMatchesGolden(t *testing.T) {
	ctx := context.Background()
	got := map[string]map[string]string{}
	for _, c := range goldenCases(t) {
		snap, err := Analyze(ctx, buildBase(t, c.purchases), c.accounts, c.spend, time.Time{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got[c.name] = partHashes(t, snap)
	}
	if *updateGolden {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readGolden(t)
	compareGolden(t, "Analyze", want, got)
}

// readGolden reads the recorded part hashes.
func readGolden(t *testing.T) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// compareGolden reports every part whose hash differs, is missing or is
// extra.
func compareGolden(t *testing.T, what string, want, got map[string]map[string]string) {
	t.Helper()
	for name, parts := range want {
		if len(parts) == 0 {
			t.Errorf("%s: golden %s has no parts", what, name)
		}
		for p, h := range parts {
			if got[name][p] != h {
				t.Errorf("%s: %s part %s differs from the golden snapshot", what, name, p)
			}
		}
		for p := range got[name] {
			if _, ok := parts[p]; !ok {
				t.Errorf("%s: %s part %s is not in the golden snapshot", what, name, p)
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: case %s is not in the golden file", what, name)
		}
	}
}

// TestAnalyzeShardsMatchesGolden checks that a base split into 1, 4 and
// 64 customer shards, analysed a shard at a time on several workers,
// gives byte for byte the golden single-function snapshots.
func TestAnalyzeShardsMatchesGolden(t *testing.T) {
	ctx := context.Background()
	want := readGolden(t)
	cases := goldenCases(t)
	for _, n := range []int{1, 4, 64} {
		t.Run(fmt.Sprintf("shards=%d", n), func(t *testing.T) {
			got := map[string]map[string]string{}
			for _, c := range cases {
				byShard := make([][]history.Purchase, n)
				for _, p := range c.purchases {
					s := shard.Of(p.Customer, n)
					byShard[s] = append(byShard[s], p)
				}
				var loads atomic.Int64
				load := func(_ context.Context, s int) (*analytics.Base, error) {
					loads.Add(1)
					return buildBase(t, byShard[s]), nil
				}
				snap, err := AnalyzeShards(ctx, n, 3, load, c.accounts, c.spend, time.Time{})
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if loads.Load() != int64(2*n) {
					t.Errorf("%s: %d shard loads, want two passes of %d", c.name, loads.Load(), n)
				}
				got[c.name] = partHashes(t, snap)
			}
			compareGolden(t, fmt.Sprintf("%d shards", n), want, got)
		})
	}
}

func TestPermute(t *testing.T) {
	for _, c := range []struct {
		name string
		perm []int32
	}{
		{"identity", []int32{0, 1, 2, 3}},
		{"reverse", []int32{3, 2, 1, 0}},
		{"one cycle", []int32{1, 2, 3, 0}},
		{"two cycles and a fixed point", []int32{1, 0, 2, 4, 5, 3}},
		{"empty", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := make([]string, len(c.perm))
			for i := range xs {
				xs[i] = fmt.Sprint("x", i)
			}
			orig := slices.Clone(xs)
			perm := slices.Clone(c.perm)
			permute(xs, perm)
			for k := range xs {
				if xs[k] != orig[c.perm[k]] {
					t.Fatalf("permute(%v) = %v", c.perm, xs)
				}
			}
			if !slices.Equal(perm, c.perm) {
				t.Errorf("perm left as %v, want %v", perm, c.perm)
			}
		})
	}
}
