package api

import (
	"context"
	"errors"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/segment"
	"github.com/salesseg/salesseg/internal/store"
)

func kpiParams() []string { return append([]string{"dimension", "value", "value2"}, rangeParams()...) }

type kpiRequest struct {
	dims   dims // segment.Total unless scoped
	values []string
	scoped bool
	w      window
}

func (s *Service) decodeKPIs(q query) (kpiRequest, error) {
	in := kpiRequest{dims: dims{list: []segment.Dimension{segment.Total}, stored: segment.Total}, values: []string{segment.TotalValue}}
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
		in.scoped = in.dims.list[0] != segment.Total
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
	Dimension  string   `json:"dimension"`
	Dimensions []string `json:"dimensions"`
	Value      string   `json:"value"`
	Values     []string `json:"values"`
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
		out.Scope = &Scope{Dimension: strings.Join(in.dims.names(), ","), Dimensions: in.dims.names(), Value: displayValue(in.values), Values: in.values}
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
	if out.Growth, err = growthOf(w.comparable, total.Revenue, c.prev.revenue(stored), c.ya.revenue(stored)); err != nil {
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
	w := in.w
	from, to := "0000-01-01", "9999-12-31"
	if !w.openFrom {
		from = w.r.From.String()
	}
	if !w.openTo {
		to = w.r.To.String()
	}
	st, err := s.r.CustomerStats(ctx, in.dims.stored, in.dims.join(in.values), from, to)
	if errors.Is(err, store.ErrNotFound) {
		out.Detail = "Customer counts (distinct, new, returning) come from the snapshot that recompute builds from per-customer history; none covers this request yet."
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Available = true
	out.Customers, out.New, out.Returning = ptr(st.Customers), ptr(st.New), ptr(st.Returning)
	out.AsOf, out.ComputedAt = ptr(st.AsOf), ptr(st.ComputedAt)
	out.RevenuePerCustomer = ratio(revenue, decimal.MustNew(st.Customers, 0))
	out.Detail = "From the recompute snapshot computed at " + st.ComputedAt + ", covering purchases up to " + st.AsOf + "."
	return out, nil
}
