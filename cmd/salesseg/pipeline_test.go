package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/shareddata"
)

// TestAnalyzePipeline runs `salesseg analyze` on the CRM pipeline with its
// lookup files and checks the pipeline by manager, as of a day inside the
// data, against DuckDB's reference: won, lost and open deals and values.
func TestAnalyzePipeline(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"analyze", "-part", "meta", "-by", "manager", "-as-of", "2017-06-30",
		"-customers", shareddata.Path(t, "crm_accounts.csv"), "-products", shareddata.Path(t, "crm_products.csv"),
		"-teams", shareddata.Path(t, "crm_sales_teams.csv"), shareddata.Path(t, "crm_sales_pipeline.csv")}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var rep analyzeReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	p := rep.Pipeline
	if p == nil || p.Files != 1 || p.Dimension != "manager" || p.AsOf == nil || *p.AsOf != "2017-06-30" {
		t.Fatalf("pipeline %+v", p)
	}
	ref := shareddata.Deals(t, "manager", "--as-of", "2017-06-30")
	if len(p.Groups) != len(ref.Groups) {
		t.Fatalf("%d managers, DuckDB %d", len(p.Groups), len(ref.Groups))
	}
	for _, g := range p.Groups {
		r := ref.Groups[*g.Value]
		open := int64(0)
		for stage, s := range r.Open {
			if !strings.HasSuffix(stage, " (undated)") { // open only at the data date
				open += s.Count
			}
		}
		if g.Closed.Won.Count != r.Won || g.Closed.Lost.Count != r.Lost || g.Open.Count != open {
			t.Fatalf("%s: won %d lost %d open %d, DuckDB %d %d %d", *g.Value, g.Closed.Won.Count, g.Closed.Lost.Count, g.Open.Count, r.Won, r.Lost, open)
		}
		for _, v := range [][2]string{{g.Closed.Won.Value, r.WonValue}, {g.Closed.Lost.Value, r.LostValue}} {
			if decimal.MustParse(v[0]).Cmp(decimal.MustParse(v[1])) != 0 {
				t.Fatalf("%s: value %s, DuckDB %s", *g.Value, v[0], v[1])
			}
		}
	}
}
