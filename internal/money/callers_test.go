package money_test

import (
	"errors"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// TestOverflowIsOneError checks that an overflowing sum reached through
// the packages that add money wraps the one money.ErrOverflow, whatever
// context they wrap it in.
func TestOverflowIsOneError(t *testing.T) {
	const most = "9999999999999999999" // 19 digits, the most a decimal holds
	big := decimal.MustParse(most)
	// base is two customers whose revenues fit each but not together.
	base := func(t *testing.T) *analytics.Base {
		b := analytics.NewBuilder()
		for _, id := range []string{"a", "b"} {
			if err := b.Add(history.Purchase{Customer: id, Day: period.NewDate(2024, time.January, 1), Orders: 1, Lines: 1, Revenue: most,
				Attrs: map[dimension.Dimension]string{dimension.Segment: "Retail"}}); err != nil {
				t.Fatal(err)
			}
		}
		return b.Build()
	}
	for _, tc := range []struct {
		name string
		sum  func(t *testing.T) error
	}{
		{"aggregate Measures.Add", func(*testing.T) error {
			m := aggregate.Measures{Revenue: big}
			return m.Add(aggregate.Measures{Revenue: decimal.One})
		}},
		{"aggregate Delta.Add", func(*testing.T) error {
			d := aggregate.Delta{}
			k := aggregate.Key{Dim: dimension.Segment, Value: "Retail", Grain: aggregate.Month, Period: "2024-01"}
			if err := d.Add(k, aggregate.Measures{Cost: big}); err != nil {
				return err
			}
			return d.Add(k, aggregate.Measures{Cost: decimal.One})
		}},
		{"analytics Builder.Add", func(*testing.T) error {
			b := analytics.NewBuilder()
			p := history.Purchase{Customer: "c", Day: period.NewDate(2024, time.January, 1), Orders: 1, Lines: 1, Revenue: most}
			if err := b.Add(p); err != nil {
				return err
			}
			return b.Add(p)
		}},
		{"analytics Base.Revenue", func(t *testing.T) error {
			_, err := base(t).Revenue()
			return err
		}},
		{"analytics Tiers", func(t *testing.T) error {
			_, err := analytics.Tiers(base(t), analytics.DefaultTierConfig())
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sum(t); !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("error %v, want one wrapping money.ErrOverflow", err)
			}
		})
	}
}
