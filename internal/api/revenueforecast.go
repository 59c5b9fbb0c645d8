package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/forecast"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/period"
)

// RevenueForecast is the body of GET /v1/forecast: a segment's monthly
// revenue so far and forecast for the next months, with 80% and 95%
// prediction intervals, the method chosen and the rolling-origin backtest
// that chose it (see package forecast).
type RevenueForecast struct {
	Dimension string `json:"dimension"`
	// Value is the segment forecast; null for every value together.
	Value    *string         `json:"value"`
	History  []MonthRevenue  `json:"history"`
	Points   []ForecastPoint `json:"points"`
	Method   string          `json:"method"`
	Model    string          `json:"model"`
	Baseline string          `json:"baseline"`
	FellBack bool            `json:"fell_back"`
	Reason   string          `json:"reason"`
	Backtest []BacktestScore `json:"backtest"`
	Notes    []string        `json:"notes"`
}

// MonthRevenue is one month's exact revenue.
type MonthRevenue struct {
	Period  string `json:"period"`
	Revenue string `json:"revenue"`
}

// ForecastPoint is one forecast month: the point forecast and its 80% and
// 95% prediction intervals.
type ForecastPoint struct {
	Period  string           `json:"period"`
	Revenue analytics.Amount `json:"revenue"`
	Lo80    analytics.Amount `json:"lo80"`
	Hi80    analytics.Amount `json:"hi80"`
	Lo95    analytics.Amount `json:"lo95"`
	Hi95    analytics.Amount `json:"hi95"`
}

// BacktestScore is a method's rolling-origin backtest: MASE (below 1
// beats the in-sample seasonal naive error) and sMAPE in percent.
type BacktestScore struct {
	Method  string          `json:"method"`
	Model   string          `json:"model"`
	MASE    analytics.Ratio `json:"mase"`
	SMAPE   analytics.Ratio `json:"smape"`
	Origins int             `json:"origins"`
}

func forecastParams() []string { return []string{"dimension", "value", "value2", "horizon", "to"} }

// revenueForecast answers GET /v1/forecast.
func (s *Service) revenueForecast(ctx context.Context, q query) (*RevenueForecast, error) {
	if _, ok := q["dimension"]; !ok {
		q = withDefault(q, "dimension", string(dimension.Total))
	}
	d, err := parseDims(q)
	if err != nil {
		return nil, err
	}
	values, _, err := parseValues(q, d)
	if err != nil {
		return nil, err
	}
	h, err := parseInt(q, "horizon", 12, 1, forecast.MaxHorizon)
	if err != nil {
		return nil, err
	}
	wq := query{"grain": "month"}
	if to := q["to"]; to != "" {
		wq["to"] = to
	}
	w, err := s.parseWindow(wq, false, period.Month, d)
	if err != nil {
		return nil, err
	}
	rows, err := s.load(ctx, d, w)
	if err != nil {
		return nil, err
	}
	var only string
	if values != nil {
		only = d.join(values)
	}
	byMonth := map[period.YearMonth]decimal.Decimal{}
	// Every dimension's rows cover every line (lines without a value
	// are the unassigned row), so the rows of all values give the
	// data's last month, whichever value is forecast.
	var last period.YearMonth
	for _, r := range rows {
		m := r.day.YearMonth()
		last = max(last, m)
		if values != nil && r.Value != only {
			continue
		}
		if byMonth[m], err = money.Add(byMonth[m], r.Measures.Revenue); err != nil {
			return nil, fmt.Errorf("forecast month %s: %w", m, err)
		}
	}
	out := &RevenueForecast{Dimension: strings.Join(d.names(), ","), History: []MonthRevenue{}, Points: []ForecastPoint{},
		Backtest: []BacktestScore{}, Notes: []string{}}
	if values != nil {
		v := strings.Join(values, " × ")
		out.Value = &v
	}
	if len(byMonth) == 0 {
		return nil, &Error{Status: http.StatusNotFound, Detail: "No revenue for this selection yet, so there is nothing to forecast."}
	}
	// The history runs to the data's last month (or the month asked
	// for, if earlier), not the value's.
	var lastDay period.Date
	if q["to"] != "" {
		last = min(last, w.r.To.YearMonth())
	} else if lastDay, err = s.lastDay(ctx, last); err != nil {
		return nil, err
	}
	hist := forecast.NewHistory(byMonth, last, lastDay)
	if hist.Note != "" {
		out.Notes = append(out.Notes, hist.Note)
	}
	for i, rev := range hist.Revenue {
		out.History = append(out.History, MonthRevenue{Period: (hist.Start + period.YearMonth(i)).String(), Revenue: rev.String()})
	}
	y := hist.Values()
	res, err := forecast.Forecast(ctx, y, forecast.Options{Horizon: h})
	if err != nil {
		if errors.Is(err, forecast.ErrTooShort) {
			return nil, &Error{Status: http.StatusUnprocessableEntity, Detail: fmt.Sprintf("Only %d months of revenue: too few to forecast.", len(y))}
		}
		return nil, err
	}
	out.Method, out.Model, out.Baseline, out.FellBack, out.Reason = string(res.Method), res.Model, string(res.Baseline), res.FellBack, res.Reason
	out.Notes = append(out.Notes, res.Notes...)
	for _, p := range res.Points {
		out.Points = append(out.Points, ForecastPoint{Period: (hist.End() + period.YearMonth(p.Step)).String(), Revenue: analytics.Amount(p.Mean),
			Lo80: analytics.Amount(p.Lo80), Hi80: analytics.Amount(p.Hi80), Lo95: analytics.Amount(p.Lo95), Hi95: analytics.Amount(p.Hi95)})
	}
	for _, b := range res.Backtest {
		out.Backtest = append(out.Backtest, BacktestScore{Method: string(b.Method), Model: b.Model, MASE: analytics.Ratio(b.MASE),
			SMAPE: analytics.Ratio(b.SMAPE), Origins: b.Origins})
	}
	return out, nil
}

// lastDay returns the last day with data in month m, from the total's day
// data; the zero Date when there is none.
func (s *Service) lastDay(ctx context.Context, m period.YearMonth) (period.Date, error) {
	label := m.String()
	w, err := s.parseWindow(query{"from": label, "to": label, "grain": "day"}, true, period.Day, dims{list: []dimension.Dimension{dimension.Total}, stored: dimension.Total})
	if err != nil {
		return 0, err
	}
	rows, err := s.load(ctx, dims{list: []dimension.Dimension{dimension.Total}, stored: dimension.Total}, w, w.r)
	if err != nil {
		return 0, err
	}
	var last period.Date
	for _, r := range rows {
		if r.Measures != (aggregate.Measures{}) && r.day > last {
			last = r.day
		}
	}
	return last, nil
}
