package ingest_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/pipeline"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/store"
)

// TestLookupsEnrichDeals uploads the CRM pipeline with its products and
// teams files in either order: revenue by manager and by product series
// equals a plain reading of the CSVs, the pipeline's deals are kept with
// their attributes and list prices, and deleting the teams file takes the
// managers out again.
func TestLookupsEnrichDeals(t *testing.T) {
	ctx := context.Background()
	read := func(name string) []byte {
		b, err := os.ReadFile(shareddata.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	manager, series := map[string]string{}, map[string]string{}
	for _, r := range shareddata.CSV(t, "crm_sales_teams.csv")[1:] {
		manager[r[0]] = r[1]
	}
	for _, r := range shareddata.CSV(t, "crm_products.csv")[1:] {
		series[r[0]] = r[1]
	}
	series["GTXPro"] = series["GTX Pro"] // the pipeline's spelling, as a reader of both files sees it
	byManager, bySeries := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, r := range shareddata.CSV(t, "crm_sales_pipeline.csv")[1:] {
		if r[4] != "Won" {
			continue
		}
		v := decimal.MustParse(r[7])
		byManager[manager[r[1]]] = plus(t, byManager[manager[r[1]]], v)
		bySeries[series[r[2]]] = plus(t, bySeries[series[r[2]]], v)
	}
	want := func(m map[string]decimal.Decimal) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v.Trim(2).Pad(2).String()
		}
		return out
	}
	for _, lookupsFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "lookups first", false: "deals first"}[lookupsFirst], func(t *testing.T) {
			emu, st, svc := newStack(t)
			products := upload(t, emu, "products/products.csv", read("crm_products.csv"), 1)
			teams := upload(t, emu, "teams/teams.csv", read("crm_sales_teams.csv"), 2)
			deals := upload(t, emu, "transactions/crm.csv", read("crm_sales_pipeline.csv"), 3)
			evs := []events.S3Event{products, teams, deals}
			if !lookupsFirst {
				evs = []events.S3Event{deals, products, teams}
			}
			for _, ev := range evs {
				if err := svc.HandleS3(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			if got, w := revenue(t, st, dimension.Manager), want(byManager); !sameMap(got, w) {
				t.Fatalf("revenue by manager %v, want %v", got, w)
			}
			if got, w := revenue(t, st, dimension.Category), want(bySeries); !sameMap(got, w) {
				t.Fatalf("revenue by series %v, want %v", got, w)
			}
			var n, listed int
			readDeals(t, emu.Clients.S3, emu.Bucket, st, "transactions/crm.csv", func(d pipeline.Deal) {
				n++
				if d.Listed {
					listed++
				}
				if d.Attrs[dimension.Manager] != manager[d.Attrs[dimension.Owner]] {
					t.Fatalf("deal %s: manager %q, want %q", d.ID, d.Attrs[dimension.Manager], manager[d.Attrs[dimension.Owner]])
				}
			})
			if n != 8800 || listed != 2089 {
				t.Fatalf("%d deals, %d at list price; want 8800 and the 2,089 open ones", n, listed)
			}
			if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:Delete", emu.Bucket, "teams/teams.csv", "", 4)); err != nil {
				t.Fatal(err)
			}
			var all decimal.Decimal
			for _, v := range byManager {
				all = plus(t, all, v)
			}
			total := want(map[string]decimal.Decimal{dimension.Blank: all})
			if got := revenue(t, st, dimension.Manager); !sameMap(got, total) {
				t.Fatalf("revenue by manager %v after the teams file was deleted, want %v", got, total)
			}
			readDeals(t, emu.Clients.S3, emu.Bucket, st, "transactions/crm.csv", func(d pipeline.Deal) {
				if d.Attrs[dimension.Manager] != "" {
					t.Fatalf("deal %s keeps manager %q after the teams file was deleted", d.ID, d.Attrs[dimension.Manager])
				}
			})
		})
	}
}

func plus(t *testing.T, a, b decimal.Decimal) decimal.Decimal {
	t.Helper()
	s, err := a.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readDeals calls fn for every deal kept for the live version of key.
func readDeals(t *testing.T, s3c *s3.Client, bucket string, st *store.Store, key string, fn func(pipeline.Deal)) {
	t.Helper()
	e, ok, err := st.Object(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("object %s: %v %v", key, ok, err)
	}
	obj, err := s3c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(pipeline.Key(e.File))})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	// A plain decoding of the stored stream, sharing nothing with the
	// package's reader.
	dec := json.NewDecoder(obj.Body)
	for dec.More() {
		var d pipeline.Deal
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		fn(d)
	}
}
