package analytics

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// Builder folds a stream of purchases, possibly from many files, into
// per-customer summaries. Purchases of the same customer and day coming
// from several files are added together: their orders, lines, revenue and
// cost are summed, and the day counts once as a purchase day.
//
// Memory grows with customers × active months (one entry per customer and
// month with purchases, plus the customer's latest dimension values and its
// revenue per dimension value), not
// with the number of purchases. Folding is order-independent: any order of
// the same purchases builds a Base with the same values. (Sums keep the
// largest scale of their terms, so 1.50 + 2.5 is 4.00; trailing zeros are
// dropped only where keeping them would overflow 19 digits, and only then
// can the number of trailing zeros depend on the order.)
//
// The zero Builder is not usable; call NewBuilder. A Builder is not safe
// for concurrent use.
type Builder struct {
	index map[string]int32
	accs  []custAcc
	// strs interns dimension values, which repeat across customers.
	strs map[string]string
	rows int64
	// last is the index of the customer of the previous purchase, since
	// histories often hold a customer's purchases together.
	last int32
	// names holds each customer's best name so far, by customer id (see
	// AddName); apart from accs so that a name may come before the
	// customer's first purchase.
	names map[string]slotAcc
}

type custAcc struct {
	id            string
	first, last   period.Date
	firstRevenue  decimal.Decimal
	orders, lines int64
	revenue, cost decimal.Decimal
	months        []monthAcc // sorted by month
	// known holds the dimensions of inlineDims by slot, other any further
	// dimension in order of first appearance.
	known [inlineDims]slotAcc
	other []attrAcc
	// shares holds the revenue per dimension and value the purchases
	// carried, in order of first appearance.
	shares []ValueRevenue
}

// inlineDims is the number of dimensions kept inline in a custAcc; see
// dimSlot.
const inlineDims = 7

// slotDim returns the dimension kept in slot k, the inverse of dimSlot.
func slotDim(k int) dimension.Dimension {
	return [inlineDims]dimension.Dimension{dimension.Segment, dimension.Industry, dimension.Size, dimension.Region,
		dimension.Country, dimension.Category, dimension.Channel}[k]
}

// dimSlot returns the inline slot of d, or -1.
func dimSlot(d dimension.Dimension) int {
	switch d {
	case dimension.Segment:
		return 0
	case dimension.Industry:
		return 1
	case dimension.Size:
		return 2
	case dimension.Region:
		return 3
	case dimension.Country:
		return 4
	case dimension.Category:
		return 5
	case dimension.Channel:
		return 6
	}
	return -1
}

// slotAcc is one dimension's best value so far; set is false until the
// dimension has been seen.
type slotAcc struct {
	value string
	day   period.Date
	set   bool
}

type monthAcc struct {
	month   period.YearMonth
	days    uint32 // bit d-1 set when the customer bought on day d
	revenue decimal.Decimal
	cost    decimal.Decimal
	// uncosted is set when a purchase of the month carried no cost.
	uncosted bool
}

type attrAcc struct {
	dim dimension.Dimension
	slotAcc
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{index: map[string]int32{}, strs: map[string]string{}, names: map[string]slotAcc{}}
}

