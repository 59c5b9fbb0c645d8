package analytics

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// PaybackMonthsWindow is how many months from a new customer's first
// purchase month its margin counts towards CAC payback.
const PaybackMonthsWindow = 12

// The bases CAC payback can be measured on (Acquisition.PaybackBasis).
const (
	// BasisGrossMargin is revenue − cost, used when every purchase in the
	// base carried a cost (or a profit).
	BasisGrossMargin = "gross_margin"
	// BasisRevenue is revenue, used when some purchase carried no cost.
	BasisRevenue = "revenue"
)

// AcquisitionConfig configures Acquisition.
type AcquisitionConfig struct {
	// Grain is the period length; empty means ByMonth.
	Grain Grain
	// Dimension is dimension.Total (all spend), dimension.Segment or
	// dimension.Channel (the spend naming one); empty means Total.
	Dimension dimension.Dimension
	// Predictions are the CLV model's, one per customer of the base in
	// its order; nil when the model was withheld, which leaves the CLV
	// figures null.
	Predictions []Prediction
	// Bridge, optional, is the revenue bridge at the same grain and
	// dimension; its conversion figures (see BridgeRow.Conversion) are
	// copied into the rows of the same period and value.
	Bridge []BridgeRow
}

// AcquisitionRow is the acquisition cost of one dimension value in one
// period: the spend on it and the customers it won.
type AcquisitionRow struct {
	// Dimension and Value name the segment or channel; dimension.Total and
	// dimension.TotalValue for all spend.
	Dimension dimension.Dimension `json:"dimension"`
	Value     string              `json:"value"`
	// Period is labelled as Grain.Label does.
	Period string `json:"period"`
	// Spend is the exact sum of the spend placed in the period.
	Spend decimal.Decimal `json:"spend"`
	// NewCustomers are the customers whose first purchase ever is in the
	// period, under their latest value of the dimension (Customer.Attr),
	// as the revenue bridge's New counts them.
	NewCustomers int64 `json:"new_customers"`
	// Matched is false when no customer of the base has Value: the spend
	// is reported, but won nobody the data can see.
	Matched bool `json:"matched"`
	// CAC is Spend ÷ NewCustomers; nil without new customers.
	CAC *Amount `json:"cac"`
	// FirstYearMargin is what the new customers brought (on the basis of
	// Acquisition.PaybackBasis) in the PaybackMonthsWindow months from
	// each one's first purchase month, and ObservedMonths the number of
	// those customer-months the data covers (a window is cut at the
	// base's last month; months without purchases count).
	FirstYearMargin decimal.Decimal `json:"first_year_margin"`
	ObservedMonths  int64           `json:"observed_months"`
	// PaybackMonths is CAC ÷ (FirstYearMargin ÷ ObservedMonths), the
	// months of an average new customer's margin that pay its
	// acquisition back; nil without CAC or when that margin is not
	// positive.
	PaybackMonths *Amount `json:"payback_months"`
	// MeanCLV is the new customers' mean predicted CLV and CLVToCAC its
	// ratio to CAC; nil when the CLV model was withheld or there is no
	// CAC (or CAC is zero).
	MeanCLV  *Amount `json:"mean_clv"`
	CLVToCAC *Ratio  `json:"clv_to_cac"`
	// ProspectsAtStart, Converted and Conversion are the revenue bridge's
	// for the same period and value (see BridgeRow): accounts from
	// customers files not yet customers at the period's start, those of
	// them first buying in it, and their share.
	ProspectsAtStart int64  `json:"prospects_at_start"`
	Converted        int64  `json:"converted"`
	Conversion       *Ratio `json:"conversion"`
}

// SpendAmount is spend that no row of an Acquisition holds, with the
// period it is labelled by: the grain's period when it fits one, else the
// spend's own period.
type SpendAmount struct {
	Period string          `json:"period"`
	Spend  decimal.Decimal `json:"spend"`
}

