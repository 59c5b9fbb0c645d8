package period

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustCal(t testing.TB, start time.Month) Calendar {
	t.Helper()
	c, err := NewCalendar(start)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseLabels(t *testing.T) {
	cases := []struct {
		name, label string
		fiscal      time.Month
		grain       Grain
		from, to    string
		canonical   string
	}{
		{"day", "2024-01-15", 1, Day, "2024-01-15", "2024-01-15", "2024-01-15"},
		{"leap day", "2024-02-29", 1, Day, "2024-02-29", "2024-02-29", "2024-02-29"},
		{"iso week 1 starting in december", "2025-W01", 1, Week, "2024-12-30", "2025-01-05", "2025-W01"},
		{"iso week 3", "2024-W03", 1, Week, "2024-01-15", "2024-01-21", "2024-W03"},
		{"iso week 53", "2020-W53", 1, Week, "2020-12-28", "2021-01-03", "2020-W53"},
		{"lower-case week", "2020-w53", 1, Week, "2020-12-28", "2021-01-03", "2020-W53"},
		{"month", "2024-02", 1, Month, "2024-02-01", "2024-02-29", "2024-02"},
		{"month non-leap", "2023-02", 1, Month, "2023-02-01", "2023-02-28", "2023-02"},
		{"quarter", "2024-Q1", 1, Quarter, "2024-01-01", "2024-03-31", "2024-Q1"},
		{"quarter 4", "2024-q4", 1, Quarter, "2024-10-01", "2024-12-31", "2024-Q4"},
		{"year", "2024", 1, Year, "2024-01-01", "2024-12-31", "2024"},
		{"fiscal year january", "FY2024", 1, FiscalYear, "2024-01-01", "2024-12-31", "FY2024"},
		{"fiscal year april", "FY2024", 4, FiscalYear, "2023-04-01", "2024-03-31", "FY2024"},
		{"fiscal year july lower case", "fy2024", 7, FiscalYear, "2023-07-01", "2024-06-30", "FY2024"},
		{"fiscal quarter april q1", "FY2024-Q1", 4, FiscalQuarter, "2023-04-01", "2023-06-30", "FY2024-Q1"},
		{"fiscal quarter april q4", "FY2024-Q4", 4, FiscalQuarter, "2024-01-01", "2024-03-31", "FY2024-Q4"},
		{"fiscal quarter october q2", "FY2025-Q2", 10, FiscalQuarter, "2025-01-01", "2025-03-31", "FY2025-Q2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := mustCal(t, c.fiscal).Parse(c.label)
			if err != nil {
				t.Fatal(err)
			}
			if p.Grain != c.grain || p.From.String() != c.from || p.To.String() != c.to {
				t.Fatalf("got %s %s, want %s %s..%s", p.Grain, p.Range, c.grain, c.from, c.to)
			}
			if p.Label() != c.canonical {
				t.Fatalf("label %q, want %q", p.Label(), c.canonical)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct{ name, label, why string }{
		{"empty", "", "four-digit year"},
		{"month 13", "2016-13", "not a month"},
		{"month 00", "2016-00", "not a month"},
		{"feb 30", "2024-02-30", "not a calendar date"},
		{"feb 29 non-leap", "2023-02-29", "not a calendar date"},
		{"week 53 in a 52-week year", "2021-W53", "weeks 01 to 52"},
		{"week 0", "2021-W00", "not an ISO week"},
		{"quarter 5", "2024-Q5", "not a quarter"},
		{"fiscal quarter 0", "FY2024-Q0", "not a fiscal quarter"},
		{"fiscal junk", "FYabcd", "not a fiscal year"},
		{"year 999", "0999", "before 1000"},
		{"signed", "+2024", "four-digit year"},
		{"injection", "2024' OR '1'='1", "not a period label"},
		{"trailing space", "2024-01 ", "not a period label"},
		{"unicode digits", "２０２４", "four-digit year"},
		{"slash date", "2024/01/15", "not a date"},
	}
	cal := mustCal(t, time.April)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := cal.Parse(c.label)
			if !errors.Is(err, ErrLabel) {
				t.Fatalf("err %v, want ErrLabel", err)
			}
			if !strings.Contains(err.Error(), c.why) {
				t.Fatalf("err %q does not say %q", err, c.why)
			}
		})
	}
}

func TestPrevNextYearAgo(t *testing.T) {
	cases := []struct {
		name, label         string
		fiscal              time.Month
		prev, next, yearAgo string
	}{
		{"day across year", "2024-01-01", 1, "2023-12-31", "2024-01-02", "2023-01-01"},
		{"leap day a year ago", "2024-02-29", 1, "2024-02-28", "2024-03-01", "2023-02-28"},
		{"day after leap day", "2025-03-01", 1, "2025-02-28", "2025-03-02", "2024-03-01"},
		{"week 1", "2025-W01", 1, "2024-W52", "2025-W02", "2024-W01"},
		{"week 53 in a year after a 52-week year", "2020-W53", 1, "2020-W52", "2021-W01", "2019-W52"},
		{"week after 53", "2021-W01", 1, "2020-W53", "2021-W02", "2020-W01"},
		{"week 53 after a 53-week year", "2015-W53", 1, "2015-W52", "2016-W01", "2014-W52"},
		{"week 53 in a year after a 53-week year", "2026-W53", 1, "2026-W52", "2027-W01", "2025-W52"},
		{"month january", "2024-01", 1, "2023-12", "2024-02", "2023-01"},
		{"month march in leap year", "2024-03", 1, "2024-02", "2024-04", "2023-03"},
		{"quarter 1", "2024-Q1", 1, "2023-Q4", "2024-Q2", "2023-Q1"},
		{"year", "2024", 1, "2023", "2025", "2023"},
		{"fiscal year april", "FY2024", 4, "FY2023", "FY2025", "FY2023"},
		{"fiscal quarter april q1", "FY2024-Q1", 4, "FY2023-Q4", "FY2024-Q2", "FY2023-Q1"},
		{"fiscal quarter april q4", "FY2024-Q4", 4, "FY2024-Q3", "FY2025-Q1", "FY2023-Q4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := mustCal(t, c.fiscal).Parse(c.label)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Prev().Label(); got != c.prev {
				t.Errorf("prev %s, want %s", got, c.prev)
			}
			if got := p.Next().Label(); got != c.next {
				t.Errorf("next %s, want %s", got, c.next)
			}
			if got := p.YearAgo().Label(); got != c.yearAgo {
				t.Errorf("year ago %s, want %s", got, c.yearAgo)
			}
		})
	}
}

