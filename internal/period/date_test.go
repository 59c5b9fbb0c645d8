package period

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unsafe"
)

// TestDateMatchesTime checks Date against package time for every day from
// 1890 to 2210, which spans the years ingestion accepts and the leap rules
// of 1900, 2000 and 2100: construction, fields, weekday, text and one day
// on. (TestDayNumberMatchesTime covers the arithmetic beneath over more
// centuries.)
func TestDateMatchesTime(t *testing.T) {
	prev := NewDate(1889, time.December, 31)
	for tm := time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() < 2210; tm = tm.AddDate(0, 0, 1) {
		d := DateOf(tm)
		y, m, dd := d.Date()
		switch {
		case y != tm.Year() || m != tm.Month() || dd != tm.Day():
			t.Fatalf("DateOf(%s).Date() = %d-%d-%d", tm.Format(time.DateOnly), y, m, dd)
		case !d.Time().Equal(tm) || d.Weekday() != tm.Weekday() || d.String() != tm.Format(time.DateOnly):
			t.Fatalf("%s: Time %v, Weekday %v, String %s", tm.Format(time.DateOnly), d.Time(), d.Weekday(), d)
		case d != prev.AddDays(1) || d.DaysSince(prev) != 1 || !prev.Before(d):
			t.Fatalf("%s is not the day after %s", d, prev)
		case d.YearMonth() != NewYearMonth(tm.Year(), tm.Month()) || d.YearMonth().String() != tm.Format("2006-01"):
			t.Fatalf("%s: YearMonth %s", d, d.YearMonth())
		}
		prev = d
	}
}

func TestNewDateNormalizes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		y       int
		m       time.Month
		d       int
		want    string
		weekday time.Weekday
	}{
		{"January 32", 2024, time.January, 32, "2024-02-01", time.Thursday},
		{"day 0", 2024, time.March, 0, "2024-02-29", time.Thursday},
		{"month 13", 2023, 13, 1, "2024-01-01", time.Monday},
		{"month 0", 2024, 0, 15, "2023-12-15", time.Friday},
		{"month -13", 2024, -13, 1, "2022-11-01", time.Tuesday},
		{"first day of year 1", 1, time.January, 1, "0001-01-01", time.Monday},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDate(tc.y, tc.m, tc.d)
			want := time.Date(tc.y, tc.m, tc.d, 0, 0, 0, 0, time.UTC)
			if d.String() != tc.want || !d.Time().Equal(want) || d.Weekday() != tc.weekday {
				t.Fatalf("NewDate(%d, %d, %d) = %s (%s), want %s (%s)", tc.y, tc.m, tc.d, d, d.Weekday(), tc.want, tc.weekday)
			}
		})
	}
}

// TestZeroDate checks that the zero Date is time.Time's zero day, which
// ParseDate cannot produce, and that a Date stays four bytes: per-customer
// histories hold several per customer.
func TestZeroDate(t *testing.T) {
	var zero Date
	if !zero.IsZero() || !zero.Time().Equal(time.Time{}) || DateOf(time.Time{}) != zero {
		t.Fatalf("zero Date = %s, %v", zero, zero.Time())
	}
	if d, err := ParseDate("1000-01-01"); err != nil || d.IsZero() {
		t.Fatalf("ParseDate of the earliest year = %v, %v", d, err)
	}
	if s := unsafe.Sizeof(zero); s != 4 {
		t.Fatalf("a Date takes %d bytes, want 4", s)
	}
	if s := unsafe.Sizeof(YearMonth(0)); s != 4 {
		t.Fatalf("a YearMonth takes %d bytes, want 4", s)
	}
}

