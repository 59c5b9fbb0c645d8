package parser

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/notation"
)

func TestParseSpend(t *testing.T) {
	type reject struct {
		line   int
		column string
		err    error
	}
	cases := []struct {
		name    string
		text    string
		opt     Options
		want    []history.Spend
		rejects []reject
		wantErr error
	}{
		{"months by segment, rows summed",
			"Month,Segment,Spend\n2017-03,consumer,100.50\n2017-03,Consumer,20\n2017-04,Corporate,\"1,000\"\n",
			Options{},
			[]history.Spend{{Period: "2017-03", Amount: "120.50", Segment: "Consumer"}, {Period: "2017-04", Amount: "1000", Segment: "Corporate"}},
			nil, nil},
		{"quarter, year and lower-case quarter labels; no segment is the total only",
			"period,cost\n2017-q1,30\n2018,40.25\n2017-Q1,5\n",
			Options{},
			[]history.Spend{{Period: "2017-Q1", Amount: "35"}, {Period: "2018", Amount: "40.25"}},
			nil, nil},
		{"days in D/M/Y, decided by the column, with channel",
			"Date;Channel;Budget spent\n31/01/2017;Search;1.234,50\n01/02/2017;Social;99,90\n",
			Options{},
			[]history.Spend{{Period: "2017-01-31", Amount: "1234.50", Channel: "Search"}, {Period: "2017-02-01", Amount: "99.90", Channel: "Social"}},
			nil, nil},
		{"segment and channel together",
			"month,segment,channel,amount\n2017-01,Consumer,Search,10\n2017-01,Consumer,Social,5\n",
			Options{},
			[]history.Spend{{Period: "2017-01", Amount: "10", Segment: "Consumer", Channel: "Search"}, {Period: "2017-01", Amount: "5", Segment: "Consumer", Channel: "Social"}},
			nil, nil},
		{"bad rows are rejected with line and column",
			"month,segment,spend\n2017-W05,A,1\n,A,1\nFY2017,A,1\n2017-05,A,-3\n2017-06,A,\n2017-07,=cmd,1\n2017-08,A,abc\n2017-09,A,2\n",
			Options{},
			[]history.Spend{{Period: "2017-09", Amount: "2", Segment: "A"}},
			[]reject{{2, "month", ErrBadPeriod}, {3, "month", ErrMissingValue}, {4, "month", ErrBadPeriod},
				{5, "spend", ErrNegativeSpend}, {6, "spend", ErrMissingValue}, {7, "segment", ErrBadText}, {8, "spend", notation.ErrBadAmount}},
			nil},
		{"a day against the column's order is rejected",
			"date,spend\n13/01/2017,1\n14/01/2017,1\n01/15/2017,1\n",
			Options{},
			[]history.Spend{{Period: "2017-01-13", Amount: "1"}, {Period: "2017-01-14", Amount: "1"}},
			[]reject{{4, "date", notation.ErrDateOrder}},
			nil},
		{"more than 4 places round half to even",
			"month,spend\n2017-01,0.00015\n",
			Options{},
			[]history.Spend{{Period: "2017-01", Amount: "0.0002"}},
			nil, nil},
		{"mapping names the columns",
			"when,eur,team\n2017-01,5,Consumer\n",
			Options{Mapping: map[string]string{"date": "when", "amount": "eur", "segment": "team"}},
			[]history.Spend{{Period: "2017-01", Amount: "5", Segment: "Consumer"}},
			nil, nil},
		{"no period column", "segment,spend\nA,1\n", Options{}, nil, nil, ErrMissingColumn},
		{"no amount column", "month,segment\n2017-01,A\n", Options{}, nil, nil, ErrMissingColumn},
		{"header only", "month,spend\n", Options{}, nil, nil, ErrUnreadable},
		{"a sum beyond 19 digits", "month,spend\n2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999.9999\n" +
			"2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999\n2017-01,999999999999999\n",
			Options{}, nil, nil, money.ErrOverflow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rej rejectList
			s, err := ParseSpend(strings.NewReader(c.text), "spend.csv", &rej, c.opt)
			if c.wantErr != nil {
				if s != nil || !errors.Is(err, c.wantErr) {
					t.Fatalf("err %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(s.Records) != fmt.Sprint(c.want) {
				t.Fatalf("records %v, want %v", s.Records, c.want)
			}
			if len(rej) != len(c.rejects) {
				t.Fatalf("rejects %v, want %d", rej, len(c.rejects))
			}
			for i, w := range c.rejects {
				if r := rej[i]; r.Line != w.line || r.Column != w.column || !errors.Is(r, w.err) {
					t.Errorf("reject %d: line %d column %q %v, want line %d column %q %v", i, r.Line, r.Column, r.Err, w.line, w.column, w.err)
				}
			}
			if s.Rows != s.Accepted+s.Rejected || s.Rejected != int64(len(rej)) {
				t.Fatalf("rows %d accepted %d rejected %d, %d rejects", s.Rows, s.Accepted, s.Rejected, len(rej))
			}
		})
	}
}

// TestParseSpendReportsFormat checks what the upload's status says about a
// spend file: the columns found, the decimal notation and the periods read.
func TestParseSpendReportsFormat(t *testing.T) {
	s, err := ParseSpend(strings.NewReader("Month;Marketing spend;Sales Channel\n2017-01;1.234,5;Web\n2017-Q2;7;\n"), "s.csv", discardRejects{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := s.Format
	if f.Columns["date"] != "Month" || f.Columns["amount"] != "Marketing spend" || f.Columns["channel"] != "Sales Channel" || len(f.Columns) != 3 {
		t.Errorf("columns %v", f.Columns)
	}
	if f.Decimal["Marketing spend"] != "," {
		t.Errorf("decimal %v, want a comma", f.Decimal)
	}
	if f.DateFormat != "quarter labels (1), month labels (1)" {
		t.Errorf("date format %q", f.DateFormat)
	}
}

// TestParseSpendXLSX reads a workbook whose period cells are Excel dates
// and whose amounts are numbers.
func TestParseSpendXLSX(t *testing.T) {
	data := xlsxBytes(t, []string{"Spend"}, map[string][][]any{"Spend": {{"Date", "Segment", "Spend"}, {42795, "Consumer", 12.5}, {"2017-Q2", "Consumer", 3}}})
	s, err := ParseSpend(bytes.NewReader(data), "spend.xlsx", discardRejects{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []history.Spend{{Period: "2017-03-01", Amount: "12.5", Segment: "Consumer"}, {Period: "2017-Q2", Amount: "3", Segment: "Consumer"}}
	if fmt.Sprint(s.Records) != fmt.Sprint(want) {
		t.Fatalf("records %v, want %v", s.Records, want)
	}
}

// FuzzParseSpend checks that no input panics, that a failure is a file
// error with no result, and that a success counts every row once and
// keeps every accepted amount: the records add up to the amounts of the
// rows not rejected.
func FuzzParseSpend(f *testing.F) {
	for _, s := range []string{
		"Month,Segment,Spend\n2017-03,Consumer,100.50\n2017-Q1,,20\n",
		"date;channel;cost\n31/01/2017;Search;1.234,50\n1/2/2017;x;(5)\n",
		"period\tamount\n2017\t5\n2017-W01\t1\nFY2017\t2\n",
		"month,spend\n2017-01,-1\n2017-13,1\n,\n",
		"\xef\xbb\xbfMonth,Spend,Segment,Channel\n2017-02,$5,=x,y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rej rejectList
		s, err := ParseSpend(bytes.NewReader(data), "fuzz", &rej, Options{})
		if err != nil {
			var he *HeaderError
			if s != nil || !(errors.Is(err, ErrUnreadable) || errors.As(err, &he) || errors.Is(err, money.ErrOverflow)) {
				t.Fatalf("error %v (result %v) is not a file error", err, s != nil)
			}
			return
		}
		if s.Rows != s.Accepted+s.Rejected || s.Rejected != int64(len(rej)) || s.Rows == 0 {
			t.Fatalf("rows %d accepted %d rejected %d, %d rejects", s.Rows, s.Accepted, s.Rejected, len(rej))
		}
		if s.Accepted > 0 && len(s.Records) == 0 {
			t.Fatalf("%d rows accepted but no record", s.Accepted)
		}
		for _, r := range s.Records {
			d, err := decimal.Parse(r.Amount)
			if err != nil || d.IsNeg() {
				t.Fatalf("record %+v: amount %v", r, err)
			}
			if _, ok := spendLabel(r.Period); !ok && len(r.Period) != len("2006-01-02") {
				t.Fatalf("record %+v: period is neither a label nor a day", r)
			}
		}
	})
}
