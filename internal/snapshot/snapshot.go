// Package snapshot is the schema of the recompute snapshot: the parts one
// recompute run publishes, their names, their typed payloads and their
// encoding. Recompute builds a Snapshot and encodes it; the API and the
// analyst command read parts through the Part values of this package, so
// the writer and the readers cannot disagree on a name or a shape. The
// store keeps encoded parts as opaque bytes.
//
// A snapshot's parts are these, per dimension d of Meta.Dimensions:
//
//	meta                    Meta
//	tiers/<d>               []analytics.Summary (groups A, B, C), ranked over the whole base
//	tiers-within/<d>        []analytics.Summary (groups A, B, C), ranked within each value of d (d ≠ total)
//	rfm/<d>                 []analytics.Summary (the named RFM groups)
//	quadrants/<d>           []analytics.Summary (Prioritize, Nurture, Monitor, Deprioritize)
//	forecast/<d>            []analytics.ValueForecast
//	bridge/<d>/<grain>      []analytics.BridgeRow, grain month, quarter or year
//	customers               []TopCustomer, by CLV (or revenue) descending
//	lookalikes              []analytics.Lookalike, accounts without purchases most like tier A
//	acquisition/<d>/<grain> analytics.Acquisition, d total, segment or channel (spend files)
//	holdout                 HoldoutCheck, the CLV model checked on the later half of the data
//
// Quadrants and forecasts exist only when the CLV model was fitted and
// trusted (Meta.CLVStatus "fitted"),
// holdout only when the data spans at least twice recompute's shortest
// holdout, lookalikes only when there were accounts without purchases, acquisition
// only when there were spend files (total, and segment or channel when
// some spend names one), and a snapshot of an empty customer base has no
// parts at all. Parts are
// encoded as JSON; the API serves them as they decode.
package snapshot

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
)

// Meta describes a snapshot: what data it covers and how the models fit.
type Meta struct {
	AsOf       string   `json:"as_of"` // the day recency and CLV are measured at
	FirstDay   string   `json:"first_day"`
	LastDay    string   `json:"last_day"`
	Customers  int      `json:"customers"`
	Purchases  int64    `json:"purchases"` // customer-days
	Revenue    string   `json:"revenue"`
	Dimensions []string `json:"dimensions"`
	// CLV is the fitted model, absent when none was fitted (too little
	// repeat-purchase signal, or no convergence).
	CLV *CLVParams `json:"clv,omitempty"`
	// CLVStatus is the analytics.CLVStatus of the fit ("fitted",
	// "degenerate", "not_converged", "too_little_repeat_purchases"), empty
	// when no fit was attempted (an empty base). Only a "fitted" model's
	// predictions are in the snapshot; otherwise CLVReason says in plain
	// words why they are withheld (it is also one of the Warnings).
	CLVStatus string   `json:"clv_status,omitempty"`
	CLVReason string   `json:"clv_reason,omitempty"`
	Warnings  []string `json:"warnings"`
}

// CLVParams are the fitted BG/NBD and Gamma-Gamma parameters.
type CLVParams struct {
	R                  float64 `json:"r"`
	Alpha              float64 `json:"alpha"`
	A                  float64 `json:"a"`
	B                  float64 `json:"b"`
	P                  float64 `json:"p"`
	Q                  float64 `json:"q"`
	Gamma              float64 `json:"gamma"`
	LogLikelihood      float64 `json:"log_likelihood"`
	UnitDays           float64 `json:"unit_days"`
	HorizonMonths      int     `json:"horizon_months"`
	RepeatBuyers       int     `json:"repeat_buyers"`
	SpendLogLikelihood float64 `json:"spend_log_likelihood"`
}

