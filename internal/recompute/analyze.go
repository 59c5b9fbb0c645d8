package recompute

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// maxTopCustomers bounds the ranked list kept in a snapshot.
const maxTopCustomers = 1000

// Analyze computes a snapshot from a customer base, the accounts of the
// customers files (firmographics; those without purchases are the
// prospects ranked by likeness to the top tier) and the spend of the
// spend files (acquisition cost, see analytics.NewAcquisition). asOf is the day recency
// and CLV are measured at (it is moved to the last purchase day when
// earlier). A CLV model that cannot be fitted or trusted (see
// analytics.CLVStatus) is reported in Meta.CLVStatus, Meta.CLVReason and
// Meta.Warnings and leaves the CLV-based parts out: quadrants, forecasts
// and the customers' predictions; any other failure is an error. An empty base gives a snapshot with only a Meta, which encodes
// to no parts.
func Analyze(ctx context.Context, base *analytics.Base, accounts []analytics.Prospect, spend []history.Spend, asOf time.Time) (snapshot.Snapshot, error) {
	if base.Len() == 0 {
		return snapshot.Snapshot{Meta: snapshot.Meta{AsOf: asOf.Format(time.DateOnly), Revenue: "0", Warnings: []string{"no customer history yet"}}}, nil
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
	total, err := base.Revenue()
	if err != nil {
		return snapshot.Snapshot{}, err
	}
	meta := snapshot.Meta{AsOf: asOf.Format(time.DateOnly), FirstDay: base.FirstDay.String(), LastDay: base.LastDay.String(),
		Customers: base.Len(), Revenue: total.String(), Warnings: []string{}}
	if moved != "" {
		meta.Warnings = append(meta.Warnings, moved)
	}
	for _, c := range base.Customers {
		meta.Purchases += int64(c.PurchaseDays)
	}
	dims := []dimension.Dimension{dimension.Total}
	for _, d := range dimension.All()[1:] {
		if analytics.CustomerDimension(d) != nil {
			continue // product dimensions do not split customers
		}
		if vs := base.Values(d); len(vs) > 1 || (len(vs) == 1 && vs[0] != dimension.Blank) {
			dims = append(dims, d)
		}
	}
	for _, d := range dims {
		meta.Dimensions = append(meta.Dimensions, string(d))
	}

	tiers, err := analytics.Tiers(base, analytics.DefaultTierConfig())
	if err != nil {
		return snapshot.Snapshot{}, fmt.Errorf("tiers: %w", err)
	}
	rfm, err := analytics.RFM(base, analytics.RFMConfig{AsOf: asOf})
	if err != nil {
		return snapshot.Snapshot{}, fmt.Errorf("rfm: %w", err)
	}
	var quads *analytics.QuadrantResult
	fit, err := analytics.FitCLV(ctx, base, analytics.CLVConfig{AsOf: asOf})
	if err != nil {
		return snapshot.Snapshot{}, fmt.Errorf("clv: %w", err)
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
		q, err := analytics.Quadrants(ctx, base, fit.Model, analytics.QuadrantConfig{})
		if err != nil {
			return snapshot.Snapshot{}, fmt.Errorf("quadrants: %w", err)
		}
		quads = &q
	}
	snap := snapshot.Snapshot{Dimensions: make([]snapshot.DimensionParts, 0, len(dims))}
	for _, d := range dims {
		p := snapshot.DimensionParts{Dimension: d, Bridges: map[analytics.Grain][]analytics.BridgeRow{}}
		if p.Tiers, err = tiers.Summarize(base, d); err != nil {
			return snapshot.Snapshot{}, fmt.Errorf("tiers by %s: %w", d, err)
		}
		if d != dimension.Total {
			if p.TiersWithin, err = analytics.TiersWithin(base, analytics.DefaultTierConfig(), d); err != nil {
				return snapshot.Snapshot{}, fmt.Errorf("tiers within %s: %w", d, err)
			}
		}
		if p.RFM, err = rfm.Summarize(base, d); err != nil {
			return snapshot.Snapshot{}, fmt.Errorf("rfm by %s: %w", d, err)
		}
		if quads != nil {
			if p.Quadrants, err = quads.Summarize(base, d); err != nil {
				return snapshot.Snapshot{}, fmt.Errorf("quadrants by %s: %w", d, err)
			}
			if p.Forecast, err = analytics.Forecast(base, quads.Predictions, d); err != nil {
				return snapshot.Snapshot{}, fmt.Errorf("forecast by %s: %w", d, err)
			}
		}
		for _, g := range snapshot.BridgeGrains() {
			if p.Bridges[g], err = analytics.Bridge(base, analytics.BridgeConfig{Grain: g, Dimension: d, Prospects: accounts}); err != nil {
				return snapshot.Snapshot{}, fmt.Errorf("bridge by %s %s: %w", d, g, err)
			}
		}
		snap.Dimensions = append(snap.Dimensions, p)
	}
	if snap.Acquisition, err = acquisition(base, spend, quads, snap.Dimensions); err != nil {
		return snapshot.Snapshot{}, err
	}
	snap.Customers = topCustomers(base, tiers, rfm, quads)
	if looks, err := lookalikes(base, tiers, accounts); err != nil {
		meta.Warnings = append(meta.Warnings, "lookalike prospects not ranked: "+err.Error())
	} else {
		snap.Lookalikes = looks
	}
	snap.Meta = meta
	return snap, nil
}

// acquisition computes the acquisition cost of the spend by every
// dimension it names and grain, with the CLV predictions when the model
// was trusted and the conversion of the revenue bridges already computed
// (a dimension without customer values has none); none without spend.
func acquisition(base *analytics.Base, spend []history.Spend, quads *analytics.QuadrantResult, dims []snapshot.DimensionParts) ([]analytics.Acquisition, error) {
	if len(spend) == 0 {
		return nil, nil
	}
	var predictions []analytics.Prediction
	if quads != nil {
		predictions = quads.Predictions
	}
	var out []analytics.Acquisition
	for _, d := range analytics.SpendDimensions(spend) {
		var bridges map[analytics.Grain][]analytics.BridgeRow
		if i := slices.IndexFunc(dims, func(p snapshot.DimensionParts) bool { return p.Dimension == d }); i >= 0 {
			bridges = dims[i].Bridges
		}
		for _, g := range snapshot.BridgeGrains() {
			a, err := analytics.NewAcquisition(base, spend, analytics.AcquisitionConfig{Grain: g, Dimension: d, Predictions: predictions, Bridge: bridges[g]})
			if err != nil {
				return nil, fmt.Errorf("acquisition by %s %s: %w", d, g, err)
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// topCustomers ranks customers by CLV when the model fitted, else by
// revenue, and keeps the first maxTopCustomers.
func topCustomers(base *analytics.Base, tiers analytics.Assignment, rfm analytics.RFMResult, quads *analytics.QuadrantResult) []snapshot.TopCustomer {
	idx := make([]int, base.Len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		if quads != nil {
			if c := cmp.Compare(quads.Predictions[j].CLV, quads.Predictions[i].CLV); c != 0 {
				return c
			}
		}
		if c := base.Customers[j].Revenue.Cmp(base.Customers[i].Revenue); c != 0 {
			return c
		}
		return cmp.Compare(base.Customers[i].ID, base.Customers[j].ID)
	})
	idx = idx[:min(len(idx), maxTopCustomers)]
	out := make([]snapshot.TopCustomer, 0, len(idx))
	for _, i := range idx {
		c := &base.Customers[i]
		s := rfm.Scores[i]
		tc := snapshot.TopCustomer{ID: c.ID, Revenue: c.Revenue.String(), Orders: c.Orders, PurchaseDays: c.PurchaseDays, FirstDay: c.FirstDay.String(),
			LastDay: c.LastDay.String(), Tier: tiers.Group(i), RFM: rfm.Group(i),
			RFMScore: strconv.Itoa(s.R) + strconv.Itoa(s.F) + strconv.Itoa(s.M), Attributes: map[string]string{}}
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
		out = append(out, tc)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// maxLookalikes bounds the ranked prospect list kept in a snapshot.
const maxLookalikes = 200

// lookalikes ranks the accounts that never bought by how much their
// firmographics resemble the A tier's; nil when there are no such accounts.
func lookalikes(base *analytics.Base, tiers analytics.Assignment, accounts []analytics.Prospect) ([]analytics.Lookalike, error) {
	prospects := make([]analytics.Prospect, 0, len(accounts))
	for _, a := range accounts {
		if _, bought := base.Index(a.ID); !bought {
			prospects = append(prospects, a)
		}
	}
	if len(prospects) == 0 {
		return nil, nil
	}
	seeds, err := tiers.Members("A")
	if err != nil {
		return nil, err
	}
	return analytics.Lookalikes(base, seeds, prospects, analytics.LookalikeConfig{Limit: maxLookalikes})
}
