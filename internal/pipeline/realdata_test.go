package pipeline

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// crmDeals builds the deals of the Maven Analytics CRM data sets as
// ingestion is meant to: stage Won or Lost closes a deal, any other stage
// leaves it open; an open deal without a close value takes its product's
// list price (product names matched ignoring spaces and case, as the
// pipeline spells "GTXPro" what the products file calls "GTX Pro"); the
// sales agent's manager and regional office come from the teams file and
// the account's sector from the accounts file.
func crmDeals(t testing.TB) []Deal {
	t.Helper()
	key := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	rows := func(name string, header string) [][]string {
		recs := shareddata.CSV(t, name)
		if got := strings.Join(recs[0], ","); got != header {
			t.Fatalf("%s: header %q, want %q", name, got, header)
		}
		return recs[1:]
	}
	price := map[string]string{}
	for _, r := range rows("crm_products.csv", "product,series,sales_price") {
		price[key(r[0])] = r[2]
	}
	team := map[string][2]string{}
	for _, r := range rows("crm_sales_teams.csv", "sales_agent,manager,regional_office") {
		team[r[0]] = [2]string{r[1], r[2]}
	}
	sector := map[string]string{}
	for _, r := range rows("crm_accounts.csv", "account,sector,year_established,revenue,employees,office_location,subsidiary_of") {
		sector[r[0]] = r[1]
	}
	date := func(s string) period.Date {
		if s == "" {
			return 0
		}
		d, err := period.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var out []Deal
	for _, r := range rows("crm_sales_pipeline.csv", "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value") {
		d := Deal{ID: r[0], Account: r[3], Stage: r[4], Outcome: Open, Created: date(r[5]), Closed: date(r[6]), Value: r[7]}
		switch r[4] {
		case "Won":
			d.Outcome = Won
		case "Lost":
			d.Outcome = Lost
		}
		if d.Outcome == Open && d.Value == "" {
			d.Value, d.Listed = price[key(r[2])], price[key(r[2])] != ""
		}
		d.Attrs = map[dimension.Dimension]string{}
		for dim, v := range map[dimension.Dimension]string{dimension.Owner: r[1], dimension.Product: r[2],
			dimension.Manager: team[r[1]][0], dimension.Region: team[r[1]][1], dimension.Industry: sector[r[3]]} {
			if v != "" {
				d.Attrs[dim] = v
			}
		}
		out = append(out, d)
	}
	return out
}

// near fails unless got is num ÷ den to 18 significant digits, or nil
// when den is zero.
func near(t testing.TB, what string, got *decimal.Decimal, num, den *big.Rat) {
	t.Helper()
	if den.Sign() == 0 || got == nil {
		if den.Sign() != 0 || got != nil {
			t.Errorf("%s = %v, want %s/%s", what, got, num, den)
		}
		return
	}
	want := new(big.Rat).Quo(num, den)
	diff := new(big.Rat).Sub(ratDec(*got), want)
	tol := new(big.Rat).Abs(want)
	tol.Mul(tol, big.NewRat(1, 1e18))
	tol.Add(tol, big.NewRat(1, 1e18))
	if diff.Abs(diff).Cmp(tol) > 0 {
		t.Errorf("%s = %s, want %s", what, got, want.FloatString(20))
	}
}

// ratStr returns a decimal string as a fraction.
func ratStr(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r
}

// TestCRMAgainstDuckDB computes the figures of the CRM data sets by
// sector and by sales agent, from deals written and read back as
// ingestion stores them, and compares them with DuckDB's (see
// shareddata.DealsScript for its rules).
func TestCRMAgainstDuckDB(t *testing.T) {
	ds := crmDeals(t)
	if len(ds) != 8800 {
		t.Fatalf("%d deals, want the 8,800 rows of crm_sales_pipeline.csv", len(ds))
	}
	var stream bytes.Buffer
	w := NewWriter(&stream)
	for _, d := range ds {
		if err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	ndjson := stream.Bytes()
	const dataDate = "2017-12-31" // the last close date
	for _, c := range []struct {
		name               string
		asOf, from, to     string
		undatedOpen        bool // the undated open deals count: as of the data date
		dim                dimension.Dimension
		by                 string // deals_reference.mjs's --by
		groups, unassigned int
	}{
		{name: "by sector, mid-2017", asOf: "2017-06-30", from: "2017-01-01", to: "2017-06-30", dim: dimension.Industry, by: "sector", groups: 11, unassigned: 1},
		{name: "by sector, at the export", dim: dimension.Industry, by: "sector", undatedOpen: true, groups: 11, unassigned: 1},
		{name: "by sales agent, mid-2017", asOf: "2017-06-30", from: "2017-01-01", to: "2017-06-30", dim: dimension.Owner, by: "sales_agent", groups: 30},
		{name: "by sales agent, at the export", dim: dimension.Owner, by: "sales_agent", undatedOpen: true, groups: 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			acc, err := NewAccumulator(Query{Dim: c.dim, AsOf: day(t, c.asOf), From: day(t, c.from), To: day(t, c.to)})
			if err != nil {
				t.Fatal(err)
			}
			if err := Read(bytes.NewReader(ndjson), acc.Add); err != nil {
				t.Fatal(err)
			}
			r, err := acc.Report()
			if err != nil {
				t.Fatal(err)
			}
			checkTotals(t, r)
			if r.DataDate.String() != dataDate || (c.asOf == "" && r.AsOf.String() != dataDate) {
				t.Fatalf("data date %s, as of %s; want %s", r.DataDate, r.AsOf, dataDate)
			}
			if !slicesEqual(r.Stages, []string{"Prospecting", "Engaging"}) {
				t.Fatalf("stage order %q, want Prospecting, Engaging", r.Stages)
			}
			args := []string{"--as-of", r.AsOf.String()}
			if c.from != "" {
				args = append(args, "--from", c.from, "--to", c.to)
			}
			ref := shareddata.Deals(t, c.by, args...).Groups
			unassigned := 0
			for _, g := range r.Groups {
				if g.Unassigned {
					unassigned++
				}
			}
			if len(r.Groups) != c.groups || unassigned != c.unassigned {
				t.Fatalf("%d groups (%d unassigned), want %d (%d)", len(r.Groups), unassigned, c.groups, c.unassigned)
			}
			if len(ref) != len(r.Groups) {
				t.Fatalf("%d groups, DuckDB %d", len(r.Groups), len(ref))
			}
			for _, g := range r.Groups {
				want, ok := ref[g.Value] // "" is DuckDB's unassigned group too
				if !ok {
					t.Fatalf("group %q: not in DuckDB's", g.Value)
				}
				compareGroup(t, g, want, c.undatedOpen)
			}
		})
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// compareGroup compares one group's figures with DuckDB's.
func compareGroup(t *testing.T, g Group, want shareddata.DealsGroup, undatedOpen bool) {
	t.Helper()
	name := fmt.Sprintf("group %q", g.Value)
	c := g.Closed
	if c.Won.Count != want.Won || c.Lost.Count != want.Lost || c.Won.NoValue != 0 || c.Lost.NoValue != 0 {
		t.Errorf("%s: won %d lost %d (%d, %d without a value), DuckDB %d %d", name, c.Won.Count, c.Lost.Count, c.Won.NoValue, c.Lost.NoValue, want.Won, want.Lost)
	}
	won, lost := ratStr(t, want.WonValue), ratStr(t, want.LostValue)
	if ratDec(c.Won.Value).Cmp(won) != 0 || ratDec(c.Lost.Value).Cmp(lost) != 0 {
		t.Errorf("%s: won value %s lost value %s, DuckDB %s %s", name, c.Won.Value, c.Lost.Value, want.WonValue, want.LostValue)
	}
	near(t, name+" win rate", c.WinRate, ratInt(want.Won), ratInt(want.Won+want.Lost))
	near(t, name+" win rate by value", c.WinRateByValue, won, new(big.Rat).Add(won, lost))
	near(t, name+" average won", c.AverageWon, won, ratInt(want.Won))
	if c.WonCycle.Deals != want.WonCycleN || c.LostCycle.Deals != want.LostCycleN {
		t.Errorf("%s: cycles of %d won and %d lost deals, DuckDB %d %d", name, c.WonCycle.Deals, c.LostCycle.Deals, want.WonCycleN, want.LostCycleN)
	}
	near(t, name+" won cycle mean", c.WonCycle.Mean, ratInt(want.WonCycleSum), ratInt(want.WonCycleN))
	near(t, name+" lost cycle mean", c.LostCycle.Mean, ratInt(want.LostCycleSum), ratInt(want.LostCycleN))
	if want.WonCycleMedian == "" {
		sameDec(t, name+" won cycle median", c.WonCycle.Median, "")
	} else {
		sameDec(t, name+" won cycle median", c.WonCycle.Median, want.WonCycleMedian)
	}

	// DuckDB lists deals closed after the day under Won and Lost, and
	// undated open deals as "<stage> (undated)" whatever the day.
	stages := map[string]shareddata.DealsStage{}
	var since shareddata.DealsStage
	sinceWon, sinceLost := want.Open["Won"].Count, want.Open["Lost"].Count
	openValue := new(big.Rat)
	for s, v := range want.Open {
		switch base, undated := strings.CutSuffix(s, " (undated)"); {
		case s == "Won" || s == "Lost":
			since.Count += v.Count
			since.Value = addStr(t, since.Value, v.Value)
		case undated && !undatedOpen:
			continue
		default:
			st := stages[base]
			st.Count += v.Count
			st.Value = addStr(t, st.Value, v.Value)
			stages[base] = st
		}
		openValue.Add(openValue, ratStr(t, v.Value))
	}
	var atStages, listed int64
	for _, s := range g.Open.Stages {
		w := stages[s.Stage]
		delete(stages, s.Stage)
		if s.Count != w.Count || (s.Count > 0 && ratDec(s.Value).Cmp(ratStr(t, w.Value)) != 0) {
			t.Errorf("%s: %s %d deals worth %s, DuckDB %d worth %s", name, s.Stage, s.Count, s.Value, w.Count, w.Value)
		}
		atStages += s.Count
		listed += s.Listed
		if s.NoValue != 0 {
			t.Errorf("%s: %s has %d deals without a list price", name, s.Stage, s.NoValue)
		}
	}
	if len(stages) != 0 {
		t.Errorf("%s: DuckDB has open deals at %v too", name, stages)
	}
	cs := g.Open.ClosedSince
	if cs.Won != sinceWon || cs.Lost != sinceLost || (cs.Count > 0 && ratDec(cs.Value).Cmp(ratStr(t, since.Value)) != 0) {
		t.Errorf("%s: closed since %d won %d lost worth %s, DuckDB %d %d worth %s", name, cs.Won, cs.Lost, cs.Value, sinceWon, sinceLost, since.Value)
	}
	// Every open deal's value is its product's list price.
	if g.Open.Count != atStages+cs.Count || listed != atStages || ratDec(g.Open.Value).Cmp(openValue) != 0 {
		t.Errorf("%s: open %d deals (%d listed) worth %s, DuckDB %d worth %s", name, g.Open.Count, listed, g.Open.Value, atStages+cs.Count, openValue.FloatString(4))
	}

	// Velocity and conversion from DuckDB's figures.
	num := ratInt(g.Open.Count)
	num.Mul(num, ratInt(want.Won))
	num.Mul(num, won)
	num.Mul(num, ratInt(want.WonCycleN))
	den := ratInt(want.Won + want.Lost)
	den.Mul(den, ratInt(want.Won))
	den.Mul(den, ratInt(want.WonCycleSum))
	near(t, name+" velocity", g.Velocity, num, den)
	prospecting, engaging := stages2(t, want.Open, undatedOpen)
	reachedP := prospecting + engaging + want.Won + want.Lost
	reachedE := engaging + want.Won
	conv := g.Conversion
	if len(conv.Reached) != 2 || conv.Reached[0].Deals != reachedP || conv.Reached[1].Deals != reachedE || conv.Unordered != 0 {
		t.Fatalf("%s: reached %+v, unordered %d; want Prospecting %d, Engaging %d", name, conv.Reached, conv.Unordered, reachedP, reachedE)
	}
	near(t, name+" Prospecting→Engaging", conv.Steps[0].Rate, ratInt(reachedE), ratInt(reachedP))
	near(t, name+" Engaging→Won", conv.Steps[1].Rate, ratInt(want.Won), ratInt(reachedE))
}

// stages2 returns DuckDB's open Prospecting and Engaging deals.
func stages2(t *testing.T, open map[string]shareddata.DealsStage, undatedOpen bool) (prospecting, engaging int64) {
	t.Helper()
	for s, v := range open {
		base, undated := strings.CutSuffix(s, " (undated)")
		if undated && !undatedOpen {
			continue
		}
		switch base {
		case "Prospecting":
			prospecting += v.Count
		case "Engaging":
			engaging += v.Count
		}
	}
	return prospecting, engaging
}

// addStr adds two decimal strings exactly ("" is zero).
func addStr(t *testing.T, a, b string) string {
	t.Helper()
	sum := new(big.Rat)
	for _, s := range []string{a, b} {
		if s != "" {
			sum.Add(sum, ratStr(t, s))
		}
	}
	return sum.FloatString(4)
}
