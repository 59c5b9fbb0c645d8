package analytics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
)

// BridgeConfig configures a revenue bridge.
type BridgeConfig struct {
	// Grain is the period length; empty means ByMonth.
	Grain Grain
	// Dimension splits the bridge by the customers' latest value of that
	// dimension (see Customer.Attr); empty or dimension.Total gives one
	// bridge for the whole base.
	Dimension dimension.Dimension
	// Prospects, optional, are the accounts known from a customers file,
	// bought or not; a repeated ID counts once. They are the population
	// Conversion is measured on: a customers file carries no date, so every
	// account is taken as known from the first period on. Those without a
	// purchase also enlarge the denominator of Penetration.
	Prospects []Prospect
}

// Movement is a number of customers and their revenue.
type Movement struct {
	Customers int64           `json:"customers"`
	Revenue   decimal.Decimal `json:"revenue"`
}

// BridgeRow explains how one segment value's revenue moved from the
// previous period to one period. A customer is active in a period when it
// has at least one purchase in it, whatever its net revenue (a period of
// pure returns is active with negative revenue). Every revenue in the row
// is exact and the row reconciles:
//
//	Start + New + Expansion + Contraction + Churned + Reactivated = End
//
// Retained is not a term of that sum: it is the part of End kept from
// Start, min(previous, current) per customer active in both periods.
type BridgeRow struct {
	// Dimension and Value name the segment value; dimension.Total and
	// dimension.TotalValue for the whole base.
	Dimension dimension.Dimension `json:"dimension"`
	Value     string              `json:"value"`
	// Period is the period the row ends in and Previous the one before it,
	// labelled as Grain.Label does.
	Period   string `json:"period"`
	Previous string `json:"previous"`
	// Start is the previous period's active customers and revenue; End the
	// period's.
	Start Movement `json:"start"`
	End   Movement `json:"end"`
	// New are customers whose first purchase ever is in the period.
	New Movement `json:"new"`
	// Retained are customers active in both periods, with revenue
	// min(previous, current) each.
	Retained Movement `json:"retained"`
	// Expansion are retained customers buying more than in the previous
	// period, with revenue current − previous (positive).
	Expansion Movement `json:"expansion"`
	// Contraction are retained customers buying less, with revenue
	// current − previous (negative).
	Contraction Movement `json:"contraction"`
	// Churned are customers active in the previous period but not in this
	// one, with minus their previous revenue (negative).
	Churned Movement `json:"churned"`
	// Reactivated are customers active in the period, not in the previous
	// one, but in some earlier one, with their revenue.
	Reactivated Movement `json:"reactivated"`
	// Known is the number of customers whose first purchase is in or
	// before the period; Prospects the number of accounts without any
	// purchase (see BridgeConfig.Prospects).
	Known     int64 `json:"known"`
	Prospects int64 `json:"prospects"`
	// ProspectsAtStart is the number of accounts (BridgeConfig.Prospects)
	// that had not bought before the period, and Converted the number of
	// them whose first purchase is in it.
	ProspectsAtStart int64 `json:"prospects_at_start"`
	Converted        int64 `json:"converted"`
	// RetentionRate is Retained.Customers / Start.Customers.
	RetentionRate *Ratio `json:"retention_rate"`
	// RevenueRetention (net revenue retention, NRR) is what the previous
	// period's customers spend now over what they spent then:
	// (Start + Expansion + Contraction + Churned) / Start revenue. It and
	// GrossRevenueRetention are nil unless Start revenue is positive.
	RevenueRetention *Ratio `json:"revenue_retention"`
	// GrossRevenueRetention is the same without expansion:
	// Retained revenue / Start revenue.
	GrossRevenueRetention *Ratio `json:"gross_revenue_retention"`
	// Conversion is the share of the accounts known at the start of the
	// period and not yet customers that bought for the first time in it:
	// Converted / ProspectsAtStart. It looks at nothing after the period:
	// customers who first buy later, and customers who appear without an
	// account, are not in the denominator. It is nil without accounts.
	Conversion *Ratio `json:"conversion"`
	// Penetration is the share of the known accounts active in the period:
	// End.Customers / (Known + Prospects).
	Penetration *Ratio `json:"penetration"`
}

