package period

import (
	"testing"
	"time"
)

// TestDayNumberMatchesTime checks the arithmetic against package time for
// every day from 1600 to 2400, and DaysIn for every month.
func TestDayNumberMatchesTime(t *testing.T) {
	for day := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2400; day = day.AddDate(0, 0, 1) {
		want := floorDiv(int(day.Unix()), 86400) // time.Duration cannot span centuries
		y, m, d := day.Date()
		if got := DayNumber(y, int(m), d); got != want {
			t.Fatalf("DayNumber(%s) = %d, want %d", day.Format(time.DateOnly), got, want)
		}
		if gy, gm, gd := Civil(want); gy != y || gm != int(m) || gd != d {
			t.Fatalf("Civil(%d) = %d-%d-%d, want %s", want, gy, gm, gd, day.Format(time.DateOnly))
		}
		if d == 1 {
			if got, want := DaysIn(y, int(m)), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("DaysIn(%d, %d) = %d, want %d", y, m, got, want)
			}
		}
	}
}

func TestDayAndMonthKeys(t *testing.T) {
	for _, c := range []struct {
		y, m, d    int
		day, month string
	}{
		{2024, 3, 9, "2024-03-09", "2024-03"},
		{1900, 12, 31, "1900-12-31", "1900-12"},
		{2199, 1, 1, "2199-01-01", "2199-01"},
	} {
		t.Run(c.day, func(t *testing.T) {
			if got := DayKey(c.y, c.m, c.d); got != c.day {
				t.Errorf("DayKey = %s, want %s", got, c.day)
			}
			if got := MonthKey(c.y, c.m); got != c.month {
				t.Errorf("MonthKey = %s, want %s", got, c.month)
			}
			if got := NewDate(c.y, time.Month(c.m), c.d).String(); got != c.day {
				t.Errorf("Date.String = %s, DayKey %s", got, c.day)
			}
		})
	}
}
