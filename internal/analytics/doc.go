// Package analytics computes the customer-level analytics that cannot be
// maintained incrementally at ingest time: value tiers (Pareto/ABC), RFM
// scores and named groups, propensity × potential quadrants, revenue bridges
// per period and segment, lookalike prospects, and acquisition cost (CAC,
// payback, CLV:CAC) of the spend of spend files.
//
// Everything here is a pure function of a customer base; nothing touches
// AWS. The recompute function folds every live file version's purchase
// history into a Base with a Builder, then runs the analyses it needs:
//
//	b := analytics.NewBuilder()
//	for _, r := range histories { // one io.Reader per live file version
//		if err := history.Read(r, b.Add); err != nil { ... }
//	}
//	base := b.Build()
//	tiers, err := analytics.Tiers(base, analytics.DefaultTierConfig())
//	bySegment, err := tiers.Summarize(base, dimension.Segment)
//	rfm, err := analytics.RFM(base, analytics.RFMConfig{AsOf: now})
//	bridge, err := analytics.Bridge(base, analytics.BridgeConfig{Grain: analytics.ByQuarter, Dimension: dimension.Industry})
//	fit, err := analytics.FitCLV(ctx, base, analytics.CLVConfig{AsOf: now})
//	if fit.Trusted() {
//		quads, err := analytics.Quadrants(ctx, base, fit.Model, analytics.QuadrantConfig{})
//	}
//	top, err := tiers.Members("A")
//	prospects, err := analytics.Lookalikes(base, top, accounts, analytics.LookalikeConfig{Limit: 100})
//
// Each per-customer result (an Assignment) is summarised per segment value
// with Assignment.Summarize.
//
// Money is exact: revenue and cost are github.com/govalues/decimal values
// added with package money, so every sum either keeps every digit or fails
// with money.ErrOverflow; nothing is rounded. Shares and rates are float64
// ratios of exact figures, meant for display. Otherwise floating point
// enters only through the statistical model behind the quadrants and
// forecasts (a Predictor, usually backed by package clv) and the lookalike
// similarity scores. Result types carry snake_case JSON tags; decimals
// encode as JSON strings, days as "2006-01-02".
//
// A customer's figures by a dimension (segment, industry, size, region, …)
// follow its purchases: a customer counts under every value its purchases
// carried, with the revenue of those purchases (see Customer.RevenueBy), so
// each value's revenue is exactly what its purchases made and the values
// add up to the total, while customer counts may add up to more than the
// base. Tiers within a value (TiersWithin) rank by that revenue too. The
// revenue bridge still puts a customer's whole history under its latest
// value (Customer.Attr). Product dimensions (category) do not describe
// customers and are refused with ErrProductDimension (CustomerDimension).
//
// The CLV model is judged before it is used (CLVStatus): a BG/NBD estimate
// on the parameter boundary where nobody ever drops out, an optimiser that
// did not converge, or too few repeat buyers make FitCLV report why, in
// plain words, instead of a prediction. Quadrants put expected purchases
// (propensity) against expected spend per purchase (potential), which are
// independent: CLV, their product, would line customers up on the
// diagonal.
//
// Results are deterministic: they do not depend on the order in which
// purchases or files are folded, and ties are broken by customer ID.
//
// Errors are the sentinels below, wrapped with context; test for them with
// errors.Is.
package analytics
