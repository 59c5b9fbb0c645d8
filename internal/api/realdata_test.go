package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/store"
)

// sharedDataEnv loads the public data sets together, as a new user would
// upload them, into the emulated bucket and table through the real ingest
// handler: Superstore (2016-2019), the CRM pipeline with its accounts as a
// customers file, the Online Retail sample and the headerless CDNOW sample
// with a mapping file. It returns an API on the real store.
func sharedDataEnv(t *testing.T) *env {
	t.Helper()
	return loadedEnv(t, func(put func(key string, body []byte), file func(name string) []byte) {
		put(ingest.ConfigMappings+"CDNOW_sample.txt.json",
			[]byte(`{"no_header": true, "columns": {"customer_id": "#2", "date": "#3", "quantity": "#4", "amount": "#5"}}`))
		put("customers/crm_accounts.csv", file("crm_accounts.csv"))
		for _, name := range []string{"sample_superstore_utf8bom_2016-2019.csv", "crm_sales_pipeline.csv",
			"uci_online_retail_random_sample_2709.csv", "CDNOW_sample.txt"} {
			put("transactions/"+name, file(name))
		}
	})
}

// loadedEnv returns an API on a fresh emulated store into which load put
// objects (put ingests each through the real ingest handler; file reads a
// shared data set).
func loadedEnv(t *testing.T, load func(put func(key string, body []byte), file func(name string) []byte)) *env {
	t.Helper()
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{MaxRejectRate: 0.5})
	seq := 0
	put := func(key string, body []byte) {
		t.Helper()
		out, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		seq++
		if len(key) > len(ingest.ConfigMappings) && key[:len(ingest.ConfigMappings)] == ingest.ConfigMappings {
			return // mapping files are read by ingestion, not ingested
		}
		ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: emu.Bucket},
			Object: events.S3Object{Key: url.QueryEscape(key), VersionID: aws.ToString(out.VersionId), Sequencer: fmt.Sprintf("%02X", seq)}}}}}
		if err := svc.HandleS3(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	file := func(name string) []byte {
		t.Helper()
		return readShared(t, name)
	}
	load(put, file)
	return &env{t: t, svc: New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket}), spec: loadSpec(t), seen: map[string]bool{}}
}

// TestSharedDataOneTotal loads the public data sets together and checks
// that every dimension adds up to the same total, with the lines without a
// value as an explicit unassigned row (value null), a coverage figure, and
// shares that sum to one over every row; and that a range longer than a
// year is not compared with an overlapping year-ago range.
func TestSharedDataOneTotal(t *testing.T) {
	e := sharedDataEnv(t)
	var total Breakdown
	e.get("/v1/segments?dimension=total", 200, &total)
	want := decimal.MustParse(total.Revenue)
	if want.IsZero() || total.Coverage == nil || *total.Coverage != "1.0000" {
		t.Fatalf("total %s, coverage %v", total.Revenue, total.Coverage)
	}
	for _, d := range dimension.All()[1:] {
		t.Run(string(d), func(t *testing.T) {
			e := e.with(t)
			var b Breakdown
			e.get("/v1/segments?limit=500&dimension="+string(d), 200, &b)
			sameDec(t, b.Revenue, want)
			sum, shares := decimal.Decimal{}, decimal.Decimal{}
			var unassigned *Segment
			for i, s := range b.Segments {
				if s.Value == nil {
					if unassigned != nil || s.Values[0] != nil {
						t.Fatalf("unassigned rows %+v and %+v", unassigned, s)
					}
					unassigned = &b.Segments[i]
				} else if *s.Value == dimension.Blank || *s.Value == "" {
					t.Fatalf("value %q shown", *s.Value)
				}
				sum, _ = sum.Add(decimal.MustParse(s.Revenue))
				shares, _ = shares.Add(decimal.MustParse(*s.Share))
			}
			sameDec(t, sum.String(), want)
			// Each share is rounded to 4 places: their sum is 1 within
			// half a unit of the 4th place per row.
			if diff, _ := shares.Sub(decimal.One); diff.Abs().Cmp(decimal.MustNew(int64(len(b.Segments))*5, 5)) > 0 {
				t.Fatalf("shares sum to %s over %d rows", shares, len(b.Segments))
			}
			if unassigned == nil || b.Coverage == nil {
				t.Fatalf("no unassigned row (every data set lacks some dimension) or coverage: %+v", b.Coverage)
			}
			covered, _ := want.Sub(decimal.MustParse(unassigned.Revenue))
			if q, _ := covered.Quo(want); q.Round(4).Pad(4).String() != *b.Coverage {
				t.Fatalf("coverage %s, want %s", *b.Coverage, q.Round(4))
			}
		})
	}
	t.Run("crossed", func(t *testing.T) {
		e := e.with(t)
		var b Breakdown
		e.get("/v1/segments?limit=500&dimension=region,country", 200, &b)
		sameDec(t, b.Revenue, want)
	})
	t.Run("unassigned selected with an empty value", func(t *testing.T) {
		e := e.with(t)
		var all, un KPIs
		var seg Breakdown
		e.get("/v1/segments?dimension=segment", 200, &seg)
		e.get("/v1/kpis?dimension=segment&value=", 200, &un)
		e.get("/v1/kpis", 200, &all)
		if un.Scope == nil || un.Scope.Value != nil || un.Scope.Values[0] != nil {
			t.Fatalf("scope %+v", un.Scope)
		}
		for _, s := range seg.Segments {
			if s.Value == nil {
				sameDec(t, un.Revenue, decimal.MustParse(s.Revenue))
			}
		}
	})
	t.Run("no overlapping year-ago comparison", func(t *testing.T) {
		e := e.with(t)
		var b Breakdown
		e.get("/v1/segments?dimension=segment&from=2016-01&to=2019-12", 200, &b)
		c := b.Comparisons
		if c.YearAgo != nil || c.YearAgoReason == nil || b.Growth.YearAgo != nil || c.Previous == nil ||
			str(c.Previous.From) != "2012-01-01" || str(c.Previous.To) != "2015-12-31" || b.Growth.Previous == nil {
			t.Fatalf("comparisons %+v, growth %+v", c, b.Growth)
		}
		for _, s := range b.Segments {
			if s.Growth.YearAgo != nil {
				t.Fatalf("%v: year-ago growth %+v", s.Values, s.Growth.YearAgo)
			}
		}
		var k KPIs
		e.get("/v1/kpis?from=2016-01&to=2019-12", 200, &k)
		if k.Growth.YearAgo != nil || k.Comparisons.YearAgoReason == nil {
			t.Fatalf("kpis growth %+v", k.Growth)
		}
		e.get("/v1/segments?dimension=segment&period=2019", 200, &b)
		if b.Comparisons.YearAgo == nil || b.Growth.YearAgo == nil || b.Comparisons.YearAgoReason != nil {
			t.Fatalf("a year is compared with the year before: %+v", b.Comparisons)
		}
	})
}

