package main

import (
	"context"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/api"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// TestDashboardPipelineInBrowser puts the CRM pipeline into the local
// stack with its products file (list prices for the open deals) and its
// sales teams file (manager and region of each sales agent), then reads
// the deal pipeline section in headless Chromium: by manager (the
// section's default) for all time, by sales agent, by sales agent for
// 2017-04 to 2017-06 picked in the page's period filter, and then with
// open deals as of 2017-06-30 picked in the section. Every row, the total
// row and every stage conversion step must carry GET /v1/pipeline's exact
// figures for the same request, and the totals must equal plain counts
// and sums of the CSV.
// TestDashboardInBrowser checks the section's empty state without a deal
// file.
func TestDashboardPipelineInBrowser(t *testing.T) {
	ctx := context.Background()
	s, root := dashboardStack(t)
	for _, f := range []struct{ name, key string }{
		{"crm_products.csv", "products/crm_products.csv"},
		{"crm_sales_teams.csv", "teams/crm_sales_teams.csv"},
		{"crm_sales_pipeline.csv", "transactions/crm_sales_pipeline.csv"},
	} {
		if err := s.upload(ctx, shareddata.Path(t, f.name), f.key); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	rep := runDashboardScript(t, root, "report-pipeline.json", "--base", srv.URL, "--mode", "pipeline")
	client := apiClient{t: t, base: srv.URL}
	crm := crmDeals(t)

	t.Run("by manager, all time", func(t *testing.T) {
		p := checkPipeline(t, client, rep.Deals.Default, "manager", url.Values{})
		crm.check(t, p, "", "")
		if !strings.Contains(rep.Deals.Default.Pipeline.Note, "the latest date of any deal, is "+crm.dataDate) {
			t.Errorf("the note does not give the CSV's latest date %s: %q", crm.dataDate, rep.Deals.Default.Pipeline.Note)
		}
	})
	t.Run("by sales agent", func(t *testing.T) {
		p := checkPipeline(t, client, rep.Deals.Owner, "owner", url.Values{})
		crm.check(t, p, "", "")
		if len(p.Groups) != crm.agents {
			t.Errorf("%d sales agents on the page, the CSV has %d", len(p.Groups), crm.agents)
		}
	})
	t.Run("by sales agent in 2017-Q2", func(t *testing.T) {
		if f := rep.Deals.Quarter.Filters; f["from"] != "2017-04" || f["to"] != "2017-06" {
			t.Fatalf("filters in the address: %v", f)
		}
		p := checkPipeline(t, client, rep.Deals.Quarter, "owner", url.Values{"from": {"2017-04"}, "to": {"2017-06"}})
		crm.check(t, p, "2017-04-01", "2017-06-30")
		if c := rep.Deals.Quarter.Pipeline.Caption; !strings.Contains(c, "won and lost 2017-04-01 to 2017-06-30") {
			t.Errorf("caption %q does not give the quarter", c)
		}
	})
	t.Run("open deals as of 2017-06-30", func(t *testing.T) {
		if as := rep.Deals.AsOf.Pipeline.AsOf; as != "2017-06-30" {
			t.Fatalf("the as-of field holds %q", as)
		}
		q := url.Values{"from": {"2017-04"}, "to": {"2017-06"}, "as_of": {"2017-06-30"}}
		p := checkPipeline(t, client, rep.Deals.AsOf, "owner", q)
		var latest api.Pipeline
		client.get("/v1/pipeline?dimension=owner&from=2017-04&to=2017-06", &latest)
		if p.Total.Open.Count == latest.Total.Open.Count {
			t.Errorf("as many open deals at the end of 2017-06-30 as at the data date (%d): as_of had no effect", p.Total.Open.Count)
		}
	})
	t.Run("accessibility and phone", func(t *testing.T) {
		if len(rep.A11y.Issues) > 0 || rep.A11y.TextsChecked < 50 {
			t.Errorf("%d texts checked, worst contrast %.2f:1, issues:\n  %s", rep.A11y.TextsChecked, rep.A11y.WorstContrast, strings.Join(rep.A11y.Issues, "\n  "))
		}
		if rep.Deals.PhoneOverflow > 0 {
			t.Errorf("the page is %d px wider than a 390 px phone screen", rep.Deals.PhoneOverflow)
		}
		if len(rep.Screenshots) != 2 {
			t.Errorf("screenshots: %v", rep.Screenshots)
		}
	})
}

// checkPipeline compares the pipeline section, by dim, with
// GET /v1/pipeline for dim and q: every row and the total row, the note
// and the chart's text alternative. It returns the API's answer.
func checkPipeline(t *testing.T, client apiClient, p pageFigures, dim string, q url.Values) api.Pipeline {
	t.Helper()
	q.Set("dimension", dim)
	var want api.Pipeline
	client.get("/v1/pipeline?"+q.Encode(), &want)
	sec := p.Pipeline
	if sec.State != "ready" || sec.Dimension != dim || len(sec.Rows) != len(want.Groups) || len(want.Groups) == 0 {
		t.Fatalf("pipeline by %s: page %+v by %s with %d rows, API %d groups", dim, sec.sectionState, sec.Dimension, len(sec.Rows), len(want.Groups))
	}
	for i, g := range want.Groups {
		checkPipelineRow(t, sec.Rows[i], g, labelOf(g.Value))
	}
	checkPipelineRow(t, sec.Total, want.Total, "Total")
	checkConversion(t, sec.Conversion, want.Total)

	if want.AsOf == nil || want.DataDate == nil {
		t.Fatalf("the API gives no as-of day (%v) or data date (%v) for the deal files", want.AsOf, want.DataDate)
	}
	if !strings.Contains(sec.Note, "at the end of "+*want.AsOf) || !strings.Contains(sec.Note, *want.DataDate) {
		t.Errorf("note %q, API as of %s, data date %s", sec.Note, *want.AsOf, *want.DataDate)
	}
	for _, n := range want.Notes {
		if !strings.Contains(sec.Note, n) {
			t.Errorf("the note leaves out the API's %q: %q", n, sec.Note)
		}
	}
	// The chart's first bar is the value with the largest open pipeline.
	largest := slices.MaxFunc(want.Groups, func(a, b api.PipelineGroup) int {
		return decimal.MustParse(a.Open.Value).Cmp(decimal.MustParse(b.Open.Value))
	})
	if !strings.Contains(sec.Alt, "at the end of "+*want.AsOf+": "+labelOf(largest.Value)+" ") {
		t.Errorf("chart text %q, want it to start with %s", sec.Alt, labelOf(largest.Value))
	}
	return want
}

// checkConversion compares the stage conversion table with the total's
// conversion steps: each step's name, the deals that reached its stages
// (the won deals for Won) and its rate, which must also be those deals'
// ratio to 4 places.
func checkConversion(t *testing.T, rows []map[string]shown, total api.PipelineGroup) {
	t.Helper()
	if len(rows) != len(total.Conversion) || len(rows) == 0 {
		t.Fatalf("conversion: page %d steps, API %d", len(rows), len(total.Conversion))
	}
	reached := map[string]int64{}
	for _, r := range total.Reached {
		reached[r.Stage] = r.Deals
	}
	for i, s := range total.Conversion {
		name := s.From + " → " + s.To
		from := reached[s.From]
		to, ok := reached[s.To]
		if !ok {
			to = total.Closed.Won.Count
		}
		if rows[i]["step"].Text != name {
			t.Errorf("conversion step %d: page %q, API %q", i, rows[i]["step"].Text, name)
		}
		whole(t, name+" reached", rows[i]["from_deals"], from)
		whole(t, name+" went on", rows[i]["to_deals"], to)
		pct(t, name+" conversion", rows[i]["rate"], s.Rate)
		if s.Rate != nil {
			// Half a unit in the fourth place either way, whatever the rounding.
			ratio, err := decimal.MustNew(to, 0).Quo(decimal.MustNew(from, 0))
			if err == nil {
				ratio, err = ratio.Sub(decimal.MustParse(*s.Rate))
			}
			if err != nil || ratio.Abs().Cmp(decimal.MustParse("0.00005")) > 0 {
				t.Errorf("%s: rate %s, but %d of %d deals went on", name, *s.Rate, to, from)
			}
		}
	}
}

// checkPipelineRow compares one row of the pipeline table with the API's
// figures for its value.
func checkPipelineRow(t *testing.T, row map[string]shown, g api.PipelineGroup, label string) {
	t.Helper()
	if row["value"].Text != label {
		t.Errorf("row %q, API %q", row["value"].Text, label)
	}
	whole(t, label+" open deals", row["open_deals"], g.Open.Count)
	money(t, label+" open value", row["open_value"], g.Open.Value)
	whole(t, label+" won", row["won"], g.Closed.Won.Count)
	whole(t, label+" lost", row["lost"], g.Closed.Lost.Count)
	pct(t, label+" win rate", row["win_rate"], g.Closed.WinRate)
	optional(t, label+" average won deal", row["average_won"], g.Closed.AverageWon, 2)
	optional(t, label+" won cycle median", row["won_cycle_median"], g.Closed.WonCycle.MedianDays, 1)
	optional(t, label+" velocity", row["velocity"], g.Velocity, 2)
}

// checkNoDeals checks the pipeline section without a deal file: its
// empty state gives the API's note, and it shows no rows.
func checkNoDeals(t *testing.T, client apiClient, p pageFigures) {
	t.Helper()
	var want api.Pipeline
	client.get("/v1/pipeline?dimension=manager", &want)
	sec := p.Pipeline
	if want.Files != 0 || sec.State != "empty" || sec.Message != strings.Join(want.Notes, " ") ||
		!strings.Contains(sec.Message, "No deal file is uploaded") || len(sec.Rows) > 0 {
		t.Errorf("pipeline without a deal file: page %+v with %d rows, API %d files, notes %q", sec.sectionState, len(sec.Rows), want.Files, want.Notes)
	}
}

// crmFile is crm_sales_pipeline.csv read with encoding/csv, an independent
// reference for the pipeline's totals.
type crmFile struct {
	rows     []map[string]string
	agents   int    // distinct sales agents
	dataDate string // latest engage or close date
}

func crmDeals(t *testing.T) crmFile {
	t.Helper()
	recs := shareddata.CSV(t, "crm_sales_pipeline.csv")
	var f crmFile
	agents := map[string]bool{}
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = r[i]
		}
		f.rows = append(f.rows, row)
		agents[row["sales_agent"]] = true
		f.dataDate = max(f.dataDate, row["engage_date"], row["close_date"])
	}
	f.agents = len(agents)
	return f
}