// Add folds one purchase. It returns an error wrapping ErrInvalidPurchase
// for an empty customer id, a zero Day, a Revenue that is not a decimal
// number in plain notation (an empty Revenue included) or has more digits
// than a decimal holds exactly (19 significant digits), a non-empty Cost
// that is not one, or negative Orders or Lines; and one wrapping
// money.ErrOverflow when a customer's sums would lose digits. On error the
// Builder is unchanged. Add has the signature history.Read expects, so a
// history file folds with history.Read(r, b.Add).
//
// Revenue may be negative (returns, cancellations): sums are net. An empty
// Cost adds nothing to the customer's cost. A non-empty Name is folded as
// AddName does.
func (b *Builder) Add(p history.Purchase) error {
	if p.Customer == "" {
		return fmt.Errorf("%w: empty customer id", ErrInvalidPurchase)
	}
	if p.Day.IsZero() {
		return fmt.Errorf("%w: customer %q: no day", ErrInvalidPurchase, p.Customer)
	}
	y, m, d := p.Day.Date()
	day, month := p.Day, period.NewYearMonth(y, m)
	rev, err := parseMoney(p.Revenue)
	if err != nil {
		return fmt.Errorf("%w: customer %q day %s: revenue %q: %v", ErrInvalidPurchase, p.Customer, p.Day, p.Revenue, err)
	}
	var cost decimal.Decimal
	if p.Cost != "" {
		if cost, err = parseMoney(p.Cost); err != nil {
			return fmt.Errorf("%w: customer %q day %s: cost %q: %v", ErrInvalidPurchase, p.Customer, p.Day, p.Cost, err)
		}
	}
	if p.Orders < 0 || p.Lines < 0 {
		return fmt.Errorf("%w: customer %q day %s: negative orders %d or lines %d", ErrInvalidPurchase, p.Customer, p.Day, p.Orders, p.Lines)
	}

	i, found := b.last, false
	if int(i) < len(b.accs) && b.accs[i].id == p.Customer {
		found = true
	} else {
		i, found = b.index[p.Customer]
	}
	if !found {
		a := custAcc{
			id: strings.Clone(p.Customer), first: day, last: day, firstRevenue: rev,
			orders: p.Orders, lines: p.Lines, revenue: rev, cost: cost,
			months: []monthAcc{{month: month, days: 1 << (d - 1), revenue: rev, cost: cost, uncosted: p.Cost == ""}},
		}
		b.mergeAttrs(&a, p.Attrs, day)
		if a.shares, err = b.addShares(nil, p.Attrs, rev); err != nil {
			return fmt.Errorf("customer %q: %w", p.Customer, err)
		}
		b.last = int32(len(b.accs))
		b.index[a.id] = b.last
		b.accs = append(b.accs, a)
		b.rows++
		b.AddName(p.Customer, p.Name, day)
		return nil
	}
	b.last = i
	a := &b.accs[i]
	// Compute every new sum before changing anything, so that an overflow
	// leaves the customer as it was.
	newRev, err := money.Add(a.revenue, rev)
	if err != nil {
		return fmt.Errorf("customer %q revenue: %w", p.Customer, err)
	}
	newCost, err := money.Add(a.cost, cost)
	if err != nil {
		return fmt.Errorf("customer %q cost: %w", p.Customer, err)
	}
	newFirst := a.firstRevenue
	switch {
	case day < a.first:
		newFirst = rev
	case day == a.first:
		if newFirst, err = money.Add(a.firstRevenue, rev); err != nil {
			return fmt.Errorf("customer %q first-day revenue: %w", p.Customer, err)
		}
	}
	// Purchases mostly arrive in time order: try the last month first.
	var j int
	var inMonth bool
	switch n := len(a.months); {
	case a.months[n-1].month == month:
		j, inMonth = n-1, true
	case a.months[n-1].month < month:
		j = n
	default:
		j, inMonth = slices.BinarySearchFunc(a.months, month, func(e monthAcc, t period.YearMonth) int { return cmp.Compare(e.month, t) })
	}
	var newMonth, newMonthCost decimal.Decimal
	if inMonth {
		if newMonth, err = money.Add(a.months[j].revenue, rev); err != nil {
			return fmt.Errorf("customer %q month %s revenue: %w", p.Customer, month, err)
		}
		if newMonthCost, err = money.Add(a.months[j].cost, cost); err != nil {
			return fmt.Errorf("customer %q month %s cost: %w", p.Customer, month, err)
		}
	}
	shares, err := b.addShares(a.shares, p.Attrs, rev)
	if err != nil {
		return fmt.Errorf("customer %q: %w", p.Customer, err)
	}
	a.shares = shares

	a.revenue, a.cost, a.firstRevenue = newRev, newCost, newFirst
	a.first, a.last = min(a.first, day), max(a.last, day)
	a.orders += p.Orders
	a.lines += p.Lines
	if inMonth {
		a.months[j].revenue, a.months[j].cost = newMonth, newMonthCost
		a.months[j].days |= 1 << (d - 1)
		a.months[j].uncosted = a.months[j].uncosted || p.Cost == ""
	} else {
		a.months = slices.Insert(a.months, j, monthAcc{month: month, days: 1 << (d - 1), revenue: rev, cost: cost, uncosted: p.Cost == ""})
	}
	b.mergeAttrs(a, p.Attrs, day)
	b.rows++
	b.AddName(p.Customer, p.Name, day)
	return nil
}

