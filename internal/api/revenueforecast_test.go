package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/forecast"
)

// referenceSeries reads a monthly series the forecast package's reference
// script computed in Python from a shared data set.
func referenceSeries(t *testing.T, name string) (start string, y []float64) {
	t.Helper()
	data, err := os.ReadFile("../forecast/testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Series []struct {
			Name  string    `json:"name"`
			Start string    `json:"start"`
			Y     []float64 `json:"y"`
		} `json:"series"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for _, s := range ref.Series {
		if s.Name == name {
			return s.Start, s.Y
		}
	}
	t.Fatalf("no reference series %s", name)
	return "", nil
}

func amount(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

// TestRevenueForecastOnSuperstore uploads the Superstore file and checks
// GET /v1/forecast: its monthly history equals the monthly totals Python
// computed from the same file (the forecast package's reference), its
// forecast is the package's on that series, intervals nest, and a forecast
// made from 2016 covers most of what 2017 brought.
func TestRevenueForecastOnSuperstore(t *testing.T) {
	e := loadedEnv(t, func(put func(string, []byte), file func(string) []byte) {
		put("transactions/superstore.csv", file("sample_superstore_cp1252.csv"))
	})
	start, y := referenceSeries(t, "superstore")

	var f RevenueForecast
	e.get("/v1/forecast", 200, &f)
	if f.Dimension != "total" || f.Value != nil || len(f.History) != len(y) || f.History[0].Period != start {
		t.Fatalf("forecast of %s %v from %d months starting %s; reference %d from %s", f.Dimension, f.Value, len(f.History), f.History[0].Period, len(y), start)
	}
	for i, m := range f.History {
		// The reference is rounded to cents; ours is exact.
		if got := amount(t, m.Revenue); math.Abs(got-y[i]) > 0.0051 {
			t.Errorf("%s: %s, Python's sum %.2f", m.Period, m.Revenue, y[i])
		}
	}
	want, err := forecast.Forecast(context.Background(), y, forecast.Options{Horizon: 12})
	if err != nil {
		t.Fatal(err)
	}
	if f.Method != string(want.Method) || f.Model != want.Model || f.FellBack != want.FellBack || len(f.Points) != 12 {
		t.Fatalf("method %s %s (fell back %v, %d points), package %s %s", f.Method, f.Model, f.FellBack, len(f.Points), want.Method, want.Model)
	}
	if f.Points[0].Period != "2018-01" || f.Points[11].Period != "2018-12" {
		t.Errorf("points %s..%s, want 2018-01..2018-12", f.Points[0].Period, f.Points[11].Period)
	}
	for i, p := range f.Points {
		if math.Abs(float64(p.Revenue)-want.Points[i].Mean) > 0.01 {
			t.Errorf("%s: %v, package %.2f", p.Period, p.Revenue, want.Points[i].Mean)
		}
		if !(p.Lo95 <= p.Lo80 && p.Lo80 <= p.Revenue && p.Revenue <= p.Hi80 && p.Hi80 <= p.Hi95) {
			t.Errorf("%s: intervals do not nest: %+v", p.Period, p)
		}
	}
	if len(f.Backtest) == 0 || f.Backtest[0].Method != f.Baseline {
		t.Errorf("backtest %+v does not start with the baseline %s", f.Backtest, f.Baseline)
	}

	t.Run("from 2016 against 2017", func(t *testing.T) {
		var past RevenueForecast
		e.get("/v1/forecast?to=2016-12", 200, &past)
		if n := len(past.History); n != 36 || past.History[n-1].Period != "2016-12" || past.Points[0].Period != "2017-01" {
			t.Fatalf("history of %d months to %s, first point %s", n, past.History[n-1].Period, past.Points[0].Period)
		}
		inside80, inside95 := 0, 0
		for i, p := range past.Points {
			actual := y[36+i]
			if float64(p.Lo80) <= actual && actual <= float64(p.Hi80) {
				inside80++
			}
			if float64(p.Lo95) <= actual && actual <= float64(p.Hi95) {
				inside95++
			}
		}
		// 2017 grew faster than any year before, so not every month is
		// inside; a broken interval would hold few or none.
		t.Logf("2017 months inside the 80%% interval: %d, the 95%% interval: %d", inside80, inside95)
		if inside95 < 7 || inside95 < inside80 {
			t.Errorf("%d of 12 months of 2017 inside the 95%% interval, %d inside the 80%%", inside95, inside80)
		}
	})
	t.Run("one segment sums to its breakdown", func(t *testing.T) {
		var seg RevenueForecast
		e.get("/v1/forecast?dimension=segment&value=Consumer&horizon=3", 200, &seg)
		var b Breakdown
		e.get("/v1/segments?dimension=segment", 200, &b)
		sum := decimal.Decimal{}
		for _, m := range seg.History {
			sum, _ = sum.Add(decimal.MustParse(m.Revenue))
		}
		found := false
		for _, s := range b.Segments {
			if s.Value != nil && *s.Value == "Consumer" {
				sameDec(t, sum.String(), decimal.MustParse(s.Revenue))
				found = true
			}
		}
		if !found {
			t.Fatal("no Consumer segment")
		}
		if len(seg.Points) != 3 || seg.Value == nil || *seg.Value != "Consumer" {
			t.Errorf("%d points for %v", len(seg.Points), seg.Value)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		e.problemOf(e.do(request("GET", "/v1/forecast?horizon=13", true)), 400, "horizon")
		e.problemOf(e.do(request("GET", "/v1/forecast?to=soon", true)), 400, "not a period")
		e.problemOf(e.do(request("GET", "/v1/forecast?dimension=segment&value=Nobody", true)), 404, "No revenue")
		e.problemOf(e.do(request("GET", "/v1/forecast?to=2014-02", true)), 422, "too few")
	})
}

// TestRevenueForecastLeavesOutAnIncompleteMonth checks that the Online
// Retail sample's December 2011, whose data ends on the 9th, is not taken
// for a collapse of revenue: it is left out and a note says why.
func TestRevenueForecastLeavesOutAnIncompleteMonth(t *testing.T) {
	e := loadedEnv(t, func(put func(string, []byte), file func(string) []byte) {
		put("transactions/retail.csv", file("uci_online_retail_random_sample_2709.csv"))
	})
	var f RevenueForecast
	e.get("/v1/forecast?horizon=2", 200, &f)
	last := f.History[len(f.History)-1].Period
	if last != "2011-11" || len(f.Notes) == 0 || f.Notes[0] != "2011-12 is left out: the data ends on 2011-12-09, before the month does." {
		t.Fatalf("history ends %s, notes %q", last, f.Notes)
	}
	if f.Points[0].Period != "2011-12" {
		t.Errorf("first point %s, want 2011-12", f.Points[0].Period)
	}
}

// TestRevenueForecastRunsToTheDataEnd checks that a value that stopped
// selling has zeros to the data's last month, not a history that ends
// early and a forecast of months already known.
func TestRevenueForecastRunsToTheDataEnd(t *testing.T) {
	csv := "Order Date,Segment,Sales\n"
	for m := 1; m <= 6; m++ {
		csv += fmt.Sprintf("2024-%02d-28,Active,%d\n", m, 100+m)
		if m <= 3 {
			csv += fmt.Sprintf("2024-%02d-28,Gone,%d\n", m, 10*m)
		}
	}
	e := loadedEnv(t, func(put func(string, []byte), _ func(string) []byte) {
		put("transactions/small.csv", []byte(csv))
	})
	var f RevenueForecast
	e.get("/v1/forecast?dimension=segment&value=Gone&horizon=1", 200, &f)
	var got []string
	for _, m := range f.History {
		got = append(got, m.Period+"="+decimal.MustParse(m.Revenue).Trim(0).String())
	}
	want := []string{"2024-01=10", "2024-02=20", "2024-03=30", "2024-04=0", "2024-05=0", "2024-06=0"}
	if !slices.Equal(got, want) || f.Points[0].Period != "2024-07" {
		t.Errorf("history %v then %s, want %v then 2024-07", got, f.Points[0].Period, want)
	}
	e.get("/v1/forecast?dimension=segment&value=Gone&horizon=1&to=2024-05", 200, &f)
	if n := len(f.History); f.History[n-1].Period != "2024-05" || f.Points[0].Period != "2024-06" {
		t.Errorf("to=2024-05: history ends %s, first point %s", f.History[n-1].Period, f.Points[0].Period)
	}
}
