package recompute

import (
	"bufio"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
	"github.com/salesseg/salesseg/internal/shareddata"
)

func TestHoldoutEnd(t *testing.T) {
	day := func(s string) period.Date {
		d, err := period.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		name, first, last, end string
		ok                     bool
	}{
		// 546 days: 273 of calibration, 273 of holdout, as Fader,
		// Hardie & Lee split CDNOW.
		{"CDNOW", "1997-01-01", "1998-06-30", "1997-09-30", true},
		{"four years hold out one", "2014-01-03", "2017-12-30", "2016-12-30", true},
		{"eight weeks", "2024-01-01", "2024-02-25", "2024-01-28", true},
		{"under eight weeks", "2024-01-01", "2024-02-24", "", false},
		{"one day", "2024-01-01", "2024-01-01", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end, ok := HoldoutEnd(day(tc.first), day(tc.last))
			if ok != tc.ok || (ok && end != day(tc.end)) {
				t.Fatalf("HoldoutEnd = %v %v, want %s %v", end, ok, tc.end, tc.ok)
			}
		})
	}
}

// TestHoldoutOnCDNOW checks the recompute's holdout on the CDNOW sample at
// the published calibration end: the model refitted on the calibration
// purchases, and the holdout's purchase days equal to a plain count of
// the file.
func TestHoldoutOnCDNOW(t *testing.T) {
	path := shareddata.Path(t, "CDNOW_sample.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.ParseWith(f, path, discard{}, parser.Options{NoHeader: true,
		Mapping: map[string]string{"customer_id": "#1", "date": "#3", "quantity": "#4", "amount": "#5"}})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := period.ParseDate("1997-01-01")
	last, _ := period.ParseDate("1998-06-30")
	end, ok := HoldoutEnd(first, last)
	if !ok {
		t.Fatal("no holdout")
	}
	h := NewHoldout(end)
	if err := res.Purchases(h.Add); err != nil {
		t.Fatal(err)
	}
	check, err := h.CheckFitted(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if check.Report == nil {
		t.Fatalf("no report: %s", check.Reason)
	}
	// Split by 4 customer shards, the parts give the same check, to the
	// last bit; a part that is not of its count is refused.
	parts := make([]*Holdout, 4)
	for i := range parts {
		parts[i] = NewHoldout(end)
	}
	err = res.Purchases(func(p history.Purchase) error { return parts[shard.Of(p.Customer, len(parts))].Add(p) })
	if err != nil {
		t.Fatal(err)
	}
	split := make([]HoldoutPart, len(parts))
	counts := make([]int, len(parts))
	for i, h := range parts {
		split[i] = h.Part()
		counts[i] = len(split[i].Customers)
	}
	read := func(i int) (HoldoutPart, error) { return split[i], nil }
	sharded, err := CheckHoldout(context.Background(), end, counts, read)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sharded, check) {
		t.Errorf("4 parts: %+v\nwant %+v", sharded.Report.Total, check.Report.Total)
	}
	counts[2]++
	if _, err := CheckHoldout(context.Background(), end, counts, read); !errors.Is(err, ErrShardMismatch) {
		t.Errorf("a part not of its count: %v", err)
	}
	// Distinct (customer, day) after the calibration end, from the file.
	g, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	days := map[string]bool{}
	sc := bufio.NewScanner(g)
	for sc.Scan() {
		if fl := strings.Fields(sc.Text()); len(fl) == 5 && fl[2] > "19970930" {
			days[fl[0]+" "+fl[2]] = true
		}
	}
	rep := check.Report
	if check.CalibrationEnd != "1997-09-30" || rep.Total.Actual != int64(len(days)) || rep.Total.Customers != 2357 {
		t.Fatalf("calibration end %s, %d actual purchase days of %d customers; want 1997-09-30, %d of 2357",
			check.CalibrationEnd, rep.Total.Actual, rep.Total.Customers, len(days))
	}
	t.Logf("holdout %s..%s: %d actual purchase days, %.2f expected", rep.From, rep.To, rep.Total.Actual, float64(rep.Total.Predicted))
	// The published fit predicts the holdout's purchases within about
	// 15% in total (Fader, Hardie & Lee 2005, figure 3).
	if p := float64(rep.Total.Predicted); p < 0.85*float64(rep.Total.Actual) || p > 1.15*float64(rep.Total.Actual) {
		t.Fatalf("predicted %.1f purchase days, actual %d", p, rep.Total.Actual)
	}
}

type discard struct{}

func (discard) Reject(*parser.RowError) error { return nil }
