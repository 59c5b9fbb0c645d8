package notation

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/period"
)

func TestParseDateValue(t *testing.T) {
	cases := []struct {
		in      string
		want    string // Y-M-D, or "a/b/Y?" for an undecided order
		wantErr error
	}{
		{"2024-03-31", "2024-03-31", nil},
		{"2024-3-5", "2024-03-05", nil},
		{"2024/03/31", "2024-03-31", nil},
		{"2024.03.31", "2024-03-31", nil},
		{"2024-03-31T10:42:00Z", "2024-03-31", nil},
		{"2024-03-31 23:59:59+02:00", "2024-03-31", nil},
		{"20240331", "2024-03-31", nil},
		{"3/31/2024", "3/31/2024?", nil},
		{"31/3/2024", "31/3/2024?", nil},
		{"31.03.2024", "31/3/2024?", nil},
		{"31-03-2024", "31/3/2024?", nil},
		{"3/4/2024", "3/4/2024?", nil},
		{"3/3/2024", "2024-03-03", nil},
		{"10/31/2011 10:42", "10/31/2011?", nil},
		{"10/31/2011 10:42 AM", "10/31/2011?", nil},
		{"3/31/24", "3/31/2024?", nil},
		{"3/31/99", "3/31/1999?", nil},
		{"31-Mar-2024", "2024-03-31", nil},
		{"31 March 2024", "2024-03-31", nil},
		{"31-MAR-24", "2024-03-31", nil},
		{"Mar 31, 2024", "2024-03-31", nil},
		{"March 31 2024", "2024-03-31", nil},
		{"Sept 1, 2024", "2024-09-01", nil},
		{"2024-Mar-31", "2024-03-31", nil},
		{"45382", "2024-03-31", nil},
		{"45382.75", "2024-03-31", nil},
		{"61", "", ErrBadDate},
		{"2024", "", ErrBadDate},
		{"2024-02-30", "", ErrBadDate},
		{"2023-02-29", "", ErrBadDate},
		{"2024-02-29", "2024-02-29", nil},
		{"13/13/2024", "", ErrBadDate},
		{"1/2-2024", "", ErrBadDate},
		{"2024-03-31x", "", ErrBadDate},
		{"31 Foo 2024", "", ErrBadDate},
		{"", "", ErrBadDate},
		{"not a date", "", ErrBadDate},
		{"1899-12-31", "", ErrDateRange},
		{"2200-01-01", "", ErrDateRange},
		{"1/1/1850", "", ErrDateRange},
		{"99999999", "", ErrBadDate},
		{"2024-03-31 23:59:59.123456789", "2024-03-31", nil},
		{"2024-03-31T00:00:00,5-05:00", "2024-03-31", nil},
		{"2024-03-31 10:42:00 +0000 UTC", "2024-03-31", nil},
		{"2024-03-31T10:42+0530", "2024-03-31", nil},
		{"2024-03-31T10:42:00 -08", "2024-03-31", nil},
		{"3/31/2024 9:05:07 pm", "3/31/2024?", nil},
		{"3/31/2024 12:00 AM", "3/31/2024?", nil},
		{"2021-01-05T25:00:00", "", ErrBadDate},
		{"2021-01-05T24:00:00", "", ErrBadDate},
		{"2021-01-05 10:60", "", ErrBadDate},
		{"2021-01-05 10:59:60", "", ErrBadDate},
		{"2021-01-05 13:00 PM", "", ErrBadDate},
		{"2021-01-05 10", "", ErrBadDate},
		{"2021-01-05 10:5", "", ErrBadDate},
		{"2021-01-05 100:00", "", ErrBadDate},
		{"2021-01-05T10:00:00+15:00", "", ErrBadDate},
		{"2021-01-05T10:00:00+05:61", "", ErrBadDate},
		{"2021-01-05 10:00 and then some", "", ErrBadDate},
		{"2021-01-05 10:00:00 UTC+1", "", ErrBadDate},
		{"2021-01-05T", "", ErrBadDate},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			r, _, err := parseDateValue([]byte(c.in))
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("parseDateValue(%q) = %v, %v; want %v", c.in, r, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDateValue(%q): %v", c.in, err)
			}
			got := fmt.Sprintf("%04d-%02d-%02d", r.Year(), r.A(), r.B())
			if !r.ISO() {
				got = fmt.Sprintf("%d/%d/%d?", r.A(), r.B(), r.Year())
			}
			if got != c.want {
				t.Fatalf("parseDateValue(%q) = %s, want %s", c.in, got, c.want)
			}
		})
	}
}

