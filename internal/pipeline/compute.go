package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// ErrQuery means a Query cannot be answered; NewAccumulator's and
// Compute's errors wrap it and say why.
var ErrQuery = errors.New("invalid pipeline query")

// WonStage names the end of the last conversion step, from the last
// ordered open stage to a won deal.
const WonStage = "Won"

// Query says how deals are grouped and which days the figures are for.
type Query struct {
	// Dim is the dimension deals are grouped by, one group per value of
	// the deal's attribute; dimension.Total gives the single group
	// dimension.TotalValue. A deal without the attribute falls in the
	// unassigned group.
	Dim dimension.Dimension
	// AsOf is the day, taken at its end, the open pipeline is reported
	// for. Zero means the data date (see Report.DataDate): the export's
	// own picture.
	AsOf period.Date
	// From and To bound, both included, the close dates of the won and
	// lost deals that count as closed; a zero bound leaves that side open.
	From, To period.Date
	// Stages orders the open stages from first to last for stage
	// conversion, matched ignoring case and surrounding spaces. Nil takes
	// DefaultStages, keeping only the stages some open deal is at.
	Stages []string
}

// DefaultStages returns the built-in order of common CRM open-stage names
// (Salesforce's, HubSpot's and the usual variants), first to last, that a
// Query without Stages orders stages by. A stage it does not list is
// unordered.
func DefaultStages() []string {
	return []string{
		"Lead", "New", "Prospecting", "Prospect", "Engaging", "Contacted",
		"Appointment Scheduled", "Qualification", "Qualifying", "Qualified",
		"Qualified To Buy", "Discovery", "Needs Analysis", "Value Proposition",
		"Id. Decision Makers", "Perception Analysis", "Presentation Scheduled",
		"Demo", "Solution", "Decision Maker Bought-In", "Proposal",
		"Proposal/Price Quote", "Quote", "Contract Sent", "Negotiation",
		"Negotiation/Review", "Commit", "Closing",
	}
}

