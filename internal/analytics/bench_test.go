package analytics

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
)

// genPurchase is a compact generated purchase: indices into genData's
// tables, so that 2,000,000 of them take 16 MB and turning one into a
// history.Purchase allocates nothing.
type genPurchase struct {
	customer int32
	day      int32
	revenue  int32
}

type genData struct {
	ids       []string
	days      []period.Date
	revenues  []string
	attrs     []map[dimension.Dimension]string
	attrOf    []int32
	purchases []genPurchase
}

func (g *genData) purchase(k int) history.Purchase {
	p := g.purchases[k]
	return history.Purchase{
		Customer: g.ids[p.customer], Day: g.days[p.day], Orders: 1, Lines: 3,
		Revenue: g.revenues[p.revenue], Attrs: g.attrs[g.attrOf[p.customer]],
	}
}

// generate makes customers × about perCustomer purchases over three years
// (2021–2023): each customer starts in the first year and buys at its own
// rate (a mix of heavy and occasional buyers), spread over the rest of the
// window; a tenth of purchase days appear twice, as if in a second file.
// The total is exactly customers × perCustomer.
func generate(customers, perCustomer int) *genData {
	rng := rand.New(rand.NewPCG(2024, 6))
	const window = 1095
	g := &genData{}
	start := period.NewDate(2021, time.January, 1)
	for d := range window {
		g.days = append(g.days, start.AddDays(d))
	}
	for k := range 2000 {
		g.revenues = append(g.revenues, fmt.Sprintf("%d.%02d", 5+k*k%997, k%100))
	}
	segs := []string{"Consumer", "Corporate", "Home Office", "Public"}
	sizes := []string{"1-10", "11-50", "51-200", "201-1000", "1000+"}
	inds := []string{"Retail", "Tech", "Health", "Finance", "Energy", "Media", "Education", "Logistics"}
	regions := []string{"North", "South", "East", "West"}
	for k := range 640 {
		g.attrs = append(g.attrs, map[dimension.Dimension]string{
			dimension.Segment: segs[k%4], dimension.Size: sizes[k/4%5], dimension.Industry: inds[k/20%8],
			dimension.Region: regions[k/160%4], dimension.Country: "C" + fmt.Sprint(k%7),
		})
	}
	total := customers * perCustomer
	counts := make([]int, customers)
	sum := 0
	for i := range counts {
		// Heavy-tailed purchase counts around the mean.
		u := rng.Float64()
		counts[i] = 1 + int(float64(2*perCustomer-2)*u*u*1.5)
		sum += counts[i]
	}
	for i := 0; sum != total; i = (i + 1) % customers {
		switch {
		case sum < total:
			counts[i]++
			sum++
		case counts[i] > 1:
			counts[i]--
			sum--
		}
	}
	g.purchases = make([]genPurchase, 0, total)
	for i, n := range counts {
		g.ids = append(g.ids, fmt.Sprintf("CUST-%07d", i))
		g.attrOf = append(g.attrOf, int32(rng.IntN(len(g.attrs))))
		first := rng.IntN(365)
		span := window - first
		for k := 0; k < n; k++ {
			d := first
			if k > 0 {
				d = first + rng.IntN(span)
			}
			if k > 0 && rng.IntN(10) == 0 && len(g.purchases) > 0 {
				d = int(g.purchases[len(g.purchases)-1].day) // same day, other file
			}
			g.purchases = append(g.purchases, genPurchase{customer: int32(i), day: int32(d), revenue: int32(rng.IntN(len(g.revenues)))})
		}
	}
	// Interleave customers as files would: in time order, customers in
	// random order within a day.
	rng.Shuffle(len(g.purchases), func(a, b int) { g.purchases[a], g.purchases[b] = g.purchases[b], g.purchases[a] })
	slices.SortStableFunc(g.purchases, func(a, b genPurchase) int { return cmp.Compare(a.day, b.day) })
	return g
}

func (g *genData) build(tb testing.TB) *Base {
	b := NewBuilder()
	for k := range g.purchases {
		if err := b.Add(g.purchase(k)); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Build()
}

// BenchmarkRecompute times each stage of a recompute over 100,000
// customers and 2,000,000 purchases. Run with
//
//	go test -run '^$' -bench Recompute -benchmem ./internal/analytics/
func BenchmarkRecompute(b *testing.B) {
	const customers, perCustomer = 100_000, 20
	g := generate(customers, perCustomer)
	base := g.build(b)
	if base.Len() != customers || len(g.purchases) != customers*perCustomer {
		b.Fatalf("generated %d customers, %d purchases", base.Len(), len(g.purchases))
	}
	ctx := context.Background()

	// build folds the purchases in time order (as files arrive); the
	// shuffled variant visits customers and days in random order, the worst
	// case for caches.
	shuffled := &genData{ids: g.ids, days: g.days, revenues: g.revenues, attrs: g.attrs, attrOf: g.attrOf, purchases: slices.Clone(g.purchases)}
	rand.New(rand.NewPCG(3, 3)).Shuffle(len(shuffled.purchases), func(a, b int) {
		shuffled.purchases[a], shuffled.purchases[b] = shuffled.purchases[b], shuffled.purchases[a]
	})
	for _, v := range []struct {
		name string
		g    *genData
	}{{"build", g}, {"build-shuffled", shuffled}} {
		b.Run(v.name, func(b *testing.B) {
			// Live heap of the Base alone, measured outside the timed loop.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			kept := v.g.build(b)
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(kept)
			b.ReportAllocs()
			for b.Loop() {
				v.g.build(b)
			}
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB-base")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(v.g.purchases)), "ns/purchase")
		})
	}
	b.Run("tiers", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a, err := Tiers(base, DefaultTierConfig())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.Summarize(base, dimension.Segment); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rfm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := RFM(base, RFMConfig{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Summarize(base, dimension.Segment); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, g := range []Grain{ByMonth, ByQuarter} {
		for _, d := range []dimension.Dimension{dimension.Total, dimension.Industry} {
			b.Run("bridge/"+string(g)+"/"+string(d), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Bridge(base, BridgeConfig{Grain: g, Dimension: d}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	var model CLVModel
	b.Run("fit-clv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fit, err := FitCLV(ctx, base, CLVConfig{})
			if err != nil {
				b.Fatal(err)
			}
			model = fit.Model
		}
	})
	b.Run("quadrants-clv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Quadrants(ctx, base, model, QuadrantConfig{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("quadrants-fake", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 1))
		p := &fakePredictor{preds: make([]Prediction, base.Len())}
		for i := range p.preds {
			p.preds[i] = Prediction{PAlive: rng.Float64(), ExpectedPurchases: rng.ExpFloat64(), CLV: 100 * rng.ExpFloat64()}
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Quadrants(ctx, base, p, QuadrantConfig{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lookalikes-10k", func(b *testing.B) {
		tiers, err := Tiers(base, DefaultTierConfig())
		if err != nil {
			b.Fatal(err)
		}
		seeds, _ := tiers.Members("A")
		prospects := make([]Prospect, 10_000)
		for i := range prospects {
			prospects[i] = Prospect{ID: fmt.Sprintf("P-%05d", i), Attrs: g.attrs[i%len(g.attrs)]}
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Lookalikes(base, seeds, prospects, LookalikeConfig{Limit: 100}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
