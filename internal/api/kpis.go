package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

func kpiParams() []string { return append([]string{"dimension", "value", "value2"}, rangeParams()...) }

type kpiRequest struct {
	dims   dims // dimension.Total unless scoped
	values []string
	scoped bool
	w      window
}

func (s *Service) decodeKPIs(q query) (kpiRequest, error) {
	in := kpiRequest{dims: dims{list: []dimension.Dimension{dimension.Total}, stored: dimension.Total}, values: []string{dimension.TotalValue}}
	var err error
	if _, ok := q["dimension"]; ok {
		if in.dims, err = parseDims(q); err != nil {
			return in, err
		}
		var has bool
		if in.values, has, err = parseValues(q, in.dims); err != nil {
			return in, err
		}
		if !has {
			return in, badRequest("With dimension, give value (e.g. dimension=segment&value=Consumer) to scope the KPIs to one segment; omit both for the whole business.")
		}
		in.scoped = in.dims.list[0] != dimension.Total
	} else if _, ok := q["value"]; ok {
		return in, badRequest("Parameter value needs dimension, e.g. dimension=segment&value=Consumer.")
	} else if _, ok := q["value2"]; ok {
		return in, badRequest("Parameter value2 needs two crossed dimensions.")
	}
	if in.w, err = s.parseWindow(q, false, period.Month, in.dims); err != nil {
		return in, err
	}
	return in, nil
}

// Scope is the segment KPIs are restricted to.
type Scope struct {
	Dimension  string    `json:"dimension"`
	Dimensions []string  `json:"dimensions"`
	Value      *string   `json:"value"`  // null when unassigned, as in Segment
	Values     []*string `json:"values"` // null where unassigned
}

// CustomerKPIs are the customer figures, which cannot be summed from
// per-file aggregates: they come from the snapshot that recompute builds
// from per-customer history, as of its AsOf day. When no snapshot has
// them, Available is false, the figures are null and Detail says why.
type CustomerKPIs struct {
	Available          bool    `json:"available"`
	Source             string  `json:"source"`
	AsOf               *string `json:"as_of"`
	ComputedAt         *string `json:"computed_at"`
	Customers          *int64  `json:"customers"`
	New                *int64  `json:"new"`
	Returning          *int64  `json:"returning"`
	RevenuePerCustomer *string `json:"revenue_per_customer"`
	Detail             string  `json:"detail"`
}

// KPIs is the body of GET /v1/kpis.
type KPIs struct {
	Scope       *Scope      `json:"scope"`
	Period      Window      `json:"period"`
	Comparisons Comparisons `json:"comparisons"`
	Metrics
	// AvgDealSize is the average order value under the name sales teams
	// use; null without orders.
	AvgDealSize *string      `json:"avg_deal_size"`
	Growth      Growth       `json:"growth"`
	Customers   CustomerKPIs `json:"customers"`
}