// Acquisition is the acquisition cost of every dimension value and period
// with spend, at one grain.
type Acquisition struct {
	Dimension dimension.Dimension `json:"dimension"`
	Grain     Grain               `json:"grain"`
	// PaybackBasis is BasisGrossMargin or BasisRevenue.
	PaybackBasis string `json:"payback_basis"`
	// Rows are sorted by value, then period.
	Rows []AcquisitionRow `json:"rows"`
	// Unattributed is spend naming no value of the dimension: it counts in
	// the total only. Unplaced is spend over a period longer than the
	// grain's (a quarter's spend by month): it is in no row of this grain.
	Unattributed []SpendAmount `json:"unattributed"`
	Unplaced     []SpendAmount `json:"unplaced"`
	// Notes say in words how the figures are defined.
	Notes []string `json:"notes"`
}

// SpendDimensions returns the dimensions spend can be split by that some
// of the records name: dimension.Total first, then segment and channel.
func SpendDimensions(spend []history.Spend) []dimension.Dimension {
	out := []dimension.Dimension{dimension.Total}
	if slices.ContainsFunc(spend, func(s history.Spend) bool { return s.Segment != "" }) {
		out = append(out, dimension.Segment)
	}
	if slices.ContainsFunc(spend, func(s history.Spend) bool { return s.Channel != "" }) {
		out = append(out, dimension.Channel)
	}
	return out
}

// spendValue returns the value of dimension d a spend record names, "" for
// none.
func spendValue(s history.Spend, d dimension.Dimension) string {
	switch d {
	case dimension.Segment:
		return s.Segment
	case dimension.Channel:
		return s.Channel
	}
	return dimension.TotalValue
}

// NewAcquisition computes acquisition cost from spend records: per period of
// cfg.Grain and value of cfg.Dimension with spend, the spend, the new
// customers won, CAC, CAC payback months, CLV:CAC and the bridge's account
// conversion. A record counts in the period of the grain its own period
// lies in (a day's or month's spend in its month, quarter and year; a
// quarter's in its quarter and year); a record over a longer period, or
// naming no value of the dimension, is listed apart (Unplaced,
// Unattributed), never dropped. Records for the same period and value add
// up. An empty base gives rows without new customers.
//
// The error wraps ErrInvalidConfig for an unknown grain or a dimension
// other than total, segment or channel, ErrMismatch when Predictions do
// not belong to the base, ErrInvalidPurchase for a record whose period
// or amount does not read, or money.ErrOverflow when a sum needs more than
// 19 digits.
func NewAcquisition(b *Base, spend []history.Spend, cfg AcquisitionConfig) (Acquisition, error) {
	part, err := AcquisitionCohorts(b, spend, cfg, PaybackBasis(b))
	if err != nil {
		return Acquisition{}, err
	}
	return FinishAcquisition(spend, cfg, PaybackBasis(b), part)
}

// PaybackBasis returns the basis CAC payback is measured on for a base:
// BasisGrossMargin when every purchase carried a cost, else BasisRevenue.
// A base split into shards has BasisRevenue when any shard has.
func PaybackBasis(b *Base) string {
	for i := range b.Customers {
		for _, m := range b.Customers[i].Months {
			if !m.CostComplete {
				return BasisRevenue
			}
		}
	}
	return BasisGrossMargin
}

// AcquisitionPart is what a set of customers (a base, or one shard of
// it) adds to an Acquisition: the new customers of each value and period
// with spend, and the values customers have. Parts of disjoint sets of
// customers add up (MergeAcquisitionParts).
type AcquisitionPart struct {
	Cohorts []AcquisitionCohort `json:"cohorts"`
	// Known lists the values some customer has, sorted.
	Known []string `json:"known"`
}

// AcquisitionCohort sums what the new customers of one value and period
// with spend brought: how many, their observed months and margin in the
// payback window, and their predicted CLV.
type AcquisitionCohort struct {
	Value     string          `json:"value"`
	Period    Period          `json:"period"`
	Customers int64           `json:"customers"`
	Months    int64           `json:"months"`
	Margin    decimal.Decimal `json:"margin"`
	CLV       float64         `json:"clv"`
}

