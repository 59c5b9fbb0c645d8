package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/pipeline"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/store"
)

// TestPipelineRoute uploads the CRM pipeline with its accounts, products
// and teams files through the real ingest handler and checks
// GET /v1/pipeline by manager and by sector against DuckDB's reference:
// won and lost deals and values, cycles, and the open pipeline by stage
// as of a day inside the data.
func TestPipelineRoute(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{MaxRejectRate: 0.2})
	seq := 0
	send := func(name, key, version string) {
		seq++
		ev := events.S3Event{Records: []events.S3EventRecord{{EventName: name, S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: emu.Bucket},
			Object: events.S3Object{Key: key, VersionID: version, Sequencer: fmt.Sprintf("%02X", seq)}}}}}
		if err := svc.HandleS3(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	put := func(key, name string) {
		body, err := os.ReadFile(shareddata.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		out, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		send("ObjectCreated:Put", key, aws.ToString(out.VersionId))
	}
	put("customers/accounts.csv", "crm_accounts.csv")
	put("products/products.csv", "crm_products.csv")
	put("teams/teams.csv", "crm_sales_teams.csv")
	put("transactions/crm.csv", "crm_sales_pipeline.csv")
	e := &env{t: t, svc: New(st, nil, log, Options{Deals: pipeline.NewSource(emu.Clients.S3, st, emu.Bucket)}), spec: loadSpec(t), seen: map[string]bool{}}

	for _, tc := range []struct{ dim, by string }{{"manager", "manager"}, {"industry", "sector"}} {
		t.Run(tc.dim, func(t *testing.T) {
			ref := shareddata.Deals(t, tc.by, "--from", "2017-04-01", "--to", "2017-09-30", "--as-of", "2017-06-30")
			var p Pipeline
			e.get("/v1/pipeline?dimension="+tc.dim+"&from=2017-04&to=2017-09&as_of=2017-06-30", 200, &p)
			if p.Files != 1 || str(p.AsOf) != "2017-06-30" || str(p.From) != "2017-04-01" || str(p.To) != "2017-09-30" {
				t.Fatalf("files %d as of %s from %s to %s", p.Files, str(p.AsOf), str(p.From), str(p.To))
			}
			if len(p.Groups) != len(ref.Groups) {
				t.Fatalf("%d groups, DuckDB has %d", len(p.Groups), len(ref.Groups))
			}
			// Sectors are stored capitalised (package spelling); the
			// reference keeps the file's lower case.
			byFold := map[string]shareddata.DealsGroup{}
			for v, r := range ref.Groups {
				byFold[strings.ToLower(v)] = r
			}
			for _, g := range p.Groups {
				r, ok := byFold[strings.ToLower(str(g.Value))]
				if !ok {
					t.Fatalf("group %q is not in DuckDB's reference", str(g.Value))
				}
				c := g.Closed
				if c.Won.Count != r.Won || c.Lost.Count != r.Lost || c.WonCycle.Deals != r.WonCycleN || c.LostCycle.Deals != r.LostCycleN {
					t.Fatalf("%s: won %d lost %d cycles %d/%d, DuckDB %d %d %d/%d", str(g.Value), c.Won.Count, c.Lost.Count,
						c.WonCycle.Deals, c.LostCycle.Deals, r.Won, r.Lost, r.WonCycleN, r.LostCycleN)
				}
				sameDec(t, c.Won.Value, decimal.MustParse(r.WonValue))
				sameDec(t, c.Lost.Value, decimal.MustParse(r.LostValue))
				if r.WonCycleN > 0 {
					mean := decimal.MustNew(r.WonCycleSum, 0)
					mean, _ = mean.Quo(decimal.MustNew(r.WonCycleN, 0))
					sameDec(t, str(c.WonCycle.MeanDays), mean.Round(2))
					sameDec(t, str(c.WonCycle.MedianDays), decimal.MustParse(r.WonCycleMedian).Round(2))
				}
				// Open at the end of June: by stage for the deals still open,
				// and as closed since for those that closed later; the
				// undated deals are known open only at the data date.
				open := map[string]DealTally{}
				for _, s := range g.Open.Stages {
					if s.Count > 0 {
						open[s.Stage] = s.DealTally
					}
				}
				if g.Open.ClosedSince.Won > 0 {
					open["Won"] = DealTally{Count: g.Open.ClosedSince.Won}
				}
				if g.Open.ClosedSince.Lost > 0 {
					open["Lost"] = DealTally{Count: g.Open.ClosedSince.Lost}
				}
				var sinceValue decimal.Decimal
				n := 0
				for stage, want := range r.Open {
					if len(stage) > 10 && stage[len(stage)-10:] == " (undated)" {
						continue
					}
					n++
					got := open[stage]
					if got.Count != want.Count {
						t.Fatalf("%s: %d open at %s on 2017-06-30, DuckDB %d", str(g.Value), got.Count, stage, want.Count)
					}
					if stage == "Won" || stage == "Lost" {
						sinceValue, _ = sinceValue.Add(decimal.MustParse(want.Value))
						continue
					}
					sameDec(t, got.Value, decimal.MustParse(want.Value))
				}
				if n != len(open) {
					t.Fatalf("%s: open stages %v, DuckDB %v", str(g.Value), open, r.Open)
				}
				sameDec(t, g.Open.ClosedSince.Value, sinceValue)
			}
		})
	}

	t.Run("data date", func(t *testing.T) {
		// Without as_of the pipeline is the export's: every open deal,
		// the undated ones included, at its list price when it has none.
		var p Pipeline
		e.get("/v1/pipeline", 200, &p)
		tot := p.Total
		if str(p.DataDate) != "2017-12-31" || str(p.AsOf) != str(p.DataDate) || tot.Open.Count != 2089 || tot.Open.Listed != 2089 ||
			tot.Closed.Won.Count != 4238 || tot.Closed.Lost.Count != 2473 || str(tot.Closed.WinRate) != "0.6315" {
			t.Fatalf("data date %s as of %s: open %+v closed %+v", str(p.DataDate), str(p.AsOf), tot.Open.DealTally, tot.Closed)
		}
		if len(tot.Conversion) != 2 || tot.Conversion[0].From != "Prospecting" || tot.Conversion[1].To != pipeline.WonStage || tot.Velocity == nil {
			t.Fatalf("conversion %+v velocity %v", tot.Conversion, tot.Velocity)
		}
	})

	t.Run("replaced and deleted", func(t *testing.T) {
		// A new version of the file, then a later event for the same
		// object, each replace the deals before; deleting it leaves none.
		put("transactions/crm.csv", "crm_sales_pipeline.csv")
		send("ObjectCreated:Put", "transactions/crm.csv", "")
		var p Pipeline
		e.get("/v1/pipeline", 200, &p)
		if p.Files != 1 || p.Total.Open.Count != 2089 || p.Total.Closed.Won.Count != 4238 {
			t.Fatalf("after a new version: %d files, %d open, %d won", p.Files, p.Total.Open.Count, p.Total.Closed.Won.Count)
		}
		send("ObjectRemoved:DeleteMarkerCreated", "transactions/crm.csv", "")
		e.get("/v1/pipeline", 200, &p)
		if p.Files != 0 || p.Total.Open.Count != 0 || p.Total.Closed.Won.Count != 0 || len(p.Notes) == 0 {
			t.Fatalf("after a delete: %d files, %d open, %d won, notes %v", p.Files, p.Total.Open.Count, p.Total.Closed.Won.Count, p.Notes)
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, q := range []string{"dimension=region,owner", "as_of=2017-13-01", "stages=Prospecting,,Engaging", "period=2017&from=2017-01",
			"from=2017-06&to=2017-01", "dimension=nonsense"} {
			e.get("/v1/pipeline?"+q, 400, nil)
		}
	})
}