// columnOf parses values as one date column and decides its order.
func columnOf(t *testing.T, force string, values ...string) (*DateColumn, []OrderReject, []RawDate, error) {
	t.Helper()
	c := NewDateColumn(force, false)
	var dates []RawDate
	for i, v := range values {
		r, side, err := c.Parse([]byte(v))
		if err != nil {
			return c, nil, nil, err
		}
		if side >= 0 {
			c.Vote(side, i+2, []byte(v))
		}
		dates = append(dates, r)
	}
	losers, err := c.Decide()
	return c, losers, dates, err
}

func TestDateColumnOrder(t *testing.T) {
	cases := []struct {
		name      string
		force     string
		values    []string
		order     string
		basis     string
		rejected  []int // lines
		firstDate string
	}{
		{"month first by one value", "", []string{"3/4/2024", "3/31/2024"}, OrderMDY, "1 values only read month first", nil, "2024-03-04"},
		{"day first by one value", "", []string{"3/4/2024", "31/3/2024"}, OrderDMY, "1 values only read day first", nil, "2024-04-03"},
		{"majority wins, minority rejected", "", []string{"3/4/2024", "31/3/2024", "30/3/2024", "3/29/2024"}, OrderDMY,
			"2 values only read day first, 1 only month first", []int{5}, "2024-04-03"},
		{"no vote, slash: month first assumed", "", []string{"3/4/2024", "5/6/2024"}, OrderMDY, "assumed from the separator", nil, "2024-03-04"},
		{"no vote, dot: day first assumed", "", []string{"3.4.2024", "5.6.2024"}, OrderDMY, "assumed from the separator", nil, "2024-04-03"},
		{"tie: separator decides, the other side rejected", "", []string{"1/13/2024", "13/1/2024"}, OrderMDY, "assumed from the separator", []int{3}, "2024-01-13"},
		{"forced order", "D/M/Y", []string{"3/4/2024", "5/6/2024"}, OrderDMY, "set by the mapping options", nil, "2024-04-03"},
		{"ISO only: no order", "", []string{"2024-03-04"}, "", "", nil, "2024-03-04"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col, losers, dates, err := columnOf(t, c.force, c.values...)
			if err != nil {
				t.Fatal(err)
			}
			if col.Order() != c.order || !strings.Contains(col.How(), c.basis) {
				t.Fatalf("order %q (%s), want %q (%s)", col.Order(), col.How(), c.order, c.basis)
			}
			var lines []int
			for _, l := range losers {
				lines = append(lines, l.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(c.rejected) {
				t.Fatalf("rejected lines %v, want %v", lines, c.rejected)
			}
			y, m, d := col.Resolve(dates[0])
			if got := period.DayKey(y, m, d); got != c.firstDate {
				t.Fatalf("first date %s, want %s", got, c.firstDate)
			}
			for _, l := range losers {
				if !col.Dropped(dates[l.Line-2]) {
					t.Fatalf("line %d rejected but its date is kept", l.Line)
				}
			}
		})
	}
}

func TestDateColumnForcedOrderRejectsContradiction(t *testing.T) {
	_, _, _, err := columnOf(t, OrderMDY, "3/4/2024", "31/3/2024")
	if !errors.Is(err, ErrDateOrder) {
		t.Fatalf("err %v, want ErrDateOrder", err)
	}
}

func TestDateColumnTooMixed(t *testing.T) {
	var values []string
	for i := range MaxOrderLines + 1 {
		values = append(values, fmt.Sprintf("13/%d/2024", i%12+1), fmt.Sprintf("%d/13/2024", i%12+1), fmt.Sprintf("%d/14/2024", i%12+1))
	}
	_, _, _, err := columnOf(t, "", values...)
	if !errors.Is(err, ErrMixedOrder) || !strings.Contains(err.Error(), "mixes day-first and month-first") {
		t.Fatalf("err %v", err)
	}
}

func TestCivilDays(t *testing.T) {
	for _, c := range []struct{ y, m, d, days int }{{1970, 1, 1, 0}, {2000, 3, 1, 11017}, {1899, 12, 30, -25569}, {2199, 12, 31, 84005}} {
		if got := period.DayNumber(c.y, c.m, c.d); got != c.days {
			t.Errorf("DayNumber(%d-%d-%d) = %d, want %d", c.y, c.m, c.d, got, c.days)
		}
		if y, m, d := period.Civil(c.days); y != c.y || m != c.m || d != c.d {
			t.Errorf("Civil(%d) = %d-%d-%d", c.days, y, m, d)
		}
	}
	for n := -30000; n < 90000; n++ {
		y, m, d := period.Civil(n)
		if period.DayNumber(y, m, d) != n || !validDate(y, m, d) {
			t.Fatalf("round trip of day %d failed: %d-%d-%d", n, y, m, d)
		}
	}
}
