package analytics

import (
	"fmt"
	"slices"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
)

// Assignment puts every customer of a Base into one of a fixed list of
// groups: value tiers, RFM groups or quadrants.
type Assignment struct {
	// Groups names the groups in report order.
	Groups []string
	// Of holds, for each customer of the Base in order, the index in Groups
	// of its group.
	Of []int
}

// Group returns the group name of the Base's i-th customer. It panics when
// i or the group index is out of range, like a slice index.
func (a Assignment) Group(i int) string { return a.Groups[a.Of[i]] }

// Members returns the indices in the Base of the customers in the named
// group, in Base order. The error wraps ErrUnknownGroup when group is not
// one of a.Groups.
func (a Assignment) Members(group string) ([]int, error) {
	g := slices.Index(a.Groups, group)
	if g < 0 {
		return nil, fmt.Errorf("%w %q: groups are %q", ErrUnknownGroup, group, a.Groups)
	}
	var out []int
	for i, x := range a.Of {
		if x == g {
			out = append(out, i)
		}
	}
	return out, nil
}

// Summary is the make-up of one segment value (or of the whole base, for
// dimension.Total) by group.
type Summary struct {
	// Dimension and Value name the segment value; dimension.Total and
	// dimension.TotalValue for the whole base.
	Dimension dimension.Dimension `json:"dimension"`
	Value     string              `json:"value"`
	// Customers and Revenue are the segment value's totals.
	Customers int64           `json:"customers"`
	Revenue   decimal.Decimal `json:"revenue"`
	// Groups has one entry per group of the Assignment, in its order, empty
	// groups included.
	Groups []GroupStats `json:"groups"`
}

// GroupStats are one group's figures within one segment value.
type GroupStats struct {
	Group     string          `json:"group"`
	Customers int64           `json:"customers"`
	Revenue   decimal.Decimal `json:"revenue"`
	// CustomerShare is Customers over the segment value's customers.
	CustomerShare float64 `json:"customer_share"`
	// RevenueShare is Revenue over the segment value's net revenue, and 0
	// when that revenue is zero. Shares of one Summary add up to 1 (to
	// float64 rounding) whenever its revenue is not zero; a group whose
	// customers have net returns has a negative share.
	RevenueShare float64 `json:"revenue_share"`
}

// Summarize counts customers and sums revenue per group, for every value of
// dimension d (each customer under its latest value, see Customer.Attr),
// sorted by value. With d = dimension.Total it returns one Summary for the
// whole base (none for an empty base). The error wraps ErrMismatch when a does not belong to b, or
// money.ErrOverflow when a revenue sum needs more than 19 digits.
func (a Assignment) Summarize(b *Base, d dimension.Dimension) ([]Summary, error) {
	if len(a.Of) != len(b.Customers) {
		return nil, fmt.Errorf("%w: assignment of %d customers, base of %d", ErrMismatch, len(a.Of), len(b.Customers))
	}
	idx := map[string]int{}
	var out []Summary
	for i := range b.Customers {
		c := &b.Customers[i]
		g := a.Of[i]
		if g < 0 || g >= len(a.Groups) {
			return nil, fmt.Errorf("%w: customer %q in group %d of %d", ErrMismatch, c.ID, g, len(a.Groups))
		}
		v := c.Attr(d)
		k, ok := idx[v]
		if !ok {
			k = len(out)
			idx[v] = k
			s := Summary{Dimension: d, Value: v, Groups: make([]GroupStats, len(a.Groups))}
			for j, name := range a.Groups {
				s.Groups[j].Group = name
			}
			out = append(out, s)
		}
		s := &out[k]
		if err := money.AddTo(&s.Groups[g].Revenue, c.Revenue); err != nil {
			return nil, fmt.Errorf("%s %q group %q: %w", d, v, a.Groups[g], err)
		}
		if err := money.AddTo(&s.Revenue, c.Revenue); err != nil {
			return nil, fmt.Errorf("%s %q: %w", d, v, err)
		}
		s.Groups[g].Customers++
		s.Customers++
	}
	for k := range out {
		s := &out[k]
		for j := range s.Groups {
			g := &s.Groups[j]
			g.CustomerShare = fraction(g.Customers, s.Customers)
			g.RevenueShare = ratio(g.Revenue, s.Revenue)
		}
	}
	slices.SortFunc(out, func(x, y Summary) int {
		switch {
		case x.Value < y.Value:
			return -1
		case x.Value > y.Value:
			return 1
		}
		return 0
	})
	return out, nil
}
