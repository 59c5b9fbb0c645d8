package analytics

import (
	"slices"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
)

// TestSizeRowsInBandOrder checks that the per-value rows of tiers and
// tiers within a value list size bands smallest first, the unassigned
// value last.
func TestSizeRowsInBandOrder(t *testing.T) {
	b := NewBuilder()
	for i, size := range []string{"Large", "Enterprise", "Micro", "", "Small", "Agency"} {
		p := history.Purchase{Customer: string(rune('a' + i)), Day: mustDay(t, "2020-01-01"), Orders: 1, Lines: 1, Revenue: "10",
			Attrs: map[dimension.Dimension]string{dimension.Size: size}}
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	base := b.Build()
	tiers, err := Tiers(base, DefaultTierConfig())
	if err != nil {
		t.Fatal(err)
	}
	within, err := TiersWithin(base, DefaultTierConfig(), dimension.Size)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := tiers.Summarize(base, dimension.Size)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Micro", "Small", "Large", "Enterprise", "Agency", dimension.Blank}
	for name, rows := range map[string][]Summary{"summarize": summary, "tiers within": within} {
		var got []string
		for _, r := range rows {
			got = append(got, r.Value)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: values %q, want %q", name, got, want)
		}
	}
}
