package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/clv"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

// Customer analytics come from the latest recompute snapshot, not from the
// live aggregates: every response names the snapshot and its as-of day so
// a reader knows how fresh it is. Before the first recompute they answer
// 404 with a detail saying so.

// SnapshotRef identifies the snapshot an analytics response comes from.
type SnapshotRef struct {
	ID         string `json:"id"`
	ComputedAt string `json:"computed_at"`
	AsOf       string `json:"as_of"`
}

// Analytics is the body of the per-dimension analytics routes: value
// tiers, RFM groups and propensity × potential quadrants, whose rows are
// analytics.Summary, and CLV forecasts, whose rows are
// analytics.ValueForecast.
type Analytics[R any] struct {
	Snapshot  SnapshotRef `json:"snapshot"`
	Kind      string      `json:"kind"`
	Dimension string      `json:"dimension"`
	Rows      []R         `json:"rows"`
}

// BridgeResponse is the body of GET /v1/analytics/bridge.
type BridgeResponse struct {
	Snapshot  SnapshotRef           `json:"snapshot"`
	Dimension string                `json:"dimension"`
	Grain     string                `json:"grain"`
	Rows      []analytics.BridgeRow `json:"rows"`
}

// rankedPage is one page of a ranked snapshot list.
type rankedPage[T any] struct {
	Snapshot   SnapshotRef
	Total      int
	NextCursor *string
	items      []T
}

// CustomerList is the body of GET /v1/analytics/customers: customers by
// predicted CLV. AliveAt echoes the alive_at parameter, the day each
// customer's p_alive_at is for.
type CustomerList struct {
	Snapshot   SnapshotRef            `json:"snapshot"`
	AliveAt    *string                `json:"alive_at,omitempty"`
	Customers  []snapshot.TopCustomer `json:"customers"`
	Total      int                    `json:"total"`
	NextCursor *string                `json:"next_cursor"`
}

// LookalikeList is the body of GET /v1/analytics/lookalikes: accounts
// without purchases by likeness to the top tier.
type LookalikeList struct {
	Snapshot   SnapshotRef           `json:"snapshot"`
	Prospects  []analytics.Lookalike `json:"prospects"`
	Total      int                   `json:"total"`
	NextCursor *string               `json:"next_cursor"`
}

// ModelResponse is the body of GET /v1/analytics/model: what the snapshot
// covers and the fitted CLV model.
type ModelResponse struct {
	Snapshot SnapshotRef   `json:"snapshot"`
	Meta     snapshot.Meta `json:"meta"`
}

// HoldoutResponse is the body of GET /v1/analytics/holdout: recompute's
// check of the CLV model on the later half of the data (at most a year),
// the model fitted on the purchases up to calibration_end only. Report is
// null when there was nothing to check, and Reason says why.
type HoldoutResponse struct {
	Snapshot SnapshotRef `json:"snapshot"`
	snapshot.HoldoutCheck
}

// holdout answers GET /v1/analytics/holdout.
func (s *Service) holdout(ctx context.Context) (*HoldoutResponse, error) {
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	h, err := servePart(ctx, s, info, snapshot.HoldoutPart(),
		"The snapshot has no holdout check: the data spans fewer than 8 weeks, or the snapshot predates the check.")
	if err != nil {
		return nil, err
	}
	return &HoldoutResponse{Snapshot: ref, HoldoutCheck: h}, nil
}

// analyticsKinds are the per-dimension analytics parts, by route name.
var analyticsKinds = map[string]string{
	"/v1/analytics/tiers":     "tiers",
	"/v1/analytics/rfm":       "rfm",
	"/v1/analytics/quadrants": "quadrants",
	"/v1/analytics/forecast":  "forecast",
}

func (s *Service) snapshot(ctx context.Context) (store.SnapshotInfo, SnapshotRef, error) {
	info, err := s.r.LatestSnapshot(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return info, SnapshotRef{}, &Error{Status: http.StatusNotFound,
			Detail: "Customer analytics are not computed yet: recompute runs on a schedule and shortly after uploads."}
	}
	if err != nil {
		return info, SnapshotRef{}, err
	}
	return info, SnapshotRef{ID: info.ID, ComputedAt: info.ComputedAt, AsOf: info.AsOf}, nil
}

// readPart reads and decodes one part of a snapshot; the error wraps
// store.ErrNotFound when the snapshot has no such part.
func readPart[T any](ctx context.Context, r Reader, info store.SnapshotInfo, p snapshot.Part[T]) (T, error) {
	data, err := r.SnapshotPart(ctx, info.ID, p.Name())
	if err != nil {
		var zero T
		return zero, err
	}
	return p.Decode(data)
}

