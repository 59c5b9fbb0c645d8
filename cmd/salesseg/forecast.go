package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/forecast"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
)

// forecastReport is what `salesseg forecast` prints: the monthly history
// it forecast from and package forecast's result.
type forecastReport struct {
	Files     []string `json:"files"`
	Dimension string   `json:"dimension"`
	Value     *string  `json:"value"`
	Start     string   `json:"start"`
	History   []string `json:"history"`
	// Note says why the last month was left out, if it was.
	Note     string           `json:"note,omitempty"`
	Forecast *forecast.Result `json:"forecast"`
}

// runForecast forecasts the monthly revenue of local sales files, of one
// dimension value or of everything, as GET /v1/forecast does.
func runForecast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("forecast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mapping := fs.String("mapping", "", "a mapping file (JSON, as config/mapping.json in the bucket) applied to every FILE")
	dimName := fs.String("dimension", "total", "dimension of -value")
	value := fs.String("value", "", "the value to forecast (default: everything)")
	horizon := fs.Int("horizon", 12, "months to forecast, 1 to 12")
	to := fs.String("to", "", "last month of history, YYYY-MM (default: the last month with data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("forecast needs at least one FILE")
	}
	d, err := dimension.Parse(*dimName)
	if err != nil {
		return fmt.Errorf("-dimension: %w", err)
	}
	var last period.YearMonth
	if *to != "" {
		t, err := time.Parse("2006-01", *to)
		if err != nil {
			return fmt.Errorf("-to %q: use YYYY-MM", *to)
		}
		last = period.NewYearMonth(t.Year(), t.Month())
	}
	opt, err := mappingOptions(*mapping)
	if err != nil {
		return err
	}
	byMonth := map[period.YearMonth]decimal.Decimal{}
	var lastDay period.Date // the data's, over every value
	for _, name := range fs.Args() {
		end, err := monthlyRevenue(name, opt, d, *value, byMonth)
		if err != nil {
			return err
		}
		lastDay = max(lastDay, end)
	}
	if len(byMonth) == 0 {
		return fmt.Errorf("no revenue for %s %q in %v", d, *value, fs.Args())
	}
	// As GET /v1/forecast: to the data's last month (or -to, if
	// earlier), leaving out a last month the data stops early in.
	end := lastDay.YearMonth()
	if *to != "" {
		end, lastDay = min(end, last), 0
	}
	hist := forecast.NewHistory(byMonth, end, lastDay)
	rep := forecastReport{Files: fs.Args(), Dimension: string(d), Start: hist.Start.String(), History: []string{}, Note: hist.Note}
	if *value != "" {
		rep.Value = value
	}
	for _, rev := range hist.Revenue {
		rep.History = append(rep.History, rev.String())
	}
	y := hist.Values()
	if rep.Forecast, err = forecast.Forecast(ctx, y, forecast.Options{Horizon: *horizon}); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// monthlyRevenue adds the month revenue of value (every value when "") of
// dimension d in one file to byMonth and returns the file's last day with
// sales of any value; rejects go to stderr.
func monthlyRevenue(name string, opt parser.Options, d dimension.Dimension, value string, byMonth map[period.YearMonth]decimal.Decimal) (period.Date, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	res, err := parser.ParseWith(f, name, rejects, opt)
	if err != nil {
		return 0, err
	}
	defer res.Close()
	if err := rejects.Flush(); err != nil {
		return 0, err
	}
	var last period.Date
	for k, m := range res.Delta {
		if k.Dim == dimension.Total && k.Grain == aggregate.Day && *m != (aggregate.Measures{}) {
			day, err := period.ParseDate(k.Period)
			if err != nil {
				return 0, fmt.Errorf("%s: day %q: %w", name, k.Period, err)
			}
			last = max(last, day)
		}
		if k.Dim != d || k.Grain != aggregate.Month || (value != "" && k.Value != value) {
			continue
		}
		day, err := period.ParseDate(k.Period + "-01")
		if err != nil {
			return 0, fmt.Errorf("%s: month %q: %w", name, k.Period, err)
		}
		ym := day.YearMonth()
		sum := aggregate.Measures{Revenue: byMonth[ym]}
		if err := sum.Add(aggregate.Measures{Revenue: m.Revenue}); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		byMonth[ym] = sum.Revenue
	}
	return last, nil
}
