package recompute

import (
	"context"
	"fmt"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// Holdout lengths: a recompute holds out the later half of the data's
// days, at most MaxHoldoutDays, and checks nothing when that half is
// shorter than MinHoldoutDays. Half is the split of Fader, Hardie & Lee
// (2005) on CDNOW (39 weeks and 39 weeks); a year is enough to see a
// model's yearly purchase rate, and four weeks the least worth reading.
const (
	MinHoldoutDays = 28
	MaxHoldoutDays = 365
)

// HoldoutEnd returns the calibration end of data spanning first..last:
// the day before the holdout, the later half of its days, first and last
// included (at most
// MaxHoldoutDays). ok is false when the holdout would be shorter than
// MinHoldoutDays.
func HoldoutEnd(first, last period.Date) (end period.Date, ok bool) {
	h := min((last.DaysSince(first)+1)/2, MaxHoldoutDays)
	if h < MinHoldoutDays {
		return 0, false
	}
	return last.AddDays(-h), true
}

// Holdout splits purchases at a calibration end: those on or before it
// build the calibration base the model is fitted on, and the later ones
// are counted as each customer's distinct purchase days.
type Holdout struct {
	end  period.Date
	last period.Date
	cal  *analytics.Builder
	days map[string]map[period.Date]bool
}

// NewHoldout returns an empty Holdout ending its calibration on end.
func NewHoldout(end period.Date) *Holdout {
	return &Holdout{end: end, cal: analytics.NewBuilder(), days: map[string]map[period.Date]bool{}}
}

// Add adds a purchase to the calibration base or the holdout. Its errors
// are the Builder's. A later purchase's customer name still names the
// customer in the calibration base: ingestion writes a name on a
// customer's last purchase of a file only, and a name is a label, not
// data the model sees.
func (h *Holdout) Add(p history.Purchase) error {
	if p.Day <= h.end {
		return h.cal.Add(p)
	}
	h.cal.AddName(p.Customer, p.Name, p.Day)
	if h.days[p.Customer] == nil {
		h.days[p.Customer] = map[period.Date]bool{}
	}
	h.days[p.Customer][p.Day] = true
	h.last = max(h.last, p.Day)
	return nil
}

// fold returns what adds a purchase to b and, when h is not nil, to h
// too: an assign step builds its shard's base and its holdout part from
// one read of the shard. Errors are the first of b's and h's.
func fold(b *analytics.Builder, h *Holdout) func(history.Purchase) error {
	if h == nil {
		return b.Add
	}
	return func(p history.Purchase) error {
		if err := b.Add(p); err != nil {
			return err
		}
		return h.Add(p)
	}
}

// Later reports whether any purchase came after the calibration end.
func (h *Holdout) Later() bool { return len(h.days) > 0 }

// Calibration builds the base of the purchases up to the calibration end;
// call it once, after the last Add.
func (h *Holdout) Calibration() *analytics.Base { return h.cal.Build() }

// Check compares the purchase days of the holdout with those model, fitted
// on the calibration base cal, expects. Its errors are analytics.Holdout's.
func (h *Holdout) Check(cal *analytics.Base, model analytics.CLVModel) (analytics.HoldoutReport, error) {
	days, newCustomers := h.count(cal)
	rep, err := analytics.Holdout(cal, model, h.last, days, newCustomers)
	if err != nil {
		return rep, fmt.Errorf("holdout check: %w", err)
	}
	return rep, nil
}

// count returns the holdout's purchase days of each customer of cal, and
// the number of customers with holdout purchases who are not in cal.
func (h *Holdout) count(cal *analytics.Base) ([]int32, int) {
	days := make([]int32, cal.Len())
	newCustomers := len(h.days)
	for i := range cal.Customers {
		if d, ok := h.days[cal.Customers[i].ID]; ok {
			days[i] = int32(len(d))
			newCustomers--
		}
	}
	return days, newCustomers
}

// HoldoutPart is what the holdout check needs of one shard's customers:
// their calibration summaries (without months, attributes, names or
// shares, which the CLV fit reads none of), each one's purchase days in
// the holdout, and the shard's customers who bought only in the holdout.
// Parts of disjoint customers merge into the check of their union (see
// CheckHoldout).
type HoldoutPart struct {
	Customers []analytics.Customer `json:"customers"`
	Days      []int32              `json:"days"`
	New       int                  `json:"new"`
	// Last is the last holdout purchase day, 0 when there was none.
	Last period.Date `json:"last"`
}

// Part returns the purchases added so far as a HoldoutPart; call it once,
// after the last Add.
func (h *Holdout) Part() HoldoutPart {
	cal := h.Calibration()
	days, newCustomers := h.count(cal)
	for i := range cal.Customers {
		c := &cal.Customers[i]
		strip(c)
		c.Shares = nil
	}
	return HoldoutPart{Customers: cal.Customers, Days: days, New: newCustomers, Last: h.last}
}

// CheckHoldout fits the CLV model on the calibration customers of the
// parts, counts[i] being part i's number of customers, read one at a time
// from part (each of disjoint customers), and checks it on their holdout
// purchases, as a recompute does: the check says in words why it has no
// report when there are no later purchases or the model fitted on the
// calibration cannot be trusted. Customers are taken in id order, so any
// split of them gives the same check. Errors are part's as they are, the
// fit's and analytics.Holdout's; ErrShardMismatch means a part is not of
// its count.
func CheckHoldout(ctx context.Context, end period.Date, counts []int, part func(i int) (HoldoutPart, error)) (snapshot.HoldoutCheck, error) {
	out := snapshot.HoldoutCheck{CalibrationEnd: end.String()}
	// Sized once: growing by appends would hold two copies at times.
	total := 0
	for _, c := range counts {
		total += c
	}
	cal := &analytics.Base{Customers: make([]analytics.Customer, 0, total)}
	days := make([]int32, 0, total)
	var last period.Date
	newCustomers := 0
	for i, c := range counts {
		p, err := part(i)
		if err != nil {
			return out, err
		}
		if len(p.Customers) != c || len(p.Days) != c {
			return out, fmt.Errorf("%w: holdout part %d has %d customers and %d counts, want %d", ErrShardMismatch, i, len(p.Customers), len(p.Days), c)
		}
		cal.Customers = append(cal.Customers, p.Customers...)
		days = append(days, p.Days...)
		newCustomers += p.New
		last = max(last, p.Last)
	}
	if last == 0 {
		out.Reason = "No purchase after the calibration end " + end.String() + " to check the model on."
		return out, nil
	}
	if cal.Len() == 0 {
		out.Reason = "No purchase up to the calibration end " + end.String() + " to fit the model on."
		return out, nil
	}
	permute(days, sortByID(cal.Customers))
	fit, err := analytics.FitCLV(ctx, cal, analytics.CLVConfig{AsOf: end.Time()})
	if err != nil {
		return out, fmt.Errorf("holdout fit: %w", err)
	}
	if !fit.Trusted() {
		out.Reason = "The model fitted on the purchases up to " + end.String() + " is withheld: " + fit.Reason
		return out, nil
	}
	rep, err := analytics.Holdout(cal, fit.Model, last, days, newCustomers)
	if err != nil {
		return out, fmt.Errorf("holdout check: %w", err)
	}
	out.Report = &rep
	return out, nil
}

// CheckFitted is CheckHoldout on every purchase added: one part.
func (h *Holdout) CheckFitted(ctx context.Context) (snapshot.HoldoutCheck, error) {
	p := h.Part()
	return CheckHoldout(ctx, h.end, []int{len(p.Customers)}, func(int) (HoldoutPart, error) { return p, nil })
}
