package recompute

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
)

// population generates customers from the BG/NBD and Gamma-Gamma stories
// with known parameters (in weeks), each from a seed of its own, so that
// any shard's customers are generated without the others: the whole
// population never has to be in memory, as it never is in a deployed
// recompute.
type population struct {
	customers int
	// r, alpha, a, b are BG/NBD's; p, q, gamma Gamma-Gamma's.
	r, alpha, a, b, p, q, gamma float64
	first, end                  period.Date
	byShard                     [][]int32
}

// newPopulation returns customers customers whose first purchases are
// spread over the four years before end, split into n shards. The
// parameters give about 21 purchase days per customer over the data.
func newPopulation(customers, n int) *population {
	end := period.NewDate(2025, 12, 31)
	p := &population{customers: customers, r: 2, alpha: 5, a: 0.6, b: 10, p: 6, q: 4, gamma: 20,
		first: end.AddDays(-1461), end: end, byShard: make([][]int32, n)}
	for i := range customers {
		s := shard.Of(p.id(i), n)
		p.byShard[s] = append(p.byShard[s], int32(i))
	}
	return p
}

func (p *population) id(i int) string { return "C" + strconv.Itoa(10_000_000+i) }

// purchases calls fn with customer i's purchases, one per day with any.
func (p *population) purchases(i int, fn func(history.Purchase) error) error {
	rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	lambda := distuv.Gamma{Alpha: p.r, Beta: p.alpha, Src: rng}.Rand() // purchases per week
	drop := distuv.Beta{Alpha: p.a, Beta: p.b, Src: rng}.Rand()
	nu := distuv.Gamma{Alpha: p.q, Beta: p.gamma, Src: rng}.Rand()
	spend := distuv.Gamma{Alpha: p.p, Beta: nu, Src: rng}
	span := p.end.DaysSince(p.first)
	day := p.first.AddDays(rng.IntN(span + 1))
	attrs := map[dimension.Dimension]string{
		dimension.Segment: []string{"Consumer", "Corporate", "Home Office", "Small Business", "Public"}[i%5],
		dimension.Region:  []string{"East", "West", "Central", "South", "North", "Overseas"}[(i/5)%6],
		dimension.Country: "Country " + strconv.Itoa((i/30)%40),
	}
	id := p.id(i)
	start := day
	days, repeat := 0.0, false
	for {
		cents := int64(math.Round(spend.Rand()*100)) + 1
		err := fn(history.Purchase{Customer: id, Day: day, Orders: 1, Lines: 1,
			Revenue: strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100), Attrs: attrs})
		if err != nil {
			return err
		}
		if repeat && rng.Float64() < drop {
			return nil // gone after a repeat purchase
		}
		// Time runs on continuously and is rounded to the day, as daily
		// data rounds it; a purchase drawn on a day that already has one
		// is put on the next day, as a history holds one purchase per
		// customer and day: merged, it would lower the purchase rate
		// the fit recovers (by 5% at these parameters).
		days += 7 * rng.ExpFloat64() / lambda
		day, repeat = max(start.AddDays(int(days)), day.AddDays(1)), true
		if day > p.end {
			return nil
		}
	}
}

// load builds shard s's base, adding each purchase to h too when it is
// not nil, as the assign step does.
func (p *population) load(s int, h *Holdout) (*analytics.Base, error) {
	b := analytics.NewBuilder()
	add := fold(b, h)
	for _, i := range p.byShard[s] {
		if err := p.purchases(int(i), add); err != nil {
			return nil, err
		}
	}
	return b.Build(), nil
}

// all builds the whole population's base.
func (p *population) all() (*analytics.Base, error) {
	b := analytics.NewBuilder()
	for i := range p.customers {
		if err := p.purchases(i, b.Add); err != nil {
			return nil, err
		}
	}
	return b.Build(), nil
}