func TestOfDate(t *testing.T) {
	cases := []struct {
		name   string
		g      Grain
		fiscal time.Month
		day    string
		want   string
	}{
		{"iso week of jan 1 belongs to previous year", Week, 1, "2021-01-01", "2020-W53"},
		{"iso week of dec 31 belongs to next year", Week, 1, "2024-12-31", "2025-W01"},
		{"sunday ends the week", Week, 1, "2024-01-21", "2024-W03"},
		{"monday starts the week", Week, 1, "2024-01-22", "2024-W04"},
		{"fiscal april: march is the last month", FiscalYear, 4, "2024-03-31", "FY2024"},
		{"fiscal april: april starts the next year", FiscalYear, 4, "2024-04-01", "FY2025"},
		{"fiscal april quarter of february", FiscalQuarter, 4, "2024-02-10", "FY2024-Q4"},
		{"fiscal january equals calendar", FiscalYear, 1, "2024-06-15", "FY2024"},
		{"fiscal december", FiscalYear, 12, "2023-12-01", "FY2024"},
		{"quarter of november", Quarter, 1, "2024-11-30", "2024-Q4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustCal(t, c.fiscal).Of(c.g, date(t, c.day)).Label(); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestSpanAndCount(t *testing.T) {
	cal := mustCal(t, time.April)
	cases := []struct {
		name     string
		g        Grain
		from, to string
		labels   string
		err      error
	}{
		{"months across a leap february", Month, "2024-01-01", "2024-03-31", "2024-01 2024-02 2024-03", nil},
		{"quarters", Quarter, "2023-10-01", "2024-06-30", "2023-Q4 2024-Q1 2024-Q2", nil},
		{"weeks over a year end", Week, "2020-12-21", "2021-01-10", "2020-W52 2020-W53 2021-W01", nil},
		{"fiscal quarters", FiscalQuarter, "2024-01-01", "2024-06-30", "FY2024-Q4 FY2025-Q1", nil},
		{"days", Day, "2024-02-28", "2024-03-01", "2024-02-28 2024-02-29 2024-03-01", nil},
		{"not aligned to month", Month, "2024-01-15", "2024-03-31", "", ErrNotAligned},
		{"not aligned to fiscal year", FiscalYear, "2024-01-01", "2024-12-31", "", ErrNotAligned},
		{"week not ending on sunday", Week, "2024-01-15", "2024-01-27", "", ErrNotAligned},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewRange(date(t, c.from), date(t, c.to))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := cal.Span(c.g, r)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if c.err != nil {
				return
			}
			var labels []string
			for _, p := range ps {
				labels = append(labels, p.Label())
			}
			if got := strings.Join(labels, " "); got != c.labels {
				t.Fatalf("got %s, want %s", got, c.labels)
			}
			if n, _ := cal.Count(c.g, r); n != len(ps) {
				t.Fatalf("count %d, span %d", n, len(ps))
			}
		})
	}
}

