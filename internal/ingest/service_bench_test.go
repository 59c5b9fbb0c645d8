package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/store"
)

// countingDB counts DynamoDB write requests and the items they carry.
type countingDB struct {
	store.DB
	requests, items atomic.Int64
}

func (c *countingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.requests.Add(1)
	for _, reqs := range in.RequestItems {
		c.items.Add(int64(len(reqs)))
	}
	return c.DB.BatchWriteItem(ctx, in, o...)
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.requests.Add(1)
	c.items.Add(1)
	return c.DB.PutItem(ctx, in, o...)
}

func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.requests.Add(1)
	c.items.Add(1)
	return c.DB.UpdateItem(ctx, in, o...)
}

// salesCSV generates rows of Superstore-like sales over three years, with
// 3 segments, 4 regions and 3 categories, from a fixed seed.
func salesCSV(rows int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("Order Date,Order ID,Customer ID,Segment,Region,Category,Sales,Profit\n")
	segs := []string{"Consumer", "Corporate", "Home Office"}
	regions := []string{"East", "West", "Central", "South"}
	cats := []string{"Furniture", "Office Supplies", "Technology"}
	for i := range rows {
		fmt.Fprintf(&b, "%d/%d/%d,O-%d,C-%d,%s,%s,%s,%d.%02d,%d.%02d\n",
			r.IntN(12)+1, r.IntN(28)+1, 2021+r.IntN(3), i/3, r.IntN(5000),
			segs[r.IntN(3)], regions[r.IntN(4)], cats[r.IntN(3)], r.IntN(2000), r.IntN(100), r.IntN(200)-100, r.IntN(100))
	}
	return b.Bytes()
}

// BenchmarkIngestWrites ingests a generated file through the real service
// into the emulators and reports DynamoDB write requests and items per
// million rows, and items per distinct aggregate key: writes must grow with
// keys, not rows.
func BenchmarkIngestWrites(b *testing.B) {
	for _, rows := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			data := salesCSV(rows)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				emu := emutest.Start(b)
				ev := upload(b, emu, "transactions/gen.csv", data, 1)
				cdb := &countingDB{DB: emu.Clients.DynamoDB}
				svc := ingest.New(emu.Clients.S3, store.New(cdb, emu.Table), quiet, ingest.ServiceOptions{MaxRejectRate: 0.5})
				b.StartTimer()
				if err := svc.HandleS3(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				res, err := parser.Parse(bytes.NewReader(data), "gen.csv", parser.NewCSVRejects(&bytes.Buffer{}))
				if err != nil {
					b.Fatal(err)
				}
				keys := float64(len(res.Delta))
				b.ReportMetric(float64(cdb.requests.Load())*1e6/float64(rows), "write-requests/Mrows")
				b.ReportMetric(float64(cdb.items.Load())*1e6/float64(rows), "items/Mrows")
				b.ReportMetric(float64(cdb.items.Load())/keys, "items/key")
				emu.Close()
				b.StartTimer()
			}
		})
	}
}
