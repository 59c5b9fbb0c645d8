package forecast

import (
	"slices"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/period"
)

func TestNewHistory(t *testing.T) {
	ym := func(y int, m time.Month) period.YearMonth { return period.NewYearMonth(y, m) }
	day := func(y int, m time.Month, d int) period.Date { return period.NewDate(y, m, d) }
	byMonth := map[period.YearMonth]decimal.Decimal{
		ym(2024, 1): decimal.MustParse("10"), ym(2024, 3): decimal.MustParse("30.5"), ym(2024, 4): decimal.MustParse("40"),
	}
	tests := []struct {
		name    string
		last    period.YearMonth
		lastDay period.Date
		want    []string
		note    bool
	}{
		{"gaps are zeros", ym(2024, 4), day(2024, 4, 30), []string{"10", "0", "30.5", "40"}, false},
		{"a value that stopped selling runs to the data's end", ym(2024, 6), day(2024, 6, 30), []string{"10", "0", "30.5", "40", "0", "0"}, false},
		{"a last week without sales is complete", ym(2024, 4), day(2024, 4, 23), []string{"10", "0", "30.5", "40"}, false},
		{"a month that stops early is left out", ym(2024, 4), day(2024, 4, 9), []string{"10", "0", "30.5"}, true},
		{"no last day: the month asked for is kept", ym(2024, 3), 0, []string{"10", "0", "30.5"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistory(byMonth, tt.last, tt.lastDay)
			var got []string
			for _, r := range h.Revenue {
				got = append(got, r.String())
			}
			if h.Start != ym(2024, 1) || !slices.Equal(got, tt.want) || (h.Note != "") != tt.note {
				t.Errorf("from %s: %v, note %q; want %v", h.Start, got, h.Note, tt.want)
			}
			if y := h.Values(); len(y) != len(tt.want) || h.End() != h.Start+period.YearMonth(len(tt.want)-1) {
				t.Errorf("%d values ending %s", len(y), h.End())
			}
		})
	}
	if h := NewHistory(nil, ym(2024, 1), 0); len(h.Revenue) != 0 {
		t.Errorf("empty input gave %v", h.Revenue)
	}
}