func TestExact(t *testing.T) {
	cal := mustCal(t, time.April)
	cases := []struct {
		name     string
		g        Grain
		from, to string
		label    string // "" when the range is not one period
	}{
		{"a month", Month, "2024-02-01", "2024-02-29", "2024-02"},
		{"a calendar quarter", Quarter, "2017-10-01", "2017-12-31", "2017-Q4"},
		{"a calendar year", Year, "2017-01-01", "2017-12-31", "2017"},
		{"a fiscal year", FiscalYear, "2023-04-01", "2024-03-31", "FY2024"},
		{"a week", Week, "2020-12-28", "2021-01-03", "2020-W53"},
		{"two months", Month, "2024-01-01", "2024-02-29", ""},
		{"a month short of its last day", Month, "2024-02-01", "2024-02-28", ""},
		{"a month starting late", Month, "2024-02-02", "2024-03-01", ""},
		{"three months off the quarter boundary", Quarter, "2024-02-01", "2024-04-30", ""},
		{"a year not starting in January", Year, "2024-04-01", "2025-03-31", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ok := cal.Exact(c.g, Range{date(t, c.from), date(t, c.to)})
			if ok != (c.label != "") || (ok && p.Label() != c.label) {
				t.Fatalf("got %s %v, want %q", p.Label(), ok, c.label)
			}
		})
	}
}

func TestPreviousAndYearAgoRanges(t *testing.T) {
	cal := mustCal(t, time.January)
	cases := []struct {
		name          string
		g             Grain
		from, to      string
		prev, yearAgo string
	}{
		{"two months ending in february", Month, "2024-01-01", "2024-02-29", "2023-11-01..2023-12-31", "2023-01-01..2023-02-28"},
		{"one quarter", Quarter, "2024-04-01", "2024-06-30", "2024-01-01..2024-03-31", "2023-04-01..2023-06-30"},
		{"three years", Year, "2016-01-01", "2018-12-31", "2013-01-01..2015-12-31", "2015-01-01..2017-12-31"},
		{"ten days over leap day", Day, "2024-02-25", "2024-03-05", "2024-02-15..2024-02-24", "2023-02-25..2023-03-05"},
		{"two weeks", Week, "2024-01-15", "2024-01-28", "2024-01-01..2024-01-14", "2023-01-16..2023-01-29"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Range{date(t, c.from), date(t, c.to)}
			prev, err := cal.Previous(c.g, r)
			if err != nil {
				t.Fatal(err)
			}
			if prev.String() != c.prev {
				t.Errorf("previous %s, want %s", prev, c.prev)
			}
			if got := YearAgo(c.g, r).String(); got != c.yearAgo {
				t.Errorf("year ago %s, want %s", got, c.yearAgo)
			}
		})
	}
}

func TestOfKey(t *testing.T) {
	cal := mustCal(t, time.April)
	cases := []struct {
		name, key string
		g         Grain
		want      string
		err       error
	}{
		{"day key to week", "2021-01-03", Week, "2020-W53", nil},
		{"day key to day", "2024-02-29", Day, "2024-02-29", nil},
		{"day key to fiscal quarter", "2024-03-31", FiscalQuarter, "FY2024-Q4", nil},
		{"month key to quarter", "2024-05", Quarter, "2024-Q2", nil},
		{"month key to year", "2024-12", Year, "2024", nil},
		{"month key to fiscal year", "2024-04", FiscalYear, "FY2025", nil},
		{"month key to month", "2024-04", Month, "2024-04", nil},
		{"month key to week needs days", "2024-04", Week, "", ErrNeedsDays},
		{"month key to day needs days", "2024-04", Day, "", ErrNeedsDays},
		{"malformed month key", "2024-13", Month, "", ErrLabel},
		{"malformed key", "2024", Month, "", ErrLabel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := cal.OfKey(c.g, c.key)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if c.err == nil && p.Label() != c.want {
				t.Fatalf("got %s, want %s", p.Label(), c.want)
			}
		})
	}
}

