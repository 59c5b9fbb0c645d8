package notation

import (
	"errors"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/period"
)

// FuzzParseAmount checks that the number reader never panics, that what it
// accepts is exact (the plain form of the result reads back the same) and
// within ±10^15, and that it agrees with decimal.Parse on plain decimals.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1234.56", "1,234.56", "1.234,56", "(12)", "$-1", "12-", "1e5", "€ 1 234,50", "1'234.5",
		"1,23,456.78", "9999999999999999999", "0.0000000000000000001", "-0", "abc", "", "1.5E+06", "\u221212",
		"(-5)", "-5-", "1000000000000000", "5e18", "999999999999999.99"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		d, err := ParseNumber([]byte(s), comma)
		if err != nil {
			if !errors.Is(err, ErrBadAmount) {
				t.Fatalf("ParseNumber(%q): error %v does not wrap ErrBadAmount", s, err)
			}
			return
		}
		if d.Abs().Cmp(decimal.MustNew(1_000_000_000_000_000, 0)) >= 0 {
			t.Fatalf("ParseNumber(%q) = %s, beyond ±10^15", s, d)
		}
		back, err := ParseNumber([]byte(d.String()), false)
		if err != nil || back.Cmp(d) != 0 {
			t.Fatalf("ParseNumber(%q) = %s, which reads back as %v, %v", s, d, back, err)
		}
		if !comma && !strings.ContainsAny(s, ",'eE ()$€£¥+\u00a0\u2009\u202f\u2019\u2212-") && len(s) <= 19 {
			if want, err := decimal.Parse(strings.TrimSpace(s)); err == nil && want.Cmp(d) != 0 {
				t.Fatalf("ParseNumber(%q) = %s, decimal.Parse says %s", s, d, want)
			}
		}
	})
}

// FuzzDate checks that the date reader never panics and only returns valid
// dates in range, which read back the same when written as ISO dates.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2024-03-31", "3/31/2024", "31.03.2024", "31-Mar-24", "Mar 31, 2024", "45382", "45382.5",
		"20240331", "2024-03-31T10:00:00Z", "10/31/2011 10:42", "2021-01-05T25:00:00", "2024-03-31 10:42:00.5 +0000 UTC", "3/31/2024 9:05 pm", "1/2/24", "13/13/2024", "", "Sept 1 2024"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, _, err := parseDateValue([]byte(s))
		if err != nil {
			if !errors.Is(err, ErrBadDate) && !errors.Is(err, ErrDateRange) {
				t.Fatalf("parseDateValue(%q): unexpected error %v", s, err)
			}
			return
		}
		y := r.Year()
		if y < 1900 || y > 2199 || (!validDate(y, r.A(), r.B()) && !validDate(y, r.B(), r.A())) {
			t.Fatalf("parseDateValue(%q) = invalid %d %d %d", s, y, r.A(), r.B())
		}
		if r.ISO() {
			back, _, err := parseDateValue([]byte(period.DayKey(y, r.A(), r.B())))
			if err != nil || back != r {
				t.Fatalf("parseDateValue(%q) = %v, reads back as %v, %v", s, r, back, err)
			}
		}
	})
}
