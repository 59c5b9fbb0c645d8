package parser

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/tabular"
)

// xlsxBytes builds a workbook with one sheet per entry of sheets (in order
// of names), each row written with SetSheetRow from row 1 (nil rows are
// left empty).
func xlsxBytes(t testing.TB, names []string, sheets map[string][][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			if row == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
			for c, v := range row {
				if _, ok := v.(time.Time); ok {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					if err := f.SetCellStyle(name, cell, cell, dateStyle); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// plainReader hides ReaderAt and Size, as an S3 body does.
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestXLSX(t *testing.T) {
	book := xlsxBytes(t, []string{"Orders", "Other"}, map[string][][]any{
		"Orders": {
			{"Order Date", "Order ID", "Customer ID", "Segment", "Sales", "Quantity"},
			{day(2024, 3, 31), "O1", "C1", "Consumer", 261.96, 2},
			{day(2024, 3, 31), "O1", "C1", "Consumer", 0.1 + 0.2, 1},
			nil, // an empty row
			{"2024-04-02", "O2", "C2", "Corporate", "1,234.50", 3},
			{"2024-04-02", "O2", "C2", "Corporate", 0},
			{day(2024, 4, 3), "O3", "C2", "Corporate", "abc", 1},
		},
		"Other": {{"Date", "Amount"}, {"2024-01-01", 5}},
	})
	for _, c := range []struct {
		name string
		r    io.Reader
	}{{"in memory", bytes.NewReader(book)}, {"stream", plainReader{bytes.NewReader(book)}}, {"gzip", bytes.NewReader(gz(t, book))}} {
		t.Run(c.name, func(t *testing.T) {
			var rej rejectList
			res, err := Parse(c.r, "book.xlsx", &rej)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, res, rej)
			if res.Format.Kind != "xlsx" || res.Format.Sheet != "Orders" || res.Rows != 5 || res.Accepted != 4 {
				t.Fatalf("format %+v rows %d accepted %d", res.Format, res.Rows, res.Accepted)
			}
			if len(rej) != 1 || rej[0].Line != 7 || !errors.Is(rej[0].Err, notation.ErrBadAmount) {
				t.Fatalf("rejects %v", rej)
			}
			if got := revenueBy(res, dimension.Segment); !maps.Equal(got, map[string]string{"Consumer": "262.26", "Corporate": "1234.50"}) {
				t.Fatalf("by segment %v", got)
			}
			k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Day, Period: "2024-03-31"}
			if m := res.Delta[k]; m == nil || m.Orders != 1 || m.Units.String() != "3" {
				t.Fatalf("2024-03-31 %+v", m)
			}
		})
	}
	res, err := ParseWith(bytes.NewReader(book), "book.xlsx", discardRejects{}, Options{Read: tabular.Options{Sheet: "other"}})
	if err != nil || res.Format.Sheet != "Other" || res.Accepted != 1 {
		t.Fatalf("named sheet: %v %+v", err, res)
	}
}

func TestXLSXFromFile(t *testing.T) {
	book := xlsxBytes(t, []string{"S"}, map[string][][]any{"S": {{"Date", "Amount"}, {day(2024, 1, 2), 10.5}}})
	path := filepath.Join(t.TempDir(), "in.bin")
	if err := os.WriteFile(path, book, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f, path, discardRejects{})
	if err != nil || res.Accepted != 1 || revenueBy(res, dimension.Total)[dimension.TotalValue] != "10.5" {
		t.Fatalf("%v %+v", err, res)
	}
}

type pqSale struct {
	Date     int32   `parquet:"order_date,date"`
	Stamp    int64   `parquet:"ts,timestamp(millisecond)"`
	Order    string  `parquet:"order_id"`
	Customer *string `parquet:"customer_id,optional"`
	Segment  string  `parquet:"segment"`
	Sales    int64   `parquet:"sales,decimal(2:18)"`
	Cost     [9]byte `parquet:"cost,decimal(3:20)"`
	Quantity int32   `parquet:"quantity"`
	Profit   float64 `parquet:"profit"`
}

func parquetBytes(t testing.TB, rows any) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch r := rows.(type) {
	case []pqSale:
		err = parquet.Write(&b, r)
	case []pqMixed:
		err = parquet.Write(&b, r)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixedDecimal encodes v as a 9-byte big-endian two's complement.
func fixedDecimal(v int64) [9]byte {
	var b [9]byte
	u := uint64(v)
	for i := 8; i >= 1; i-- {
		b[i] = byte(u)
		u >>= 8
	}
	if v < 0 {
		b[0] = 0xff
	}
	return b
}

func TestParquet(t *testing.T) {
	c1 := "C1"
	days := func(tm time.Time) int32 { return int32(tm.Unix() / 86400) }
	rows := []pqSale{
		{Date: days(day(2024, 3, 31)), Stamp: day(2024, 3, 31).UnixMilli(), Order: "O1", Customer: &c1, Segment: "Consumer",
			Sales: 123456, Cost: fixedDecimal(-1500), Quantity: 2, Profit: 0.1},
		{Date: days(day(2024, 4, 1)), Stamp: day(2024, 4, 1).UnixMilli() + 3600_000, Order: "O2", Segment: "Corporate",
			Sales: -5, Cost: fixedDecimal(7), Quantity: -1, Profit: 0.2},
	}
	data := parquetBytes(t, rows)
	for _, c := range []struct {
		name string
		r    io.Reader
	}{{"reader at", bytes.NewReader(data)}, {"stream", plainReader{bytes.NewReader(data)}}, {"gzip", bytes.NewReader(gz(t, data))}} {
		t.Run(c.name, func(t *testing.T) {
			var rej rejectList
			res, err := Parse(c.r, "sales.parquet", &rej)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, res, rej)
			if res.Format.Kind != "parquet" || res.Accepted != 2 || res.NoCustomer != 1 {
				t.Fatalf("format %+v accepted %d no customer %d rejects %v", res.Format, res.Accepted, res.NoCustomer, rej)
			}
			if got := revenueBy(res, dimension.Segment); !maps.Equal(got, map[string]string{"Consumer": "1234.56", "Corporate": "-0.05"}) {
				t.Fatalf("by segment %v", got)
			}
			k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Day, Period: "2024-03-31"}
			if m := res.Delta[k]; m == nil || m.Cost.String() != "-1.500" || m.Units.String() != "2" {
				t.Fatalf("2024-03-31 %+v", m)
			}
			if res.Format.Returns != 1 {
				t.Fatalf("returns %d", res.Format.Returns)
			}
		})
	}
}

type pqMixed struct {
	When    int64   `parquet:"sold_at,timestamp(microsecond)"`
	Revenue float32 `parquet:"revenue"`
	Region  string  `parquet:"region"`
}

func TestParquetTimestampAndFloat(t *testing.T) {
	data := parquetBytes(t, []pqMixed{
		{When: day(2023, 12, 31).UnixMicro() + 23*3600e6, Revenue: 1.25, Region: "EU"},
		{When: day(1969, 12, 31).UnixMicro(), Revenue: 0.1, Region: "US"},
	})
	res, _ := mustParseBytes(t, data)
	if got := revenueBy(res, dimension.Region); !maps.Equal(got, map[string]string{"EU": "1.25", "US": "0.1"}) {
		t.Fatalf("by region %v", got)
	}
	if _, ok := res.Delta[aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Day, Period: "1969-12-31"}]; !ok {
		t.Fatalf("keys %v", res.Delta.Keys())
	}
}

func mustParseBytes(t *testing.T, data []byte) (*Result, rejectList) {
	t.Helper()
	var rej rejectList
	res, err := Parse(bytes.NewReader(data), "data", &rej)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, res, rej)
	return res, rej
}