// peakRSS returns the process's peak resident set in MB, from Linux's
// /proc (0 elsewhere).
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// resetPeak frees what the runtime holds and resets the process's peak
// RSS to its current RSS (Linux's clear_refs), so that peakRSS then
// measures one step.
func resetPeak() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// BenchmarkShardedRecompute runs the sharded computation step by step, as
// the state machine does (SummarizeShard on every shard, PlanShards,
// AssignShard with its holdout part on every shard, the merge and
// CheckHoldout; 2 workers), on a generated
// population of SALESSEG_BENCH_CUSTOMERS customers (default 100,000;
// about 21 purchase days each from a BG/NBD process with known
// parameters, over four years of daily dates; 5 segments, 6 regions, 40
// countries) in SALESSEG_BENCH_SHARDS shards (default 256), then, up to
// SALESSEG_BENCH_WHOLE customers (default 1,000,000), the single-function
// Analyze on the whole base as the reference, in the same process. It
// prints each step's peak RSS (a shard step's is the largest of its
// shards run two at a time), time per million purchases, the slowest
// shard, the CLV parameters' largest relative error against the
// generating ones, and the projected wall time on AWS with 10 and 100
// shards at once (two waves of shard steps at the slowest shard's time,
// plus the fit and the merge with the holdout check). Steps hand their outputs on through files,
// as deployed ones do through S3. make bench-recompute runs it with
// GOMEMLIMIT=450MiB, a 512 MB function's soft limit;
// SALESSEG_BENCH_REDUCE_MEMLIMIT_MB sets another for the fit and the
// publish (the merge and the holdout check).
func BenchmarkShardedRecompute(b *testing.B) {
	customers := envInt(b, "SALESSEG_BENCH_CUSTOMERS", 100_000)
	n := envInt(b, "SALESSEG_BENCH_SHARDS", shard.Default)
	whole := envInt(b, "SALESSEG_BENCH_WHOLE", 1_000_000)
	pop := newPopulation(customers, n)
	ctx := context.Background()
	for b.Loop() {
		var mu sync.Mutex
		var slowest time.Duration
		var purchases int64
		timed := func(s int, h *Holdout, fn func(*analytics.Base) error) error {
			start := time.Now()
			base, err := pop.load(s, h)
			if err != nil {
				return err
			}
			if err := fn(base); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, time.Since(start))
			for i := range base.Customers {
				purchases += int64(base.Customers[i].PurchaseDays)
			}
			return nil
		}
		start := time.Now()
		resetPeak()
		// Each step's output goes to a file, as a deployed step puts it in
		// S3, and the next step reads it back.
		dir := b.TempDir()
		file := func(kind string, s int) string { return filepath.Join(dir, kind+strconv.Itoa(s)+".gob") }
		counts, holdoutCounts := make([]int, n), make([]int, n)
		err := eachShard(ctx, n, 2, func(_ context.Context, s int) error {
			return timed(s, nil, func(base *analytics.Base) error {
				sum := SummarizeShard(s, base)
				counts[s] = len(sum.Customers)
				return writeGob(file("summary", s), sum)
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		summarizeRSS := peakRSS()
		resetPeak()
		// The fit and the publish are one function each however many
		// shards there are: a deployment gives them the memory they need
		// (see README).
		limit := debug.SetMemoryLimit(-1)
		reduce := func() {
			if mb := envInt(b, "SALESSEG_BENCH_REDUCE_MEMLIMIT_MB", 0); mb > 0 {
				debug.SetMemoryLimit(int64(mb) << 20)
			}
		}
		reduce()
		fitStart := time.Now()
		plan, err := PlanShards(ctx, counts, func(s int) (ShardSummary, error) {
			var sum ShardSummary
			readGob(b, file("summary", s), &sum)
			return sum, nil
		}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		fitTime, fitRSS := time.Since(fitStart), peakRSS()
		debug.SetMemoryLimit(limit)
		resetPeak()
		err = eachShard(ctx, n, 2, func(_ context.Context, s int) error {
			h := NewHoldout(plan.HoldoutEnd)
			return timed(s, h, func(base *analytics.Base) error {
				res, err := plan.AssignShard(s, base, nil, nil)
				if err != nil {
					return err
				}
				part := h.Part()
				holdoutCounts[s] = len(part.Customers)
				if err := writeGob(file("holdout", s), part); err != nil {
					return err
				}
				return writeGob(file("result", s), res)
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		assignRSS := peakRSS()
		resetPeak()
		reduce()
		mergeStart := time.Now()
		merger := plan.NewMerger()
		for s := range n {
			var res ShardResult
			readGob(b, file("result", s), &res)
			if err := merger.Add(res); err != nil {
				b.Fatal(err)
			}
		}
		snap, err := merger.Snapshot(nil)
		if err != nil {
			b.Fatal(err)
		}
		merger = nil
		check, err := CheckHoldout(ctx, plan.HoldoutEnd, holdoutCounts, func(s int) (HoldoutPart, error) {
			var part HoldoutPart
			readGob(b, file("holdout", s), &part)
			return part, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		mergeTime, mergeRSS := time.Since(mergeStart), peakRSS()
		debug.SetMemoryLimit(limit)
		elapsed := time.Since(start)
		if snap.Meta.Customers != customers || snap.Meta.CLV == nil || snap.Meta.CLVStatus != string(analytics.CLVFitted) {
			b.Fatalf("%d customers, CLV %s: %s", snap.Meta.Customers, snap.Meta.CLVStatus, snap.Meta.CLVReason)
		}
		if check.Report == nil {
			b.Fatalf("no holdout check: %s", check.Reason)
		}
		purchases /= 2 // two passes
		m := snap.Meta.CLV
		relErr := func(got, want float64) float64 { return math.Abs(got-want) / want }
		b.ReportMetric(float64(purchases), "purchases")
		b.ReportMetric(elapsed.Seconds()/(float64(purchases)/1e6), "s/Mpurchase")
		b.ReportMetric(slowest.Seconds(), "s-slowest-shard")
		b.ReportMetric(summarizeRSS, "MB-RSS-summarize")
		b.ReportMetric(fitRSS, "MB-RSS-fit")
		b.ReportMetric(assignRSS, "MB-RSS-assign")
		b.ReportMetric(mergeRSS, "MB-RSS-merge")
		b.ReportMetric(max(relErr(m.R, pop.r), relErr(m.Alpha, pop.alpha), relErr(m.A, pop.a), relErr(m.B, pop.b)), "bgnbd-max-rel-err")
		hold := check.Report.Total
		b.ReportMetric(float64(hold.Predicted)/float64(hold.Actual), "holdout-predicted/actual")
		for _, conc := range []int{10, 100} {
			waves := (n + conc - 1) / conc
			b.ReportMetric((2*time.Duration(waves)*slowest + fitTime + mergeTime).Seconds(), fmt.Sprintf("s-on-AWS-%d-at-once", conc))
		}
		b.Logf("%d customers, %d purchases, %d shards: %.1f s (%.2f s per million purchases), slowest shard %.2f s, fit %.1f s, merge %.1f s; "+
			"BG/NBD r %.3f α %.3f a %.3f b %.3f (generated %.3g %.3g %.3g %.3g); peak RSS summarize %.0f MB, fit %.0f MB, assign %.0f MB, merge %.0f MB; "+
			"holdout from %s: %d purchase days of %d customers, %.0f predicted",
			customers, purchases, n, elapsed.Seconds(), elapsed.Seconds()/(float64(purchases)/1e6), slowest.Seconds(), fitTime.Seconds(), mergeTime.Seconds(),
			m.R, m.Alpha, m.A, m.B, pop.r, pop.alpha, pop.a, pop.b, summarizeRSS, fitRSS, assignRSS, mergeRSS,
			check.Report.From, hold.Actual, hold.Customers, float64(hold.Predicted))
		if customers > whole {
			continue
		}
		resetPeak()
		start = time.Now()
		base, err := pop.all()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Analyze(ctx, base, nil, nil, time.Time{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds()/elapsed.Seconds(), "whole/sharded-time")
		b.ReportMetric(peakRSS(), "MB-RSS-whole")
	}
}

// writeGob writes v gob-encoded to a file.
func writeGob(name string, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o600)
}

// readGob reads a file writeGob wrote into v.
func readGob(b *testing.B, name string, v any) {
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		b.Fatal(err)
	}
}

// envInt reads a positive whole number from the environment, def when
// unset.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}
