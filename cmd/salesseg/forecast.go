package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
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
	Files     []string         `json:"files"`
	Dimension string           `json:"dimension"`
	Value     *string          `json:"value"`
	Start     string           `json:"start"`
	History   []string         `json:"history"`
	Forecast  *forecast.Result `json:"forecast"`
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
	for _, name := range fs.Args() {
		if err := monthlyRevenue(name, opt, d, *value, byMonth); err != nil {
			return err
		}
	}
	if len(byMonth) == 0 {
		return fmt.Errorf("no revenue for %s %q in %v", d, *value, fs.Args())
	}
	months := slices.Sorted(func(yield func(period.YearMonth) bool) {
		for m := range byMonth {
			if !yield(m) {
				return
			}
		}
	})
	first := months[0]
	if last == 0 {
		last = months[len(months)-1]
	}
	rep := forecastReport{Files: fs.Args(), Dimension: string(d), Start: first.String(), History: []string{}}
	if *value != "" {
		rep.Value = value
	}
	var y []float64
	for m := first; m <= last; m++ {
		rev := byMonth[m]
		rep.History = append(rep.History, rev.String())
		f, _ := rev.Float64()
		y = append(y, f)
	}
	if rep.Forecast, err = forecast.Forecast(ctx, y, forecast.Options{Horizon: *horizon}); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// monthlyRevenue adds the month revenue of value (every value when "") of
// dimension d in one file to byMonth; rejects go to stderr.
func monthlyRevenue(name string, opt parser.Options, d dimension.Dimension, value string, byMonth map[period.YearMonth]decimal.Decimal) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	res, err := parser.ParseWith(f, name, rejects, opt)
	if err != nil {
		return err
	}
	if err := rejects.Flush(); err != nil {
		return err
	}
	for k, m := range res.Delta {
		if k.Dim != d || k.Grain != aggregate.Month || (value != "" && k.Value != value) {
			continue
		}
		day, err := period.ParseDate(k.Period + "-01")
		if err != nil {
			return fmt.Errorf("%s: month %q: %w", name, k.Period, err)
		}
		ym := day.YearMonth()
		sum := aggregate.Measures{Revenue: byMonth[ym]}
		if err := sum.Add(aggregate.Measures{Revenue: m.Revenue}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		byMonth[ym] = sum.Revenue
	}
	return nil
}
