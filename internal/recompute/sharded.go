package recompute

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// ErrShardMismatch means a shard's base does not match the plan's
// labels for it: the histories changed between the two passes, or the
// loader returned another shard.
var ErrShardMismatch = errors.New("shard does not match the plan")

// ShardLoader returns the base of shard s of a customer base split into
// shards (see package shard): every purchase of every customer whose id
// falls in s, folded. AnalyzeShards calls it once per shard and pass, so
// a loader reads the shard's histories again rather than keep them; the
// Base it returns is not modified.
type ShardLoader func(ctx context.Context, s int) (*analytics.Base, error)

// AnalyzeShards computes the snapshot Analyze computes on the union of n
// shards' bases, holding one shard's purchases at a time per worker: a
// first pass summarises each shard (SummarizeShard), a reduce derives the
// global thresholds, the CLV model and every customer's labels from the
// summaries (PlanShards), a second pass computes each shard's parts with
// them (Plan.AssignShard), and the parts are added up (Plan.Merge).
// Sums are exact and labels identical for any n; only float figures
// summed over customers (forecasts, mean CLV of acquisition cohorts) may
// differ in their last bits. workers bound the shards loaded at once. The
// first error of any shard stops the others and is returned.
func AnalyzeShards(ctx context.Context, n, workers int, load ShardLoader, accounts []analytics.Prospect, spend []history.Spend, asOf time.Time) (snapshot.Snapshot, error) {
	if err := shard.Check(n); err != nil {
		return snapshot.Snapshot{}, err
	}
	sums := make([]ShardSummary, n)
	err := eachShard(ctx, n, workers, func(ctx context.Context, s int) error {
		b, err := load(ctx, s)
		if err != nil {
			return err
		}
		sums[s] = SummarizeShard(s, b)
		return nil
	})
	if err != nil {
		return snapshot.Snapshot{}, err
	}
	counts := make([]int, n)
	for s := range sums {
		counts[s] = len(sums[s].Customers)
	}
	plan, err := PlanShards(ctx, counts, func(s int) (ShardSummary, error) {
		sum := sums[s]
		sums[s] = ShardSummary{} // the plan moves the customers out
		return sum, nil
	}, asOf)
	if err != nil {
		return snapshot.Snapshot{}, err
	}
	if plan.Empty() {
		return plan.Merge(nil, nil)
	}
	results := make([]ShardResult, n)
	err = eachShard(ctx, n, workers, func(ctx context.Context, s int) error {
		b, err := load(ctx, s)
		if err != nil {
			return err
		}
		results[s], err = plan.AssignShard(s, b, accounts, spend)
		return err
	})
	if err != nil {
		return snapshot.Snapshot{}, err
	}
	return plan.Merge(results, spend)
}

// eachShard calls fn for shards 0 to n−1 on at most workers goroutines (at
// least one) and returns the first error, which cancels the context of
// the calls still running and stops handing out shards.
func eachShard(ctx context.Context, n, workers int, fn func(ctx context.Context, s int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for s := range next {
				if err := fn(ctx, s); err != nil {
					cancel(fmt.Errorf("shard %d: %w", s, err))
				}
			}
		})
	}