// TopCustomer is one customer in the ranked customer list.
type TopCustomer struct {
	ID string `json:"id"`
	// Name is the customer's display name from its files, null when none
	// gave one.
	Name              *string           `json:"name"`
	Revenue           string            `json:"revenue"`
	Orders            int64             `json:"orders"`
	PurchaseDays      int               `json:"purchase_days"`
	FirstDay          string            `json:"first_day"`
	LastDay           string            `json:"last_day"`
	Tier              string            `json:"tier"`
	RFM               string            `json:"rfm_group"`
	RFMScore          string            `json:"rfm_score"`
	Quadrant          string            `json:"quadrant,omitempty"`
	PAlive            *analytics.Ratio  `json:"p_alive,omitempty"`
	ExpectedPurchases *analytics.Amount `json:"expected_purchases,omitempty"`
	CLV               *analytics.Amount `json:"clv,omitempty"`
	// PAliveAt is P(alive) on a day the reader chose; the API fills it in
	// on request, the snapshot never holds it.
	PAliveAt   *analytics.Ratio  `json:"p_alive_at,omitempty"`
	Attributes map[string]string `json:"attributes"`
}

// Snapshot is everything one recompute run publishes.
type Snapshot struct {
	Meta Meta
	// Dimensions holds the parts of every dimension of Meta.Dimensions.
	Dimensions []DimensionParts
	Customers  []TopCustomer
	// Lookalikes is nil, and its part absent, when there were no accounts
	// without purchases to rank.
	Lookalikes []analytics.Lookalike
	// Acquisition holds the acquisition cost by each dimension spend
	// names (analytics.SpendDimensions) at each of BridgeGrains; none
	// without spend files.
	Acquisition []analytics.Acquisition
	// Holdout is the check of the CLV model on the data's later purchases
	// (see HoldoutPart); nil, and its part absent, when the data is too
	// short to hold any out.
	Holdout *HoldoutCheck
}

// HoldoutCheck is a calibration/holdout check of the CLV model: the model
// is fitted on the purchases up to CalibrationEnd and its expected
// purchases compared with the purchase days after it. Report is nil when
// there is nothing to check, and Reason says why in words.
type HoldoutCheck struct {
	CalibrationEnd string                   `json:"calibration_end"`
	Report         *analytics.HoldoutReport `json:"report"`
	Reason         string                   `json:"reason,omitempty"`
}

// DimensionParts are the analytics of one dimension.
type DimensionParts struct {
	Dimension dimension.Dimension
	Tiers     []analytics.Summary
	// TiersWithin ranks customers within each value (nil, and its part
	// absent, for dimension.Total).
	TiersWithin []analytics.Summary
	RFM         []analytics.Summary
	// Quadrants and Forecast are nil, and their parts absent, when the CLV
	// model was not fitted.
	Quadrants []analytics.Summary
	Forecast  []analytics.ValueForecast
	// Bridges holds the revenue bridge at each grain of BridgeGrains.
	Bridges map[analytics.Grain][]analytics.BridgeRow
}

// Encoded is one part in its stored form.
type Encoded struct {
	Name string
	Data []byte // JSON
}

