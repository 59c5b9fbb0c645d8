package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/salesgen"
	"github.com/salesseg/salesseg/internal/store"
)

// busyClock measures the wall time during which at least one call is in
// flight: calls that overlap count once.
type busyClock struct {
	mu     sync.Mutex
	flying int
	since  time.Time
	busy   time.Duration
}

// start marks a call begun and returns the function that marks it done.
func (b *busyClock) start() (done func()) {
	b.mu.Lock()
	if b.flying == 0 {
		b.since = time.Now()
	}
	b.flying++
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		if b.flying--; b.flying == 0 {
			b.busy += time.Since(b.since)
		}
		b.mu.Unlock()
	}
}

// elapsed returns the busy time of the calls done so far.
func (b *busyClock) elapsed() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.busy
}

// meteredDB counts DynamoDB write requests, the items they put by kind of
// partition (F# fragments, B# base, other: view, manifest, uploads) and
// the items they delete, the wall time with a call in flight, and when
// the write of an upload's final status came back.
type meteredDB struct {
	store.DB
	mu       sync.Mutex
	requests int64
	puts     map[string]int64
	deletes  int64
	clock    busyClock
	// final is when a PutItem of a succeeded or partially succeeded
	// upload status returned, in Unix nanoseconds; 0 before.
	final atomic.Int64
}

func newMeteredDB(db store.DB) *meteredDB {
	return &meteredDB{DB: db, puts: map[string]int64{}}
}

func itemKind(pk types.AttributeValue) string {
	s, _ := pk.(*types.AttributeValueMemberS)
	if s != nil && (strings.HasPrefix(s.Value, "F#") || strings.HasPrefix(s.Value, "B#")) {
		return s.Value[:2]
	}
	return "other"
}

func (c *meteredDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.mu.Lock()
	c.requests++
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			if r.PutRequest != nil {
				c.puts[itemKind(r.PutRequest.Item["pk"])]++
			} else {
				c.deletes++
			}
		}
	}
	c.mu.Unlock()
	defer c.clock.start()()
	return c.DB.BatchWriteItem(ctx, in, o...)
}

func (c *meteredDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.mu.Lock()
	c.requests++
	c.puts[itemKind(in.Item["pk"])]++
	c.mu.Unlock()
	stop := c.clock.start()
	out, err := c.DB.PutItem(ctx, in, o...)
	stop()
	if st, _ := in.Item["status"].(*types.AttributeValueMemberS); err == nil && st != nil &&
		(st.Value == store.StatusSucceeded || st.Value == store.StatusPartiallySucceeded) {
		c.final.Store(time.Now().UnixNano())
	}
	return out, err
}

func (c *meteredDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.mu.Lock()
	c.requests++
	c.puts[itemKind(in.Key["pk"])]++
	c.mu.Unlock()
	defer c.clock.start()()
	return c.DB.UpdateItem(ctx, in, o...)
}

func (c *meteredDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	defer c.clock.start()()
	return c.DB.GetItem(ctx, in, o...)
}

func (c *meteredDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	defer c.clock.start()()
	return c.DB.Query(ctx, in, o...)
}

// meteredBlobs measures the wall time with an S3 PutObject call in
// flight (the service's curated outputs) and adds up their bytes; their
// bodies are all seekable here.
type meteredBlobs struct {
	ingest.Blobs
	clock busyClock
	bytes atomic.Int64
}

func (m *meteredBlobs) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if sk, ok := in.Body.(io.Seeker); ok {
		if n, err := sk.Seek(0, io.SeekEnd); err == nil {
			m.bytes.Add(n)
		}
		if _, err := sk.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	defer m.clock.start()()
	return m.Blobs.PutObject(ctx, in, o...)
}

// benchMB reads a size in megabytes from the environment variable name,
// or returns def when it is unset.
func benchMB(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number of megabytes", name, v)
	}
	return n
}

// superstoreShape is a Superstore-like export: three years of daily dates,
// 5,000 customers, 3 segments, 4 regions and 3 categories.
func superstoreShape(rows int) salesgen.Shape {
	return salesgen.Shape{Rows: rows, Customers: 5000, From: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), Days: 1095,
		Segments: 3, Regions: 4, Categories: 3, Seed: 1}
}

