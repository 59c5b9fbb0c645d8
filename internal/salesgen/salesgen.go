// Package salesgen writes synthetic sales exports of a chosen shape (order
// lines, customers, days, values per dimension) for benchmarks that need
// realistic files of a known size, and can split one export into many
// files by date as periodic exports would arrive.
//
// Output is deterministic for a shape and its seed: the same rows in the
// same order, however the export is split. Rows come in date order, each
// order of one to four lines on one day for one customer. Segment,
// industry, size, country and region are customer attributes (a country
// always lies in the same region); category and channel vary by line.
// Customers are drawn with a skew, so that a few buy often and most
// rarely, as in real customer bases.
package salesgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// ErrShape means a shape cannot be generated: a count is negative, or
// there are rows without customers or days.
var ErrShape = errors.New("invalid sales shape")

// Shape is what to generate. A dimension with zero values has no column.
type Shape struct {
	Rows      int       // order lines
	Customers int       // customer ids to draw from
	From      time.Time // first day; only its date counts
	Days      int       // consecutive days the rows spread evenly over
	// Values per dimension. Segments, Industries, Sizes, Countries and
	// Regions are customer attributes, Categories and Channels line ones.
	Segments, Industries, Sizes, Regions, Countries, Categories, Channels int

	// Seed picks the rows: one shape and seed, one export.
	Seed uint64
}

// Row is one generated order line.
type Row struct {
	Day      time.Time
	DayIndex int // days since Shape.From
	Order    int
	Customer int
	// Values in the order of Shape's dimension fields; "" where the shape
	// has no such column.
	Segment, Industry, Size, Region, Country, Category, Channel string
	SalesCents, ProfitCents                                     int64
	Quantity                                                    int
}

func (s Shape) check() error {
	for _, n := range []int{s.Rows, s.Customers, s.Days, s.Segments, s.Industries, s.Sizes, s.Regions, s.Countries, s.Categories, s.Channels} {
		if n < 0 {
			return fmt.Errorf("%w: negative count in %+v", ErrShape, s)
		}
	}
	if s.Rows > 0 && (s.Customers == 0 || s.Days == 0) {
		return fmt.Errorf("%w: %d rows need customers and days (%d, %d)", ErrShape, s.Rows, s.Customers, s.Days)
	}
	return nil
}

// columns are the optional dimension columns: header, value count, the
// value's prefix, and where a row keeps it.
func (s Shape) columns() []column {
	all := []column{
		{"Segment", s.Segments, "Segment", func(r *Row) *string { return &r.Segment }},
		{"Industry", s.Industries, "Industry", func(r *Row) *string { return &r.Industry }},
		{"Company Size", s.Sizes, "Size", func(r *Row) *string { return &r.Size }},
		{"Region", s.Regions, "Region", func(r *Row) *string { return &r.Region }},
		{"Country", s.Countries, "Country", func(r *Row) *string { return &r.Country }},
		{"Category", s.Categories, "Category", func(r *Row) *string { return &r.Category }},
		{"Channel", s.Channels, "Channel", func(r *Row) *string { return &r.Channel }},
	}
	var out []column
	for _, c := range all {
		if c.n > 0 {
			out = append(out, c)
		}
	}
	return out
}

type column struct {
	header string
	n      int
	prefix string
	field  func(*Row) *string
}

// names returns a dimension's value names, numbered from 1 with as many
// digits as the count needs, so they sort in number order.
func names(prefix string, n int) []string {
	width := len(strconv.Itoa(n))
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %0*d", prefix, width, i+1)
	}
	return out
}

