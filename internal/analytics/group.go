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
	CustomerShare Ratio `json:"customer_share"`
	// RevenueShare is Revenue over the segment value's net revenue, and 0
	// when that revenue is zero. Shares of one Summary add up to 1 (to
	// float64 rounding) whenever its revenue is not zero; a group whose
	// customers have net returns has a negative share.
	RevenueShare Ratio `json:"revenue_share"`
}

// CustomerDimension returns nil when d can split customer-level analytics,
// and an error wrapping ErrProductDimension when it describes products
// (dimension.Category: product line, category): one order holds several
// of them, so a customer's tier, RFM group or quadrant says nothing about
// a category, and "the customer's category" is no attribute of the
// customer.
func CustomerDimension(d dimension.Dimension) error {
	if d == dimension.Category {
		return fmt.Errorf("%w: %s describes what was bought, not who bought it", ErrProductDimension, d)
	}
	return nil
}

// Summarize counts customers and sums revenue per group, for every value of
// dimension d, in value order (dimension.CompareValues). A customer counts under every value its
// purchases carried, with the revenue of those purchases (Customer.RevenueBy),
// so the revenue of each value is exactly the revenue its purchases made
// and the values add up to the total; a customer who bought in two regions
// counts once in each, so customer counts may add up to more than the
// base. With d = dimension.Total it returns one Summary for the whole base
// (none for an empty base). The error wraps ErrProductDimension for a
// product dimension (CustomerDimension), ErrMismatch when a does not
// belong to b, or money.ErrOverflow when a revenue sum needs more than 19
// digits.
func (a Assignment) Summarize(b *Base, d dimension.Dimension) ([]Summary, error) {
	if err := CustomerDimension(d); err != nil {
		return nil, err
	}
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
		shares, err := c.RevenueBy(d)
		if err != nil {
			return nil, err
		}
		for _, sh := range shares {
			v := sh.Value
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
			if err := money.AddTo(&s.Groups[g].Revenue, sh.Revenue); err != nil {
				return nil, fmt.Errorf("%s %q group %q: %w", d, v, a.Groups[g], err)
			}
			if err := money.AddTo(&s.Revenue, sh.Revenue); err != nil {
				return nil, fmt.Errorf("%s %q: %w", d, v, err)
			}
			s.Groups[g].Customers++
			s.Customers++
		}
	}
	return finishSummaries(d, out), nil
}

// finishSummaries sets every group's shares of its value's customers and
// revenue and sorts the values in the dimension's order.
func finishSummaries(d dimension.Dimension, out []Summary) []Summary {
	for k := range out {
		s := &out[k]
		for j := range s.Groups {
			g := &s.Groups[j]
			g.CustomerShare = Ratio(fraction(g.Customers, s.Customers))
			g.RevenueShare = Ratio(ratio(g.Revenue, s.Revenue))
		}
	}
	slices.SortFunc(out, func(x, y Summary) int { return dimension.CompareValues(d, x.Value, y.Value) })
	return out
}

// MergeSummaries adds up summaries of dimension d computed on disjoint
// sets of customers (the shards of a base, see package shard) with the
// same groups, into the summaries Summarize gives on their union: counts
// and revenue are summed per value and group, exactly, and the shares
// recomputed. The error wraps ErrMismatch when two parts' groups differ,
// or money.ErrOverflow.
func MergeSummaries(d dimension.Dimension, parts ...[]Summary) ([]Summary, error) {
	idx := map[string]int{}
	var out []Summary
	for _, part := range parts {
		for _, s := range part {
			k, ok := idx[s.Value]
			if !ok {
				idx[s.Value] = len(out)
				m := s
				m.Groups = slices.Clone(s.Groups)
				out = append(out, m)
				continue
			}
			m := &out[k]
			if len(m.Groups) != len(s.Groups) {
				return nil, fmt.Errorf("%w: %s %q in %d and %d groups", ErrMismatch, d, s.Value, len(m.Groups), len(s.Groups))
			}
			m.Customers += s.Customers
			if err := money.AddTo(&m.Revenue, s.Revenue); err != nil {
				return nil, fmt.Errorf("%s %q: %w", d, s.Value, err)
			}
			for j, g := range s.Groups {
				mg := &m.Groups[j]
				if mg.Group != g.Group {
					return nil, fmt.Errorf("%w: %s %q group %q and %q", ErrMismatch, d, s.Value, mg.Group, g.Group)
				}
				mg.Customers += g.Customers
				if err := money.AddTo(&mg.Revenue, g.Revenue); err != nil {
					return nil, fmt.Errorf("%s %q group %q: %w", d, s.Value, g.Group, err)
				}
			}
		}
	}
	return finishSummaries(d, out), nil
}
