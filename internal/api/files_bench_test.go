package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/salesgen"
	"github.com/salesseg/salesseg/internal/store"
)

// benchInts reads a comma-separated list of positive integers from the
// environment variable name, or returns def when it is unset.
func benchInts(b *testing.B, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want positive integers separated by commas", name, v)
		}
		out = append(out, n)
	}
	return out
}

// costQueries are the queries whose cost must not depend on how many files
// the same rows came in: a year's breakdown (with its comparison ranges),
// a month trend over the whole span, a quarter's KPIs, an ISO week's
// breakdown (day buckets) and a dimension's values.
var costQueries = []struct{ name, target string }{
	{"breakdown-year", "/v1/segments?dimension=segment&period=2024"},
	{"trend-36-months", "/v1/trend?dimension=segment&grain=month&from=2022-01&to=2024-12"},
	{"kpis-quarter", "/v1/kpis?period=2024-Q2"},
	{"breakdown-week", "/v1/segments?dimension=country&period=2024-W10"},
	{"values", "/v1/dimensions/country/values"},
}

// costShape is the sales the benchmark uploads: three years of daily
// dates (2022–2024), SALESSEG_BENCH_ROWS order lines (default 50,000) of
// 5,000 customers, 5 segments, 6 regions, 40 countries, 20 categories and
// 5 channels.
func costShape(b *testing.B) salesgen.Shape {
	return salesgen.Shape{Rows: benchInts(b, "SALESSEG_BENCH_ROWS", []int{50_000})[0], Customers: 5000,
		From: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Days: 1096,
		Segments: 5, Regions: 6, Countries: 40, Categories: 20, Channels: 5, Seed: 13}
}

// costStats is one query's cost at one number of files.
type costStats struct {
	requests, items, itemsBeforeGC float64
	// lat is each call's time in the handler; inDB the part of it spent
	// inside DynamoDB calls (the emulator and the wire).
	lat, inDB []time.Duration
}

func (s *costStats) p50() time.Duration { return percentile(s.lat, 0.50) }
func (s *costStats) p99() time.Duration { return percentile(s.lat, 0.99) }

// ownP99 is the p99 of each call's time outside DynamoDB calls.
func (s *costStats) ownP99() time.Duration {
	own := make([]time.Duration, len(s.lat))
	for i := range s.lat {
		own[i] = s.lat[i] - s.inDB[i]
	}
	return percentile(own, 0.99)
}

