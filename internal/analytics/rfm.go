package analytics

import (
	"fmt"
	"slices"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/period"
)

// The named RFM groups, as RFM reports them.
const (
	Champions         = "Champions"
	Loyal             = "Loyal"
	PotentialLoyalist = "Potential loyalist"
	NewCustomers      = "New"
	Promising         = "Promising"
	NeedAttention     = "Need attention"
	AboutToSleep      = "About to sleep"
	AtRisk            = "At risk"
	CantLose          = "Can't lose"
	Hibernating       = "Hibernating"
	Lost              = "Lost"
)

// RFMGroups returns the RFM group names in report order, best first.
func RFMGroups() []string {
	return []string{Champions, Loyal, PotentialLoyalist, NewCustomers, Promising,
		NeedAttention, AboutToSleep, AtRisk, CantLose, Hibernating, Lost}
}

// rfmGrid maps the recency score R (rows, 5 = most recent first) and the
// frequency-monetary score FM = round-half-up((F+M)/2) (columns, 1 to 5) to
// a group. It is our own table, in the spirit of the common R × FM grids:
//
//	R\FM  1               2                   3                   4              5
//	5     New             Potential loyalist  Potential loyalist  Champions      Champions
//	4     Promising       Potential loyalist  Potential loyalist  Loyal          Champions
//	3     About to sleep  About to sleep      Need attention      Loyal          Loyal
//	2     Hibernating     Hibernating         At risk             At risk        Can't lose
//	1     Lost            Lost                Hibernating         At risk        Can't lose
//
// Reading it: recent buyers are Champions when they also buy often and
// much, Potential loyalists in the middle, New (R 5) or Promising (R 4) when
// they have bought little so far; middling recency is Loyal for strong
// buyers and otherwise Need attention or About to sleep; lapsed strong
// buyers are At risk, the strongest Can't lose; lapsed weak buyers are
// Hibernating and, at the lowest recency, Lost.
func rfmGroup(r, fm int) string {
	grid := [5][5]string{
		{Lost, Lost, Hibernating, AtRisk, CantLose},                                // R 1
		{Hibernating, Hibernating, AtRisk, AtRisk, CantLose},                       // R 2
		{AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},                  // R 3
		{Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Champions},        // R 4
		{NewCustomers, PotentialLoyalist, PotentialLoyalist, Champions, Champions}, // R 5
	}
	return grid[r-1][fm-1]
}

// FrequencyBasis selects what RFM frequency counts.
type FrequencyBasis string

// The frequency bases. PurchaseDays, the default, counts distinct days with
// a purchase: it does not depend on how a file numbers its orders (a file
// without order ids counts lines as orders) and a day split across several
// files counts once. Orders counts orders as ingested, summed over files.
const (
	PurchaseDays FrequencyBasis = "days"
	OrderCount   FrequencyBasis = "orders"
)

// RFMConfig configures an RFM analysis.
type RFMConfig struct {
	// AsOf is the day recency is measured at; the zero Time means the
	// base's last purchase day. It must not be before that day, so that no
	// recency is negative.
	AsOf time.Time
	// Frequency selects the frequency measure; empty means PurchaseDays.
	Frequency FrequencyBasis
}

// RFMScore is one customer's RFM measures and scores.
type RFMScore struct {
	// Recency is the number of days from the last purchase to the as-of
	// day; Frequency counts purchase days or orders (see FrequencyBasis);
	// Monetary is the net revenue.
	Recency   int             `json:"recency"`
	Frequency int64           `json:"frequency"`
	Monetary  decimal.Decimal `json:"monetary"`
	// R, F and M are quintile scores from 1 (worst) to 5 (best); FM is
	// (F+M)/2 rounded half up. Group is the named group of (R, FM).
	R     int    `json:"r"`
	F     int    `json:"f"`
	M     int    `json:"m"`
	FM    int    `json:"fm"`
	Group string `json:"group"`
}