// foldStage is the form stage names are matched in.
func foldStage(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Report is the pipeline figures of one Query.
type Report struct {
	Dim dimension.Dimension
	// AsOf is the day the open pipeline is for: the query's, or the data
	// date when the query gave none.
	AsOf period.Date
	// From and To are the query's close-date bounds (zero when open).
	From, To period.Date
	// DataDate is the latest created or close date over all deals, taken
	// as the day the data was exported; zero when no deal has a date.
	DataDate period.Date
	// Stages is the order of open stages conversion was computed over.
	Stages []string
	// Groups holds one Group per value of Dim, by value, the unassigned
	// group last.
	Groups []Group
	// Total is the figures over all deals; its counts and values are the
	// sums of the groups'.
	Total Group
}

// Group is the figures of the deals of one value of the query's dimension.
type Group struct {
	// Value is the dimension's value; "" when Unassigned.
	Value string
	// Unassigned is set on the group of deals without the dimension's
	// attribute (the API shows its value as null).
	Unassigned bool
	// Open is the open pipeline as of the report's AsOf.
	Open OpenPipeline
	// Closed is the deals won or lost within the report's From and To.
	Closed ClosedDeals
	// Conversion is the stage conversion over the ordered stages.
	Conversion Conversion
	// Velocity is the sales velocity in money per day: the deals of the
	// open pipeline (Open.Count) × win rate by count × average won deal ÷
	// mean won cycle in days. Nil when the win rate, the average won deal
	// or a non-zero mean won cycle is missing.
	Velocity *decimal.Decimal
}

// Tally counts deals and sums their values.
type Tally struct {
	// Count is the number of deals.
	Count int64
	// Value is the exact sum of the values the deals have.
	Value decimal.Decimal
	// Listed is how many of those values are list prices.
	Listed int64
	// NoValue is how many of the deals have no value.
	NoValue int64
}

// OpenPipeline is the open pipeline at the end of a day.
//
// An open deal (outcome open) counts when its created date is on or
// before that day, or, lacking a created date, when the day is on or
// after the data date: such a deal is only known to be open at the
// export. It counts at its stage. A won or lost deal counts when it was
// created on or before the day and closed after it; its stage on that
// day is unknown, so it counts in ClosedSince, not at a stage.
type OpenPipeline struct {
	// Tally is every deal of the open pipeline, ClosedSince's included.
	Tally
	// Stages is the open deals by stage: every ordered stage in order
	// (zero when none is there), then the unordered stages this group has
	// deals at, by name as spelt.
	Stages []StageTally
	// ClosedSince is the won and lost deals that were open that day.
	ClosedSince ClosedSince
}

// StageTally is the open deals at one stage.
type StageTally struct {
	// Stage is the stage's name: the order's spelling for an ordered
	// stage, the deals' own for an unordered one.
	Stage string
	// Ordered tells whether the stage is in the conversion order.
	Ordered bool
	Tally
}

// ClosedSince is the won and lost deals of an open pipeline.
type ClosedSince struct {
	Tally
	// Won and Lost split Count by how the deals closed.
	Won, Lost int64
}

// ClosedDeals is the deals won or lost with a close date within the
// bounds.
// Ratios are exact to 19 significant digits and nil when their
// denominator is zero.
type ClosedDeals struct {
	Won, Lost Tally
	// WinRate is won ÷ (won + lost) deals.
	WinRate *decimal.Decimal
	// WinRateByValue is won value ÷ (won + lost value), over the deals
	// with a value.
	WinRateByValue *decimal.Decimal
	// AverageWon is the won value ÷ the won deals with a value.
	AverageWon *decimal.Decimal
	// WonCycle and LostCycle are the days from created to closed.
	WonCycle, LostCycle Cycle
}

// Cycle is the sales cycle of deals that have a created date.
type Cycle struct {
	// Deals is how many deals have a created date; deals without one are
	// left out of the cycle.
	Deals int64
	// Mean and Median are in days; nil when Deals is zero. A median of an
	// even count is the mean of the middle two.
	Mean, Median *decimal.Decimal
}

// Conversion is stage conversion over the ordered open stages S1…Sk.
//
// Deals reached a stage Si when they are open at a stage at or after Si,
// or won: reached(Si) is the deals of the open pipeline at an ordered
// stage of index ≥ i, plus the won deals, plus, for S1 only, the lost
// deals, since where a lost deal was lost is unknown. Open deals are
// those of Group.Open at a stage (ClosedSince's stages are unknown, so
// they are left out), won and lost deals those of Group.Closed. Step
// Si→Si+1 converts reached(Si+1) ÷ reached(Si), and the last step
// Sk→WonStage won ÷ reached(Sk). Open deals at unordered stages are left
// out.
type Conversion struct {
	// Reached is reached(Si) for every ordered stage, in order.
	Reached []Reach
	// Steps is the k conversions, Si→Si+1 and then Sk→WonStage; none when
	// there is no ordered stage.
	Steps []Step
	// Unordered is the open deals at unordered stages, left out.
	Unordered int64
}

// Reach is how many deals reached a stage.
type Reach struct {
	Stage string
	Deals int64
}

// Step is the conversion from one stage to the next.
type Step struct {
	From, To string
	// Rate is nil when no deal reached From.
	Rate *decimal.Decimal
}

// Compute returns the figures of deals under q. It is Accumulator's
// one-call form; the errors are NewAccumulator's, Add's (naming the
// deal's index) and Report's.
func Compute(deals []Deal, q Query) (Report, error) {
	acc, err := NewAccumulator(q)
	if err != nil {
		return Report{}, err
	}
	for i, d := range deals {
		if err := acc.Add(d); err != nil {
			return Report{}, fmt.Errorf("deal %d: %w", i, err)
		}
	}
	return acc.Report()
}

// Accumulator computes a Report from deals fed one at a time, keeping
// per group and stage counts and sums and per group a histogram of cycle
// days, never the deals: memory grows with groups × stages and distinct
// cycle lengths, not with deals. An Accumulator is not safe for
// concurrent use.
type Accumulator struct {
	q Query
	// asOf, from and to are the query's days with zero bounds opened.
	asOf, from, to period.Date
	dataDate       period.Date

	groups map[string]int32 // value → index in values and states
	values []string
	states []*groupState

	stages     map[string]int32 // open deals' stage as spelt → stage id
	stageNames []string

	// err is the first failure that left the sums part-updated; every
	// later call returns it.
	err error
}

// groupState is what an Accumulator keeps per group.
type groupState struct {
	open    []Tally // open deals created by AsOf, by stage id
	undated []Tally // open deals without a created date, by stage id
	since   ClosedSince
	won     Tally
	lost    Tally
	wonCyc  cycleDays
	lostCyc cycleDays
}

// NewAccumulator returns an empty Accumulator for q. The error wraps
// ErrQuery when q has no dimension or a crossed one, when From is after
// To, or when Stages has an empty or repeated name.
func NewAccumulator(q Query) (*Accumulator, error) {
	if !slices.Contains(dimension.All(), q.Dim) {
		return nil, fmt.Errorf("%w: %q is not a dimension deals group by", ErrQuery, q.Dim)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return nil, fmt.Errorf("%w: from %s is after to %s", ErrQuery, q.From, q.To)
	}
	seen := map[string]bool{}
	for _, s := range q.Stages {
		f := foldStage(s)
		if f == "" || seen[f] {
			return nil, fmt.Errorf("%w: stage %q is empty or given twice", ErrQuery, s)
		}
		seen[f] = true
	}
	// A copy, so that the caller's slice may change while deals are fed.
	q.Stages = slices.Clone(q.Stages)
	a := &Accumulator{q: q, asOf: q.AsOf, from: q.From, to: q.To,
		groups: map[string]int32{}, stages: map[string]int32{}}
	if a.asOf.IsZero() {
		// As of the data date, every dated open deal is open and no
		// closed deal still is: the largest day gives both before the
		// data date is known.
		a.asOf = math.MaxInt32
	}
	if a.to.IsZero() {
		a.to = math.MaxInt32
	}
	return a, nil
}

// Add folds one deal into the figures. A deal that fails Validate is left
// out with an error wrapping ErrInvalid, and the Accumulator stays usable.
// A sum that would exceed 19 digits fails with an error wrapping
// money.ErrOverflow; that error is final: Add and Report return it from
// then on.
func (a *Accumulator) Add(d Deal) error {
	if a.err != nil {
		return a.err
	}
	v, hasValue, err := d.check()
	if err != nil {
		return err
	}
	a.dataDate = max(a.dataDate, d.Created, d.Closed)
	g := a.group(d)
	switch d.Outcome {
	case Open:
		s := a.stage(d.Stage)
		switch {
		case d.Created.IsZero():
			g.undated = grow(g.undated, s)
			err = g.undated[s].add(v, hasValue, d.Listed)
		case !d.Created.After(a.asOf):
			g.open = grow(g.open, s)
			err = g.open[s].add(v, hasValue, d.Listed)
		}
	default:
		if !d.Created.IsZero() && !d.Created.After(a.asOf) && d.Closed.After(a.asOf) {
			if err = g.since.add(v, hasValue, d.Listed); err != nil {
				break
			}
			if d.Outcome == Won {
				g.since.Won++
			} else {
				g.since.Lost++
			}
		}
		if d.Closed.Before(a.from) || d.Closed.After(a.to) {
			break
		}
		t, c := &g.won, &g.wonCyc
		if d.Outcome == Lost {
			t, c = &g.lost, &g.lostCyc
		}
		if err = t.add(v, hasValue, d.Listed); err == nil && !d.Created.IsZero() {
			c.add(d.Closed.DaysSince(d.Created))
		}
	}
	if err != nil {
		a.err = fmt.Errorf("deal %q: %w", d.ID, err)
		return a.err
	}
	return nil
}

// group returns the state of d's group, interning its value.
func (a *Accumulator) group(d Deal) *groupState {
	v := dimension.TotalValue
	if a.q.Dim != dimension.Total {
		v = d.Attrs[a.q.Dim] // "" for the unassigned group
	}
	i, ok := a.groups[v]
	if !ok {
		i = int32(len(a.states))
		a.groups[v] = i
		a.values = append(a.values, v)
		a.states = append(a.states, &groupState{})
	}
	return a.states[i]
}

// stage returns the id of an open deal's stage, interning its name.
func (a *Accumulator) stage(name string) int32 {
	i, ok := a.stages[name]
	if !ok {
		i = int32(len(a.stageNames))
		a.stages[name] = i
		a.stageNames = append(a.stageNames, name)
	}
	return i
}

// grow returns ts long enough to hold index i.
func grow(ts []Tally, i int32) []Tally {
	if int(i) < len(ts) {
		return ts
	}
	return append(ts, make([]Tally, int(i)+1-len(ts))...)
}

// add counts one deal with value v (when known) into t. On overflow t is
// unchanged.
func (t *Tally) add(v decimal.Decimal, known, listed bool) error {
	if !known {
		t.Count++
		t.NoValue++
		return nil
	}
	if err := money.AddTo(&t.Value, v); err != nil {
		return err
	}
	t.Count++
	if listed {
		t.Listed++
	}
	return nil
}

// merge adds o into t.
func (t *Tally) merge(o Tally) error {
	if err := money.AddTo(&t.Value, o.Value); err != nil {
		return err
	}
	t.Count += o.Count
	t.Listed += o.Listed
	t.NoValue += o.NoValue
	return nil
}

// denseDays is how many cycle lengths, from 0 days, a cycleDays counts in
// a slice; the rare longer cycles go to a map, so one stray date cannot
// make every group's histogram huge.
const denseDays = 4096

// cycleDays is a histogram of cycle lengths in days, from which the mean
// and the exact median follow without keeping the deals.
type cycleDays struct {
	n, sum int64
	dense  []int64
	sparse map[int]int64
}

func (c *cycleDays) add(days int) { c.addN(days, 1) }

func (c *cycleDays) addN(days int, n int64) {
	c.n += n
	c.sum += int64(days) * n
	if days < denseDays {
		if days >= len(c.dense) {
			c.dense = append(c.dense, make([]int64, days+1-len(c.dense))...)
		}
		c.dense[days] += n
		return
	}
	if c.sparse == nil {
		c.sparse = map[int]int64{}
	}
	c.sparse[days] += n
}

func (c *cycleDays) merge(o *cycleDays) {
	for d, n := range o.dense {
		if n > 0 {
			c.addN(d, n)
		}
	}
	for d, n := range o.sparse {
		c.addN(d, n)
	}
}

// nth returns the cycle length of rank k (from 0) in increasing order.
func (c *cycleDays) nth(k int64) int {
	for d, n := range c.dense {
		if k < n {
			return d
		}
		k -= n
	}
	for _, d := range slices.Sorted(maps.Keys(c.sparse)) {
		if k < c.sparse[d] {
			return d
		}
		k -= c.sparse[d]
	}
	panic("pipeline: cycle rank out of range") // unreachable: k < c.n
}

func (c *cycleDays) cycle() (Cycle, error) {
	out := Cycle{Deals: c.n}
	if c.n == 0 {
		return out, nil
	}
	mean, err := quo(ratInt(c.sum), ratInt(c.n))
	if err != nil {
		return Cycle{}, err
	}
	// (lo + hi) × 0.5 is exact: a whole or half day.
	median := decimal.MustNew(int64(c.nth((c.n-1)/2)+c.nth(c.n/2))*5, 1)
	out.Mean, out.Median = mean, &median
	return out, nil
}

func (g *groupState) merge(o *groupState) error {
	for _, p := range []struct {
		dst *[]Tally
		src []Tally
	}{{&g.open, o.open}, {&g.undated, o.undated}} {
		for s, t := range p.src {
			*p.dst = grow(*p.dst, int32(s))
			if err := (*p.dst)[s].merge(t); err != nil {
				return err
			}
		}
	}
	for _, p := range []struct{ dst, src *Tally }{{&g.since.Tally, &o.since.Tally}, {&g.won, &o.won}, {&g.lost, &o.lost}} {
		if err := p.dst.merge(*p.src); err != nil {
			return err
		}
	}
	g.since.Won += o.since.Won
	g.since.Lost += o.since.Lost
	g.wonCyc.merge(&o.wonCyc)
	g.lostCyc.merge(&o.lostCyc)
	return nil
}

// Report returns the figures of the deals added so far. It fails with the
// error that ended Add, and with an error wrapping money.ErrOverflow when
// a total across groups or a ratio does not fit 19 digits.
func (a *Accumulator) Report() (Report, error) {
	if a.err != nil {
		return Report{}, a.err
	}
	r := Report{Dim: a.q.Dim, AsOf: a.q.AsOf, From: a.q.From, To: a.q.To, DataDate: a.dataDate}
	if r.AsOf.IsZero() {
		r.AsOf = a.dataDate
	}
	// Without any date the export's day is unknown, so undated open deals
	// count only in the pipeline as of the export itself.
	undated := a.q.AsOf.IsZero() || !a.dataDate.IsZero() && !a.q.AsOf.Before(a.dataDate)
	order, ranks := a.order()
	r.Stages = order
	var total groupState
	for i, st := range a.states {
		if err := total.merge(st); err != nil {
			return Report{}, fmt.Errorf("total over groups: %w", err)
		}
		g, err := a.build(st, r.Stages, ranks, undated)
		if err != nil {
			return Report{}, fmt.Errorf("group %q: %w", a.values[i], err)
		}
		g.Value, g.Unassigned = a.values[i], a.values[i] == ""
		r.Groups = append(r.Groups, g)
	}
	slices.SortFunc(r.Groups, func(x, y Group) int {
		if x.Unassigned != y.Unassigned {
			if x.Unassigned {
				return 1
			}
			return -1
		}
		return cmp.Compare(x.Value, y.Value)
	})
	var err error
	if r.Total, err = a.build(&total, r.Stages, ranks, undated); err != nil {
		return Report{}, fmt.Errorf("total: %w", err)
	}
	r.Total.Value = dimension.TotalValue
	return r, nil
}

// order returns the ordered stages and, per stage id, its index in them
// (-1 when unordered).
func (a *Accumulator) order() ([]string, []int) {
	order := a.q.Stages
	if order == nil {
		seen := map[string]bool{}
		for _, name := range a.stageNames {
			seen[foldStage(name)] = true
		}
		for _, s := range DefaultStages() {
			if seen[foldStage(s)] {
				order = append(order, s)
			}
		}
	}
	index := make(map[string]int, len(order))
	for i, s := range order {
		index[foldStage(s)] = i
	}
	ranks := make([]int, len(a.stageNames))
	for id, name := range a.stageNames {
		r, ok := index[foldStage(name)]
		if !ok {
			r = -1
		}
		ranks[id] = r
	}
	return slices.Clone(order), ranks
}

// build turns a group's state into its figures.
func (a *Accumulator) build(st *groupState, order []string, ranks []int, undated bool) (Group, error) {
	var g Group
	ordered := make([]StageTally, len(order))
	for i, s := range order {
		ordered[i] = StageTally{Stage: s, Ordered: true}
	}
	unordered := map[string]*StageTally{}
	for id := range a.stageNames {
		var t Tally
		if id < len(st.open) {
			t = st.open[id]
		}
		if undated && id < len(st.undated) {
			if err := t.merge(st.undated[id]); err != nil {
				return Group{}, err
			}
		}
		if t.Count == 0 {
			continue
		}
		var dst *StageTally
		if ranks[id] >= 0 {
			dst = &ordered[ranks[id]]
		} else {
			name := a.stageNames[id]
			if unordered[name] == nil {
				unordered[name] = &StageTally{Stage: name}
			}
			dst = unordered[name]
		}
		if err := dst.merge(t); err != nil {
			return Group{}, err
		}
	}
	g.Open.Stages = ordered
	for _, name := range slices.Sorted(maps.Keys(unordered)) {
		g.Open.Stages = append(g.Open.Stages, *unordered[name])
	}
	g.Open.ClosedSince = st.since
	for _, s := range g.Open.Stages {
		if err := g.Open.merge(s.Tally); err != nil {
			return Group{}, err
		}
	}
	if err := g.Open.merge(st.since.Tally); err != nil {
		return Group{}, err
	}

	var err error
	if g.Closed, err = closedDeals(st); err != nil {
		return Group{}, err
	}
	g.Conversion, err = conversion(ordered, g.Open.Stages[len(ordered):], g.Closed)
	if err != nil {
		return Group{}, err
	}
	g.Velocity, err = velocity(g.Open.Count, g.Closed, st.wonCyc)
	return g, err
}

// closed returns the closed-deal figures of a group.
func closedDeals(st *groupState) (ClosedDeals, error) {
	c := ClosedDeals{Won: st.won, Lost: st.lost}
	var err error
	if c.WinRate, err = quo(ratInt(c.Won.Count), ratInt(c.Won.Count+c.Lost.Count)); err != nil {
		return ClosedDeals{}, err
	}
	won, lost := ratDec(c.Won.Value), ratDec(c.Lost.Value)
	if c.WinRateByValue, err = quo(won, new(big.Rat).Add(won, lost)); err != nil {
		return ClosedDeals{}, err
	}
	if c.AverageWon, err = quo(won, ratInt(c.Won.Count-c.Won.NoValue)); err != nil {
		return ClosedDeals{}, err
	}
	if c.WonCycle, err = st.wonCyc.cycle(); err != nil {
		return ClosedDeals{}, err
	}
	c.LostCycle, err = st.lostCyc.cycle()
	return c, err
}

// conversion returns the stage conversion of a group from its open deals
// at ordered and unordered stages and its closed deals.
func conversion(ordered, unordered []StageTally, c ClosedDeals) (Conversion, error) {
	var out Conversion
	for _, s := range unordered {
		out.Unordered += s.Count
	}
	k := len(ordered)
	if k == 0 {
		return out, nil
	}
	out.Reached = make([]Reach, k)
	atOrAfter := int64(0)
	for i := k - 1; i >= 0; i-- {
		atOrAfter += ordered[i].Count
		out.Reached[i] = Reach{Stage: ordered[i].Stage, Deals: atOrAfter + c.Won.Count}
	}
	out.Reached[0].Deals += c.Lost.Count
	for i := range k {
		to, num := WonStage, c.Won.Count
		if i+1 < k {
			to, num = out.Reached[i+1].Stage, out.Reached[i+1].Deals
		}
		rate, err := quo(ratInt(num), ratInt(out.Reached[i].Deals))
		if err != nil {
			return Conversion{}, err
		}
		out.Steps = append(out.Steps, Step{From: out.Reached[i].Stage, To: to, Rate: rate})
	}
	return out, nil
}

// velocity returns open × win rate × average won deal ÷ mean won cycle,
// computed as one exact fraction so that no intermediate rounding or
// 19-digit limit applies before the result.
func velocity(open int64, c ClosedDeals, cyc cycleDays) (*decimal.Decimal, error) {
	valued := c.Won.Count - c.Won.NoValue
	if c.WinRate == nil || valued == 0 || cyc.n == 0 || cyc.sum == 0 {
		return nil, nil
	}
	num := ratInt(open)
	num.Mul(num, ratInt(c.Won.Count))
	num.Mul(num, ratDec(c.Won.Value))
	num.Mul(num, ratInt(cyc.n))
	den := ratInt(c.Won.Count + c.Lost.Count)
	den.Mul(den, ratInt(valued))
	den.Mul(den, ratInt(cyc.sum))
	return quo(num, den)
}