func TestYearMonth(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    YearMonth
		want string
		year int
		mon  time.Month
	}{
		{"January", NewYearMonth(2024, time.January), "2024-01", 2024, time.January},
		{"December", NewYearMonth(2019, time.December), "2019-12", 2019, time.December},
		{"month 13", NewYearMonth(2019, 13), "2020-01", 2020, time.January},
		{"the month before", NewYearMonth(2024, time.January) - 1, "2023-12", 2023, time.December},
		{"before year 0", NewYearMonth(0, time.January) - 1, "-001-12", -1, time.December},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.m.String() != tc.want || tc.m.Year() != tc.year || tc.m.Month() != tc.mon {
				t.Fatalf("%d = %s, year %d, month %d; want %s", int32(tc.m), tc.m, tc.m.Year(), tc.m.Month(), tc.want)
			}
		})
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		Day   Date      `json:"day"`
		Month YearMonth `json:"month"`
	}
	data, err := json.Marshal(doc{Day: NewDate(2024, time.February, 29), Month: NewYearMonth(2024, time.February)})
	if err != nil || string(data) != `{"day":"2024-02-29","month":"2024-02"}` {
		t.Fatalf("Marshal = %s, %v", data, err)
	}
	for _, tc := range []struct {
		name, in string
		want     Date // zero for an error wrapping ErrLabel
	}{
		{"leap day", `"2024-02-29"`, NewDate(2024, time.February, 29)},
		{"century leap day", `"2000-02-29"`, NewDate(2000, time.February, 29)},
		{"not a leap year", `"1900-02-29"`, 0},
		{"month 13", `"2019-13-01"`, 0},
		{"day 0", `"2019-01-00"`, 0},
		{"slashes", `"2019/01/01"`, 0},
		{"short", `"2019-1-01"`, 0},
		{"sign", `"+019-01-01"`, 0},
		{"year before 1000", `"0999-12-31"`, 0},
		{"empty", `""`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Date
			err := json.Unmarshal([]byte(tc.in), &d)
			if tc.want.IsZero() {
				if !errors.Is(err, ErrLabel) {
					t.Fatalf("Unmarshal(%s) = %s, %v; want ErrLabel", tc.in, d, err)
				}
				return
			}
			if err != nil || d != tc.want {
				t.Fatalf("Unmarshal(%s) = %s, %v; want %s", tc.in, d, err, tc.want)
			}
		})
	}
	var d Date
	if err := json.Unmarshal([]byte(`{"day":1}`), &d); err == nil {
		t.Error("Unmarshal of an object into a Date succeeded")
	}
}

// TestDateAppendText checks that AppendText appends to what b holds, and
// formats years outside 0–9999 (which the fast path leaves to fmt) as
// String always did.
func TestDateAppendText(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Date
		want string
	}{
		{name: "common", d: NewDate(2024, time.February, 29), want: "2024-02-29"},
		{name: "year one", d: NewDate(1, time.January, 1), want: "0001-01-01"},
		{name: "last four-digit year", d: NewDate(9999, time.December, 31), want: "9999-12-31"},
		{name: "five-digit year", d: NewDate(10000, time.January, 1), want: "10000-01-01"},
		{name: "before year one", d: NewDate(-1, time.March, 5), want: "-001-03-05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.d.AppendText([]byte("x:"))
			if err != nil || string(got) != "x:"+tc.want {
				t.Fatalf("AppendText = %q, %v; want %q", got, err, "x:"+tc.want)
			}
			if s := tc.d.String(); s != tc.want {
				t.Fatalf("String = %q, want %q", s, tc.want)
			}
			if m, _ := tc.d.MarshalText(); string(m) != tc.want {
				t.Fatalf("MarshalText = %q, want %q", m, tc.want)
			}
		})
	}
}

func TestParseYearMonth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want YearMonth
		ok   bool
	}{
		{"2024-01", NewYearMonth(2024, time.January), true},
		{"1000-12", NewYearMonth(1000, time.December), true},
		{"9999-12", NewYearMonth(9999, time.December), true},
		{"2024-00", 0, false},
		{"2024-13", 0, false},
		{"0999-12", 0, false},
		{"2024-1", 0, false},
		{"2024-01-05", 0, false},
		{"2024/01", 0, false},
		{"20x4-01", 0, false},
		{"", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseYearMonth(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("ParseYearMonth(%q) = %s, %v; want %s, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrLabel) {
				t.Fatalf("error %v does not wrap ErrLabel", err)
			}
			if err == nil && got.String() != tc.in {
				t.Fatalf("%q parses to %s, which formats differently", tc.in, got)
			}
		})
	}
}
