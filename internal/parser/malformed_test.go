package parser

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/tabular"
)

// TestMalformedInput feeds Parse damaged, hostile and odd files. Each case
// either fails as a whole, with the precise error and no result, or parses
// with exactly the expected rows counted and rejected (and why).
func TestMalformedInput(t *testing.T) {
	type want struct {
		err      error  // whole-file error (sentinel); nil when the file parses
		msg      string // substring of the error
		rows     int64
		accepted int64
		reasons  []error // reject reasons, in order
		lines    []int   // reject lines, in order (optional)
	}
	csvRows := func(n int, row string) string {
		return "Order Date,Segment,Sales\n" + strings.Repeat(row+"\n", n)
	}
	// A gzip bomb: a small file that expands at over 1000:1 into "rows"
	// that are nothing but delimiters.
	bomb := func() []byte {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write([]byte("date,amount\n"))
		line := []byte(strings.Repeat(",", 8191) + "\n")
		for range 100 << 20 / len(line) {
			w.Write(line)
		}
		w.Close()
		return b.Bytes()
	}
	good := "Order Date,Segment,Sales\n2024-01-01,A,1\n2024-01-02,B,2\n"
	truncated := gz(t, []byte(strings.Repeat(good, 2000)))
	truncated = truncated[:len(truncated)/2]
	corrupt := gz(t, []byte(strings.Repeat(good, 2000)))
	for i := len(corrupt) / 3; i < len(corrupt)/3+64; i++ {
		corrupt[i] ^= 0x5a
	}
	random := make([]byte, 100000)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	wide := strings.Repeat("c,", 9999) + "date\n" + strings.Repeat("1,", 9999) + "2024-01-01\n"
	bigField := strings.Repeat("x", tabular.MaxFieldBytes+1)
	utf16NoBOM := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	afterSniff := strings.Repeat("2024-01-01,A,1\n", tabular.SniffSize/15+100)
	xlsxHeaderOnly := xlsxBytes(t, []string{"S"}, map[string][][]any{"S": {{"Date", "Amount"}}})
	xlsxEmpty := xlsxBytes(t, []string{"S"}, map[string][][]any{"S": nil})

	cases := []struct {
		name string
		data []byte
		opt  Options
		want want
	}{
		{"empty file", nil, Options{}, want{err: ErrUnreadable, msg: "empty file"}},
		{"only whitespace", []byte("  \r\n\t\n   \n"), Options{}, want{err: ErrUnreadable, msg: "only whitespace"}},
		{"BOM only", []byte("\xef\xbb\xbf"), Options{}, want{err: ErrUnreadable, msg: "empty file"}},
		{"UTF-16 BOM only", []byte("\xff\xfe"), Options{}, want{err: ErrUnreadable, msg: "empty file"}},
		{"header only", []byte("Order Date,Sales\n"), Options{}, want{err: ErrUnreadable, msg: "no data rows"}},
		{"header and blank lines", []byte("Order Date,Sales\n\n,\n  \n"), Options{}, want{err: ErrUnreadable, msg: "no data rows"}},
		{"binary (PNG)", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), Options{}, want{err: ErrUnreadable, msg: "binary content"}},
		{"random bytes", random, Options{}, want{err: ErrUnreadable, msg: "binary content"}},
		{"NUL bytes near the start", []byte("Order Date,Sales\n2024-01-01,1\x00\x00\n"), Options{}, want{err: ErrUnreadable, msg: "NUL byte"}},
		{"NUL bytes mid-file", []byte(csvRows(0, "") + afterSniff + "2024-01-01,A\x00B,1\n2024-01-01,A,1\x00\n"), Options{},
			want{rows: int64(tabular.SniffSize/15+100) + 2, accepted: int64(tabular.SniffSize/15 + 100), reasons: []error{ErrBadText, notation.ErrBadAmount}}},
		{"invalid UTF-8 mid-file", []byte(csvRows(0, "") + afterSniff + "2024-01-01,Caf\xe9,1\n"), Options{},
			want{rows: int64(tabular.SniffSize/15+100) + 1, accepted: int64(tabular.SniffSize/15 + 100), reasons: []error{ErrBadText}}},
		{"wrong delimiter", []byte("Order Date:Sales\n2024-01-01:5\n"), Options{}, want{err: ErrMissingColumn, msg: `date`}},
		{"headerless data", []byte("2024-01-01,5\n2024-01-02,6\n"), Options{}, want{err: ErrNoHeader}},
		{"empty header names", []byte(`"","",""` + "\n2024-01-01,5,x\n"), Options{}, want{err: ErrMissingColumn}},
		{"duplicate headers", []byte("Order Date,Sales,Sales\n2024-01-01,5,6\n"), Options{}, want{err: ErrDuplicateHeader, msg: `"Sales"`}},
		{"unbalanced quote", []byte("Order Date,Sales\n2024-01-01,\"5\n2024-01-02,6\n"), Options{}, want{err: ErrUnreadable, msg: "line 2 is never closed"}},
		{"text after a closing quote", []byte("Order Date,Segment,Sales\n2024-01-01,\"A\"x,5\n2024-01-01,B,6\n"), Options{},
			want{rows: 2, accepted: 1, reasons: []error{ErrMalformedRow}, lines: []int{2}}},
		{"1 MB field in a used column", []byte("Order Date,Segment,Sales\n2024-01-01," + bigField + ",5\n2024-01-01,B,6\n"), Options{},
			want{rows: 2, accepted: 1, reasons: []error{ErrFieldTooLong}}},
		{"1 MB field in an unused column", []byte("Order Date,Notes,Sales\n2024-01-01," + bigField[:1_000_000] + ",5\n"), Options{},
			want{rows: 1, accepted: 1}},
		{"10,000 columns", []byte(wide), Options{}, want{err: ErrUnreadable, msg: "more than 4096"}},
		{"line of 20 MB", []byte("Order Date,Sales\n" + strings.Repeat("y", 20<<20) + "\n"), Options{}, want{err: ErrUnreadable, msg: "longer than 16 MiB"}},
		{"gzip bomb", bomb(), Options{}, want{err: ErrUnreadable, msg: "decompression bomb"}},
		{"gzip over the size limit", gz(t, []byte(strings.Repeat(good, 1000))), Options{Read: tabular.Options{MaxDecompressedBytes: 10000}},
			want{err: ErrUnreadable, msg: "decompression limit"}},
		{"truncated gzip", truncated, Options{}, want{err: ErrUnreadable, msg: "truncated"}},
		{"corrupt gzip", corrupt, Options{}, want{err: ErrUnreadable, msg: "gzip"}},
		{"gzip magic then garbage", []byte("\x1f\x8bnot really gzip"), Options{}, want{err: ErrUnreadable, msg: "gzip header"}},
		{"gzip inside gzip", gz(t, gz(t, []byte(good))), Options{}, want{err: ErrUnreadable, msg: "gzip inside gzip"}},
		{"XLSX header only", xlsxHeaderOnly, Options{}, want{err: ErrUnreadable, msg: "no data rows"}},
		{"XLSX empty sheet", xlsxEmpty, Options{}, want{err: ErrUnreadable, msg: "empty file"}},
		{"XLSX missing sheet", xlsxHeaderOnly, Options{Read: tabular.Options{Sheet: "Nope"}}, want{err: ErrUnreadable, msg: `no worksheet "Nope"`}},
		{"zip that is not a workbook", []byte("PK\x03\x04garbage garbage"), Options{}, want{err: ErrUnreadable, msg: "not a readable XLSX"}},
		{"XLSX stream over the spool limit", xlsxHeaderOnly, Options{Read: tabular.Options{MaxSpoolBytes: 100}}, want{err: ErrUnreadable, msg: "limit for XLSX and Parquet"}},
		{"legacy .xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest of an OLE file"), Options{}, want{err: ErrUnreadable, msg: "legacy Excel"}},
		{"Parquet magic then garbage", []byte("PAR1 this is not parquet PAR1"), Options{}, want{err: ErrUnreadable, msg: "Parquet"}},
		{"dates out of range", []byte(csvRows(1, "1899-12-31,A,1") + "2200-01-01,A,1\n1/1/1850,A,1\n2024-01-01,A,1\n"), Options{},
			want{rows: 4, accepted: 1, reasons: []error{notation.ErrDateRange, notation.ErrDateRange, notation.ErrDateRange}, lines: []int{2, 3, 4}}},
		{"every date out of range", []byte(csvRows(3, "1066-10-14,A,1")), Options{},
			want{rows: 3, accepted: 0, reasons: []error{notation.ErrDateRange, notation.ErrDateRange, notation.ErrDateRange}}},
		{"not dates", []byte(csvRows(1, "yesterday,A,1") + "2024-02-30,A,1\n,A,1\n"), Options{},
			want{rows: 3, accepted: 0, reasons: []error{notation.ErrBadDate, notation.ErrBadDate, ErrMissingValue}}},
		{"non-numeric amounts", []byte(csvRows(1, "2024-01-01,A,abc") + "2024-01-01,A,12%\n2024-01-01,A,NaN\n2024-01-01,A,\n2024-01-01,A,N/A\n2024-01-01,A,1\n"), Options{},
			want{rows: 6, accepted: 1, reasons: []error{notation.ErrBadAmount, notation.ErrBadAmount, notation.ErrBadAmount, ErrMissingValue, ErrMissingValue}}},
		{"wrong field counts", []byte(csvRows(1, "2024-01-01,A") + "2024-01-01,A,1,extra\n2024-01-01,A,1,,\n"), Options{},
			want{rows: 3, accepted: 1, reasons: []error{ErrFieldCount, ErrFieldCount}}},
		{"UTF-16 without BOM", utf16NoBOM(good), Options{}, want{rows: 2, accepted: 2}},
		{"dimension value too long", []byte(csvRows(1, "2024-01-01,"+strings.Repeat("s", 300)+",1")), Options{},
			want{rows: 1, accepted: 0, reasons: []error{ErrBadText}}},
		{"mixed date orders beyond memory", []byte(mixedDates(notation.MaxOrderLines + 1)), Options{}, want{err: ErrUnreadable, msg: "mixes day-first and month-first"}},
		{"sum overflow", []byte(csvRows(200, "2024-01-01,A,999999999999999.99")), Options{}, want{err: money.ErrOverflow}},
		{"quantity × price overflow", []byte("Date,Quantity,UnitPrice\n2024-01-01,9999999999,9999999999.5\n2024-01-01,1,1\n"), Options{},
			want{rows: 2, accepted: 1, reasons: []error{notation.ErrAmountRange}}},
		{"bad options", []byte(good), Options{DateOrder: "YMD"}, want{err: ErrBadOptions}},
		{"bad mapping", []byte(good), Options{Mapping: map[string]string{"amount": "Nope"}}, want{err: ErrBadMapping}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rej rejectList
			res, err := ParseWith(bytes.NewReader(c.data), c.name, &rej, c.opt)
			if c.want.err != nil {
				if res != nil || !errors.Is(err, c.want.err) || !strings.Contains(err.Error(), c.want.msg) {
					t.Fatalf("got %v (result %v), want %v containing %q", err, res != nil, c.want.err, c.want.msg)
				}
				if !errors.Is(err, ErrUnreadable) && !errors.Is(err, ErrBadOptions) && !errors.Is(err, money.ErrOverflow) {
					var he *HeaderError
					if !errors.As(err, &he) {
						t.Fatalf("%v is neither ErrUnreadable nor a *HeaderError", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, res, rej)
			if res.Rows != c.want.rows || res.Accepted != c.want.accepted || len(rej) != len(c.want.reasons) {
				t.Fatalf("rows %d accepted %d rejects %v; want %d %d %v", res.Rows, res.Accepted, rej, c.want.rows, c.want.accepted, c.want.reasons)
			}
			for i, r := range rej {
				if !errors.Is(r.Err, c.want.reasons[i]) {
					t.Fatalf("reject %d: %v, want %v", i, r, c.want.reasons[i])
				}
				if c.want.lines != nil && r.Line != c.want.lines[i] {
					t.Fatalf("reject %d on line %d, want %d", i, r.Line, c.want.lines[i])
				}
			}
		})
	}
}

// mixedDates is a file where n values read only day first and n+1 only
// month first.
func mixedDates(n int) string {
	var b strings.Builder
	b.WriteString("date,amount\n")
	for i := range n {
		fmt.Fprintf(&b, "13/%d/2024,1\n%d/13/2024,1\n", i%12+1, i%12+1)
	}
	b.WriteString("1/14/2024,1\n")
	return b.String()
}
