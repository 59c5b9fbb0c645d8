// Package ingest turns a sales file into the aggregate delta it contributes:
// it streams the file, detects its compression, encoding, delimiter and
// date format, maps its columns to canonical fields, validates every row
// and sums the valid ones per dimension value and period.
//
// Every row is either counted or rejected with its line, column and reason;
// a file that cannot be read at all yields an error wrapping ErrUnreadable
// (or a *HeaderError) and no delta.
package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/segment"
)

var (
	// ErrUnreadable means the file as a whole cannot be parsed: binary,
	// broken compression, malformed quoting or no rows.
	ErrUnreadable = errors.New("file cannot be read")
	// ErrMissingColumn means no column maps to a required field.
	ErrMissingColumn = errors.New("required column missing")
	// ErrDuplicateHeader means two columns have the same name.
	ErrDuplicateHeader = errors.New("duplicate column name")
	// ErrMissingValue is the reject reason for an empty required field.
	ErrMissingValue = errors.New("missing value")
)

// HeaderError reports a header row that cannot be mapped.
type HeaderError struct {
	Column string // the header, or the canonical field that is missing
	Other  string // for duplicates, the earlier column of the same name
	Err    error  // ErrMissingColumn or ErrDuplicateHeader
}

func (e *HeaderError) Error() string {
	if e.Other != "" {
		return fmt.Sprintf("header: column %q: %v (same as %q)", e.Column, e.Err, e.Other)
	}
	return fmt.Sprintf("header: %v: %s", e.Err, e.Column)
}

func (e *HeaderError) Unwrap() error { return e.Err }

// RowError is why one row was rejected. Line is the 1-based line of the file
// the row starts on (the header is line 1); Column is the header of the
// offending column.
type RowError struct {
	Line   int
	Column string
	Value  string
	Err    error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("line %d, column %q: %v: %q", e.Line, e.Column, e.Err, e.Value)
}

func (e *RowError) Unwrap() error { return e.Err }

// Format is what was detected about a file, reported in its upload status.
type Format struct {
	Compression string            `json:"compression,omitempty"`
	Encoding    string            `json:"encoding"`
	Delimiter   string            `json:"delimiter"`
	DateFormat  string            `json:"date_format"`
	Columns     map[string]string `json:"columns"`
}

// Result is what a parsed file contributes.
type Result struct {
	Delta    aggregate.Delta
	Rows     int64 // data rows read
	Accepted int64
	Rejected int64
	Format   Format
}

// maxFieldBytes bounds one field: longer values are rejected rather than
// carried into keys or reject files.
const maxFieldBytes = 1 << 20

// RejectWriter receives every rejected row as it is found, so rejects never
// accumulate in memory.
type RejectWriter interface {
	Reject(*RowError) error
}

// Parse reads a whole sales file from r and returns its delta. name is only
// used in error messages. rejects receives each rejected row.
func Parse(r io.Reader, name string, rejects RejectWriter) (*Result, error) {
	res := &Result{Delta: aggregate.Delta{}}
	text, err := decodeStream(r, &res.Format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	br := bufio.NewReaderSize(text, sniffSize)
	head, _ := br.Peek(sniffSize)
	delim := sniffDelimiter(head)
	res.Format.Delimiter = string(delim)

	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: %w: empty file", name, ErrUnreadable)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrUnreadable, err)
	}
	cm, err := mapHeader(header)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res.Format.Columns = cm.describe()

	acc := newAccumulator(cm, delim == ';')
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrUnreadable, err)
		}
		res.Rows++
		line, _ := cr.FieldPos(0)
		if rowErr := acc.add(rec, line); rowErr != nil {
			res.Rejected++
			if err := rejects.Reject(rowErr); err != nil {
				return nil, fmt.Errorf("%s: write reject: %w", name, err)
			}
			continue
		}
		res.Accepted++
	}
	if res.Rows == 0 {
		return nil, fmt.Errorf("%s: %w: header but no data rows", name, ErrUnreadable)
	}
	if err := acc.flush(res.Delta); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res.Format.DateFormat = acc.dates.describe()
	return res, nil
}

// dayKey is an aggregate at the file's finest grain, before the date
// column's day/month order is known.
type dayKey struct {
	date  rawDate
	dim   segment.Dimension
	value string
}

type dayAgg struct {
	m      aggregate.Measures
	orders map[uint64]struct{}
}

// accumulator sums valid rows per day and dimension value. Days stay raw
// until flush because a later row may be the first to reveal whether the
// column writes day or month first.
type accumulator struct {
	cm           columnMap
	decimalComma bool
	dates        *dateColumn
	days         map[dayKey]*dayAgg
	seed         maphash.Seed
}

func newAccumulator(cm columnMap, decimalComma bool) *accumulator {
	return &accumulator{cm: cm, decimalComma: decimalComma, dates: newDateColumn(),
		days: map[dayKey]*dayAgg{}, seed: maphash.MakeSeed()}
}

