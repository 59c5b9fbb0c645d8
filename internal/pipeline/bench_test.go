package pipeline

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// genDeals returns n deals shaped like a CRM export of four years: 30
// owners under 7 managers in 3 regions, 40 products, 85,000 accounts in
// 10 sectors, created on any day, about 55% closed (30% won, 25% lost)
// after a cycle of about two months, the rest open at Prospecting,
// Qualification, Proposal or Negotiation; values log-normal around 3,000,
// open deals mostly at a list price. The seed is fixed, so every run
// sees the same deals.
func genDeals(n int) []Deal {
	rng := rand.New(rand.NewPCG(1, 2))
	start := period.NewDate(2020, time.January, 1)
	const days = 4 * 365
	end := start.AddDays(days)
	money := func(mu float64) string {
		cents := int64(math.Round(math.Exp(mu+rng.NormFloat64()) * 100))
		return fmt.Sprintf("%d.%02d", cents/100, cents%100)
	}
	var owners, managers, regions, products, prices, sectors []string
	for i := range 30 {
		owners = append(owners, fmt.Sprintf("Owner %02d", i))
	}
	for i := range 7 {
		managers = append(managers, fmt.Sprintf("Manager %d", i))
	}
	regions = []string{"Central", "East", "West"}
	for i := range 40 {
		products = append(products, fmt.Sprintf("Product %02d", i))
		prices = append(prices, money(8))
	}
	for i := range 10 {
		sectors = append(sectors, fmt.Sprintf("sector %d", i))
	}
	const accounts = 85_000
	accountNames := make([]string, accounts)
	for i := range accountNames {
		accountNames[i] = fmt.Sprintf("Account %05d", i)
	}
	// Deals of one owner, product and sector share their attribute map,
	// as a reader interning values could, so that a million deals fit.
	attrs := map[[3]int]map[dimension.Dimension]string{}
	stages := []string{"Prospecting", "Qualification", "Proposal", "Negotiation"}
	out := make([]Deal, n)
	for i := range out {
		o, p, a := rng.IntN(len(owners)), rng.IntN(len(products)), rng.IntN(accounts)
		s := a % len(sectors)
		k := [3]int{o, p, s}
		if attrs[k] == nil {
			attrs[k] = map[dimension.Dimension]string{dimension.Owner: owners[o], dimension.Manager: managers[o%7],
				dimension.Region: regions[o%7%3], dimension.Product: products[p], dimension.Industry: sectors[s]}
		}
		d := Deal{ID: fmt.Sprintf("OPP%07d", i), Account: accountNames[a], Outcome: Open,
			Created: start.AddDays(rng.IntN(days)), Attrs: attrs[k]}
		closed := d.Created.AddDays(int(rng.ExpFloat64() * 60))
		switch x := rng.Float64(); {
		case x < 0.30 && !closed.After(end):
			d.Outcome, d.Stage, d.Closed, d.Value = Won, "Won", closed, money(8)
		case x < 0.55 && !closed.After(end):
			d.Outcome, d.Stage, d.Closed, d.Value = Lost, "Lost", closed, money(8)
		default:
			d.Stage = stages[rng.IntN(len(stages))]
			switch y := rng.Float64(); {
			case y < 0.75:
				d.Value, d.Listed = prices[p], true
			case y < 0.97:
				d.Value = money(8)
			}
			if rng.Float64() < 0.02 {
				d.Created = 0
			}
		}
		out[i] = d
	}
	return out
}

// BenchmarkCompute computes the figures by owner of a million generated
// deals. Its x-decode metric is the time of one Compute over the time
// Read takes merely to decode the same deals from NDJSON (measured before
// the loop): the cost of the figures as a share of reading them.
func BenchmarkCompute(b *testing.B) {
	ds := genDeals(1_000_000)
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, d := range ds {
		if err := w.Write(d); err != nil {
			b.Fatal(err)
		}
	}
	data := buf.Bytes()
	// The best of two runs, each from a collected heap, steadies the
	// reference against the garbage the set-up left.
	decode := time.Duration(math.MaxInt64)
	for range 2 {
		runtime.GC()
		t0 := time.Now()
		n := 0
		if err := Read(bytes.NewReader(data), func(Deal) error { n++; return nil }); err != nil || n != len(ds) {
			b.Fatalf("decoded %d of %d deals: %v", n, len(ds), err)
		}
		decode = min(decode, time.Since(t0))
	}
	runtime.GC()
	q := Query{Dim: dimension.Owner, AsOf: period.NewDate(2023, time.June, 30),
		From: period.NewDate(2023, time.January, 1), To: period.NewDate(2023, time.June, 30)}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	runs := 0
	var r Report
	for b.Loop() {
		var err error
		if r, err = Compute(ds, q); err != nil {
			b.Fatal(err)
		}
		runs++
	}
	if len(r.Groups) != 30 || r.Total.Closed.Won.Count == 0 || r.Total.Open.Count == 0 {
		b.Fatalf("%d groups, %d won, %d open: not the generated shape", len(r.Groups), r.Total.Closed.Won.Count, r.Total.Open.Count)
	}
	b.ReportMetric(float64(b.Elapsed())/float64(runs)/float64(decode), "x-decode")
}