// addShares returns shares with rev added under each of attrs' values (a
// blank value counts as dimension.Blank). Every sum is computed before
// anything changes, so on error shares is as it was.
func (b *Builder) addShares(shares []ValueRevenue, attrs map[dimension.Dimension]string, rev decimal.Decimal) ([]ValueRevenue, error) {
	type update struct {
		k   int
		sum decimal.Decimal
	}
	var buf [inlineDims]update
	updates := buf[:0]
	n := len(shares)
	for dim, v := range attrs {
		if dim == dimension.Total {
			continue
		}
		if isBlank(v) {
			v = dimension.Blank
		}
		k := slices.IndexFunc(shares[:n], func(s ValueRevenue) bool { return s.Dim == dim && s.Value == v })
		if k < 0 {
			shares = append(shares, ValueRevenue{Dim: dim, Value: b.intern(v), Revenue: rev})
			continue
		}
		sum, err := money.Add(shares[k].Revenue, rev)
		if err != nil {
			return shares[:n], fmt.Errorf("%s %q revenue: %w", dim, v, err)
		}
		updates = append(updates, update{k, sum})
	}
	for _, u := range updates {
		shares[u.k].Revenue = u.sum
	}
	return shares, nil
}

// isBlank reports whether a dimension value carries no information.
func isBlank(v string) bool { return v == "" || v == dimension.Blank }

// mergeAttrs keeps, per dimension, the best value under a total order that
// does not depend on the order of purchases: a non-blank value beats a
// blank one, then the later day wins, then (same day, several files) the
// smaller string.
func (b *Builder) mergeAttrs(a *custAcc, attrs map[dimension.Dimension]string, day period.Date) {
	for dim, v := range attrs {
		var cur *slotAcc
		if k := dimSlot(dim); k >= 0 {
			cur = &a.known[k]
		} else if dim == dimension.Total {
			continue
		} else {
			for i := range a.other {
				if a.other[i].dim == dim {
					cur = &a.other[i].slotAcc
					break
				}
			}
			if cur == nil {
				a.other = append(a.other, attrAcc{dim: dim})
				cur = &a.other[len(a.other)-1].slotAcc
			}
		}
		b.mergeValue(cur, v, day)
	}
}

// mergeValue folds one value seen on day into cur.
func (b *Builder) mergeValue(cur *slotAcc, v string, day period.Date) {
	switch {
	case !cur.set:
		*cur = slotAcc{value: b.intern(v), day: day, set: true}
	case cur.value == v:
		cur.day = max(cur.day, day)
	default:
		nb, cb := !isBlank(v), !isBlank(cur.value)
		if (nb && !cb) || (nb == cb && (day > cur.day || day == cur.day && v < cur.value)) {
			cur.value, cur.day = b.intern(v), day
		}
	}
}

// AddName folds a customer's display name, seen on day, under the order
// of dimension values (see Customer.Attrs): the latest day's name wins,
// ties going to the smallest string; an empty name adds nothing. A name
// reaches Build's Base only for a customer with a purchase, which may be
// added before or after it.
func (b *Builder) AddName(customer, name string, day period.Date) {
	if name == "" {
		return
	}
	cur, ok := b.names[customer]
	if !ok {
		customer = strings.Clone(customer)
	}
	b.mergeValue(&cur, name, day)
	b.names[customer] = cur
}

func (b *Builder) intern(s string) string {
	if t, ok := b.strs[s]; ok {
		return t
	}
	s = strings.Clone(s)
	b.strs[s] = s
	return s
}

// Customers returns the number of distinct customers folded so far.
func (b *Builder) Customers() int { return len(b.accs) }

// Purchases returns the number of purchases folded so far.
func (b *Builder) Purchases() int64 { return b.rows }

