package pipeline

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// day parses a YYYY-MM-DD date; "" is the zero date.
func day(t testing.TB, s string) period.Date {
	t.Helper()
	if s == "" {
		return 0
	}
	d, err := period.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// spec is a deal in short: outcome, stage, created, closed and value,
// with an owner when owner is not "".
type spec struct {
	outcome                       Outcome
	stage, created, closed, value string
	listed                        bool
	owner                         string
}

func deals(t testing.TB, specs ...spec) []Deal {
	t.Helper()
	out := make([]Deal, len(specs))
	for i, s := range specs {
		out[i] = Deal{ID: fmt.Sprint("D", i), Stage: s.stage, Outcome: s.outcome, Created: day(t, s.created),
			Closed: day(t, s.closed), Value: s.value, Listed: s.listed}
		if s.owner != "" {
			out[i].Attrs = map[dimension.Dimension]string{dimension.Owner: s.owner}
		}
	}
	return out
}

func open(stage, created, value string) spec {
	return spec{outcome: Open, stage: stage, created: created, value: value}
}
func won(created, closed, value string) spec {
	return spec{outcome: Won, stage: "Won", created: created, closed: closed, value: value}
}
func lost(created, closed, value string) spec {
	return spec{outcome: Lost, stage: "Lost", created: created, closed: closed, value: value}
}
func (s spec) by(owner string) spec { s.owner = owner; return s }
func (s spec) listedPrice() spec    { s.listed = true; return s }

// sameDec fails unless got is want ("" for nil) as a number.
func sameDec(t testing.TB, what string, got *decimal.Decimal, want string) {
	t.Helper()
	switch {
	case want == "" && got == nil:
	case want == "" || got == nil:
		t.Errorf("%s = %v, want %q", what, got, want)
	case got.Cmp(decimal.MustParse(want)) != 0:
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// tally renders a Tally for comparison: count/value/listed/no value.
func tally(t Tally) string {
	return fmt.Sprintf("%d/%s/%d/%d", t.Count, t.Value.Trim(0), t.Listed, t.NoValue)
}

// stages renders the open deals by stage, "name=tally" in order.
func stages(g Group) string {
	var parts []string
	for _, s := range g.Open.Stages {
		mark := ""
		if !s.Ordered {
			mark = "?"
		}
		parts = append(parts, s.Stage+mark+"="+tally(s.Tally))
	}
	return strings.Join(parts, " ")
}

func compute(t testing.TB, q Query, specs ...spec) Report {
	t.Helper()
	r, err := Compute(deals(t, specs...), q)
	if err != nil {
		t.Fatal(err)
	}
	checkTotals(t, r)
	return r
}

// checkTotals checks that the groups add up to the total and that every
// open pipeline is its stages plus its closed-since deals.
func checkTotals(t testing.TB, r Report) {
	t.Helper()
	var open, since, won, lost Tally
	for _, g := range append(slices.Clone(r.Groups), r.Total) {
		var st Tally
		for _, s := range g.Open.Stages {
			if err := st.merge(s.Tally); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.merge(g.Open.ClosedSince.Tally); err != nil {
			t.Fatal(err)
		}
		if tally(st) != tally(g.Open.Tally) {
			t.Errorf("group %q: open %s, its stages and closed-since %s", g.Value, tally(g.Open.Tally), tally(st))
		}
		if g.Open.ClosedSince.Won+g.Open.ClosedSince.Lost != g.Open.ClosedSince.Count {
			t.Errorf("group %q: closed since %+v: won + lost is not the count", g.Value, g.Open.ClosedSince)
		}
	}
	for _, g := range r.Groups {
		for _, p := range []struct {
			sum *Tally
			g   Tally
		}{{&open, g.Open.Tally}, {&since, g.Open.ClosedSince.Tally},
			{&won, g.Closed.Won}, {&lost, g.Closed.Lost}} {
			if err := p.sum.merge(p.g); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		what       string
		sum, total Tally
	}{{"open", open, r.Total.Open.Tally}, {"closed since", since, r.Total.Open.ClosedSince.Tally},
		{"won", won, r.Total.Closed.Won}, {"lost", lost, r.Total.Closed.Lost}} {
		if tally(c.sum) != tally(c.total) {
			t.Errorf("%s: groups add up to %s, total %s", c.what, tally(c.sum), tally(c.total))
		}
	}
}

func TestOpenPipeline(t *testing.T) {
	for _, c := range []struct {
		name   string
		asOf   string
		deals  []spec
		stages string // the total's open deals by stage
		open   string // the total's open tally
		since  string // its closed-since tally, won and lost
		asOfIs string // the report's AsOf
	}{
		{name: "an open deal created before, on and after the day",
			asOf:   "2024-03-10",
			deals:  []spec{open("Proposal", "2024-03-01", "100"), open("Proposal", "2024-03-10", "50"), open("Proposal", "2024-03-11", "7"), won("2024-01-01", "2024-03-12", "1")},
			stages: "Proposal=2/150/0/0", open: "2/150/0/0 (+1 since)", since: "1/1/0/0 won 1 lost 0", asOfIs: "2024-03-10"},
		{name: "an undated open deal before the data date is not known to be open",
			asOf:   "2024-03-10",
			deals:  []spec{open("Prospecting", "", "30"), open("Proposal", "2024-03-01", "100"), won("2024-01-01", "2024-03-31", "5")},
			stages: "Prospecting=0/0/0/0 Proposal=1/100/0/0", open: "1/100/0/0 (+1 since)", since: "1/5/0/0 won 1 lost 0", asOfIs: "2024-03-10"},
		{name: "an undated open deal on the data date is open",
			asOf:   "2024-03-31",
			deals:  []spec{open("Prospecting", "", "30"), open("Proposal", "2024-03-01", "100"), won("2024-01-01", "2024-03-31", "5")},
			stages: "Prospecting=1/30/0/0 Proposal=1/100/0/0", open: "2/130/0/0", since: "0/0/0/0 won 0 lost 0", asOfIs: "2024-03-31"},
		{name: "an undated open deal after the data date is open",
			asOf:   "2025-01-01",
			deals:  []spec{open("Prospecting", "", "30"), won("2024-01-01", "2024-03-31", "5")},
			stages: "Prospecting=1/30/0/0", open: "1/30/0/0", since: "0/0/0/0 won 0 lost 0", asOfIs: "2025-01-01"},
		{name: "no day means the data date",
			deals:  []spec{open("Prospecting", "", "30"), open("Proposal", "2024-04-02", "100"), lost("2024-01-01", "2024-03-31", "5")},
			stages: "Prospecting=1/30/0/0 Proposal=1/100/0/0", open: "2/130/0/0", since: "0/0/0/0 won 0 lost 0", asOfIs: "2024-04-02"},
		{name: "no dates at all: undated deals count only as of the export",
			deals:  []spec{open("Prospecting", "", "30"), open("Proposal", "", "")},
			stages: "Prospecting=1/30/0/0 Proposal=1/0/0/1", open: "2/30/0/1", since: "0/0/0/0 won 0 lost 0", asOfIs: ""},
		{name: "no dates at all and a day given",
			asOf:   "2024-01-01",
			deals:  []spec{open("Prospecting", "", "30")},
			stages: "Prospecting=0/0/0/0", open: "0/0/0/0", since: "0/0/0/0 won 0 lost 0", asOfIs: "2024-01-01"},
		{name: "a deal closed on the day is no longer open, one closed the day after is",
			asOf:   "2024-03-10",
			deals:  []spec{won("2024-01-01", "2024-03-10", "10"), won("2024-01-01", "2024-03-11", "20"), lost("2024-03-10", "2024-04-01", "4")},
			stages: "", open: "0/0/0/0 (+2 since)", since: "2/24/0/0 won 1 lost 1", asOfIs: "2024-03-10"},
		{name: "a closed deal created after the day or without a created date was not open",
			asOf:   "2024-03-10",
			deals:  []spec{won("2024-03-11", "2024-03-20", "10"), won("", "2024-03-20", "20"), lost("", "2024-04-01", "4")},
			stages: "", open: "0/0/0/0", since: "0/0/0/0 won 0 lost 0", asOfIs: "2024-03-10"},
		{name: "list prices and missing values",
			asOf:   "2024-03-10",
			deals:  []spec{open("Proposal", "2024-03-01", "100").listedPrice(), open("Proposal", "2024-03-01", ""), open("Proposal", "2024-03-01", "0.5"), won("2024-03-01", "2024-03-20", "")},
			stages: "Proposal=3/100.5/1/1", open: "3/100.5/1/1 (+1 since)", since: "1/0/0/1 won 1 lost 0", asOfIs: "2024-03-10"},
		{name: "stages match the order ignoring case; unordered ones follow by name",
			asOf:   "2024-03-10",
			deals:  []spec{open("negotiation", "2024-03-01", "1"), open(" NEGOTIATION ", "2024-03-01", "2"), open("Prospecting", "2024-03-01", "4"), open("Zeta", "2024-03-01", "8"), open("Alpha", "2024-03-01", "16"), open("alpha", "2024-03-01", "32")},
			stages: "Prospecting=1/4/0/0 Negotiation=2/3/0/0 Alpha?=1/16/0/0 Zeta?=1/8/0/0 alpha?=1/32/0/0", open: "6/63/0/0", since: "0/0/0/0 won 0 lost 0", asOfIs: "2024-03-10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := compute(t, Query{Dim: dimension.Total, AsOf: day(t, c.asOf)}, c.deals...)
			if got := stages(r.Total); got != c.stages {
				t.Errorf("stages %q, want %q", got, c.stages)
			}
			open := tally(r.Total.Open.Tally)
			if n := r.Total.Open.ClosedSince.Count; n > 0 {
				// The open tally without the closed-since deals, which
				// checkTotals shows are part of it.
				var stagesOnly Tally
				for _, s := range r.Total.Open.Stages {
					_ = stagesOnly.merge(s.Tally)
				}
				open = fmt.Sprintf("%s (+%d since)", tally(stagesOnly), n)
			}
			if open != c.open {
				t.Errorf("open %s, want %s", open, c.open)
			}
			cs := r.Total.Open.ClosedSince
			if got := fmt.Sprintf("%s won %d lost %d", tally(cs.Tally), cs.Won, cs.Lost); got != c.since {
				t.Errorf("closed since %s, want %s", got, c.since)
			}
			if got := r.AsOf; got != day(t, c.asOfIs) {
				t.Errorf("report as of %s, want %s", got, c.asOfIs)
			}
		})
	}
}

func TestClosedDeals(t *testing.T) {
	type want struct {
		won, lost            string // tallies
		rate, rateValue, avg string // "" for nil
		wonCycle, lostCycle  string // deals mean median
		velocity             string
	}
	for _, c := range []struct {
		name     string
		from, to string
		asOf     string
		deals    []spec
		want     want
	}{
		{name: "no closed deal: every ratio is missing", // velocity too
			deals: []spec{open("Proposal", "2024-01-01", "10")},
			want:  want{won: "0/0/0/0", lost: "0/0/0/0", wonCycle: "0 - -", lostCycle: "0 - -"}},
		{name: "the bounds are both included",
			from: "2024-02-01", to: "2024-02-29",
			deals: []spec{won("2024-01-01", "2024-01-31", "1"), won("2024-01-01", "2024-02-01", "10"), lost("2024-01-01", "2024-02-29", "100"), won("2024-01-01", "2024-03-01", "1000")},
			want:  want{won: "1/10/0/0", lost: "1/100/0/0", rate: "0.5", rateValue: "0.0909090909090909091", avg: "10", wonCycle: "1 31 31", lostCycle: "1 59 59", velocity: "0"}},
		{name: "open bounds take every close date",
			deals: []spec{won("2020-01-01", "2020-01-11", "10"), won("2024-01-01", "2024-01-21", "30"), lost("2024-01-01", "2024-01-02", "0")},
			want:  want{won: "2/40/0/0", lost: "1/0/0/0", rate: "0.6666666666666666667", rateValue: "1", avg: "20", wonCycle: "2 15 15", lostCycle: "1 1 1", velocity: "0"}},
		{name: "lost value only: win rate by value is zero",
			deals: []spec{won("2024-01-01", "2024-01-11", "0"), lost("2024-01-01", "2024-01-02", "5")},
			want:  want{won: "1/0/0/0", lost: "1/5/0/0", rate: "0.5", rateValue: "0", avg: "0", wonCycle: "1 10 10", lostCycle: "1 1 1", velocity: "0"}},
		{name: "no values at all: by value and average are missing",
			deals: []spec{won("2024-01-01", "2024-01-11", ""), lost("2024-01-01", "2024-01-02", "")},
			want:  want{won: "1/0/0/1", lost: "1/0/0/1", rate: "0.5", wonCycle: "1 10 10", lostCycle: "1 1 1"}},
		{name: "average won skips won deals without a value",
			deals: []spec{won("2024-01-01", "2024-01-11", "30"), won("2024-01-01", "2024-01-11", "")},
			want:  want{won: "2/30/0/1", lost: "0/0/0/0", rate: "1", rateValue: "1", avg: "30", wonCycle: "2 10 10", lostCycle: "0 - -", velocity: "0"}},
		{name: "cycles leave out deals without a created date; an even median is a half day",
			deals: []spec{won("2024-01-01", "2024-01-02", "1"), won("2024-01-01", "2024-01-05", "1"), won("2024-01-01", "2024-01-09", "1"), won("2024-01-01", "2024-01-13", "1"), won("", "2024-01-13", "1"), lost("", "2024-01-13", "1")},
			want:  want{won: "5/5/0/0", lost: "1/1/0/0", rate: "0.8333333333333333333", rateValue: "0.8333333333333333333", avg: "1", wonCycle: "4 6.25 6", lostCycle: "0 - -", velocity: "0"}},
		{name: "a cycle of several thousand days counts in the median",
			deals: []spec{won("2000-01-01", "2024-01-01", "1"), won("2023-12-31", "2024-01-01", "1"), won("2010-01-01", "2024-01-01", "1")},
			want:  want{won: "3/3/0/0", lost: "0/0/0/0", rate: "1", rateValue: "1", avg: "1", wonCycle: "3 4626.666666666666667 5113", lostCycle: "0 - -", velocity: "0"}},
		{name: "velocity: open × win rate × average won ÷ mean won cycle",
			asOf:  "2024-06-30",
			deals: []spec{open("Proposal", "2024-06-01", "5"), open("Proposal", "2024-06-01", "5"), open("Proposal", "2024-06-01", ""), won("2024-06-01", "2024-07-01", "1"), won("2024-01-01", "2024-01-11", "100"), won("2024-01-01", "2024-01-21", "300"), lost("2024-01-01", "2024-01-02", "0")},
			// 4 open (one closed since) × 3/4 × 401/3 ÷ (30+10+20)/3 = 20.05.
			want: want{won: "3/401/0/0", lost: "1/0/0/0", rate: "0.75", rateValue: "1", avg: "133.6666666666666667", wonCycle: "3 20 20", lostCycle: "1 1 1", velocity: "20.05"}},
		{name: "velocity is missing when the mean won cycle is zero days",
			deals: []spec{open("Proposal", "2024-01-01", "5"), won("2024-01-01", "2024-01-01", "100")},
			want:  want{won: "1/100/0/0", lost: "0/0/0/0", rate: "1", rateValue: "1", avg: "100", wonCycle: "1 0 0", lostCycle: "0 - -"}},
		{name: "velocity is zero without open deals",
			deals: []spec{won("2024-01-01", "2024-01-03", "100")},
			want:  want{won: "1/100/0/0", lost: "0/0/0/0", rate: "1", rateValue: "1", avg: "100", wonCycle: "1 2 2", lostCycle: "0 - -", velocity: "0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := compute(t, Query{Dim: dimension.Total, AsOf: day(t, c.asOf), From: day(t, c.from), To: day(t, c.to)}, c.deals...)
			g := r.Total.Closed
			if tally(g.Won) != c.want.won || tally(g.Lost) != c.want.lost {
				t.Errorf("won %s lost %s, want %s %s", tally(g.Won), tally(g.Lost), c.want.won, c.want.lost)
			}
			sameDec(t, "win rate", g.WinRate, c.want.rate)
			sameDec(t, "win rate by value", g.WinRateByValue, c.want.rateValue)
			sameDec(t, "average won", g.AverageWon, c.want.avg)
			sameDec(t, "velocity", r.Total.Velocity, c.want.velocity)
			for _, cy := range []struct {
				what string
				got  Cycle
				want string
			}{{"won cycle", g.WonCycle, c.want.wonCycle}, {"lost cycle", g.LostCycle, c.want.lostCycle}} {
				f := strings.Fields(cy.want)
				if fmt.Sprint(cy.got.Deals) != f[0] {
					t.Errorf("%s: %d deals, want %s", cy.what, cy.got.Deals, f[0])
				}
				mean, median := strings.Trim(f[1], "-"), strings.Trim(f[2], "-")
				sameDec(t, cy.what+" mean", cy.got.Mean, mean)
				sameDec(t, cy.what+" median", cy.got.Median, median)
			}
		})
	}
}

func TestConversion(t *testing.T) {
	openAt := func(stage string, n int) []spec {
		return slices.Repeat([]spec{open(stage, "2024-01-01", "1")}, n)
	}
	for _, c := range []struct {
		name      string
		order     []string
		deals     []spec
		stages    []string // the report's order
		reached   []int64
		rates     []string // one per step, "" for nil
		unordered int64
	}{
		{name: "three ordered stages, won, lost and an unordered stage",
			order: []string{"Qualify", "Propose", "Negotiate"},
			deals: slices.Concat(openAt("Qualify", 3), openAt("propose", 2), openAt("Negotiate", 1), openAt("Other", 4),
				slices.Repeat([]spec{won("2024-01-01", "2024-02-01", "1")}, 2), slices.Repeat([]spec{lost("2024-01-01", "2024-02-01", "1")}, 5)),
			// Qualify: 6 open at or after + 2 won + 5 lost; Propose: 3 + 2;
			// Negotiate: 1 + 2.
			stages: []string{"Qualify", "Propose", "Negotiate"}, reached: []int64{13, 5, 3},
			rates: []string{"0.3846153846153846154", "0.6", "0.6666666666666666667"}, unordered: 4},
		{name: "a deal open on the day and won since counts as won, not at a stage",
			order: []string{"Qualify"},
			deals: []spec{open("Qualify", "2024-01-01", "1"), won("2024-01-01", "2024-12-01", "1")},
			// As of 2024-06-30 the won deal was open, stage unknown.
			stages: []string{"Qualify"}, reached: []int64{2}, rates: []string{"0.5"}},
		{name: "no deal reached any stage",
			order:  []string{"Qualify", "Propose"},
			stages: []string{"Qualify", "Propose"}, reached: []int64{0, 0}, rates: []string{"", ""}},
		{name: "the built-in order keeps the stages open deals are at",
			deals:  slices.Concat(openAt("Engaging", 2), openAt("prospecting", 1), openAt("Won", 1), []spec{won("2024-01-01", "2024-02-01", "1")}),
			stages: []string{"Prospecting", "Engaging"}, reached: []int64{4, 3}, rates: []string{"0.75", "0.3333333333333333333"}, unordered: 1},
		{name: "no ordered stage: no steps",
			deals:  slices.Concat(openAt("Custom", 2), []spec{won("2024-01-01", "2024-02-01", "1")}),
			stages: nil, reached: nil, rates: nil, unordered: 2},
		{name: "the query's spelling names the stage",
			order:  []string{"PROPOSAL"},
			deals:  slices.Concat(openAt("Proposal", 1), openAt("proposal", 1)),
			stages: []string{"PROPOSAL"}, reached: []int64{2}, rates: []string{"0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := compute(t, Query{Dim: dimension.Total, AsOf: day(t, "2024-06-30"), Stages: c.order}, c.deals...)
			conv := r.Total.Conversion
			if !slices.Equal(r.Stages, c.stages) {
				t.Fatalf("order %q, want %q", r.Stages, c.stages)
			}
			var reached []int64
			for i, re := range conv.Reached {
				if re.Stage != c.stages[i] {
					t.Errorf("reached %d is %q, want %q", i, re.Stage, c.stages[i])
				}
				reached = append(reached, re.Deals)
			}
			if !slices.Equal(reached, c.reached) {
				t.Errorf("reached %v, want %v", reached, c.reached)
			}
			if len(conv.Steps) != len(c.rates) {
				t.Fatalf("%d steps, want %d", len(conv.Steps), len(c.rates))
			}
			for i, st := range conv.Steps {
				to := WonStage
				if i+1 < len(c.stages) {
					to = c.stages[i+1]
				}
				if st.From != c.stages[i] || st.To != to {
					t.Errorf("step %d: %s→%s, want %s→%s", i, st.From, st.To, c.stages[i], to)
				}
				sameDec(t, st.From+"→"+st.To, st.Rate, c.rates[i])
			}
			if conv.Unordered != c.unordered {
				t.Errorf("unordered %d, want %d", conv.Unordered, c.unordered)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	specs := []spec{
		open("Proposal", "2024-01-01", "10").by("Bob"), won("2024-01-01", "2024-02-01", "100").by("Bob"),
		open("Proposal", "2024-01-01", "20").by("Ann"), lost("2024-01-01", "2024-02-01", "0").by("Ann"),
		open("Proposal", "2024-01-01", "40"), won("2024-01-01", "2024-03-01", "200"),
	}
	ds := deals(t, specs...)
	// An attribute map without the owner, and an empty owner, are
	// unassigned too.
	ds = append(ds, Deal{ID: "x", Stage: "Proposal", Outcome: Open, Created: day(t, "2024-01-01"), Value: "80",
		Attrs: map[dimension.Dimension]string{dimension.Industry: "retail"}})
	ds = append(ds, Deal{ID: "y", Stage: "Proposal", Outcome: Open, Created: day(t, "2024-01-01"), Value: "160",
		Attrs: map[dimension.Dimension]string{dimension.Owner: ""}})
	for _, c := range []struct {
		name   string
		dim    dimension.Dimension
		groups []string // value:open count/value:won count
	}{
		{name: "by owner, the unassigned group last", dim: dimension.Owner,
			groups: []string{"Ann:1/20:0", "Bob:1/10:1", "(unassigned):3/280:1"}},
		{name: "by a dimension no deal has", dim: dimension.Region,
			groups: []string{"(unassigned):5/310:2"}},
		{name: "total", dim: dimension.Total,
			groups: []string{"all:5/310:2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(ds, Query{Dim: c.dim, AsOf: day(t, "2024-06-30")})
			if err != nil {
				t.Fatal(err)
			}
			checkTotals(t, r)
			var got []string
			for _, g := range r.Groups {
				v := g.Value
				if g.Unassigned != (v == "") {
					t.Errorf("group %q: unassigned %v", v, g.Unassigned)
				}
				if g.Unassigned {
					v = "(unassigned)"
				}
				got = append(got, fmt.Sprintf("%s:%d/%s:%d", v, g.Open.Count, g.Open.Value, g.Closed.Won.Count))
			}
			if !slices.Equal(got, c.groups) {
				t.Errorf("groups %q, want %q", got, c.groups)
			}
			if r.Total.Value != dimension.TotalValue || r.Total.Unassigned || r.Total.Open.Count != 5 || r.Total.Closed.Won.Count != 2 {
				t.Errorf("total %q: open %d won %d, want all: 5 and 2", r.Total.Value, r.Total.Open.Count, r.Total.Closed.Won.Count)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		q    Query
		msg  string
	}{
		{name: "no dimension", q: Query{}, msg: `"" is not a dimension`},
		{name: "crossed dimension", q: Query{Dim: dimension.Cross(dimension.Owner, dimension.Product)}, msg: "is not a dimension"},
		{name: "from after to", q: Query{Dim: dimension.Total, From: day(t, "2024-02-01"), To: day(t, "2024-01-31")}, msg: "from 2024-02-01 is after to 2024-01-31"},
		{name: "a stage given twice", q: Query{Dim: dimension.Total, Stages: []string{"Proposal", " proposal"}}, msg: `stage " proposal"`},
		{name: "an empty stage", q: Query{Dim: dimension.Total, Stages: []string{"Proposal", " "}}, msg: `stage " "`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewAccumulator(c.q)
			if !errors.Is(err, ErrQuery) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("NewAccumulator = %v, want ErrQuery with %q", err, c.msg)
			}
			if _, err := Compute(nil, c.q); !errors.Is(err, ErrQuery) {
				t.Fatalf("Compute = %v, want ErrQuery", err)
			}
		})
	}
}

func TestAddErrors(t *testing.T) {
	t.Run("an invalid deal is left out and the accumulator goes on", func(t *testing.T) {
		acc, err := NewAccumulator(Query{Dim: dimension.Total})
		if err != nil {
			t.Fatal(err)
		}
		bad := Deal{ID: "bad", Stage: "Won", Outcome: Won, Value: "5"}
		if err := acc.Add(bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"bad"`) {
			t.Fatalf("Add = %v, want ErrInvalid naming the deal", err)
		}
		if err := acc.Add(deals(t, won("2024-01-01", "2024-01-05", "7"))[0]); err != nil {
			t.Fatal(err)
		}
		r, err := acc.Report()
		if err != nil || r.Total.Closed.Won.Count != 1 || tally(r.Total.Closed.Won) != "1/7/0/0" {
			t.Fatalf("Report = %+v, %v; want the one valid deal", r.Total.Closed.Won, err)
		}
	})
	t.Run("an overflowing sum is final", func(t *testing.T) {
		acc, err := NewAccumulator(Query{Dim: dimension.Total})
		if err != nil {
			t.Fatal(err)
		}
		big := deals(t, won("2024-01-01", "2024-01-05", "9999999999999999999"), won("2024-01-01", "2024-01-05", "9999999999999999999"))
		if err := acc.Add(big[0]); err != nil {
			t.Fatal(err)
		}
		if err := acc.Add(big[1]); !errors.Is(err, money.ErrOverflow) {
			t.Fatalf("Add = %v, want ErrOverflow", err)
		}
		if err := acc.Add(deals(t, open("Proposal", "2024-01-01", "1"))[0]); !errors.Is(err, money.ErrOverflow) {
			t.Fatalf("Add after an overflow = %v, want the overflow again", err)
		}
		if _, err := acc.Report(); !errors.Is(err, money.ErrOverflow) {
			t.Fatalf("Report = %v, want the overflow", err)
		}
	})
	t.Run("a total across groups that overflows", func(t *testing.T) {
		ds := deals(t, won("2024-01-01", "2024-01-05", "9999999999999999999").by("Ann"), won("2024-01-01", "2024-01-05", "9999999999999999999").by("Bob"))
		if _, err := Compute(ds, Query{Dim: dimension.Owner}); !errors.Is(err, money.ErrOverflow) || !strings.Contains(err.Error(), "total") {
			t.Fatalf("Compute = %v, want ErrOverflow on the total", err)
		}
	})
	t.Run("Compute names the deal", func(t *testing.T) {
		ds := deals(t, won("2024-01-01", "2024-01-05", "1"), spec{outcome: "maybe", stage: "X"})
		if _, err := Compute(ds, Query{Dim: dimension.Total}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "deal 1:") {
			t.Fatalf("Compute = %v, want ErrInvalid naming deal 1", err)
		}
	})
}

func TestQuo(t *testing.T) {
	r := func(s string) *big.Rat {
		x, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad fraction %q", s)
		}
		return x
	}
	for _, c := range []struct {
		name, num, den string
		want           string // "" for nil
		overflow       bool
	}{
		{name: "zero denominator", num: "1", den: "0"},
		{name: "a third to 19 decimal places", num: "1", den: "3", want: "0.3333333333333333333"},
		{name: "two thirds rounded up", num: "2", den: "3", want: "0.6666666666666666667"},
		{name: "19 significant digits of a whole part", num: "2000", den: "3", want: "666.6666666666666667"},
		{name: "exact", num: "10", den: "4", want: "2.5"},
		{name: "negative", num: "-1", den: "8", want: "-0.125"},
		{name: "rounding carries to a new digit", num: "99999999999999999999", den: "100000000000000000000", want: "1"},
		{name: "19 whole digits", num: "9999999999999999999", den: "1", want: "9999999999999999999"},
		{name: "20 whole digits overflow", num: "99999999999999999999", den: "1", overflow: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := quo(r(c.num), r(c.den))
			if c.overflow {
				if !errors.Is(err, money.ErrOverflow) {
					t.Fatalf("quo = %v, %v; want ErrOverflow", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameDec(t, "quo", got, c.want)
			if got != nil && got.String() != c.want {
				t.Errorf("quo = %s, want the digits %s", got, c.want)
			}
		})
	}
}
