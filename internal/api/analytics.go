package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/segment"
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
// tiers, RFM groups, propensity × potential quadrants and CLV forecasts.
type Analytics struct {
	Snapshot  SnapshotRef       `json:"snapshot"`
	Kind      string            `json:"kind"`
	Dimension string            `json:"dimension"`
	Rows      []json.RawMessage `json:"rows"`
}

// BridgeResponse is the body of GET /v1/analytics/bridge.
type BridgeResponse struct {
	Snapshot  SnapshotRef       `json:"snapshot"`
	Dimension string            `json:"dimension"`
	Grain     string            `json:"grain"`
	Rows      []json.RawMessage `json:"rows"`
}

// rankedPage is one page of a ranked snapshot list.
type rankedPage struct {
	Snapshot   SnapshotRef `json:"snapshot"`
	Total      int         `json:"total"`
	NextCursor *string     `json:"next_cursor"`
	items      []json.RawMessage
}

// CustomerList is the body of GET /v1/analytics/customers: customers by
// predicted CLV.
type CustomerList struct {
	Snapshot   SnapshotRef       `json:"snapshot"`
	Customers  []json.RawMessage `json:"customers"`
	Total      int               `json:"total"`
	NextCursor *string           `json:"next_cursor"`
}

// LookalikeList is the body of GET /v1/analytics/lookalikes: accounts
// without purchases by likeness to the top tier.
type LookalikeList struct {
	Snapshot   SnapshotRef       `json:"snapshot"`
	Prospects  []json.RawMessage `json:"prospects"`
	Total      int               `json:"total"`
	NextCursor *string           `json:"next_cursor"`
}

// ModelResponse is the body of GET /v1/analytics/model: what the snapshot
// covers and the fitted CLV model.
type ModelResponse struct {
	Snapshot SnapshotRef     `json:"snapshot"`
	Meta     json.RawMessage `json:"meta"`
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

// part reads one snapshot part, turning a missing part into a 404 that
// says why it can be missing.
func (s *Service) part(ctx context.Context, info store.SnapshotInfo, name, why string, dst any) error {
	err := s.r.SnapshotPart(ctx, info.ID, name, dst)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Detail: why}
	}
	return err
}

func analyticsDimension(q query) (segment.Dimension, error) {
	name, ok := q["dimension"]
	if !ok {
		return segment.Total, nil
	}
	d, err := segment.Parse(name)
	if err != nil {
		return "", badRequest("Parameter dimension: %v.", err)
	}
	return d, nil
}

func (s *Service) analytics(ctx context.Context, kind string, q query) (*Analytics, error) {
	d, err := analyticsDimension(q)
	if err != nil {
		return nil, err
	}
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := &Analytics{Snapshot: ref, Kind: kind, Dimension: string(d)}
	why := fmt.Sprintf("The snapshot has no %s by %s: the data has no %s values", kind, d, d)
	if kind == "quadrants" || kind == "forecast" {
		why += ", or the CLV model could not be fitted (see GET /v1/analytics/model)"
	}
	if err := s.part(ctx, info, kind+"/"+string(d), why+".", &out.Rows); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) bridge(ctx context.Context, q query) (*BridgeResponse, error) {
	d, err := analyticsDimension(q)
	if err != nil {
		return nil, err
	}
	grain := q["grain"]
	switch grain {
	case "":
		grain = "month"
	case "month", "quarter", "year":
	default:
		return nil, badRequest("Parameter grain must be month, quarter or year, got %s.", quote(grain))
	}
	within, err := s.bridgeRange(q, period.Grain(grain))
	if err != nil {
		return nil, err
	}
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var rows []json.RawMessage
	if err := s.part(ctx, info, "bridge/"+string(d)+"/"+grain,
		fmt.Sprintf("The snapshot has no revenue bridge by %s: the data has no %s values.", d, d), &rows); err != nil {
		return nil, err
	}
	out := &BridgeResponse{Snapshot: ref, Dimension: string(d), Grain: grain, Rows: []json.RawMessage{}}
	for _, raw := range rows {
		var r struct {
			Period string `json:"period"`
			Value  string `json:"value"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("decode bridge row: %w", err)
		}
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
		out.Rows = append(out.Rows, raw)
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
			return period.Date{}, nil
		}
		p, err := s.cal.Parse(v)
		if err != nil {
			return period.Date{}, badRequest("Parameter %s: %s is not a period; use a month (2017-01), quarter (2017-Q1), year (2017), fiscal year (FY2017) or fiscal quarter (FY2017-Q1).", name, quote(v))
		}
		edge, day, verb := s.cal.Of(g, p.From), p.From, "start"
		if !start {
			edge, day, verb = s.cal.Of(g, p.To), p.To, "end"
		}
		if start && edge.From != day || !start && edge.To != day {
			return period.Date{}, badRequest("Parameter %s: %s does not %s a %s; with grain=%s use a label such as %s.",
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
func (s *Service) rankedList(ctx context.Context, q query, part, why string) (*rankedPage, error) {
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
	var all []json.RawMessage
	if err := s.part(ctx, info, part, why, &all); err != nil {
		return nil, err
	}
	out := &rankedPage{Snapshot: ref, Total: len(all), items: []json.RawMessage{}}
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
	out := &ModelResponse{Snapshot: ref}
	if err := s.part(ctx, info, "meta", "The snapshot has no model description.", &out.Meta); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) customerList(ctx context.Context, q query) (*CustomerList, error) {
	p, err := s.rankedList(ctx, q, "customers", "The snapshot has no customer list.")
	if err != nil {
		return nil, err
	}
	return &CustomerList{Snapshot: p.Snapshot, Customers: p.items, Total: p.Total, NextCursor: p.NextCursor}, nil
}

func (s *Service) lookalikeList(ctx context.Context, q query) (*LookalikeList, error) {
	p, err := s.rankedList(ctx, q, "lookalikes",
		"No prospects to rank: upload a customers/ file listing accounts (with industry, size, region or country), including ones that have not bought yet.")
	if err != nil {
		return nil, err
	}
	return &LookalikeList{Snapshot: p.Snapshot, Prospects: p.items, Total: p.Total, NextCursor: p.NextCursor}, nil
}