// Build returns the customer base folded so far, customers sorted by ID.
// The Base shares no memory with the Builder, which may keep folding.
func (b *Builder) Build() *Base {
	base := &Base{Customers: make([]Customer, len(b.accs))}
	nMonths, nAttrs := 0, 0
	for i := range b.accs {
		nMonths += len(b.accs[i].months)
		nAttrs += inlineDims + len(b.accs[i].other)
	}
	months := make([]MonthActivity, 0, nMonths)
	attrs := make([]Attr, 0, nAttrs)
	for i := range b.accs {
		a := &b.accs[i]
		c := &base.Customers[i]
		*c = Customer{
			ID: a.id, Name: b.names[a.id].value, FirstDay: a.first, LastDay: a.last, FirstDayRevenue: a.firstRevenue,
			Orders: a.orders, Lines: a.lines, Revenue: a.revenue, Cost: a.cost,
		}
		start := len(months)
		for _, m := range a.months {
			n := bits.OnesCount32(m.days)
			c.PurchaseDays += n
			months = append(months, MonthActivity{Month: m.month, Revenue: m.revenue, Days: n, Cost: m.cost, CostComplete: !m.uncosted})
		}
		c.Months = months[start:len(months):len(months)]
		start = len(attrs)
		for k, at := range a.known {
			if at.set {
				attrs = append(attrs, Attr{Dim: slotDim(k), Value: at.value})
			}
		}
		for _, at := range a.other {
			attrs = append(attrs, Attr{Dim: at.dim, Value: at.value})
		}
		c.Attrs = attrs[start:len(attrs):len(attrs)]
		slices.SortFunc(c.Attrs, func(x, y Attr) int { return cmp.Compare(x.Dim, y.Dim) })
		c.Shares = slices.Clone(a.shares)
		slices.SortFunc(c.Shares, func(x, y ValueRevenue) int {
			return cmp.Or(cmp.Compare(x.Dim, y.Dim), cmp.Compare(x.Value, y.Value))
		})
		if i == 0 {
			base.FirstDay, base.LastDay = a.first, a.last
		}
		base.FirstDay, base.LastDay = min(base.FirstDay, a.first), max(base.LastDay, a.last)
	}
	slices.SortFunc(base.Customers, func(x, y Customer) int { return strings.Compare(x.ID, y.ID) })
	return base
}

// Customer is one customer's summary over its whole history.
type Customer struct {
	// ID is the customer id as ingested.
	ID string
	// Name is the customer's display name, "" when no file gave one (see
	// Builder.AddName).
	Name string
	// FirstDay and LastDay are the days of the first and last purchase.
	FirstDay, LastDay period.Date
	// FirstDayRevenue is the revenue of the first purchase day (all files),
	// which the spend model of package clv leaves out.
	FirstDayRevenue decimal.Decimal
	// PurchaseDays is the number of distinct days with a purchase.
	PurchaseDays int
	// Orders and Lines are summed over every purchase of every file.
	Orders, Lines int64
	// Revenue is the net revenue of the whole history; Cost sums the costs
	// the purchases carried (purchases without one add nothing).
	Revenue, Cost decimal.Decimal
	// Months holds the months with at least one purchase, oldest first.
	Months []MonthActivity
	// Attrs holds the customer's latest dimension values, sorted by
	// dimension: per dimension the value of the latest purchase day that
	// gave a non-blank one (ties on one day, from several files, go to the
	// smallest string). See Attr.
	Attrs []Attr
	// Shares holds the net revenue of the purchases that carried each
	// dimension value, sorted by dimension and value (a blank value as
	// dimension.Blank). A dimension some purchases did not carry has less
	// revenue in Shares than the customer; see RevenueBy.
	Shares []ValueRevenue
}

// ValueRevenue is a customer's net revenue under one dimension value.
type ValueRevenue struct {
	Dim     dimension.Dimension
	Value   string
	Revenue decimal.Decimal
}