// Encode returns every part of s, sorted by name; none when s covers no
// customers. The error names the part that could not be encoded.
func (s *Snapshot) Encode() ([]Encoded, error) {
	if s.Meta.Customers == 0 {
		return nil, nil
	}
	var out []Encoded
	add := func(e Encoded, err error) error {
		out = append(out, e)
		return err
	}
	if err := add(MetaPart().Encode(s.Meta)); err != nil {
		return nil, err
	}
	for _, d := range s.Dimensions {
		if err := d.encode(add); err != nil {
			return nil, err
		}
	}
	if err := add(CustomersPart().Encode(s.Customers)); err != nil {
		return nil, err
	}
	if s.Lookalikes != nil {
		if err := add(LookalikesPart().Encode(s.Lookalikes)); err != nil {
			return nil, err
		}
	}
	if s.Holdout != nil {
		if err := add(HoldoutPart().Encode(*s.Holdout)); err != nil {
			return nil, err
		}
	}
	for _, a := range s.Acquisition {
		if err := add(AcquisitionPart(a.Dimension, a.Grain).Encode(a)); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// encode passes each of the dimension's parts to add.
func (p *DimensionParts) encode(add func(Encoded, error) error) error {
	d := p.Dimension
	if err := add(GroupsPart(Tiers, d).Encode(p.Tiers)); err != nil {
		return err
	}
	if p.TiersWithin != nil {
		if err := add(GroupsPart(TiersWithin, d).Encode(p.TiersWithin)); err != nil {
			return err
		}
	}
	if err := add(GroupsPart(RFM, d).Encode(p.RFM)); err != nil {
		return err
	}
	if p.Quadrants != nil {
		if err := add(GroupsPart(Quadrants, d).Encode(p.Quadrants)); err != nil {
			return err
		}
	}
	if p.Forecast != nil {
		if err := add(ForecastPart(d).Encode(p.Forecast)); err != nil {
			return err
		}
	}
	for g, rows := range p.Bridges {
		if err := add(BridgePart(d, g).Encode(rows)); err != nil {
			return err
		}
	}
	return nil
}

// Part is the name of one snapshot part bound to the type of its payload.
// The functions below return the parts a snapshot can have; the zero Part
// names none.
type Part[T any] struct{ name string }

// Name returns the name the part is stored under.
func (p Part[T]) Name() string { return p.name }

// Encode returns v as the part's stored form. The error, which wraps the
// JSON encoder's, names the part.
func (p Part[T]) Encode(v T) (Encoded, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Encoded{}, fmt.Errorf("encode snapshot part %s: %w", p.name, err)
	}
	return Encoded{Name: p.name, Data: data}, nil
}

// Decode reads the part's stored form. The error, which wraps the JSON
// decoder's, names the part.
func (p Part[T]) Decode(data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("decode snapshot part %s: %w", p.name, err)
	}
	return v, nil
}

// Grouping is an assignment of customers to groups that a snapshot sums
// per dimension value.
type Grouping string

// The groupings of a snapshot.
const (
	Tiers Grouping = "tiers"
	// TiersWithin are tiers ranked within each value of the dimension.
	TiersWithin Grouping = "tiers-within"
	RFM         Grouping = "rfm"
	Quadrants   Grouping = "quadrants"
)

// MetaPart is the snapshot's description.
func MetaPart() Part[Meta] { return Part[Meta]{"meta"} }

// GroupsPart is the make-up of every value of dimension d by the groups of
// g.
func GroupsPart(g Grouping, d dimension.Dimension) Part[[]analytics.Summary] {
	return Part[[]analytics.Summary]{string(g) + "/" + string(d)}
}

// ForecastPart is the CLV forecast of every value of dimension d.
func ForecastPart(d dimension.Dimension) Part[[]analytics.ValueForecast] {
	return Part[[]analytics.ValueForecast]{"forecast/" + string(d)}
}

// BridgePart is the revenue bridge of dimension d at grain g.
func BridgePart(d dimension.Dimension, g analytics.Grain) Part[[]analytics.BridgeRow] {
	return Part[[]analytics.BridgeRow]{"bridge/" + string(d) + "/" + string(g)}
}

// CustomersPart is the ranked customer list.
func CustomersPart() Part[[]TopCustomer] { return Part[[]TopCustomer]{"customers"} }

// LookalikesPart is the ranked list of accounts without purchases.
func LookalikesPart() Part[[]analytics.Lookalike] {
	return Part[[]analytics.Lookalike]{"lookalikes"}
}

// HoldoutPart is the check of the CLV model on the later purchases.
func HoldoutPart() Part[HoldoutCheck] { return Part[HoldoutCheck]{"holdout"} }

// AcquisitionPart is the acquisition cost by dimension d (total, segment
// or channel) at grain g.
func AcquisitionPart(d dimension.Dimension, g analytics.Grain) Part[analytics.Acquisition] {
	return Part[analytics.Acquisition]{"acquisition/" + string(d) + "/" + string(g)}
}

// BridgeGrains returns the grains a snapshot has a revenue bridge at, for
// every dimension.
func BridgeGrains() []analytics.Grain {
	return []analytics.Grain{analytics.ByMonth, analytics.ByQuarter, analytics.ByYear}
}