// acquisitionKey is a value and period of an Acquisition.
type acquisitionKey struct {
	value string
	p     Period
}

// spendTable sums spend records by value and period of the grain, and
// apart those naming no value (unattributed) or spanning more than one
// period (unplaced); see NewAcquisition.
func spendTable(spend []history.Spend, grain Grain, dim dimension.Dimension) (spent map[acquisitionKey]decimal.Decimal, unattributed, unplaced map[string]decimal.Decimal, err error) {
	spent = map[acquisitionKey]decimal.Decimal{}
	unattributed, unplaced = map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, s := range spend {
		p, err := period.Calendar{}.Parse(s.Period)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: spend period: %w", ErrInvalidPurchase, err)
		}
		amount, err := parseMoney(s.Amount)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: spend of %s: amount %q: %v", ErrInvalidPurchase, s.Period, s.Amount, err)
		}
		first, _ := grain.Of(p.From.YearMonth())
		last, _ := grain.Of(p.To.YearMonth())
		v := spendValue(s, dim)
		var sums map[string]decimal.Decimal
		label := grain.Label(first)
		switch {
		case first != last:
			sums, label = unplaced, s.Period
		case v == "":
			sums = unattributed
		}
		if sums != nil {
			if sums[label], err = money.Add(sums[label], amount); err != nil {
				return nil, nil, nil, fmt.Errorf("spend of %s: %w", s.Period, err)
			}
			continue
		}
		k := acquisitionKey{v, first}
		if spent[k], err = money.Add(spent[k], amount); err != nil {
			return nil, nil, nil, fmt.Errorf("spend of %s %q: %w", s.Period, v, err)
		}
	}
	return spent, unattributed, unplaced, nil
}

// acquisitionConfig returns cfg's grain and dimension, defaults filled in,
// or an error wrapping ErrInvalidConfig.
func acquisitionConfig(cfg AcquisitionConfig) (Grain, dimension.Dimension, error) {
	grain, dim := cmp.Or(cfg.Grain, ByMonth), cmp.Or(cfg.Dimension, dimension.Total)
	if _, ok := grain.Of(0); !ok {
		return "", "", fmt.Errorf("%w: grain %q: use %q, %q or %q", ErrInvalidConfig, grain, ByMonth, ByQuarter, ByYear)
	}
	if dim != dimension.Total && dim != dimension.Segment && dim != dimension.Channel {
		return "", "", fmt.Errorf("%w: spend names a segment or a channel, not a %s", ErrInvalidConfig, dim)
	}
	return grain, dim, nil
}

// AcquisitionCohorts computes what the customers of b add to the
// acquisition cost of spend (see NewAcquisition), their margin measured
// on basis, the PaybackBasis of the whole base they belong to. Its errors
// are NewAcquisition's.
func AcquisitionCohorts(b *Base, spend []history.Spend, cfg AcquisitionConfig, basis string) (AcquisitionPart, error) {
	grain, dim, err := acquisitionConfig(cfg)
	if err != nil {
		return AcquisitionPart{}, err
	}
	if cfg.Predictions != nil && len(cfg.Predictions) != b.Len() {
		return AcquisitionPart{}, fmt.Errorf("%w: %d predictions, base of %d", ErrMismatch, len(cfg.Predictions), b.Len())
	}
	spent, _, _, err := spendTable(spend, grain, dim)
	if err != nil {
		return AcquisitionPart{}, err
	}
	cohorts := map[acquisitionKey]*AcquisitionCohort{}
	for k := range spent {
		cohorts[k] = &AcquisitionCohort{Value: k.value, Period: k.p}
	}
	known := map[string]bool{}
	lastMonth := b.LastDay.YearMonth()
	for i := range b.Customers {
		c := &b.Customers[i]
		v := c.Attr(dim)
		known[v] = true
		first := c.Months[0].Month
		p, _ := grain.Of(first)
		co := cohorts[acquisitionKey{v, p}]
		if co == nil {
			continue // no spend for it
		}
		co.Customers++
		co.Months += int64(min(PaybackMonthsWindow, int(lastMonth-first)+1))
		for _, m := range c.Months {
			if m.Month >= first+PaybackMonthsWindow {
				break
			}
			margin := m.Revenue
			if basis == BasisGrossMargin {
				var err error
				if margin, err = money.Sub(m.Revenue, m.Cost); err != nil {
					return AcquisitionPart{}, fmt.Errorf("customer %q margin: %w", c.ID, err)
				}
			}
			if err := money.AddTo(&co.Margin, margin); err != nil {
				return AcquisitionPart{}, fmt.Errorf("customer %q margin: %w", c.ID, err)
			}
		}
		if cfg.Predictions != nil {
			co.CLV += cfg.Predictions[i].CLV
		}
	}
	part := AcquisitionPart{Known: slices.Sorted(maps.Keys(known))}
	for _, co := range cohorts {
		part.Cohorts = append(part.Cohorts, *co)
	}
	sortCohorts(part.Cohorts)
	return part, nil
}

