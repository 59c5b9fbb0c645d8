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

// Later reports whether any purchase came after the calibration end.
func (h *Holdout) Later() bool { return len(h.days) > 0 }

// Calibration builds the base of the purchases up to the calibration end;
// call it once, after the last Add.
func (h *Holdout) Calibration() *analytics.Base { return h.cal.Build() }

// Check compares the purchase days of the holdout with those model, fitted
// on the calibration base cal, expects. Its errors are analytics.Holdout's.
func (h *Holdout) Check(cal *analytics.Base, model analytics.CLVModel) (analytics.HoldoutReport, error) {
	counts := make(map[string]int, len(h.days))
	for c, days := range h.days {
		counts[c] = len(days)
	}
	rep, err := analytics.Holdout(cal, model, h.last, counts)
	if err != nil {
		return rep, fmt.Errorf("holdout check: %w", err)
	}
	return rep, nil
}

// CheckFitted fits the CLV model on the calibration base and checks it
// on the holdout, as a recompute does: the check says in words why it
// has no report when there are no later purchases or the model fitted on
// the calibration base cannot be trusted. Errors are the fit's and
// Check's.
func (h *Holdout) CheckFitted(ctx context.Context) (snapshot.HoldoutCheck, error) {
	out := snapshot.HoldoutCheck{CalibrationEnd: h.end.String()}
	if !h.Later() {
		out.Reason = "No purchase after the calibration end " + h.end.String() + " to check the model on."
		return out, nil
	}
	cal := h.Calibration()
	if cal.Len() == 0 {
		out.Reason = "No purchase up to the calibration end " + h.end.String() + " to fit the model on."
		return out, nil
	}
	fit, err := analytics.FitCLV(ctx, cal, analytics.CLVConfig{AsOf: h.end.Time()})
	if err != nil {
		return out, fmt.Errorf("holdout fit: %w", err)
	}
	if !fit.Trusted() {
		out.Reason = "The model fitted on the purchases up to " + h.end.String() + " is withheld: " + fit.Reason
		return out, nil
	}
	rep, err := h.Check(cal, fit.Model)
	if err != nil {
		return out, err
	}
	out.Report = &rep
	return out, nil
}