// with returns e reporting to t, for subtests.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// TestSharedDataCustomerNames ingests Superstore, recomputes, and checks
// that the customer list names every customer as the file does: the
// Customer Name of the customer's latest order day, read here with a
// plain CSV reader.
func TestSharedDataCustomerNames(t *testing.T) {
	const name = "sample_superstore_utf8bom_2016-2019.csv"
	recs := shareddata.CSV(t, name)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimPrefix(h, "\uFEFF")] = i
	}
	type seen struct {
		day  time.Time
		name string
	}
	want := map[string]seen{}
	for _, r := range recs[1:] {
		day, err := time.Parse("1/2/2006", r[col["Order Date"]])
		if err != nil {
			t.Fatal(err)
		}
		id := r[col["Customer ID"]]
		if s, ok := want[id]; !ok || !day.Before(s.day) {
			want[id] = seen{day, r[col["Customer Name"]]}
		}
	}

	ctx := t.Context()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.DiscardHandler)
	key := "transactions/" + name
	put, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(readShared(t, name))})
	if err != nil {
		t.Fatal(err)
	}
	ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: emu.Bucket},
		Object: events.S3Object{Key: url.QueryEscape(key), VersionID: aws.ToString(put.VersionId), Sequencer: "01"}}}}}
	if err := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{}).HandleS3(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.New(st, emu.Clients.S3, log, recompute.Options{Bucket: emu.Bucket}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket}), spec: loadSpec(t), seen: map[string]bool{}}
	got := map[string]*string{}
	for next := ""; ; {
		var page CustomerList
		e.get("/v1/analytics/customers?limit=500"+next, 200, &page)
		for _, c := range page.Customers {
			got[c.ID] = c.Name
		}
		if page.NextCursor == nil {
			break
		}
		next = "&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if len(got) != len(want) {
		t.Fatalf("%d customers listed, the file has %d", len(got), len(want))
	}
	for id, w := range want {
		if g := got[id]; g == nil || *g != w.name {
			t.Errorf("customer %s: name %v, want %q", id, g, w.name)
		}
	}
	if g := got["CG-12520"]; g == nil || *g != "Claire Gute" {
		t.Fatalf("CG-12520 named %v, want Claire Gute (the file's first row)", g)
	}
}

// readShared reads a shared data set whole.
func readShared(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
