package forecast

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/shareddata"
)

// monthlyTotals sums amount(record) by the month of the date in column
// dateCol (parsed with layout, time of day ignored) of a shared CSV data
// set with a header, into a gap-free series from the first to the last month.
func monthlyTotals(t *testing.T, name, dateCol, layout string, amount func(rec []string, col map[string]int) float64) []float64 {
	t.Helper()
	recs := shareddata.CSV(t, name)
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	totals := map[int]float64{}
	first, last := math.MaxInt, math.MinInt
	for _, rec := range recs[1:] {
		date := strings.Fields(rec[col[dateCol]])[0]
		d, err := time.Parse(layout, date)
		if err != nil {
			t.Fatal(err)
		}
		m := d.Year()*12 + int(d.Month()) - 1
		totals[m] += amount(rec, col)
		first, last = min(first, m), max(last, m)
	}
	y := make([]float64, last-first+1)
	for i := range y {
		y[i] = totals[first+i]
	}
	return y
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRealSeriesBacktest forecasts the monthly revenue of the Superstore
// sample (48 months) and of the UCI Online Retail sample (13 months, so
// non-seasonal models against the naive baseline) and checks that the
// method chosen is consistent with its backtest.
func TestRealSeriesBacktest(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range []struct {
		name     string
		y        func(t *testing.T) []float64
		fixture  string // series of the reference fixture it must equal
		baseline Method
	}{
		{"superstore", func(t *testing.T) []float64 {
			// cp1252 only matters in text columns; dates and sales are ASCII.
			return monthlyTotals(t, "sample_superstore_cp1252.csv", "Order Date", "1/2/2006",
				func(rec []string, col map[string]int) float64 { return number(t, rec[col["Sales"]]) })
		}, "superstore", MethodSeasonalNaive},
		{"online retail", func(t *testing.T) []float64 {
			return monthlyTotals(t, "uci_online_retail_random_sample_2709.csv", "InvoiceDate", "1/2/2006",
				func(rec []string, col map[string]int) float64 {
					return number(t, rec[col["Quantity"]]) * number(t, rec[col["UnitPrice"]])
				})
		}, "", MethodNaive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := tc.y(t)
			for _, s := range ref.Series {
				if s.Name != tc.fixture {
					continue
				}
				if len(s.Y) != len(y) {
					t.Fatalf("%d months, the fixture has %d", len(y), len(s.Y))
				}
				for i := range y {
					if math.Abs(y[i]-s.Y[i]) > 0.01 {
						t.Errorf("month %d: %.2f, the fixture has %.2f", i, y[i], s.Y[i])
					}
				}
			}
			res, err := Forecast(context.Background(), y, Options{Horizon: MaxHorizon})
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, res.Points, MaxHorizon)
			if res.Baseline != tc.baseline || len(res.Backtest) < 2 || res.Backtest[0].Method != tc.baseline {
				t.Fatalf("baseline %s, backtest %+v", res.Baseline, res.Backtest)
			}
			base := res.Backtest[0].MASE
			for _, s := range res.Backtest {
				t.Logf("%-28s MASE %.3f  sMAPE %5.1f%%  origins %d", s.Model, s.MASE, s.SMAPE, s.Origins)
				switch {
				case res.FellBack && s.MASE < base:
					t.Errorf("fell back although %s beats the baseline", s.Model)
				case !res.FellBack && s.Method != res.Method && s.MASE < scoreOf(res).MASE:
					t.Errorf("%s beats the chosen %s", s.Model, res.Model)
				}
			}
			if !res.FellBack && scoreOf(res).MASE >= base {
				t.Errorf("chose %s without beating the baseline", res.Model)
			}
			t.Logf("chose %s: %s", res.Model, res.Reason)
		})
	}
}

// scoreOf returns the backtest score of the chosen method.
func scoreOf(res *Result) Score {
	for _, s := range res.Backtest {
		if s.Method == res.Method {
			return s
		}
	}
	return Score{MASE: math.Inf(1)}
}