func TestRangeHelpers(t *testing.T) {
	t.Run("reversed", func(t *testing.T) {
		if _, err := NewRange(date(t, "2024-02-01"), date(t, "2024-01-31")); !errors.Is(err, ErrReversed) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("month aligned", func(t *testing.T) {
		if !(Range{date(t, "2024-02-01"), date(t, "2024-02-29")}).MonthAligned() {
			t.Fatal("february 2024 not month aligned")
		}
		if (Range{date(t, "2024-02-01"), date(t, "2024-02-28")}).MonthAligned() {
			t.Fatal("2024-02-01..28 is month aligned")
		}
	})
	t.Run("keys", func(t *testing.T) {
		r := Range{date(t, "2024-02-01"), date(t, "2024-03-31")}
		if f, to := r.MonthKeys(); f != "2024-02" || to != "2024-03" {
			t.Fatalf("%s %s", f, to)
		}
		if f, to := r.DayKeys(); f != "2024-02-01" || to != "2024-03-31" {
			t.Fatalf("%s %s", f, to)
		}
		if r.Days() != 60 {
			t.Fatalf("days %d", r.Days())
		}
	})
	t.Run("add months clamps", func(t *testing.T) {
		if got := date(t, "2024-01-31").AddMonths(1).String(); got != "2024-02-29" {
			t.Fatal(got)
		}
		if got := date(t, "2024-02-29").AddMonths(-12).String(); got != "2023-02-28" {
			t.Fatal(got)
		}
	})
	t.Run("grains", func(t *testing.T) {
		for _, g := range Grains() {
			if got, err := ParseGrain(string(g)); err != nil || got != g {
				t.Fatalf("%s: %v", g, err)
			}
		}
		if _, err := ParseGrain("fortnight"); !errors.Is(err, ErrGrain) {
			t.Fatal(err)
		}
	})
	t.Run("fiscal start", func(t *testing.T) {
		for _, m := range []time.Month{0, 13} {
			if _, err := NewCalendar(m); !errors.Is(err, ErrFiscalStart) {
				t.Fatalf("%d: %v", m, err)
			}
		}
		if (Calendar{}).FiscalStart() != time.January {
			t.Fatal("zero calendar does not start in January")
		}
	})
}

// FuzzParse checks that Parse never panics, that every period it returns
// is non-empty and labelled so that the label parses back to the same
// period, and that its neighbours touch it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2024-01-15", "2024-W03", "2020-W53", "2024-01", "2024-Q1", "2024", "FY2024",
		"FY2024-Q3", "fy1000", "9999-12-31", "2024-02-30", "", "FY", "2024-W", "１２３４"} {
		f.Add(s, uint8(4))
	}
	f.Fuzz(func(t *testing.T, s string, fiscal uint8) {
		cal, err := NewCalendar(time.Month(fiscal%12 + 1))
		if err != nil {
			t.Fatal(err)
		}
		p, err := cal.Parse(s)
		if err != nil {
			if !errors.Is(err, ErrLabel) {
				t.Fatalf("error %v does not wrap ErrLabel", err)
			}
			return
		}
		if p.From.After(p.To) {
			t.Fatalf("%q: empty period %s", s, p.Range)
		}
		back, err := cal.Parse(p.Label())
		if err != nil || back != p {
			t.Fatalf("%q → %s → %+v, %v", s, p.Label(), back, err)
		}
		if !strings.EqualFold(p.Label(), s) && p.Grain != Day {
			t.Fatalf("%q labelled %q", s, p.Label())
		}
		if p.Prev().To.AddDays(1) != p.From || p.Next().From != p.To.AddDays(1) {
			t.Fatalf("%q: neighbours %s %s do not touch %s", s, p.Prev().Range, p.Next().Range, p.Range)
		}
	})
}