// sortCohorts puts cohorts in value, then period order.
func sortCohorts(cs []AcquisitionCohort) {
	slices.SortFunc(cs, func(x, y AcquisitionCohort) int {
		return cmp.Or(cmp.Compare(x.Value, y.Value), cmp.Compare(x.Period, y.Period))
	})
}

// MergeAcquisitionParts adds up the parts of disjoint sets of customers
// computed with the same spend and configuration. The error wraps
// money.ErrOverflow.
func MergeAcquisitionParts(parts ...AcquisitionPart) (AcquisitionPart, error) {
	cohorts := map[acquisitionKey]*AcquisitionCohort{}
	known := map[string]bool{}
	for _, part := range parts {
		for _, v := range part.Known {
			known[v] = true
		}
		for _, co := range part.Cohorts {
			k := acquisitionKey{co.Value, co.Period}
			m, ok := cohorts[k]
			if !ok {
				c := co
				cohorts[k] = &c
				continue
			}
			if err := money.AddTo(&m.Margin, co.Margin); err != nil {
				return AcquisitionPart{}, fmt.Errorf("acquisition %q: %w", co.Value, err)
			}
			m.Customers += co.Customers
			m.Months += co.Months
			m.CLV += co.CLV
		}
	}
	out := AcquisitionPart{Known: slices.Sorted(maps.Keys(known))}
	for _, co := range cohorts {
		out.Cohorts = append(out.Cohorts, *co)
	}
	sortCohorts(out.Cohorts)
	return out, nil
}