feed:
	for s := range n {
		select {
		case next <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// ShardSummary is what the first pass keeps of one shard: its customers
// in id order without their months, latest attributes or names (ranking,
// RFM and the CLV fit read none of them), with their revenue shares of
// the dimensions that split customers (for tiers within a value), and
// whether every purchase of the shard carried a cost.
type ShardSummary struct {
	Shard        int                  `json:"shard"`
	Customers    []analytics.Customer `json:"customers"`
	CostComplete bool                 `json:"cost_complete"`
}

// SummarizeShard is the first pass over shard s's base.
func SummarizeShard(s int, b *analytics.Base) ShardSummary {
	out := ShardSummary{Shard: s, Customers: make([]analytics.Customer, len(b.Customers)),
		CostComplete: analytics.PaybackBasis(b) == analytics.BasisGrossMargin}
	for i := range b.Customers {
		c := b.Customers[i]
		strip(&c)
		// Product dimensions never split customers; their shares are
		// most of a customer's and none of the plan's.
		c.Shares = slices.DeleteFunc(slices.Clone(c.Shares), func(v analytics.ValueRevenue) bool {
			return analytics.CustomerDimension(v.Dim) != nil
		})
		out.Customers[i] = c
	}
	return out
}

// Plan is what the reduce derives from every shard's summary: the
// snapshot's meta and dimensions, the tiers within each value, and every
// customer's global labels, by shard.
type Plan struct {
	// Meta is the snapshot's, but for the lookalikes' warning Merge may
	// add.
	Meta snapshot.Meta `json:"meta"`
	// Dims are the dimensions the snapshot has parts for.
	Dims []dimension.Dimension `json:"dims"`
	// FirstDay and LastDay span every purchase of every shard; each
	// shard's base is measured over them (bridges' periods, payback
	// windows).
	FirstDay    period.Date                                 `json:"first_day"`
	LastDay     period.Date                                 `json:"last_day"`
	TiersWithin map[dimension.Dimension][]analytics.Summary `json:"tiers_within"`
	// Trusted is set when the CLV model is: quadrants, forecasts and
	// predictions are computed.
	Trusted bool `json:"trusted"`
	// HoldoutEnd is the calibration end of the CLV model's holdout
	// check (see HoldoutEnd), 0 when the data is too short for one.
	HoldoutEnd period.Date `json:"holdout_end"`
	// Basis is the acquisition cost's payback basis.
	Basis   string        `json:"basis"`
	RFMAsOf period.Date   `json:"rfm_as_of"`
	Labels  []ShardLabels `json:"labels"`
}

// RFMScore is a customer's R, F and M scores, 1 to 5: all a shard needs
// of its RFM, in a fraction of analytics.RFMScore's memory.
type RFMScore [3]uint8

// ShardLabels are the global labels of one shard's customers, in the
// shard base's order: value tier, RFM scores and group, quadrant and CLV
// predictions (both nil when the model was withheld). Groups are numbered
// as their Assignment's, in a byte: the plan holds every customer's.
type ShardLabels struct {
	Tiers       []uint8                `json:"tiers"`
	RFMScores   []RFMScore             `json:"rfm_scores"`
	RFM         []uint8                `json:"rfm"`
	Quadrants   []uint8                `json:"quadrants,omitempty"`
	Predictions []analytics.Prediction `json:"predictions,omitempty"`
}

// Empty reports whether no shard had a customer: Merge then gives a
// snapshot with only a Meta.
func (p *Plan) Empty() bool { return p.Meta.Customers == 0 }

// PlanShards merges the summaries of the shards, counts[s] being shard
// s's number of customers, read one at a time from summary (shard 0
// first; each sorted by id), into the base's customers in id order (the
// order Analyze ranks ties in), and computes on them the meta, value
// tiers, RFM scores, the CLV model and quadrants, and the tiers within
// each value. asOf is as for Analyze. Errors of summary are returned as
// they are; ErrShardMismatch means a summary is of another shard or
// count.
func PlanShards(ctx context.Context, counts []int, summary func(s int) (ShardSummary, error), asOf time.Time) (*Plan, error) {
	// The summaries are moved into one array of the right size as they
	// are read, then put in id order in place: the customers are in
	// memory once, not twice.
	type origin struct{ s, i int32 }
	n, count := len(counts), 0
	for _, c := range counts {
		count += c
	}
	// Customers' revenue shares go into one table per dimension as they
	// are read: in the summaries' own form they would take more memory
	// than the rest of the customers.
	customers := make([]analytics.Customer, 0, count)
	order := make([]origin, 0, count)
	shares := map[dimension.Dimension]*analytics.ShareTable{}
	costComplete := true
	for s := range n {
		sum, err := summary(s)
		if err != nil {
			return nil, err
		}
		if sum.Shard != s || len(sum.Customers) != counts[s] || len(customers)+counts[s] > count {
			return nil, fmt.Errorf("%w: summary %d is of shard %d with %d customers, want %d", ErrShardMismatch, s, sum.Shard, len(sum.Customers), counts[s])
		}
		for i := range sum.Customers {
			c := &sum.Customers[i]
			for _, v := range c.Shares {
				t := shares[v.Dim]
				if t == nil {
					t = analytics.NewShareTable(v.Dim)
					shares[v.Dim] = t
				}
				t.Add(len(customers), v.Value, v.Revenue)
			}
			c.Shares = nil
			customers = append(customers, *c)
			order = append(order, origin{int32(s), int32(i)})
		}
		costComplete = costComplete && sum.CostComplete
	}
	base := &analytics.Base{Customers: customers}
	perm := sortByID(base.Customers)
	permute(order, perm)
	if len(shares) > 0 {
		to := make([]int32, count)
		for k, old := range perm {
			to[old] = int32(k)
		}
		for _, t := range shares {
			t.Renumber(to)
		}
	}
	for k := range base.Customers {
		c := &base.Customers[k]
		if k == 0 {
			base.FirstDay, base.LastDay = c.FirstDay, c.LastDay
		}
		base.FirstDay, base.LastDay = min(base.FirstDay, c.FirstDay), max(base.LastDay, c.LastDay)
	}
	p := &Plan{FirstDay: base.FirstDay, LastDay: base.LastDay, Basis: analytics.BasisGrossMargin, Labels: make([]ShardLabels, n)}
	if !costComplete {
		p.Basis = analytics.BasisRevenue
	}
	if base.Len() == 0 {
		p.Meta = snapshot.Meta{AsOf: asOf.Format(time.DateOnly), Revenue: "0", Warnings: []string{"no customer history yet"}}
		return p, nil
	}
	var moved string
	if last := base.LastDay.Time(); asOf.Before(last) {
		if !asOf.IsZero() {
			// Said, not silent: recency, T and CLV are measured from
			// a later day than asked.
			moved = fmt.Sprintf("As of %s is before the last purchase on %s, so everything is measured as of %s; "+
				"to check the model on later purchases, leave them out (salesseg analyze -as-of does).",
				asOf.Format(time.DateOnly), base.LastDay, base.LastDay)
		}
		asOf = last
	}
	if end, ok := HoldoutEnd(base.FirstDay, base.LastDay); ok {
		p.HoldoutEnd = end
	}
	total, err := base.Revenue()
	if err != nil {
		return nil, err
	}
	meta := snapshot.Meta{AsOf: asOf.Format(time.DateOnly), FirstDay: base.FirstDay.String(), LastDay: base.LastDay.String(),
		Customers: base.Len(), Revenue: total.String(), Warnings: []string{}}
	if moved != "" {
		meta.Warnings = append(meta.Warnings, moved)
	}
	for _, c := range base.Customers {
		meta.Purchases += int64(c.PurchaseDays)
	}
	p.Dims = []dimension.Dimension{dimension.Total}
	for _, d := range dimension.All()[1:] {
		// Product dimensions do not split customers: the summaries have
		// no shares of them.
		if t := shares[d]; t != nil && t.Carried() {
			p.Dims = append(p.Dims, d)
		}
	}
	for _, d := range p.Dims {
		meta.Dimensions = append(meta.Dimensions, string(d))
	}
	p.TiersWithin = map[dimension.Dimension][]analytics.Summary{}
	for _, d := range p.Dims[1:] {
		if p.TiersWithin[d], err = shares[d].TiersWithin(base, analytics.DefaultTierConfig()); err != nil {
			return nil, fmt.Errorf("tiers within %s: %w", d, err)
		}
		delete(shares, d) // nothing further reads them
	}
	clear(shares)
	// Each analysis's labels are handed to the shards before the next
	// runs, which lets the collector take the analysis: memory holds the
	// customers, the labels and one analysis at a time.
	for s := range p.Labels {
		p.Labels[s] = ShardLabels{Tiers: make([]uint8, counts[s]), RFMScores: make([]RFMScore, counts[s]), RFM: make([]uint8, counts[s])}
	}
	tiers, err := analytics.Tiers(base, analytics.DefaultTierConfig())
	if err != nil {
		return nil, fmt.Errorf("tiers: %w", err)
	}
	for k, o := range order {
		p.Labels[o.s].Tiers[o.i] = uint8(tiers.Of[k])
	}
	rfm, err := analytics.RFM(base, analytics.RFMConfig{AsOf: asOf})
	if err != nil {
		return nil, fmt.Errorf("rfm: %w", err)
	}
	p.RFMAsOf = rfm.AsOf
	for k, o := range order {
		sc := rfm.Scores[k]
		p.Labels[o.s].RFMScores[o.i] = RFMScore{uint8(sc.R), uint8(sc.F), uint8(sc.M)}
		p.Labels[o.s].RFM[o.i] = uint8(rfm.Of[k])
	}
	fit, err := analytics.FitCLV(ctx, base, analytics.CLVConfig{AsOf: asOf})
	if err != nil {
		return nil, fmt.Errorf("clv: %w", err)
	}
	meta.CLVStatus, meta.CLVReason = string(fit.Status), fit.Reason
	if m := fit.Model; m.Purchases.Validate() == nil {
		meta.CLV = &snapshot.CLVParams{R: m.Purchases.R, Alpha: m.Purchases.Alpha, A: m.Purchases.A, B: m.Purchases.B,
			P: m.Spend.P, Q: m.Spend.Q, Gamma: m.Spend.Gamma, LogLikelihood: fit.PurchasesInfo.LogLikelihood,
			UnitDays: m.UnitDays, HorizonMonths: 12, RepeatBuyers: fit.SpendInfo.Customers, SpendLogLikelihood: fit.SpendInfo.LogLikelihood}
	}
	if fit.Note != "" {
		meta.Warnings = append(meta.Warnings, fit.Note)
	}
	if !fit.Trusted() {
		meta.Warnings = append(meta.Warnings, fit.Reason)
	} else {
		quads, err := analytics.Quadrants(ctx, base, fit.Model, analytics.QuadrantConfig{})
		if err != nil {
			return nil, fmt.Errorf("quadrants: %w", err)
		}
		p.Trusted = true
		for s := range p.Labels {
			p.Labels[s].Quadrants, p.Labels[s].Predictions = make([]uint8, counts[s]), make([]analytics.Prediction, counts[s])
		}
		for k, o := range order {
			p.Labels[o.s].Quadrants[o.i] = uint8(quads.Of[k])
			p.Labels[o.s].Predictions[o.i] = quads.Predictions[k]
		}
	}
	p.Meta = meta
	return p, nil
}

// strip drops what of a customer no fit or ranking reads: months, latest
// attributes and name, which a base holds for the parts alone.
func strip(c *analytics.Customer) { c.Months, c.Attrs, c.Name = nil, nil, "" }

// sortByID puts customers in id order in place, the order Analyze ranks
// ties in, and returns the permutation applied (see permute) so that
// arrays aligned with them can follow.
func sortByID(customers []analytics.Customer) []int32 {
	perm := make([]int32, len(customers))
	for k := range perm {
		perm[k] = int32(k)
	}
	slices.SortFunc(perm, func(x, y int32) int { return strings.Compare(customers[x].ID, customers[y].ID) })
	permute(customers, perm)
	return perm
}

// permute puts xs in the order perm gives, xs[k] becoming the old
// xs[perm[k]], in place (following each cycle of the permutation once,
// with perm restored on return).
func permute[T any](xs []T, perm []int32) {
	for start := range perm {
		if perm[start] < 0 {
			continue
		}
		tmp := xs[start]
		k := start
		for {
			next := int(perm[k])
			perm[k] = ^perm[k] // visited
			if next == start {
				xs[k] = tmp
				break
			}
			xs[k] = xs[next]
			k = next
		}
	}
	for k := range perm {
		perm[k] = ^perm[k]
	}
}

// widen returns a shard's group numbers as an Assignment holds them.
func widen(groups []uint8) []int {
	out := make([]int, len(groups))
	for i, g := range groups {
		out[i] = int(g)
	}
	return out
}

// ShardResult is what the second pass computes on one shard: the parts
// of every dimension of the plan (in its order) over the shard's
// customers, its acquisition cohorts (by spend dimension, then grain),
// its best customers, and its lookalike profile and prospects that never
// bought.
type ShardResult struct {
	Dimensions  []snapshot.DimensionParts   `json:"dimensions"`
	Acquisition []analytics.AcquisitionPart `json:"acquisition,omitempty"`
	Top         []RankedCustomer            `json:"top"`
	Profile     analytics.LookalikeProfile  `json:"profile"`
	NonBuyers   []analytics.Prospect        `json:"non_buyers,omitempty"`
}

// RankedCustomer is a customer of the snapshot's ranked list with what
// it is ranked by.
type RankedCustomer struct {
	CLV      float64              `json:"clv"`
	Revenue  decimal.Decimal      `json:"revenue"`
	Customer snapshot.TopCustomer `json:"customer"`
	// Predicted says the model's figures below are the customer's; the
	// Customer's pointers to them are set from these when the list is
	// made, since encoding/gob, which carries results between steps,
	// sends a pointer to zero as nil.
	Predicted         bool    `json:"predicted"`
	PAlive            float64 `json:"p_alive"`
	ExpectedPurchases float64 `json:"expected_purchases"`
}

// byRank orders ranked customers by CLV (0 for all when the model was
// withheld), then revenue, both highest first, then id.
func byRank(x, y RankedCustomer) int {
	if c := cmp.Compare(y.CLV, x.CLV); c != 0 {
		return c
	}
	if c := y.Revenue.Cmp(x.Revenue); c != 0 {
		return c
	}
	return strings.Compare(x.Customer.ID, y.Customer.ID)
}

// inShard returns the accounts whose id falls in shard s of n.
func inShard(accounts []analytics.Prospect, s, n int) []analytics.Prospect {
	if n == 1 {
		return accounts
	}
	var out []analytics.Prospect
	for _, a := range accounts {
		if shard.Of(a.ID, n) == s {
			out = append(out, a)
		}
	}
	return out
}

// AssignShard is the second pass over shard s's base b with the plan's
// labels; accounts and spend are every account and all spend (each shard
// takes the accounts whose id falls in it). The error wraps
// ErrShardMismatch when b is not the shard the plan was made from.
func (p *Plan) AssignShard(s int, b *analytics.Base, accounts []analytics.Prospect, spend []history.Spend) (ShardResult, error) {
	if s < 0 || s >= len(p.Labels) || len(p.Labels[s].Tiers) != b.Len() {
		return ShardResult{}, fmt.Errorf("%w: shard %d has %d customers", ErrShardMismatch, s, b.Len())
	}
	n := len(p.Labels)
	// The shard is measured over the whole base's days.
	bs := *b
	bs.FirstDay, bs.LastDay = p.FirstDay, p.LastDay
	l := p.Labels[s]
	tiers := analytics.Assignment{Groups: analytics.DefaultTierConfig().Names, Of: widen(l.Tiers)}
	scores := make([]analytics.RFMScore, len(l.RFMScores))
	for i, sc := range l.RFMScores {
		scores[i] = analytics.RFMScore{R: int(sc[0]), F: int(sc[1]), M: int(sc[2])}
	}
	rfm := analytics.RFMResult{AsOf: p.RFMAsOf, Scores: scores, Assignment: analytics.Assignment{Groups: analytics.RFMGroups(), Of: widen(l.RFM)}}
	var quads *analytics.QuadrantResult
	if p.Trusted {
		quads = &analytics.QuadrantResult{Predictions: l.Predictions, Assignment: analytics.Assignment{Groups: analytics.QuadrantGroups(), Of: widen(l.Quadrants)}}
	}
	prospects := inShard(accounts, s, n)
	var out ShardResult
	var err error
	for _, d := range p.Dims {
		part := snapshot.DimensionParts{Dimension: d, Bridges: map[analytics.Grain][]analytics.BridgeRow{}}
		if part.Tiers, err = tiers.Summarize(&bs, d); err != nil {
			return ShardResult{}, fmt.Errorf("tiers by %s: %w", d, err)
		}
		if part.RFM, err = rfm.Summarize(&bs, d); err != nil {
			return ShardResult{}, fmt.Errorf("rfm by %s: %w", d, err)
		}
		if quads != nil {
			if part.Quadrants, err = quads.Summarize(&bs, d); err != nil {
				return ShardResult{}, fmt.Errorf("quadrants by %s: %w", d, err)
			}
			if part.Forecast, err = analytics.Forecast(&bs, quads.Predictions, d); err != nil {
				return ShardResult{}, fmt.Errorf("forecast by %s: %w", d, err)
			}
		}
		for _, g := range snapshot.BridgeGrains() {
			if part.Bridges[g], err = analytics.Bridge(&bs, analytics.BridgeConfig{Grain: g, Dimension: d, Prospects: prospects}); err != nil {
				return ShardResult{}, fmt.Errorf("bridge by %s %s: %w", d, g, err)
			}
		}
		out.Dimensions = append(out.Dimensions, part)
	}
	if len(spend) > 0 {
		var preds []analytics.Prediction
		if quads != nil {
			preds = quads.Predictions
		}
		for _, d := range analytics.SpendDimensions(spend) {
			for _, g := range snapshot.BridgeGrains() {
				a, err := analytics.AcquisitionCohorts(&bs, spend, analytics.AcquisitionConfig{Grain: g, Dimension: d, Predictions: preds}, p.Basis)
				if err != nil {
					return ShardResult{}, fmt.Errorf("acquisition by %s %s: %w", d, g, err)
				}
				out.Acquisition = append(out.Acquisition, a)
			}
		}
	}
	out.Top = topCustomers(&bs, tiers, rfm, quads)
	seeds, err := tiers.Members("A")
	if err != nil {
		return ShardResult{}, err
	}
	if out.Profile, err = analytics.NewLookalikeProfile(&bs, seeds, nil); err != nil {
		return ShardResult{}, err
	}
	for _, a := range prospects {
		if _, bought := bs.Index(a.ID); !bought {
			out.NonBuyers = append(out.NonBuyers, a)
		}
	}
	return out, nil
}

// Merge adds up the shards' results, results[s] being shard s's, into the
// snapshot; spend is what AssignShard was given.
func (p *Plan) Merge(results []ShardResult, spend []history.Spend) (snapshot.Snapshot, error) {
	m := p.NewMerger()
	for _, r := range results {
		if err := m.Add(r); err != nil {
			return snapshot.Snapshot{}, err
		}
	}
	return m.Snapshot(spend)
}

// Merger adds up the shards' results one at a time, in shard order (the
// order float sums are made in), holding their sum and never more than
// the best maxTopCustomers customers: the publication reads results one
// by one in bounded memory.
type Merger struct {
	p         *Plan
	added     int
	dims      []snapshot.DimensionParts
	acq       []analytics.AcquisitionPart
	top       []RankedCustomer
	profile   analytics.LookalikeProfile
	nonBuyers []analytics.Prospect
}

// NewMerger returns a Merger of the plan's shards.
func (p *Plan) NewMerger() *Merger { return &Merger{p: p} }

// Add adds the next shard's result. The error wraps ErrShardMismatch
// when the result is not of the plan's dimensions and spend, or
// money.ErrOverflow.
func (m *Merger) Add(r ShardResult) error {
	if len(r.Dimensions) != len(m.p.Dims) {
		return fmt.Errorf("%w: a result of %d dimensions, plan of %d", ErrShardMismatch, len(r.Dimensions), len(m.p.Dims))
	}
	m.top = append(m.top, r.Top...)
	slices.SortFunc(m.top, byRank)
	m.top = m.top[:min(len(m.top), maxTopCustomers)]
	m.nonBuyers = append(m.nonBuyers, r.NonBuyers...)
	if m.added == 0 {
		m.dims, m.acq, m.profile = r.Dimensions, r.Acquisition, r.Profile
		m.added++
		// Rates are set again from the counts: a result that came
		// through encoding/gob lost its pointers to zero rates.
		for k := range m.dims {
			if m.dims[k].Bridges == nil {
				m.dims[k].Bridges = map[analytics.Grain][]analytics.BridgeRow{}
			}
			for _, g := range snapshot.BridgeGrains() {
				var err error
				if m.dims[k].Bridges[g], err = analytics.MergeBridges(m.dims[k].Bridges[g]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	m.added++
	if len(r.Acquisition) != len(m.acq) {
		return fmt.Errorf("%w: a result of %d acquisition parts, not %d", ErrShardMismatch, len(r.Acquisition), len(m.acq))
	}
	var err error
	if m.profile, err = analytics.MergeLookalikeProfiles(m.profile, r.Profile); err != nil {
		return err
	}
	for k := range m.acq {
		if m.acq[k], err = analytics.MergeAcquisitionParts(m.acq[k], r.Acquisition[k]); err != nil {
			return fmt.Errorf("acquisition: %w", err)
		}
	}
	for k, d := range m.p.Dims {
		acc, part := &m.dims[k], r.Dimensions[k]
		if acc.Tiers, err = analytics.MergeSummaries(d, acc.Tiers, part.Tiers); err != nil {
			return fmt.Errorf("tiers by %s: %w", d, err)
		}
		if acc.RFM, err = analytics.MergeSummaries(d, acc.RFM, part.RFM); err != nil {
			return fmt.Errorf("rfm by %s: %w", d, err)
		}
		if m.p.Trusted {
			if acc.Quadrants, err = analytics.MergeSummaries(d, acc.Quadrants, part.Quadrants); err != nil {
				return fmt.Errorf("quadrants by %s: %w", d, err)
			}
			if acc.Forecast, err = analytics.MergeForecasts(d, acc.Forecast, part.Forecast); err != nil {
				return fmt.Errorf("forecast by %s: %w", d, err)
			}
		}
		for _, g := range snapshot.BridgeGrains() {
			if acc.Bridges[g], err = analytics.MergeBridges(acc.Bridges[g], part.Bridges[g]); err != nil {
				return fmt.Errorf("bridge by %s %s: %w", d, g, err)
			}
		}
	}
	return nil
}

// Snapshot returns the snapshot of the results added; spend is what
// AssignShard was given.
func (m *Merger) Snapshot(spend []history.Spend) (snapshot.Snapshot, error) {
	p := m.p
	if p.Empty() {
		return snapshot.Snapshot{Meta: p.Meta}, nil
	}
	if m.added != len(p.Labels) {
		return snapshot.Snapshot{}, fmt.Errorf("%w: %d results of %d shards", ErrShardMismatch, m.added, len(p.Labels))
	}
	snap := snapshot.Snapshot{Dimensions: make([]snapshot.DimensionParts, 0, len(p.Dims))}
	for k, d := range p.Dims {
		dp := m.dims[k]
		dp.TiersWithin = p.TiersWithin[d]
		snap.Dimensions = append(snap.Dimensions, dp)
	}
	if len(spend) > 0 {
		j := 0
		for _, d := range analytics.SpendDimensions(spend) {
			var bridges map[analytics.Grain][]analytics.BridgeRow
			if i := slices.IndexFunc(snap.Dimensions, func(x snapshot.DimensionParts) bool { return x.Dimension == d }); i >= 0 {
				bridges = snap.Dimensions[i].Bridges
			}
			for _, g := range snapshot.BridgeGrains() {
				cfg := analytics.AcquisitionConfig{Grain: g, Dimension: d, Bridge: bridges[g]}
				if p.Trusted {
					cfg.Predictions = []analytics.Prediction{} // CLV figures are given
				}
				a, err := analytics.FinishAcquisition(spend, cfg, p.Basis, m.acq[j])
				if err != nil {
					return snapshot.Snapshot{}, fmt.Errorf("acquisition by %s %s: %w", d, g, err)
				}
				j++
				snap.Acquisition = append(snap.Acquisition, a)
			}
		}
	}
	snap.Customers = make([]snapshot.TopCustomer, len(m.top))
	for i, c := range m.top {
		if c.Customer.Attributes == nil {
			c.Customer.Attributes = map[string]string{} // gob sends an empty map as none
		}
		if c.Predicted {
			c.Customer.PAlive, c.Customer.ExpectedPurchases, c.Customer.CLV = ptr(analytics.Ratio(c.PAlive)), ptr(analytics.Amount(c.ExpectedPurchases)), ptr(analytics.Amount(c.CLV))
		}
		snap.Customers[i] = c.Customer
	}
	snap.Meta = p.Meta
	snap.Meta.Warnings = append([]string{}, p.Meta.Warnings...) // [], not null, without any
	if len(m.nonBuyers) > 0 {
		slices.SortFunc(m.nonBuyers, func(x, y analytics.Prospect) int { return strings.Compare(x.ID, y.ID) })
		looks, err := m.profile.Rank(m.nonBuyers, analytics.LookalikeConfig{Limit: maxLookalikes})
		if err != nil {
			snap.Meta.Warnings = append(snap.Meta.Warnings, "lookalike prospects not ranked: "+err.Error())
		} else {
			snap.Lookalikes = looks
		}
	}
	return snap, nil
}

// topCustomers ranks a shard's customers by CLV when the model fitted,
// else by revenue, and keeps the first maxTopCustomers, which hold the
// shard's part of the snapshot's list.
func topCustomers(base *analytics.Base, tiers analytics.Assignment, rfm analytics.RFMResult, quads *analytics.QuadrantResult) []RankedCustomer {
	out := make([]RankedCustomer, base.Len())
	for i := range base.Customers {
		c := &base.Customers[i]
		out[i] = RankedCustomer{Revenue: c.Revenue, Customer: snapshot.TopCustomer{ID: c.ID}}
		if quads != nil {
			out[i].CLV = quads.Predictions[i].CLV
		}
	}
	idx := make([]int, base.Len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return byRank(out[i], out[j]) })
	idx = idx[:min(len(idx), maxTopCustomers)]
	ranked := make([]RankedCustomer, 0, len(idx))
	for _, i := range idx {
		r := out[i]
		r.Customer = describeCustomer(base, i, tiers, rfm, quads)
		if quads != nil {
			p := quads.Predictions[i]
			r.Predicted, r.PAlive, r.ExpectedPurchases = true, p.PAlive, p.ExpectedPurchases
			r.Customer.PAlive, r.Customer.ExpectedPurchases, r.Customer.CLV = nil, nil, nil
		}
		ranked = append(ranked, r)
	}
	return ranked
}

// describeCustomer is customer i's entry in the snapshot's list.
func describeCustomer(base *analytics.Base, i int, tiers analytics.Assignment, rfm analytics.RFMResult, quads *analytics.QuadrantResult) snapshot.TopCustomer {
	c := &base.Customers[i]
	s := rfm.Scores[i]
	tc := snapshot.TopCustomer{ID: c.ID, Revenue: c.Revenue.String(), Orders: c.Orders, PurchaseDays: c.PurchaseDays, FirstDay: c.FirstDay.String(),
		LastDay: c.LastDay.String(), Tier: tiers.Group(i), RFM: rfm.Group(i),
		RFMScore: fmt.Sprintf("%d%d%d", s.R, s.F, s.M), Attributes: map[string]string{}}
	if c.Name != "" {
		tc.Name = ptr(c.Name)
	}
	for _, a := range c.Attrs {
		tc.Attributes[string(a.Dim)] = a.Value
	}
	if quads != nil {
		p := quads.Predictions[i]
		tc.Quadrant = quads.Group(i)
		tc.PAlive, tc.ExpectedPurchases, tc.CLV = ptr(analytics.Ratio(p.PAlive)), ptr(analytics.Amount(p.ExpectedPurchases)), ptr(analytics.Amount(p.CLV))
	}
	return tc
}
