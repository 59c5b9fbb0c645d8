package ingest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/money"
)

func parseSeeds() []string {
	return []string{
		"Order Date,Order ID,Customer ID,Segment,Region,Sales,Profit\n1/15/2024,O1,C1,Consumer,East,100.10,10\n2/3/2024,O2,C2,Corporate,West,\"1,250.00\",-50\n",
		"date;customer;amount;segment\n31.01.2024;K1;1.234,50;A\n01.02.2024;K2;99,90;B\n",
		"date\tamount\tregion\n2024-01-01\t5\tN\n2024-01-02\t(6)\tS\n",
		"date|amount|category\n20240101|$5|x\n20240102|€6|y\n",
		" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n",
		"InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID,Country\nC536379,12/1/2010 9:41,-1,27.50,NA,France\n536365,12/1/2010 8:26,6,2.55,17850,UK\n",
		"Date,Note,Amount\n2024-01-01,\"multi\nline\",1\n13/1/2024,x,2\n1/13/2024,y,3\n",
		"date,amount,employees,sector\n2024-01-01,1,12,retail\n45382,2,5000,tech\n",
		"\xef\xbb\xbfdate,amount\n2024-01-01,1e3\n",
		"date,amount\n\"2024-01-01\"x,1\n,\n",
	}
}

// FuzzParse checks that no input panics, that a failure is a file error
// (ErrUnreadable, *HeaderError, ErrOverflow) with no result, and that a
// success counts every row once and adds up across dimensions.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rej rejectList
		res, err := Parse(bytes.NewReader(data), "fuzz", &rej)
		if err != nil {
			var he *HeaderError
			if res != nil || !(errors.Is(err, ErrUnreadable) || errors.As(err, &he) || errors.Is(err, money.ErrOverflow)) {
				t.Fatalf("error %v (result %v) is not a file error", err, res != nil)
			}
			return
		}
		checkInvariants(t, res, rej)
		for _, r := range rej {
			if r.Line < 1 || r.Err == nil {
				t.Fatalf("bad reject %+v", r)
			}
		}
	})
}

// FuzzParseAmount checks that the number reader never panics, that what it
// accepts is exact (the plain form of the result reads back the same) and
// that it agrees with decimal.Parse on plain decimals.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1234.56", "1,234.56", "1.234,56", "(12)", "$-1", "12-", "1e5", "€ 1 234,50", "1'234.5",
		"1,23,456.78", "9999999999999999999", "0.0000000000000000001", "-0", "abc", "", "1.5E+06", "\u221212"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		d, err := parseNumber([]byte(s), comma)
		if err != nil {
			if !errors.Is(err, ErrBadAmount) {
				t.Fatalf("parseNumber(%q): error %v does not wrap ErrBadAmount", s, err)
			}
			return
		}
		back, err := parseNumber([]byte(d.String()), false)
		if err != nil || back.Cmp(d) != 0 {
			t.Fatalf("parseNumber(%q) = %s, which reads back as %v, %v", s, d, back, err)
		}
		if !comma && !strings.ContainsAny(s, ",'eE ()$€£¥+\u00a0\u2009\u202f\u2019\u2212-") && len(s) <= 19 {
			if want, err := decimal.Parse(strings.TrimSpace(s)); err == nil && want.Cmp(d) != 0 {
				t.Fatalf("parseNumber(%q) = %s, decimal.Parse says %s", s, d, want)
			}
		}
	})
}

// FuzzDate checks that the date reader never panics and only returns valid
// dates in range, which read back the same when written as ISO dates.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2024-03-31", "3/31/2024", "31.03.2024", "31-Mar-24", "Mar 31, 2024", "45382", "45382.5",
		"20240331", "2024-03-31T10:00:00Z", "10/31/2011 10:42", "1/2/24", "13/13/2024", "", "Sept 1 2024"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, _, err := parseDateValue([]byte(s))
		if err != nil {
			if !errors.Is(err, ErrBadDate) && !errors.Is(err, ErrDateRange) {
				t.Fatalf("parseDateValue(%q): unexpected error %v", s, err)
			}
			return
		}
		y := r.year()
		if y < 1900 || y > 2199 || (!validDate(y, r.a(), r.b()) && !validDate(y, r.b(), r.a())) {
			t.Fatalf("parseDateValue(%q) = invalid %d %d %d", s, y, r.a(), r.b())
		}
		if r.iso() {
			back, _, err := parseDateValue([]byte(formatDay(y, r.a(), r.b())))
			if err != nil || back != r {
				t.Fatalf("parseDateValue(%q) = %v, reads back as %v, %v", s, r, back, err)
			}
		}
	})
}

// FuzzTextReader compares the reader with encoding/csv on every input both
// accept without ambiguity: the same records, fields and starting lines.
func FuzzTextReader(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add(s)
	}
	f.Add("a,\"b\nc\",d\n\"\"\"\",x\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '\r') || len(s) > 1<<16 {
			return
		}
		cr := csv.NewReader(strings.NewReader(s))
		cr.FieldsPerRecord = -1
		var want []tokRecord
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // encoding/csv refuses it; ours may be lenient
			}
			blank := true
			for _, f := range rec {
				if strings.Trim(f, " \t") != "" {
					blank = false
				}
			}
			if blank {
				return // a blank record: skipped by ours, ambiguous to compare
			}
			line, _ := cr.FieldPos(0)
			want = append(want, tokRecord{Line: line, Fields: append([]string(nil), rec...)})
		}
		got, err := tokenize(t, s, ',')
		if err != nil {
			t.Fatalf("encoding/csv reads %q, ours fails: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("input %q\n got %+v\nwant %+v", s, got, want)
		}
	})
}