// BenchmarkQueryCostByFiles uploads the same rows as N files split by date
// (N from SALESSEG_BENCH_FILES, default 1,10,100), each N on its own
// local stack: every file is put into the emulated bucket, whose S3 event
// the real ingest handler gets as Lambda would (it ingests, then
// compacts). After the uploads, one more compaction runs with the store's
// clock past store.Grace, so that superseded base generations are
// collected, as the scheduled compaction does on AWS.
//
// Then, per query of costQueries, each of the b.N rounds runs the query
// once on every stack through the API handler (API Gateway events in
// process), on a store that counts DynamoDB requests and items read;
// rounds alternate the stacks so that a busy moment of a shared machine
// hits every N alike. Every N must give byte-identical responses, and the
// quarter's revenue must be the generated one.
//
// It prints, per query and N, requests and items per call, items per call
// before the collecting compaction, p50 and p99, the p99 of the time
// outside DynamoDB calls (own-p99: ours, where the rest is the emulator's
// and the wire's), and the table's items by kind; it reports for the
// largest N its p50, p99, requests and items per call and the ratios to
// the smallest N (p50-ratio, p99-ratio, items-ratio; the target is
// ≤ 1.5). The default takes two to three
// minutes; SALESSEG_BENCH_FILES=1,10,100,1000 (the measure) adds
// 1,000 uploads, 10 to 15 minutes on a 2-core machine. Use
// -benchtime=1000x for steadier percentiles (make bench-e2e does).
func BenchmarkQueryCostByFiles(b *testing.B) {
	ns := benchInts(b, "SALESSEG_BENCH_FILES", []int{1, 10, 100})
	shape := costShape(b)
	wantQ2, err := revenueBetween(shape, "2024-04-01", "2024-06-30")
	if err != nil {
		b.Fatal(err)
	}
	stacks := make([]*costStack, len(ns))
	for i, n := range ns {
		stacks[i] = uploadFiles(b, shape, n)
		stacks[i].itemsBeforeGC(b)
		stacks[i].collect(b)
	}
	final := map[string][]*costStats{}
	for _, q := range costQueries {
		req := request(http.MethodGet, q.target, true)
		b.Run(q.name, func(b *testing.B) {
			ctx := context.Background()
			stats := make([]*costStats, len(stacks))
			var want string
			call := func(cs *costStack) (resp string, calls, items int64, took, inDB time.Duration) {
				c0, i0, n0 := cs.db.calls.Load(), cs.db.items.Load(), cs.db.nanos.Load()
				t0 := time.Now()
				r, _ := cs.api.Handle(ctx, req)
				took = time.Since(t0)
				if r.StatusCode != 200 {
					b.Fatalf("%d files: status %d: %s", cs.n, r.StatusCode, r.Body)
				}
				if want == "" {
					want = r.Body
				}
				if r.Body != want {
					b.Fatalf("%d files answer differently from %d:\n%s\nwant\n%s", cs.n, ns[0], r.Body, want)
				}
				return r.Body, cs.db.calls.Load() - c0, cs.db.items.Load() - i0, took, time.Duration(cs.db.nanos.Load() - n0)
			}
			for i, cs := range stacks {
				for range 3 { // warm up connections and caches
					call(cs)
				}
				stats[i] = &costStats{itemsBeforeGC: cs.before[q.name], lat: make([]time.Duration, 0, b.N), inDB: make([]time.Duration, 0, b.N)}
			}
			b.ResetTimer()
			for round := range b.N {
				for k := range stacks {
					i := (round + k) % len(stacks)
					_, calls, items, took, inDB := call(stacks[i])
					s := stats[i]
					s.requests += float64(calls) / float64(b.N)
					s.items += float64(items) / float64(b.N)
					s.lat = append(s.lat, took)
					s.inDB = append(s.inDB, inDB)
				}
			}
			b.StopTimer()
			if q.name == "kpis-quarter" {
				var k KPIs
				if err := jsonUnmarshal(want, &k); err != nil {
					b.Fatal(err)
				}
				if got := decimal.MustParse(k.Revenue); got.Cmp(wantQ2) != 0 {
					b.Fatalf("2024-Q2 revenue %s, want %s as generated", got, wantQ2)
				}
			}
			first, last := stats[0], stats[len(stats)-1]
			b.ReportMetric(ms(last.p50()), "p50-ms")
			b.ReportMetric(ms(last.p99()), "p99-ms")
			b.ReportMetric(last.requests, "db-requests/op")
			b.ReportMetric(last.items, "items/op")
			b.ReportMetric(float64(last.p50())/float64(first.p50()), "p50-ratio")
			b.ReportMetric(float64(last.p99())/float64(first.p99()), "p99-ratio")
			b.ReportMetric(last.items/first.items, "items-ratio")
			final[q.name] = stats // the last run, with the most calls
		})
	}
	fmt.Printf("%-16s %6s %9s %9s %16s %8s %8s %11s\n", "query", "files", "requests", "items", "items-before-gc", "p50-ms", "p99-ms", "own-p99-ms")
	for _, q := range costQueries {
		stats := final[q.name]
		if stats == nil {
			continue // filtered out with -bench
		}
		for i, s := range stats {
			fmt.Printf("%-16s %6d %9.1f %9.1f %16.1f %8.2f %8.2f %11.2f\n", q.name, ns[i], s.requests, s.items, s.itemsBeforeGC, ms(s.p50()), ms(s.p99()), ms(s.ownP99()))
		}
		first, last := stats[0], stats[len(stats)-1]
		fmt.Printf("%-16s %d/%d files: p50 ×%.2f, p99 ×%.2f, items ×%.2f (%d calls per N)\n", q.name, ns[len(ns)-1], ns[0],
			float64(last.p50())/float64(first.p50()), float64(last.p99())/float64(first.p99()), last.items/first.items, len(last.lat))
	}
}

// revenueBetween sums the generated sales of days from through to.
func revenueBetween(shape salesgen.Shape, from, to string) (decimal.Decimal, error) {
	var cents int64
	err := shape.Each(func(r salesgen.Row) error {
		if d := r.Day.Format("2006-01-02"); d >= from && d <= to {
			cents += r.SalesCents
		}
		return nil
	})
	return decimal.MustNew(cents, 2), err
}

// costStack is a local stack holding the rows uploaded as N files.
type costStack struct {
	emu *devstack.Emulators
	st  *store.Store // the ingest service's
	// clock is st's time, in Unix nanoseconds: uploadFiles moves it on by
	// uploadGap before each file and collect past the grace period.
	clock *atomic.Int64
	db    *timedDB // the API's
	api   *Service
	n     int
	// before holds each query's items per call before the collecting
	// compaction.
	before map[string]float64
}

