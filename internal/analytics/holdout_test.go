package analytics

import (
	"errors"
	"testing"

	"github.com/salesseg/salesseg/internal/clv"
	"github.com/salesseg/salesseg/internal/period"
)

func TestHoldoutRefusesBadInput(t *testing.T) {
	b := &Base{}
	asOf := mustDay(t, "2024-06-30")
	good := CLVModel{Purchases: clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}, AsOf: asOf, UnitDays: 7}
	for _, tc := range []struct {
		name  string
		model CLVModel
		to    period.Date
	}{
		{"holdout not after the calibration", good, asOf},
		{"invalid model", CLVModel{AsOf: asOf, UnitDays: 7}, asOf + 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Holdout(b, tc.model, tc.to, make([]int32, b.Len()), 0); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
	t.Run("counts not one per customer", func(t *testing.T) {
		if _, err := Holdout(b, good, asOf+30, make([]int32, 1), 0); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("err %v, want ErrInvalidConfig", err)
		}
	})
}