// wideShape is salesgen.Wide of about mb megabytes.
func wideShape(b *testing.B, mb int) salesgen.Shape {
	s, err := salesgen.Wide(int64(mb) << 20)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func csvOf(b *testing.B, s salesgen.Shape) []byte {
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// customers counts the distinct customers of a parse's purchase history.
func customers(b *testing.B, res *parser.Result) int {
	seen := map[string]bool{}
	if err := res.Purchases(func(p history.Purchase) error { seen[p.Customer] = true; return nil }); err != nil {
		b.Fatal(err)
	}
	return len(seen)
}

// buckets counts the (dimension or pair, grain, month) buckets of a delta:
// what the store keeps one item (or a few pages) of, per file and in the
// base.
func buckets(d aggregate.Delta) int {
	seen := map[string]bool{}
	for k := range d {
		seen[string(k.Dim)+"#"+string(k.Grain)+"#"+k.Period[:7]] = true
	}
	return len(seen)
}

// BenchmarkIngestWrites ingests one generated file through the real
// service into the emulators (which compacts it into the base) and
// reports the DynamoDB writes of that one file: write requests, items put
// as fragments (F#) and as base (B#), and both per (dimension or pair ×
// grain × month) bucket of the file's delta, which should be about 1 each:
// writes grow with dimensions × months, not with rows, values or
// customers. Files: Superstore-like with 10,000 and 100,000 rows, and a
// high-cardinality one of SALESSEG_BENCH_WIDE_MB megabytes (default 40;
// see wideShape).
func BenchmarkIngestWrites(b *testing.B) {
	files := []struct {
		name  string
		shape salesgen.Shape
	}{
		{"superstore-rows=10000", superstoreShape(10_000)},
		{"superstore-rows=100000", superstoreShape(100_000)},
	}
	mb := benchMB(b, "SALESSEG_BENCH_WIDE_MB", 40)
	files = append(files, struct {
		name  string
		shape salesgen.Shape
	}{fmt.Sprintf("wide-%dMB", mb), wideShape(b, mb)})
	for _, f := range files {
		b.Run(f.name, func(b *testing.B) {
			data := csvOf(b, f.shape)
			res, err := parser.Parse(bytes.NewReader(data), "gen.csv", parser.NewCSVRejects(io.Discard))
			if err != nil {
				b.Fatal(err)
			}
			nb := float64(buckets(res.Delta))
			nc := float64(customers(b, res))
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				emu := emutest.Start(b)
				ev := upload(b, emu, "transactions/gen.csv", data, 1)
				db := newMeteredDB(emu.Clients.DynamoDB)
				svc := ingest.New(emu.Clients.S3, store.New(db, emu.Table), quiet, ingest.ServiceOptions{MaxRejectRate: 0.5})
				b.StartTimer()
				if err := svc.HandleS3(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(f.shape.Rows), "rows")
				b.ReportMetric(nc, "customers")
				b.ReportMetric(float64(db.requests), "write-requests/file")
				b.ReportMetric(float64(db.puts["F#"]), "fragment-items/file")
				b.ReportMetric(float64(db.puts["B#"]), "base-items/file")
				b.ReportMetric(float64(db.puts["other"]), "other-items/file")
				b.ReportMetric(nb, "buckets")
				b.ReportMetric(float64(db.puts["F#"])/nb, "fragment-items/bucket")
				b.ReportMetric(float64(db.puts["B#"])/nb, "base-items/bucket")
				emu.Close()
				b.StartTimer()
			}
		})
	}
}

// uploadFile is the file BenchmarkUploadToSucceeded uploads: the CSV named
// by SALESSEG_BENCH_FILE, or a generated high-cardinality one of
// SALESSEG_BENCH_WIDE_MB megabytes (default 40; see wideShape).
func uploadFile(b *testing.B) (name string, data []byte) {
	if path := os.Getenv("SALESSEG_BENCH_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return filepath.Base(path), data
	}
	mb := benchMB(b, "SALESSEG_BENCH_WIDE_MB", 40)
	return fmt.Sprintf("wide-%dmb.csv", mb), csvOf(b, wideShape(b, mb))
}

// noRecompute stands in for the recompute function, which the benchmark
// does not measure.
type noRecompute struct{}

func (noRecompute) Invoke(context.Context, []byte) ([]byte, error) { return nil, nil }

// BenchmarkUploadToSucceeded measures, in each iteration and on the same
// file, (a) the ingest core alone: parser.ParseWith from memory, and (b)
// upload to succeeded on the local stack: from putting the object into
// the emulated bucket, whose S3 event the ingest handler gets as Lambda
// would, until the handler's write of the succeeded status returns (a
// client polling GetUpload, as the benchmark does every 50 ms to check
// the status, sees it up to one poll later), and until the handler has
// returned (it compacts after setting the status). Each iteration has
// fresh emulators. It reports the medians, the ratios succeeded/core (the
// target is ≤ 3) and handled/core, the time until the poll saw the
// status, and where the time to succeeded went: wall time with a
// DynamoDB call in flight and with an S3 PutObject of the curated outputs
// (purchase history, deals) in flight, which overlap since both are
// written at once, and the bytes these outputs hold.
func BenchmarkUploadToSucceeded(b *testing.B) {
	name, data := uploadFile(b)
	b.SetBytes(int64(len(data)))
	var core, succeeded, polled, handled, inDB, inPut []time.Duration
	var putBytes int64
	var rows, buyers int
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		emu := emutest.Start(b)
		db := newMeteredDB(emu.Clients.DynamoDB)
		blobs := &meteredBlobs{Blobs: emu.Clients.S3}
		svc := ingest.New(blobs, store.New(db, emu.Table), quiet, ingest.ServiceOptions{MaxRejectRate: 0.5})
		st := store.New(emu.Clients.DynamoDB, emu.Table) // for polling, unmetered
		runCtx, cancel := context.WithCancel(ctx)
		d := emu.Dispatch(runCtx, lambda.NewHandler(svc.HandleS3), noRecompute{}, quiet, 24*time.Hour, 24*time.Hour)
		b.StartTimer()

		t0 := time.Now()
		res, err := parser.ParseWith(bytes.NewReader(data), name, parser.NewCSVRejects(io.Discard), parser.Options{})
		if err != nil {
			b.Fatal(err)
		}
		core = append(core, time.Since(t0))
		b.StopTimer()
		rows, buyers = int(res.Rows), customers(b, res)
		b.StartTimer()

		key := "transactions/" + name
		t0 = time.Now()
		put, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
			Body: bytes.NewReader(data)})
		if err != nil {
			b.Fatal(err)
		}
		id := ingest.FileID(emu.Bucket, key, aws.ToString(put.VersionId))
		for deadline := time.Now().Add(30 * time.Minute); ; {
			if time.Now().After(deadline) {
				b.Fatalf("upload %s not finished after 30 minutes", id)
			}
			u, err := st.GetUpload(ctx, id)
			if err == nil && u.Status != store.StatusProcessing {
				if u.Status != store.StatusSucceeded && u.Status != store.StatusPartiallySucceeded {
					b.Fatalf("upload %s: %s %s", id, u.Status, u.Error)
				}
				if u.Accepted != res.Accepted {
					b.Fatalf("upload accepted %d rows, the core %d", u.Accepted, res.Accepted)
				}
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		polled = append(polled, time.Since(t0))
		// The poll can see the status before its write has come back.
		for wait := 0; db.final.Load() == 0; wait++ {
			if wait == 5000 {
				b.Fatalf("upload %s reads succeeded, but its status write has not come back", id)
			}
			time.Sleep(time.Millisecond)
		}
		succeeded = append(succeeded, time.Unix(0, db.final.Load()).Sub(t0))
		inDB = append(inDB, db.clock.elapsed())
		inPut = append(inPut, blobs.clock.elapsed())
		putBytes = blobs.bytes.Load()
		if err := d.Idle(ctx); err != nil {
			b.Fatal(err)
		}
		handled = append(handled, time.Since(t0))
		b.StopTimer()
		cancel()
		emu.Close()
		b.StartTimer()
	}
	median := func(xs []time.Duration) time.Duration {
		s := append([]time.Duration(nil), xs...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(buyers), "customers")
	b.ReportMetric(median(core).Seconds(), "core-s")
	b.ReportMetric(median(succeeded).Seconds(), "to-succeeded-s")
	b.ReportMetric(median(polled).Seconds(), "to-polled-s")
	b.ReportMetric(median(handled).Seconds(), "to-handled-s")
	b.ReportMetric(float64(median(succeeded))/float64(median(core)), "succeeded/core")
	b.ReportMetric(float64(median(handled))/float64(median(core)), "handled/core")
	b.ReportMetric(median(inDB).Seconds(), "dynamodb-s")
	b.ReportMetric(median(inPut).Seconds(), "s3-put-s")
	b.ReportMetric(float64(putBytes)/float64(len(data)), "put-bytes/file-bytes")
}