func (a *accumulator) cell(rec []string, f field) (string, bool) {
	i, ok := a.cm.fields[f]
	if !ok || i >= len(rec) {
		return "", false
	}
	return rec[i], true
}

func (a *accumulator) rowErr(line int, f field, value string, err error) *RowError {
	col := string(f)
	if i, ok := a.cm.fields[f]; ok {
		col = a.cm.header[i]
	}
	if len(value) > 200 {
		value = value[:200] + "…"
	}
	return &RowError{Line: line, Column: col, Value: value, Err: err}
}

// add validates one record and, if valid, adds it to the day aggregates.
func (a *accumulator) add(rec []string, line int) *RowError {
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		return &RowError{Line: line, Column: "", Err: ErrMissingValue}
	}
	for i, v := range rec {
		if len(v) > maxFieldBytes {
			return &RowError{Line: line, Column: a.cm.header[min(i, len(a.cm.header)-1)], Value: v[:64], Err: fmt.Errorf("field longer than %d bytes", maxFieldBytes)}
		}
	}
	ds, ok := a.cell(rec, fieldDate)
	if !ok || strings.TrimSpace(ds) == "" {
		return a.rowErr(line, fieldDate, ds, ErrMissingValue)
	}
	date, err := a.dates.parse(ds)
	if err != nil {
		return a.rowErr(line, fieldDate, ds, err)
	}
	var m aggregate.Measures
	m.Lines = 1
	if s, ok := a.cell(rec, fieldAmount); ok {
		if m.Revenue, err = parseAmount(s, a.decimalComma); err != nil {
			return a.rowErr(line, fieldAmount, s, err)
		}
	}
	if s, ok := a.cell(rec, fieldQuantity); ok && strings.TrimSpace(s) != "" {
		if m.Units, err = parseAmount(s, a.decimalComma); err != nil {
			return a.rowErr(line, fieldQuantity, s, err)
		}
	}
	if _, ok := a.cm.fields[fieldAmount]; !ok {
		s, _ := a.cell(rec, fieldUnitPrice)
		price, err := parseAmount(s, a.decimalComma)
		if err != nil {
			return a.rowErr(line, fieldUnitPrice, s, err)
		}
		if m.Revenue, err = m.Units.Mul(price); err != nil {
			return a.rowErr(line, fieldUnitPrice, s, aggregate.ErrOverflow)
		}
	}
	if s, ok := a.cell(rec, fieldCost); ok && strings.TrimSpace(s) != "" {
		if m.Cost, err = parseAmount(s, a.decimalComma); err != nil {
			return a.rowErr(line, fieldCost, s, err)
		}
		m.CostLines = 1
	} else if s, ok := a.cell(rec, fieldProfit); ok && strings.TrimSpace(s) != "" {
		profit, err := parseAmount(s, a.decimalComma)
		if err != nil {
			return a.rowErr(line, fieldProfit, s, err)
		}
		if m.Cost, err = aggregate.Sum(m.Revenue, profit.Neg()); err != nil {
			return a.rowErr(line, fieldProfit, s, err)
		}
		m.CostLines = 1
	}
	order, _ := a.cell(rec, fieldOrder)
	order = strings.TrimSpace(order)
	if err := a.addDims(date, rec, m, order); err != nil {
		return &RowError{Line: line, Column: "", Err: err}
	}
	return nil
}

func (a *accumulator) addDims(date rawDate, rec []string, m aggregate.Measures, order string) error {
	var orderHash uint64
	if order != "" {
		orderHash = maphash.String(a.seed, order)
	}
	put := func(d segment.Dimension, v string) error {
		k := dayKey{date: date, dim: d, value: v}
		agg, ok := a.days[k]
		if !ok {
			agg = &dayAgg{orders: map[uint64]struct{}{}}
			a.days[k] = agg
		}
		if err := agg.m.Add(m); err != nil {
			return err
		}
		if order != "" {
			agg.orders[orderHash] = struct{}{}
		}
		return nil
	}
	if err := put(segment.Total, segment.TotalValue); err != nil {
		return err
	}
	for d, i := range a.cm.dims {
		v := ""
		if i < len(rec) {
			v = strings.TrimSpace(rec[i])
		}
		if v == "" {
			v = segment.Blank
		}
		if err := put(d, v); err != nil {
			return err
		}
	}
	return nil
}

// flush resolves every day and rolls days up into day and month keys.
// Orders are counted per day; an order's lines share its date, so month
// counts are sums of day counts.
func (a *accumulator) flush(delta aggregate.Delta) error {
	for k, agg := range a.days {
		y, mo, d := a.dates.resolve(k.date)
		m := agg.m
		m.Orders = int64(len(agg.orders))
		if err := delta.Add(aggregate.Key{Dim: k.dim, Value: k.value, Grain: aggregate.Day, Period: formatDay(y, mo, d)}, m); err != nil {
			return err
		}
		if err := delta.Add(aggregate.Key{Dim: k.dim, Value: k.value, Grain: aggregate.Month, Period: formatMonth(y, mo)}, m); err != nil {
			return err
		}
	}
	return nil
}
