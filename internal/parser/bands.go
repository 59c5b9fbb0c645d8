package parser

import (
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
)

// Band is one size band: values from Min (inclusive) up to the next band's
// Min are labelled Name.
type Band struct {
	Min  int64
	Name string
}

// DefaultEmployeeBands are the size bands of an employee count, after the
// EU enterprise size classes with a separate enterprise tier:
// 0–9 Micro, 10–49 Small, 50–249 Medium, 250–999 Large, 1000+ Enterprise.
func DefaultEmployeeBands() []Band { return sizeBands(0, 10, 50, 250, 1000) }

// DefaultRevenueBands are the size bands of an annual revenue in currency
// units, after the EU turnover thresholds: under 2M Micro, 2M–10M Small,
// 10M–50M Medium, 50M–1B Large, 1B+ Enterprise.
func DefaultRevenueBands() []Band {
	return sizeBands(0, 2_000_000, 10_000_000, 50_000_000, 1_000_000_000)
}

// sizeBands names bands starting at mins (one for each name of
// dimension.SizeBands, in its order) by dimension.SizeBands.
func sizeBands(mins ...int64) []Band {
	names := dimension.SizeBands()
	out := make([]Band, len(mins))
	for i, m := range mins {
		out[i] = Band{Min: m, Name: names[i]}
	}
	return out
}

// bandOf returns the name of the band of v, "" when v is below every band.
func bandOf(bands []Band, v decimal.Decimal) string {
	name := ""
	for _, b := range bands {
		if v.Cmp(decimal.MustNew(b.Min, 0)) < 0 {
			break
		}
		name = b.Name
	}
	return name
}