// servePart is readPart for a route: a missing part is a 404 whose detail,
// why, says why it can be missing.
func servePart[T any](ctx context.Context, s *Service, info store.SnapshotInfo, p snapshot.Part[T], why string) (T, error) {
	v, err := readPart(ctx, s.r, info, p)
	if errors.Is(err, store.ErrNotFound) {
		return v, &Error{Status: http.StatusNotFound, Detail: why}
	}
	return v, err
}

func analyticsDimension(q query) (dimension.Dimension, error) {
	name, ok := q["dimension"]
	if !ok {
		return dimension.Total, nil
	}
	d, err := dimension.Parse(name)
	if err != nil {
		return "", badRequest("Parameter dimension: %v.", err)
	}
	if analytics.CustomerDimension(d) != nil {
		return "", badRequest("Parameter dimension: %s describes products, not customers. One order holds several of them, "+
			"so customer analytics (tiers, RFM groups, quadrants, forecasts, bridges) cannot be split by it; "+
			"use segment, industry, size, region, country or channel.", d)
	}
	return d, nil
}

// parseBool reads an optional true/false parameter, false when absent.
func parseBool(q query, name string) (bool, error) {
	switch v, ok := q[name]; {
	case !ok || v == "false":
		return false, nil
	case v == "true":
		return true, nil
	default:
		return false, badRequest("Parameter %s must be true or false, got %s.", name, quote(v))
	}
}

// analytics answers the per-dimension analytics route of kind.
func (s *Service) analytics(ctx context.Context, kind string, q query) (any, error) {
	d, err := analyticsDimension(q)
	if err != nil {
		return nil, err
	}
	why := fmt.Sprintf("The snapshot has no %s by %s: the data has no %s values", kind, d, d)
	if kind == "tiers" {
		within, err := parseBool(q, "within")
		if err != nil {
			return nil, err
		}
		if within {
			if d == dimension.Total {
				return nil, badRequest("Parameter within=true ranks customers within each value of a dimension: name one, for example dimension=segment.")
			}
			return analyticsRows(ctx, s, kind, d, snapshot.GroupsPart(snapshot.TiersWithin, d), why+".")
		}
	}
	if kind == "tiers" || kind == "rfm" {
		return analyticsRows(ctx, s, kind, d, snapshot.GroupsPart(snapshot.Grouping(kind), d), why+".")
	}
	why += ", or the CLV model could not be fitted or trusted (see GET /v1/analytics/model)."
	var rows any
	if kind == "forecast" {
		rows, err = analyticsRows(ctx, s, kind, d, snapshot.ForecastPart(d), why)
	} else {
		rows, err = analyticsRows(ctx, s, kind, d, snapshot.GroupsPart(snapshot.Grouping(kind), d), why)
	}
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		// Say why the model's parts are missing, in the snapshot's words.
		if _, merr := s.trustedModel(ctx, "The "+kind+" by "+string(d)); merr != nil {
			return nil, merr
		}
	}
	return rows, err
}

// analyticsRows serves the rows of one per-dimension part.
func analyticsRows[R any](ctx context.Context, s *Service, kind string, d dimension.Dimension, p snapshot.Part[[]R], why string) (*Analytics[R], error) {
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := servePart(ctx, s, info, p, why)
	if err != nil {
		return nil, err
	}
	return &Analytics[R]{Snapshot: ref, Kind: kind, Dimension: string(d), Rows: rows}, nil
}