// RevenueBy returns the customer's net revenue per value of dimension d,
// sorted by value, adding up exactly to Revenue: the revenue of purchases
// that carried no value of d is under dimension.Blank. For dimension.Total
// it is the whole revenue under dimension.TotalValue. The error wraps
// money.ErrOverflow.
func (c *Customer) RevenueBy(d dimension.Dimension) ([]ValueRevenue, error) {
	if d == dimension.Total {
		return []ValueRevenue{{Dim: d, Value: dimension.TotalValue, Revenue: c.Revenue}}, nil
	}
	lo, found := slices.BinarySearchFunc(c.Shares, d, func(s ValueRevenue, d dimension.Dimension) int { return cmp.Compare(s.Dim, d) })
	if !found {
		return []ValueRevenue{{Dim: d, Value: dimension.Blank, Revenue: c.Revenue}}, nil
	}
	hi := lo
	var sum decimal.Decimal
	for hi < len(c.Shares) && c.Shares[hi].Dim == d {
		if err := money.AddTo(&sum, c.Shares[hi].Revenue); err != nil {
			return nil, fmt.Errorf("customer %q %s: %w", c.ID, d, err)
		}
		hi++
	}
	out := c.Shares[lo:hi:hi]
	if sum.Cmp(c.Revenue) == 0 {
		return out, nil
	}
	rest, err := money.Sub(c.Revenue, sum)
	if err != nil {
		return nil, fmt.Errorf("customer %q %s: %w", c.ID, d, err)
	}
	out = slices.Clone(out)
	if k, ok := slices.BinarySearchFunc(out, dimension.Blank, func(s ValueRevenue, v string) int { return cmp.Compare(s.Value, v) }); ok {
		if out[k].Revenue, err = money.Add(out[k].Revenue, rest); err != nil {
			return nil, fmt.Errorf("customer %q %s: %w", c.ID, d, err)
		}
	} else {
		out = slices.Insert(out, k, ValueRevenue{Dim: d, Value: dimension.Blank, Revenue: rest})
	}
	return out, nil
}

// MonthActivity is one customer's activity in one month.
type MonthActivity struct {
	// Month is the calendar month.
	Month period.YearMonth
	// Revenue is the month's net revenue; it may be zero or negative when
	// the month holds only returns.
	Revenue decimal.Decimal
	// Days is the number of distinct days with a purchase in the month.
	Days int
	// Cost sums the costs the month's purchases carried, and
	// CostComplete says whether every one of them carried one, so that
	// Revenue − Cost is the month's gross margin.
	Cost         decimal.Decimal
	CostComplete bool
}

// Attr is one dimension value of a customer.
type Attr struct {
	Dim   dimension.Dimension
	Value string
}

// Attr returns the customer's latest value of dimension d: dimension.TotalValue
// for dimension.Total, and dimension.Blank when the history never gave a
// non-blank value.
func (c *Customer) Attr(d dimension.Dimension) string {
	if d == dimension.Total {
		return dimension.TotalValue
	}
	for _, a := range c.Attrs {
		if a.Dim == d {
			if isBlank(a.Value) {
				return dimension.Blank
			}
			return a.Value
		}
	}
	return dimension.Blank
}

// Base is a customer base: every customer with at least one purchase.
type Base struct {
	// Customers is sorted by ID; analyses return per-customer results in
	// this order.
	Customers []Customer
	// FirstDay and LastDay span every purchase; both are the zero Date
	// for an empty base.
	FirstDay, LastDay period.Date
}

// Len returns the number of customers.
func (b *Base) Len() int { return len(b.Customers) }

// Index returns the position of the customer with the given ID, and false
// when it has no purchase in the base.
func (b *Base) Index(id string) (int, bool) {
	return slices.BinarySearchFunc(b.Customers, id, func(c Customer, id string) int { return strings.Compare(c.ID, id) })
}

// Revenue returns the net revenue of all customers. The error wraps
// money.ErrOverflow when the sum needs more than 19 digits.
func (b *Base) Revenue() (decimal.Decimal, error) {
	var total decimal.Decimal
	for i := range b.Customers {
		if err := money.AddTo(&total, b.Customers[i].Revenue); err != nil {
			return decimal.Decimal{}, err
		}
	}
	return total, nil
}

// Values returns the distinct values of dimension d among the customers'
// purchases (see Customer.Shares; dimension.Blank for a customer whose
// purchases carried none), sorted.
func (b *Base) Values(d dimension.Dimension) []string {
	seen := map[string]struct{}{}
	for i := range b.Customers {
		c := &b.Customers[i]
		n := 0
		for _, s := range c.Shares {
			if s.Dim == d {
				seen[s.Value] = struct{}{}
				n++
			}
		}
		if n == 0 {
			seen[c.Attr(d)] = struct{}{}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