// kpis answers GET /v1/kpis: the headline figures of the business, or of
// one segment, over a range, with growth and customer counts.
func (s *Service) kpis(ctx context.Context, in kpiRequest) (*KPIs, error) {
	w := in.w
	stored := in.dims.join(in.values)
	keep := func(v string) bool { return v == stored }
	out := &KPIs{Period: windowJSON(w)}
	if in.scoped {
		out.Scope = &Scope{Dimension: strings.Join(in.dims.names(), ","), Dimensions: in.dims.names()}
		out.Scope.Values, out.Scope.Value = labelled(in.values)
	}
	c, err := s.loadCompared(ctx, in.dims, w, keep)
	if err != nil {
		return nil, err
	}
	out.Comparisons = c.comparisons
	cur := c.cur
	total, err := cur.total()
	if err != nil {
		return nil, err
	}
	if out.Metrics, err = newMetrics(total); err != nil {
		return nil, err
	}
	out.AvgDealSize = out.AvgOrderValue
	if out.Growth, err = growthOf(w, total.Revenue, c.prev.revenue(stored), c.ya.revenue(stored)); err != nil {
		return nil, err
	}
	out.Customers, err = s.customers(ctx, in, total.Revenue)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// customers asks the snapshot for customer counts. Their absence is not an
// error: the response says where they will come from.
func (s *Service) customers(ctx context.Context, in kpiRequest, revenue decimal.Decimal) (CustomerKPIs, error) {
	out := CustomerKPIs{Source: "recompute_snapshot"}
	c, err := s.snapshotCustomers(ctx, in.dims.stored, in.dims.join(in.values), in.w)
	if errors.Is(err, store.ErrNotFound) {
		out.Detail = "Customer counts (distinct, new, returning) come from the snapshot that recompute builds from per-customer history; none covers this request yet."
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Available = true
	out.Customers, out.New, out.Returning = ptr(c.customers), ptr(c.fresh), ptr(c.customers-c.fresh)
	out.AsOf, out.ComputedAt = ptr(c.info.AsOf), ptr(c.info.ComputedAt)
	out.RevenuePerCustomer = ratio(revenue, decimal.MustNew(c.customers, 0))
	out.Detail = "From the recompute snapshot computed at " + c.info.ComputedAt + ", covering purchases up to " + c.info.AsOf + "."
	return out, nil
}

// customerCounts are one segment value's customers over a range: those
// with a purchase in it, and of those the ones whose first purchase is in
// it; the rest are returning customers.
type customerCounts struct {
	customers, fresh int64
	info             store.SnapshotInfo // the snapshot they come from
}

// snapshotCustomers returns the customer counts of value of dimension d
// over w's range from the latest snapshot. Distinct customers do not add
// up across periods, so only two kinds of range are answered: exactly one
// calendar month, quarter or year, from that grain's revenue bridge; and a
// range covering all of the snapshot's history, in which every customer is
// new, from the value tiers. Any other range, a value the snapshot does
// not know, or no snapshot yet gives an error wrapping store.ErrNotFound.
func (s *Service) snapshotCustomers(ctx context.Context, d dimension.Dimension, value string, w window) (customerCounts, error) {
	info, err := s.r.LatestSnapshot(ctx)
	if err != nil {
		return customerCounts{}, err
	}
	if !w.openFrom && !w.openTo {
		// Bridges label their periods by the calendar, whatever the
		// request's fiscal year.
		grains := []struct {
			cal    period.Grain
			bridge analytics.Grain
		}{{period.Month, analytics.ByMonth}, {period.Quarter, analytics.ByQuarter}, {period.Year, analytics.ByYear}}
		for _, g := range grains {
			p, ok := period.Calendar{}.Exact(g.cal, w.r)
			if !ok {
				continue
			}
			rows, err := readPart(ctx, s.r, info, snapshot.BridgePart(d, g.bridge))
			if err != nil {
				return customerCounts{}, err
			}
			for _, r := range rows {
				if r.Value == value && r.Period == p.Label() {
					return customerCounts{customers: r.End.Customers, fresh: r.New.Customers, info: info}, nil
				}
			}
			return customerCounts{}, fmt.Errorf("customer counts of %s %q in %s: %w", d, value, p.Label(), store.ErrNotFound)
		}
	}
	meta, err := readPart(ctx, s.r, info, snapshot.MetaPart())
	if err != nil {
		return customerCounts{}, err
	}
	if meta.FirstDay == "" || (!w.openFrom && w.r.From.String() > meta.FirstDay) || (!w.openTo && w.r.To.String() < meta.LastDay) {
		return customerCounts{}, fmt.Errorf("customer counts of %s (not one calendar month, quarter or year, nor all history): %w", w.label, store.ErrNotFound)
	}
	tiers, err := readPart(ctx, s.r, info, snapshot.GroupsPart(snapshot.Tiers, d))
	if err != nil {
		return customerCounts{}, err
	}
	for _, t := range tiers {
		if t.Value == value {
			return customerCounts{customers: t.Customers, fresh: t.Customers, info: info}, nil
		}
	}
	return customerCounts{}, fmt.Errorf("customer counts of %s %q: %w", d, value, store.ErrNotFound)
}