// FinishAcquisition computes the Acquisition of spend from the part of
// the whole base (one part, or the merged parts of its shards) and its
// PaybackBasis; cfg.Predictions only says whether CLV figures are given.
// Its errors are NewAcquisition's.
func FinishAcquisition(spend []history.Spend, cfg AcquisitionConfig, basis string, part AcquisitionPart) (Acquisition, error) {
	grain, dim, err := acquisitionConfig(cfg)
	if err != nil {
		return Acquisition{}, err
	}
	out := Acquisition{Dimension: dim, Grain: grain, PaybackBasis: basis,
		Rows: []AcquisitionRow{}, Unattributed: []SpendAmount{}, Unplaced: []SpendAmount{}}
	spent, unattributed, unplaced, err := spendTable(spend, grain, dim)
	if err != nil {
		return Acquisition{}, err
	}
	cohorts := map[acquisitionKey]AcquisitionCohort{}
	for _, co := range part.Cohorts {
		cohorts[acquisitionKey{co.Value, co.Period}] = co
	}
	type conv struct {
		atStart, converted int64
		rate               *Ratio
	}
	conversions := map[string]conv{}
	for _, r := range cfg.Bridge {
		conversions[r.Value+"\x00"+r.Period] = conv{r.ProspectsAtStart, r.Converted, r.Conversion}
	}
	for k, s := range spent {
		co := cohorts[k]
		_, matched := slices.BinarySearch(part.Known, k.value)
		r := AcquisitionRow{Dimension: dim, Value: k.value, Period: grain.Label(k.p), Spend: s, NewCustomers: co.Customers,
			Matched: matched, FirstYearMargin: co.Margin, ObservedMonths: co.Months}
		if co.Customers > 0 {
			cac := Amount(ratio(s, decimal.MustNew(co.Customers, 0)))
			r.CAC = &cac
			perMonth := ratio(co.Margin, decimal.MustNew(co.Months, 0))
			if perMonth > 0 {
				r.PaybackMonths = ptrTo(Amount(float64(cac) / perMonth))
			}
			if cfg.Predictions != nil {
				mean := co.CLV / float64(co.Customers)
				r.MeanCLV = ptrTo(Amount(mean))
				if cac > 0 {
					r.CLVToCAC = ptrTo(Ratio(mean / float64(cac)))
				}
			}
		}
		if cv, ok := conversions[r.Value+"\x00"+r.Period]; ok {
			r.ProspectsAtStart, r.Converted, r.Conversion = cv.atStart, cv.converted, cv.rate
		}
		out.Rows = append(out.Rows, r)
	}
	slices.SortFunc(out.Rows, func(x, y AcquisitionRow) int {
		return cmp.Or(cmp.Compare(x.Value, y.Value), cmp.Compare(x.Period, y.Period))
	})
	for _, l := range slices.Sorted(maps.Keys(unattributed)) {
		out.Unattributed = append(out.Unattributed, SpendAmount{Period: l, Spend: unattributed[l]})
	}
	for _, l := range slices.Sorted(maps.Keys(unplaced)) {
		out.Unplaced = append(out.Unplaced, SpendAmount{Period: l, Spend: unplaced[l]})
	}
	out.Notes = acquisitionNotes(dim, grain, out.PaybackBasis, cfg.Predictions != nil)
	return out, nil
}

// acquisitionNotes say how an Acquisition's figures are defined.
func acquisitionNotes(dim dimension.Dimension, grain Grain, basis string, clv bool) []string {
	under := "."
	if dim != dimension.Total {
		under = fmt.Sprintf(", counted under the customer's latest %s, as the revenue bridge counts new customers.", dim)
	}
	margin := "gross margin (revenue − cost)"
	if basis == BasisRevenue {
		margin = "revenue (not every purchase carried a cost or profit, so gross margin is unknown)"
	}
	notes := []string{
		fmt.Sprintf("New customers are those whose first purchase ever is in the %s%s CAC is spend ÷ new customers, null without any.", grain, under),
		fmt.Sprintf("CAC payback months is CAC ÷ the new customers' average monthly %s over the %d months from each one's first purchase month "+
			"(months without purchases count; a window is cut at the data's last month); null when that average is not positive.", margin, PaybackMonthsWindow),
	}
	if clv {
		notes = append(notes, "CLV:CAC is the new customers' mean predicted CLV (the model's expected revenue over the next 12 months, as GET /v1/analytics/customers gives it) ÷ CAC.")
	} else {
		notes = append(notes, "CLV and CLV:CAC are null: the CLV model was withheld for this data (see GET /v1/analytics/model).")
	}
	notes = append(notes, "Conversion counts accounts from customers files without look-ahead: customers files carry no dates, so every account is taken as known from the start of the data; "+
		"a period's denominator is the accounts that had not bought before it starts, its numerator those first buying in it. Null without customers files.")
	placed := fmt.Sprintf("Spend counts in the %s its period lies in; spend over a longer period is listed under unplaced", grain)
	if dim == dimension.Total {
		return append(notes, placed+".")
	}
	return append(notes, fmt.Sprintf("%s, and spend naming no %s under unattributed (it counts in the total only).", placed, dim))
}

func ptrTo[T any](v T) *T { return &v }