// check compares the API's total with the CSV: the open deals (neither
// Won nor Lost) at the data date, and the deals won and lost with a close
// date in from..to (inclusive, "" for an open side) with the won deals'
// exact value.
func (f crmFile) check(t *testing.T, p api.Pipeline, from, to string) {
	t.Helper()
	var open, won, lost int64
	var wonValue decimal.Decimal
	for _, r := range f.rows {
		stage, closed := r["deal_stage"], r["close_date"]
		if stage != "Won" && stage != "Lost" {
			open++
			continue
		}
		if (from != "" && closed < from) || (to != "" && closed > to) {
			continue
		}
		if stage == "Lost" {
			lost++
			continue
		}
		won++
		v, err := decimal.Parse(r["close_value"])
		if err != nil {
			t.Fatalf("close_value %q: %v", r["close_value"], err)
		}
		if wonValue, err = wonValue.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	tot := p.Total
	if tot.Open.Count != open || tot.Closed.Won.Count != won || tot.Closed.Lost.Count != lost || !sameMoney(t, tot.Closed.Won.Value, wonValue.String()) {
		t.Errorf("%s..%s: API open %d, won %d (%s), lost %d; the CSV has %d, %d (%s), %d",
			from, to, tot.Open.Count, tot.Closed.Won.Count, tot.Closed.Won.Value, tot.Closed.Lost.Count, open, won, wonValue, lost)
	}
}
