package analytics

import (
	"fmt"
	"math"

	"github.com/salesseg/salesseg/internal/period"
)

// HoldoutReport compares a purchase model's predictions with what
// happened after its calibration period, as lifetimes' calibration-versus-
// holdout check does: the model is fitted on purchases up to From's eve,
// then each calibration customer's expected purchases in the holdout
// period [From, To] (E[Y(t) | x, tₓ, T]) are summed per calibration
// frequency x and compared with the purchase days the customers actually
// had there.
type HoldoutReport struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Periods is the holdout's length in the model's time unit (weeks).
	Periods Amount `json:"periods"`
	// Groups are the calibration frequencies 0 to HoldoutMaxFrequency-1
	// and one group of HoldoutMaxFrequency or more repeat purchases.
	Groups []HoldoutGroup `json:"groups"`
	Total  HoldoutGroup   `json:"total"`
	// NewCustomers counts customers whose first purchase falls in the
	// holdout: the model predicts nothing for them, so their purchases
	// are in no group.
	NewCustomers int `json:"new_customers"`
}

// HoldoutGroup is the customers with one calibration frequency (the
// number of repeat purchase days): how many they are, how many purchase
// days they had in the holdout, and how many the model expected, per
// customer and in all.
type HoldoutGroup struct {
	Frequency            string `json:"frequency"`
	Customers            int    `json:"customers"`
	Actual               int64  `json:"actual"`
	Predicted            Amount `json:"predicted"`
	ActualPerCustomer    Amount `json:"actual_per_customer"`
	PredictedPerCustomer Amount `json:"predicted_per_customer"`
}

// HoldoutMaxFrequency is the first calibration frequency grouped with all
// higher ones, as the published CDNOW charts group 7 and more.
const HoldoutMaxFrequency = 7

// Holdout checks model, fitted on the calibration base (every purchase on
// or before model.AsOf), against the holdout purchases in (model.AsOf,
// to]: days[i] is customer i of b's number of purchase days there, and
// newCustomers the number of customers with holdout purchases and none in
// b. The error wraps ErrInvalidConfig when to is not after model.AsOf,
// days is not one per customer, or the model cannot predict.
func Holdout(b *Base, model CLVModel, to period.Date, days []int32, newCustomers int) (HoldoutReport, error) {
	if len(days) != len(b.Customers) {
		return HoldoutReport{}, fmt.Errorf("%w: %d holdout counts for %d customers", ErrInvalidConfig, len(days), len(b.Customers))
	}
	if to <= model.AsOf {
		return HoldoutReport{}, fmt.Errorf("%w: holdout end %s is not after the calibration end %s", ErrInvalidConfig, to, model.AsOf)
	}
	if err := model.Purchases.Validate(); err != nil {
		return HoldoutReport{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cs, err := CLVCustomers(b, model.AsOf, model.UnitDays)
	if err != nil {
		return HoldoutReport{}, err
	}
	t := float64(to-model.AsOf) / model.UnitDays
	rep := HoldoutReport{From: (model.AsOf + 1).String(), To: to.String(), Periods: Amount(t),
		Groups: make([]HoldoutGroup, HoldoutMaxFrequency+1)}
	for i := range rep.Groups {
		rep.Groups[i].Frequency = fmt.Sprint(i)
	}
	rep.Groups[HoldoutMaxFrequency].Frequency = fmt.Sprintf("%d+", HoldoutMaxFrequency)
	for i, c := range cs {
		g := &rep.Groups[min(c.X, HoldoutMaxFrequency)]
		p := model.Purchases.ExpectedPurchases(c, t)
		if math.IsNaN(p) {
			return HoldoutReport{}, fmt.Errorf("%w: no prediction for customer %q", ErrInvalidConfig, b.Customers[i].ID)
		}
		g.Customers++
		g.Predicted += Amount(p)
		g.Actual += int64(days[i])
	}
	rep.NewCustomers = newCustomers
	rep.Total.Frequency = "all"
	for i := range rep.Groups {
		g := &rep.Groups[i]
		rep.Total.Customers += g.Customers
		rep.Total.Actual += g.Actual
		rep.Total.Predicted += g.Predicted
		g.perCustomer()
	}
	rep.Total.perCustomer()
	return rep, nil
}

func (g *HoldoutGroup) perCustomer() {
	if g.Customers > 0 {
		g.ActualPerCustomer = Amount(float64(g.Actual) / float64(g.Customers))
		g.PredictedPerCustomer = g.Predicted / Amount(g.Customers)
	}
}