func (s *Service) bridge(ctx context.Context, q query) (*BridgeResponse, error) {
	d, err := analyticsDimension(q)
	if err != nil {
		return nil, err
	}
	grain := analytics.ByMonth
	if g, ok := q["grain"]; ok && g != "" {
		if grain = analytics.Grain(g); !slices.Contains(snapshot.BridgeGrains(), grain) {
			return nil, badRequest("Parameter grain must be month, quarter or year, got %s.", quote(g))
		}
	}
	within, err := s.bridgeRange(q, period.Grain(grain))
	if err != nil {
		return nil, err
	}
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := servePart(ctx, s, info, snapshot.BridgePart(d, grain),
		fmt.Sprintf("The snapshot has no revenue bridge by %s: the data has no %s values.", d, d))
	if err != nil {
		return nil, err
	}
	out := &BridgeResponse{Snapshot: ref, Dimension: string(d), Grain: string(grain), Rows: []analytics.BridgeRow{}}
	for _, r := range rows {
		p, err := s.cal.Parse(r.Period)
		if err != nil {
			return nil, fmt.Errorf("bridge row period: %w", err)
		}
		if !within(p.Range) {
			continue
		}
		if v, ok := q["value"]; ok && r.Value != v {
			continue
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}

// bridgeRange reads the bridge's from and to as period labels of the
// calendar and returns whether a row's period lies within them; either
// may be omitted. A label coarser than the grain covers every period of
// the grain in it (from=2017-Q1 with grain=month starts in January 2017);
// a finer one must start (from) or end (to) a period of the grain.
func (s *Service) bridgeRange(q query, g period.Grain) (func(period.Range) bool, error) {
	label := func(name string, start bool) (period.Date, error) {
		v := q[name]
		if v == "" {
			return period.Date(0), nil
		}
		p, err := s.cal.Parse(v)
		if err != nil {
			return period.Date(0), badRequest("Parameter %s: %s is not a period; use a month (2017-01), quarter (2017-Q1), year (2017), fiscal year (FY2017) or fiscal quarter (FY2017-Q1).", name, quote(v))
		}
		edge, day, verb := s.cal.Of(g, p.From), p.From, "start"
		if !start {
			edge, day, verb = s.cal.Of(g, p.To), p.To, "end"
		}
		if start && edge.From != day || !start && edge.To != day {
			return period.Date(0), badRequest("Parameter %s: %s does not %s a %s; with grain=%s use a label such as %s.",
				name, quote(v), verb, g, g, edge.Label())
		}
		return day, nil
	}
	from, err := label("from", true)
	if err != nil {
		return nil, err
	}
	to, err := label("to", false)
	if err != nil {
		return nil, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return nil, badRequest("Parameter from (%s) is after to (%s): from names the first period and to the last.", quote(q["from"]), quote(q["to"]))
	}
	return func(r period.Range) bool {
		return (from.IsZero() || !r.From.Before(from)) && (to.IsZero() || !r.To.After(to))
	}, nil
}

// rankedList pages through a ranked snapshot part; why explains a missing
// part.
func rankedList[T any](ctx context.Context, s *Service, q query, p snapshot.Part[[]T], why string, keep func(T) bool) (*rankedPage[T], error) {
	limit, err := parseInt(q, "limit", 100, 1, 500)
	if err != nil {
		return nil, err
	}
	start := 0
	key, err := decodeCursor(q, 1)
	if err != nil {
		return nil, err
	}
	if key != nil {
		if start, err = strconv.Atoi(key[0]); err != nil || start < 0 {
			return nil, badRequest("Parameter cursor is not valid for this query.")
		}
	}
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	all, err := servePart(ctx, s, info, p, why)
	if err != nil {
		return nil, err
	}
	if keep != nil {
		all = slices.DeleteFunc(all, func(x T) bool { return !keep(x) })
	}
	out := &rankedPage[T]{Snapshot: ref, Total: len(all), items: []T{}}
	if start < len(all) {
		end := min(start+limit, len(all))
		out.items = all[start:end]
		if end < len(all) {
			c := encodeCursor(q, []string{strconv.Itoa(end)})
			out.NextCursor = &c
		}
	}
	return out, nil
}

func (s *Service) model(ctx context.Context) (*ModelResponse, error) {
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	meta, err := servePart(ctx, s, info, snapshot.MetaPart(), "The snapshot has no model description.")
	if err != nil {
		return nil, err
	}
	return &ModelResponse{Snapshot: ref, Meta: meta}, nil
}

func (s *Service) customerList(ctx context.Context, q query) (*CustomerList, error) {
	var aliveAt period.Date
	if v, ok := q["alive_at"]; ok {
		var err error
		if aliveAt, err = period.ParseDate(v); err != nil {
			return nil, badRequest("Parameter alive_at must be a day, YYYY-MM-DD, got %s.", quote(v))
		}
	}
	keep, err := customerFilter(q)
	if err != nil {
		return nil, err
	}
	p, err := rankedList(ctx, s, q, snapshot.CustomersPart(), "The snapshot has no customer list.", keep)
	if err != nil {
		return nil, err
	}
	out := &CustomerList{Snapshot: p.Snapshot, Customers: p.items, Total: p.Total, NextCursor: p.NextCursor}
	if aliveAt.IsZero() {
		return out, nil
	}
	m, err := s.trustedModel(ctx, "P(alive)")
	if err != nil {
		return nil, err
	}
	if aliveAt < m.AsOf {
		return nil, badRequest("Parameter alive_at (%s) is before the snapshot's as-of day %s: P(alive) is predicted from that day on.", aliveAt, m.AsOf)
	}
	for i := range out.Customers {
		c := &out.Customers[i]
		ac := analytics.Customer{ID: c.ID, PurchaseDays: c.PurchaseDays}
		if ac.FirstDay, err = period.ParseDate(c.FirstDay); err != nil {
			return nil, fmt.Errorf("customer %q first day: %w", c.ID, err)
		}
		if ac.LastDay, err = period.ParseDate(c.LastDay); err != nil {
			return nil, fmt.Errorf("customer %q last day: %w", c.ID, err)
		}
		pa, err := m.ProbAliveAt(&ac, aliveAt)
		if err != nil {
			return nil, fmt.Errorf("customer %q P(alive): %w", c.ID, err)
		}
		r := analytics.Ratio(pa)
		c.PAliveAt = &r
	}
	day := aliveAt.String()
	out.AliveAt = &day
	return out, nil
}

// customerFilterParams are the customer list's filters: by value tier,
// RFM group, quadrant, and a dimension's value (dimension and value).
func customerFilterParams() []string {
	return []string{"tier", "rfm_group", "quadrant", "dimension", "value"}
}

// customerFilter reads the customer list's filters into a predicate; nil
// keeps every customer. Names outside the known tiers, RFM groups and
// quadrants are refused, so a typo is not an empty list.
func customerFilter(q query) (func(snapshot.TopCustomer) bool, error) {
	var tests []func(snapshot.TopCustomer) bool
	for _, f := range []struct {
		param string
		names []string
		get   func(snapshot.TopCustomer) string
	}{
		{"tier", analytics.DefaultTierConfig().Names, func(c snapshot.TopCustomer) string { return c.Tier }},
		{"rfm_group", analytics.RFMGroups(), func(c snapshot.TopCustomer) string { return c.RFM }},
		{"quadrant", analytics.QuadrantGroups(), func(c snapshot.TopCustomer) string { return c.Quadrant }},
	} {
		v, ok := q[f.param]
		if !ok {
			continue
		}
		if !slices.Contains(f.names, v) {
			return nil, badRequest("Parameter %s must be one of %s, got %s.", f.param, strings.Join(f.names, ", "), quote(v))
		}
		tests = append(tests, func(c snapshot.TopCustomer) bool { return f.get(c) == v })
	}
	v, hasValue := q["value"]
	if _, hasDim := q["dimension"]; hasDim != hasValue {
		return nil, badRequest("Give dimension and value together, e.g. dimension=segment&value=Consumer.")
	}
	if hasValue {
		d, err := analyticsDimension(q)
		if err != nil {
			return nil, err
		}
		if d == dimension.Total {
			return nil, badRequest("Parameter dimension: every customer is in the total; filter by segment, industry, size, region, country or channel.")
		}
		tests = append(tests, func(c snapshot.TopCustomer) bool { return c.Attributes[string(d)] == v })
	}
	if len(tests) == 0 {
		return nil, nil
	}
	return func(c snapshot.TopCustomer) bool {
		for _, t := range tests {
			if !t(c) {
				return false
			}
		}
		return true
	}, nil
}

// trustedModel returns the snapshot's purchase model, or a 404 saying in
// the snapshot's words why what (a prediction) is not available. A
// snapshot from before CLV statuses existed has a model but no status; its
// model was presented then and still is.
func (s *Service) trustedModel(ctx context.Context, what string) (analytics.CLVModel, error) {
	info, _, err := s.snapshot(ctx)
	if err != nil {
		return analytics.CLVModel{}, err
	}
	meta, err := servePart(ctx, s, info, snapshot.MetaPart(), "The snapshot has no model description.")
	if err != nil {
		return analytics.CLVModel{}, err
	}
	if meta.CLV == nil || meta.CLVStatus != "" && meta.CLVStatus != string(analytics.CLVFitted) {
		why := meta.CLVReason
		if why == "" {
			why = "No CLV model was fitted to this data."
		}
		return analytics.CLVModel{}, &Error{Status: http.StatusNotFound, Detail: what + " is not available: " + why}
	}
	asOf, err := period.ParseDate(meta.AsOf)
	if err != nil {
		return analytics.CLVModel{}, fmt.Errorf("snapshot as-of day: %w", err)
	}
	c := meta.CLV
	return analytics.CLVModel{Purchases: clv.BGNBD{R: c.R, Alpha: c.Alpha, A: c.A, B: c.B}, AsOf: asOf, UnitDays: c.UnitDays}, nil
}

func (s *Service) lookalikeList(ctx context.Context, q query) (*LookalikeList, error) {
	p, err := rankedList(ctx, s, q, snapshot.LookalikesPart(),
		"No prospects to rank: upload a customers/ file listing accounts (with industry, size, region or country), including ones that have not bought yet.", nil)
	if err != nil {
		return nil, err
	}
	return &LookalikeList{Snapshot: p.Snapshot, Prospects: p.items, Total: p.Total, NextCursor: p.NextCursor}, nil
}