// uploadGap is the time between two uploads on the store's clock. Daily
// exports arrive a day apart, so by the next upload the base generations
// one superseded are past store.Grace and its compaction collects them,
// as on AWS. Without it, a thousand uploads within four minutes of real
// time would pile up every superseded generation (969 of a month each,
// about 65,000 base items, for the default shape) until the final
// collect.
const uploadGap = time.Hour

// uploadFiles starts emulators, splits the rows into n files by date and
// uploads them one after the other, each handled by the ingest function
// before the next is put and uploadGap after it on the store's clock, and
// checks that every upload succeeded.
func uploadFiles(b *testing.B, shape salesgen.Shape, n int) *costStack {
	b.Helper()
	ctx := context.Background()
	files, err := shape.Split(n)
	if err != nil {
		b.Fatal(err)
	}
	emu := emutest.Start(b)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	clock := &atomic.Int64{}
	clock.Store(time.Now().UnixNano())
	st.SetClock(func() time.Time { return time.Unix(0, clock.Load()) })
	log := slog.New(slog.DiscardHandler)
	svc := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := emu.Dispatch(runCtx, lambda.NewHandler(svc.HandleS3), noRecompute{}, log, 24*time.Hour, 24*time.Hour)
	t0 := time.Now()
	keys := make([]string, n)
	for k, f := range files {
		if k > 0 {
			clock.Add(int64(uploadGap))
		}
		keys[k] = fmt.Sprintf("transactions/daily/export-%04d.csv", k)
		if _, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(keys[k]),
			Body: bytes.NewReader(f)}); err != nil {
			b.Fatal(err)
		}
		if err := d.Idle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(t0)
	for _, k := range keys {
		e, ok, err := st.Object(ctx, k)
		if err != nil || !ok {
			b.Fatalf("%s: no manifest entry (%v)", k, err)
		}
		if u, err := st.GetUpload(ctx, e.File); err != nil || u.Status != store.StatusSucceeded {
			b.Fatalf("%s: upload %+v, %v", k, u, err)
		}
	}
	// A parent benchmark's log shows only with -v: print instead.
	fmt.Printf("files=%d: uploaded %d rows in %s (%.0f ms a file)\n", n, shape.Rows, took.Round(time.Millisecond), ms(took)/float64(n))
	// The API gets SDK clients of its own, as the API function has on
	// AWS, not the ingest's, whose connections just carried the uploads.
	own, err := awsconf.Load(ctx, awsconf.Endpoints{S3: emu.S3URL, DynamoDB: emu.DDBURL})
	if err != nil {
		b.Fatal(err)
	}
	db := &timedDB{DB: own.DynamoDB}
	return &costStack{emu: emu, st: st, clock: clock, db: db, api: New(store.New(db, emu.Table), nil, log, Options{}), n: n}
}

// itemsBeforeGC runs every query once and records the items it read.
func (cs *costStack) itemsBeforeGC(b *testing.B) {
	b.Helper()
	cs.before = map[string]float64{}
	for _, q := range costQueries {
		i0 := cs.db.items.Load()
		if resp, _ := cs.api.Handle(context.Background(), request(http.MethodGet, q.target, true)); resp.StatusCode != 200 {
			b.Fatalf("%s: status %d: %s", q.name, resp.StatusCode, resp.Body)
		}
		cs.before[q.name] = float64(cs.db.items.Load() - i0)
	}
}

// collect runs one compaction with the clock past the grace period, so
// that superseded generations are deleted, and prints what it did and the
// table's items by kind.
func (cs *costStack) collect(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	// Past Grace, and past the lease a compaction interrupted on a busy
	// machine may have left (ten minutes), as a later scheduled run is.
	cs.clock.Add(int64(store.Grace + 15*time.Minute))
	c, err := cs.st.Compact(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if c.Pending != 0 || c.Folded != 0 {
		b.Fatalf("files left pending after every upload compacted: %+v", c)
	}
	counts := map[string]int{}
	p := dynamodb.NewScanPaginator(cs.emu.Clients.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(cs.emu.Table),
		ProjectionExpression: aws.String("pk")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, item := range out.Items {
			pk, _ := item["pk"].(*types.AttributeValueMemberS)
			if pk == nil {
				b.Fatalf("item without a string pk: %v", item)
			}
			counts[itemKind(pk.Value)]++
		}
	}
	fmt.Printf("files=%d: the collecting compaction deleted %d garbage entries; items after it: fragments (F#) %d, base (B#) %d, other %d\n",
		cs.n, c.Collected, counts["F#"], counts["B#"], counts["other"])
}

// itemKind groups a partition key by the item kinds of the table design.
func itemKind(pk string) string {
	for _, p := range []string{"F#", "B#"} {
		if strings.HasPrefix(pk, p) {
			return p
		}
	}
	return "other"
}