// Check returns an error wrapping ErrUnbalanced when the row does not
// reconcile exactly, or money.ErrOverflow when its sum needs more than 19
// digits.
func (r *BridgeRow) Check() error {
	sum := r.Start.Revenue
	for _, m := range []decimal.Decimal{r.New.Revenue, r.Expansion.Revenue, r.Contraction.Revenue, r.Churned.Revenue, r.Reactivated.Revenue} {
		if err := money.AddTo(&sum, m); err != nil {
			return err
		}
	}
	if sum.Cmp(r.End.Revenue) != 0 {
		return fmt.Errorf("%w: %s %q %s: start %s + movements = %s, end %s", ErrUnbalanced, r.Dimension, r.Value, r.Period, r.Start.Revenue, sum, r.End.Revenue)
	}
	if got := r.Start.Customers + r.New.Customers + r.Reactivated.Customers - r.Churned.Customers; got != r.End.Customers {
		return fmt.Errorf("%w: %s %q %s: start %d + new + reactivated − churned = %d customers, end %d", ErrUnbalanced, r.Dimension, r.Value, r.Period, r.Start.Customers, got, r.End.Customers)
	}
	return nil
}

// periodRevenue is one customer's revenue in one period.
type periodRevenue struct {
	p   Period
	rev decimal.Decimal
}

// Bridge computes the revenue bridge of every period, from the period of
// the base's first purchase to that of its last, for every value of
// cfg.Dimension (sorted by value, then period). The first period's
// previous period precedes all data, so its Start is zero and every
// customer in it is New. Each customer counts under its latest dimension
// value for its whole history, so the values' rows add up to the total
// bridge. Rates whose denominator is zero are nil.
//
// Every row is checked with BridgeRow.Check. The error wraps
// ErrInvalidConfig for an unknown grain, ErrProductDimension for a product
// dimension (CustomerDimension), money.ErrOverflow when a sum needs
// more than 19 digits, or ErrUnbalanced if a row failed to reconcile (a
// bug).
// An empty base gives no rows.
func Bridge(b *Base, cfg BridgeConfig) ([]BridgeRow, error) {
	grain := cfg.Grain
	if grain == "" {
		grain = ByMonth
	}
	if _, ok := grain.Of(0); !ok {
		return nil, fmt.Errorf("%w: grain %q: use %q, %q or %q", ErrInvalidConfig, grain, ByMonth, ByQuarter, ByYear)
	}
	dim := cfg.Dimension
	if dim == "" {
		dim = dimension.Total
	}
	if err := CustomerDimension(dim); err != nil {
		return nil, err
	}
	if b.FirstDay.IsZero() {
		return nil, nil // an empty base
	}
	pMin, _ := grain.Of(b.FirstDay.YearMonth())
	pMax, _ := grain.Of(b.LastDay.YearMonth())
	np := int(pMax-pMin) + 1

	type series struct {
		value string
		rows  []BridgeRow
		// prospects counts the accounts without a purchase, accounts those
		// with one, and converted[k] the accounts first buying in period k.
		prospects, accounts int64
		converted           []int64
	}
	var all []*series
	byValue := map[string]*series{}
	get := func(v string) *series {
		s, ok := byValue[v]
		if !ok {
			s = &series{value: v, rows: make([]BridgeRow, np), converted: make([]int64, np)}
			byValue[v] = s
			all = append(all, s)
		}
		return s
	}
	isAccount := make([]bool, len(b.Customers))
	seen := map[string]bool{}
	for _, pr := range cfg.Prospects {
		if seen[pr.ID] {
			continue
		}
		seen[pr.ID] = true
		if i, ok := b.Index(pr.ID); ok {
			isAccount[i] = true
		} else {
			get(pr.attr(dim)).prospects++
		}
	}
	var periods []periodRevenue
	for i := range b.Customers {
		c := &b.Customers[i]
		periods = periods[:0]
		for _, m := range c.Months {
			p, _ := grain.Of(m.Month)
			if k := len(periods) - 1; k >= 0 && periods[k].p == p {
				if err := money.AddTo(&periods[k].rev, m.Revenue); err != nil {
					return nil, fmt.Errorf("bridge customer %q: %w", c.ID, err)
				}
				continue
			}
			periods = append(periods, periodRevenue{p: p, rev: m.Revenue})
		}
		s := get(c.Attr(dim))
		if isAccount[i] {
			s.accounts++
			s.converted[periods[0].p-pMin]++
		}
		for j, pr := range periods {
			row := &s.rows[pr.p-pMin]
			if err := move(&row.End, 1, pr.rev); err != nil {
				return nil, fmt.Errorf("bridge customer %q: %w", c.ID, err)
			}
			var err error
			switch {
			case j > 0 && periods[j-1].p == pr.p-1:
				prev := periods[j-1].rev
				err = move(&row.Retained, 1, prev.Min(pr.rev))
				if err == nil {
					diff, derr := money.Sub(pr.rev, prev)
					switch {
					case derr != nil:
						err = derr
					case diff.IsPos():
						err = move(&row.Expansion, 1, diff)
					case diff.IsNeg():
						err = move(&row.Contraction, 1, diff)
					}
				}
			case j == 0:
				err = move(&row.New, 1, pr.rev)
			default:
				err = move(&row.Reactivated, 1, pr.rev)
			}
			if err == nil && pr.p < pMax && (j == len(periods)-1 || periods[j+1].p != pr.p+1) {
				err = move(&s.rows[pr.p+1-pMin].Churned, 1, pr.rev.Neg())
			}
			if err != nil {
				return nil, fmt.Errorf("bridge customer %q: %w", c.ID, err)
			}
		}
	}

	slices.SortFunc(all, func(x, y *series) int { return strings.Compare(x.value, y.value) })
	out := make([]BridgeRow, 0, len(all)*np)
	for _, s := range all {
		var known, convertedBefore int64
		for k := range s.rows {
			r := &s.rows[k]
			p := pMin + Period(k)
			r.Dimension, r.Value = dim, s.value
			r.Period, r.Previous = grain.Label(p), grain.Label(p-1)
			if k > 0 {
				r.Start = s.rows[k-1].End
			}
			known += r.New.Customers
			r.Known, r.Prospects = known, s.prospects
			r.ProspectsAtStart = s.prospects + s.accounts - convertedBefore
			r.Converted = s.converted[k]
			convertedBefore += r.Converted
			if err := r.finish(); err != nil {
				return nil, err
			}
		}
		out = append(out, s.rows...)
	}
	return out, nil
}