// Each calls fn with every row, in date order, and stops at fn's first
// error, which it returns.
func (s Shape) Each(fn func(Row) error) error {
	if err := s.check(); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(s.Seed, 0x5a1e5))
	segs, inds, sizes := names("Segment", s.Segments), names("Industry", s.Industries), names("Size", s.Sizes)
	regions, countries := names("Region", s.Regions), names("Country", s.Countries)
	cats, chans := names("Category", s.Categories), names("Channel", s.Channels)
	pick := func(vals []string, h uint64) string {
		if len(vals) == 0 {
			return ""
		}
		return vals[h%uint64(len(vals))]
	}
	from := time.Date(s.From.Year(), s.From.Month(), s.From.Day(), 0, 0, 0, 0, time.UTC)
	var row Row
	left := 0 // lines left in the current order
	for i := range s.Rows {
		day := int(int64(i) * int64(s.Days) / int64(s.Rows))
		if left == 0 || day != row.DayIndex {
			row.Order++
			left = 1 + r.IntN(4)
			// u² puts most purchases on the first customers.
			u := r.Float64()
			c := min(int(u*u*float64(s.Customers)), s.Customers-1)
			// Attributes hash the customer id, so a customer keeps them.
			h := uint64(c+1) * 0x9e3779b97f4a7c15
			row.Customer = c
			row.Segment, row.Industry, row.Size = pick(segs, h>>7), pick(inds, h>>17), pick(sizes, h>>27)
			ci := h >> 37
			row.Country = pick(countries, ci)
			if s.Countries > 0 && s.Regions > 0 {
				row.Region = regions[int(ci%uint64(s.Countries))%s.Regions]
			} else {
				row.Region = pick(regions, h>>47)
			}
		}
		left--
		row.DayIndex = day
		row.Day = from.AddDate(0, 0, day)
		row.Category, row.Channel = pick(cats, r.Uint64()), pick(chans, r.Uint64())
		row.Quantity = 1 + r.IntN(9)
		row.SalesCents = int64(row.Quantity) * int64(500+r.IntN(50000))
		row.ProfitCents = row.SalesCents * int64(r.IntN(60)-15) / 100
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

// header returns the CSV header line.
func (s Shape) header() []byte {
	b := []byte("Order Date,Order ID,Customer ID")
	for _, c := range s.columns() {
		b = append(b, ',')
		b = append(b, c.header...)
	}
	return append(b, ",Sales,Quantity,Profit\n"...)
}

// appendCSV appends r as a CSV line of the shape's columns.
func (s Shape) appendCSV(b []byte, cols []column, r *Row) []byte {
	b = r.Day.AppendFormat(b, "2006-01-02")
	b = append(b, ",O-"...)
	b = strconv.AppendInt(b, int64(r.Order), 10)
	b = append(b, ",C-"...)
	b = strconv.AppendInt(b, int64(r.Customer+1), 10)
	for _, c := range cols {
		b = append(b, ',')
		b = append(b, *c.field(r)...)
	}
	b = append(b, ',')
	b = appendCents(b, r.SalesCents)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Quantity), 10)
	b = append(b, ',')
	return append(appendCents(b, r.ProfitCents), '\n')
}

// appendCents appends an amount in cents as a decimal with two places.
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	b = append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
	return b
}

// WriteCSV writes the whole export as one CSV file with a header line.
// It returns the first write error.
func (s Shape) WriteCSV(w io.Writer) error {
	if _, err := w.Write(s.header()); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	cols := s.columns()
	var line []byte
	return s.Each(func(r Row) error {
		line = s.appendCSV(line[:0], cols, &r)
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write row: %w", err)
		}
		return nil
	})
}

// Wide returns a high-cardinality export of about size bytes: six years
// of daily dates (2019–2024), 250,000 customers (about 100,000 of whom
// buy in 40 MB, most of them in 100 MB), and seven dimensions: 5
// segments, 12 industries, 5 sizes, 6 regions, 40 countries, 20
// categories and 5 channels. The ingest and store benchmarks share it.
func Wide(size int64) (Shape, error) {
	return Shape{Customers: 250_000, From: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), Days: 2192,
		Segments: 5, Industries: 12, Sizes: 5, Regions: 6, Countries: 40, Categories: 20, Channels: 5, Seed: 7}.SizedTo(size)
}

// SizedTo returns the shape with Rows set so that WriteCSV writes about
// size bytes, estimated from a sample of the shape's rows.
func (s Shape) SizedTo(size int64) (Shape, error) {
	sample := s
	sample.Rows = 10_000
	sample.Days = max(s.Days, 1)
	sample.Customers = max(s.Customers, 1)
	var n countingWriter
	if err := sample.WriteCSV(&n); err != nil {
		return s, err
	}
	perRow := float64(int64(n)-int64(len(s.header()))) / float64(sample.Rows)
	s.Rows = max(1, int(float64(size-int64(len(s.header())))/perRow))
	return s, nil
}

// countingWriter counts the bytes written to it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// Split returns the export as n CSV files, each with a header line, file
// k holding the rows of days [k×Days/n, (k+1)×Days/n): with n = Days, one
// file a day. It fails with ErrShape unless 1 ≤ n ≤ Days.
func (s Shape) Split(n int) ([][]byte, error) {
	if n < 1 || n > max(s.Days, 1) {
		return nil, fmt.Errorf("%w: %d files for %d days", ErrShape, n, s.Days)
	}
	files := make([]bytes.Buffer, n)
	for i := range files {
		files[i].Write(s.header())
	}
	cols := s.columns()
	var line []byte
	err := s.Each(func(r Row) error {
		// The file whose day range holds the row's day.
		k := r.DayIndex * n / s.Days
		for k > 0 && k*s.Days/n > r.DayIndex {
			k--
		}
		for k+1 < n && (k+1)*s.Days/n <= r.DayIndex {
			k++
		}
		line = s.appendCSV(line[:0], cols, &r)
		files[k].Write(line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for i := range files {
		out[i] = files[i].Bytes()
	}
	return out, nil
}