// RFMResult is an RFM analysis of a base.
type RFMResult struct {
	// AsOf is the day recency was measured at.
	AsOf period.Date
	// Scores holds one entry per customer, in Base order.
	Scores []RFMScore
	// Assignment puts every customer in its named group; its Groups are
	// RFMGroups(), so Summarize gives counts and revenue per group and
	// segment.
	Assignment
}

// RFM scores every customer of b on recency, frequency and monetary value
// and names its group.
//
// Scores are quintiles of rank, as common RFM tools compute them (rank
// with method "first", then cut into five equal parts): customers are
// ordered from worst to best on each measure (longest recency, fewest
// purchases, least revenue first), equal measures ordered by customer ID,
// so every customer has its own position k of n and scores
// 1 + ⌊5·(2k+1)/(2n)⌋, the quintile of its position's midpoint. Large
// bases split into fifths and every score 1 to 5 is given whenever there
// are five customers or more, even when most customers tie (on CDNOW half
// the customers bought on one day only: the lower IDs among them score F
// 1, the others F 2). Small bases still spread over the scale: a single
// customer scores 3, two score 2 and 4, five score 1 to 5. Equal
// customers may therefore score differently; which one scores higher
// depends only on their IDs.
//
// The error wraps ErrInvalidConfig when cfg.AsOf is before the base's last
// purchase or cfg.Frequency is unknown.
func RFM(b *Base, cfg RFMConfig) (RFMResult, error) {
	asOf := b.LastDay
	if !cfg.AsOf.IsZero() {
		asOf = period.DateOf(cfg.AsOf)
		if len(b.Customers) > 0 && asOf < b.LastDay {
			return RFMResult{}, fmt.Errorf("%w: RFM as of %s is before the last purchase on %s", ErrInvalidConfig, asOf, b.LastDay)
		}
	}
	basis := cfg.Frequency
	if basis == "" {
		basis = PurchaseDays
	}
	if basis != PurchaseDays && basis != OrderCount {
		return RFMResult{}, fmt.Errorf("%w: frequency basis %q: use %q or %q", ErrInvalidConfig, basis, PurchaseDays, OrderCount)
	}
	n := len(b.Customers)
	res := RFMResult{
		AsOf:       asOf,
		Scores:     make([]RFMScore, n),
		Assignment: Assignment{Groups: RFMGroups(), Of: make([]int, n)},
	}
	for i := range b.Customers {
		c := &b.Customers[i]
		s := &res.Scores[i]
		s.Recency = int(asOf - c.LastDay)
		s.Frequency = int64(c.PurchaseDays)
		if basis == OrderCount {
			s.Frequency = c.Orders
		}
		s.Monetary = c.Revenue
	}
	order := make([]int, n)
	// Recency: a later last purchase is better.
	quintiles(order, func(x, y int) int { return int(b.Customers[x].LastDay) - int(b.Customers[y].LastDay) },
		func(i, q int) { res.Scores[i].R = q })
	quintiles(order, func(x, y int) int {
		fx, fy := res.Scores[x].Frequency, res.Scores[y].Frequency
		switch {
		case fx < fy:
			return -1
		case fx > fy:
			return 1
		}
		return 0
	}, func(i, q int) { res.Scores[i].F = q })
	quintiles(order, func(x, y int) int { return b.Customers[x].Revenue.Cmp(b.Customers[y].Revenue) },
		func(i, q int) { res.Scores[i].M = q })
	groupIndex := map[string]int{}
	for g, name := range res.Groups {
		groupIndex[name] = g
	}
	for i := range res.Scores {
		s := &res.Scores[i]
		s.FM = (s.F + s.M + 1) / 2
		s.Group = rfmGroup(s.R, s.FM)
		res.Of[i] = groupIndex[s.Group]
	}
	return res, nil
}

// quintiles sorts order (reset to 0..n-1) by worse-to-better comparison
// cmp, equal customers by Base position (customer ID), and calls set with
// the quintile score of each customer's position.
func quintiles(order []int, cmp func(x, y int) int, set func(i, q int)) {
	n := len(order)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		if c := cmp(x, y); c != 0 {
			return c
		}
		return x - y
	})
	for k, i := range order {
		set(i, 1+5*(2*k+1)/(2*n))
	}
}