// move adds one movement of n customers and revenue rev into m.
// finish sets the row's rates from its counts and sums, then checks it
// balances.
func (r *BridgeRow) finish() error {
	r.RetentionRate = rate(r.Retained.Customers, r.Start.Customers)
	r.Conversion = rate(r.Converted, r.ProspectsAtStart)
	r.Penetration = rate(r.End.Customers, r.Known+r.Prospects)
	r.RevenueRetention, r.GrossRevenueRetention = nil, nil
	if r.Start.Revenue.IsPos() {
		kept := r.Start.Revenue
		for _, m := range []decimal.Decimal{r.Expansion.Revenue, r.Contraction.Revenue, r.Churned.Revenue} {
			if err := money.AddTo(&kept, m); err != nil {
				return fmt.Errorf("bridge %q %s: %w", r.Value, r.Period, err)
			}
		}
		nrr, grr := Ratio(ratio(kept, r.Start.Revenue)), Ratio(ratio(r.Retained.Revenue, r.Start.Revenue))
		r.RevenueRetention, r.GrossRevenueRetention = &nrr, &grr
	}
	return r.Check()
}

// MergeBridges adds up bridges of one dimension and grain computed on
// disjoint sets of customers and prospects (the shards of a base, each
// Base given the whole base's FirstDay and LastDay so that every part
// spans the same periods) into the bridge of their union. Every count and
// sum of a row is additive across customers, the cumulative ones (Known,
// ProspectsAtStart, Start) included, so rows are summed per value and
// period, exactly, and the rates recomputed. Rows come out in Bridge's
// order: by value, then period. The error wraps money.ErrOverflow, or
// ErrUnbalanced when the parts do not add up.
func MergeBridges(parts ...[]BridgeRow) ([]BridgeRow, error) {
	type key struct{ value, period string }
	idx := map[key]int{}
	var out []BridgeRow
	for _, part := range parts {
		for _, r := range part {
			k := key{r.Value, r.Period}
			i, ok := idx[k]
			if !ok {
				idx[k] = len(out)
				out = append(out, r)
				continue
			}
			m := &out[i]
			for _, mv := range []struct{ dst, src *Movement }{
				{&m.Start, &r.Start}, {&m.End, &r.End}, {&m.New, &r.New}, {&m.Retained, &r.Retained},
				{&m.Expansion, &r.Expansion}, {&m.Contraction, &r.Contraction}, {&m.Churned, &r.Churned}, {&m.Reactivated, &r.Reactivated},
			} {
				if err := move(mv.dst, mv.src.Customers, mv.src.Revenue); err != nil {
					return nil, fmt.Errorf("bridge %q %s: %w", r.Value, r.Period, err)
				}
			}
			m.Known += r.Known
			m.Prospects += r.Prospects
			m.ProspectsAtStart += r.ProspectsAtStart
			m.Converted += r.Converted
		}
	}
	// Period labels of one grain sort in time order.
	slices.SortFunc(out, func(x, y BridgeRow) int {
		if c := strings.Compare(x.Value, y.Value); c != 0 {
			return c
		}
		return strings.Compare(x.Period, y.Period)
	})
	for i := range out {
		if err := out[i].finish(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func move(m *Movement, n int64, rev decimal.Decimal) error {
	if err := money.AddTo(&m.Revenue, rev); err != nil {
		return err
	}
	m.Customers += n
	return nil
}

// rate returns a pointer to n/d, or nil when d is zero.
func rate(n, d int64) *Ratio {
	if d == 0 {
		return nil
	}
	f := Ratio(float64(n) / float64(d))
	return &f
}
