package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/store"
)

// timedDB measures the time spent inside DynamoDB read calls, so handler
// time can be split into emulator time and our own, and counts the calls
// and the items they return (one per GetItem that finds its item).
type timedDB struct {
	store.DB
	nanos atomic.Int64
	calls atomic.Int64
	items atomic.Int64
}

func (d *timedDB) since(t time.Time) { d.nanos.Add(int64(time.Since(t))); d.calls.Add(1) }

func (d *timedDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	defer d.since(time.Now())
	out, err := d.DB.GetItem(ctx, in, o...)
	if err == nil && len(out.Item) > 0 {
		d.items.Add(1)
	}
	return out, err
}

func (d *timedDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	defer d.since(time.Now())
	out, err := d.DB.Query(ctx, in, o...)
	if err == nil {
		d.items.Add(int64(len(out.Items)))
	}
	return out, err
}

func percentile(xs []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkBreakdown36Months50Segments runs the segment breakdown of a
// 36-month × 50-value table in process (API Gateway event in, response
// out) against dynalite, and in the same run the raw store.Query of the
// same months. It reports the handler's p50 and p99, its p99 without the
// time spent inside DynamoDB calls, DynamoDB requests per call, and the
// ratio of handler to raw Query time (p50), which separates our work from
// the emulator's. Run with e.g. -benchtime=200x.
func BenchmarkBreakdown36Months50Segments(b *testing.B) {
	ctx := context.Background()
	emu := emutest.Start(b)
	db := &timedDB{DB: emu.Clients.DynamoDB}
	st := store.New(db, emu.Table)
	d := aggregate.Delta{}
	for m := 0; m < 36; m++ {
		period := fmt.Sprintf("%04d-%02d", 2022+m/12, m%12+1)
		for v := 0; v < 50; v++ {
			meas := aggregate.Measures{Revenue: decimal.MustNew(int64(100000+v*1000+m*37), 2), Cost: decimal.MustNew(int64(50000+v*100), 2),
				Units: decimal.MustNew(int64(10+v), 0), Lines: int64(20 + v), Orders: int64(10 + v), CostLines: int64(20 + v)}
			if err := d.Add(aggregate.Key{Dim: dimension.Segment, Value: fmt.Sprintf("Segment %02d", v), Grain: aggregate.Month, Period: period}, meas); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := st.PutFragments(ctx, "transactions/bench.csv", "bench-file", d); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Commit(ctx, "transactions/bench.csv", "01", "bench-file"); err != nil {
		b.Fatal(err)
	}
	svc := New(st, nil, nil, Options{})
	req := request(http.MethodGet, "/v1/segments?dimension=segment&from=2022-01&to=2024-12", true)
	for range 5 { // warm up connections and caches
		if resp, _ := svc.Handle(ctx, req); resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
	}
	var handler, own, query []time.Duration
	requests := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := db.nanos.Load()
		t0 := time.Now()
		resp, _ := svc.Handle(ctx, req)
		total := time.Since(t0)
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		n, _ := strconv.Atoi(resp.Headers[DBRequestsHeader])
		requests += n
		handler = append(handler, total)
		own = append(own, total-time.Duration(db.nanos.Load()-before))
	}
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rows, _, err := st.Query(ctx, dimension.Segment, aggregate.Month, "2022-01", "2024-12")
		if err != nil || len(rows) != 1800 {
			b.Fatalf("query: %d rows, %v", len(rows), err)
		}
		query = append(query, time.Since(t0))
	}
	b.ReportMetric(ms(percentile(handler, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(handler, 0.99)), "p99-ms")
	b.ReportMetric(ms(percentile(own, 0.50)), "p50-excl-db-ms")
	b.ReportMetric(ms(percentile(own, 0.99)), "p99-excl-db-ms")
	b.ReportMetric(ms(percentile(query, 0.50)), "query-p50-ms")
	b.ReportMetric(float64(requests)/float64(b.N), "db-requests/op")
	b.ReportMetric(float64(percentile(handler, 0.50))/float64(percentile(query, 0.50)), "handler/query")
}
