package tabular

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

type tokRecord struct {
	Line   int
	Fields []string
	Issue  bool
}

func tokenize(t *testing.T, text string, delim byte) ([]tokRecord, error) {
	t.Helper()
	tr := newTextReader(strings.NewReader(text), delim)
	return readAll(tr, tr.next)
}

func TestTextReader(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		delim byte
		want  []tokRecord
	}{
		{"plain LF", "a,b\n1,2\n", ',', []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1", "2"}, false}}},
		{"CRLF and no final newline", "a,b\r\n1,2", ',', []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1", "2"}, false}}},
		{"empty fields", ",a,,\n", ',', []tokRecord{{1, []string{"", "a", "", ""}, false}}},
		{"quoted delimiter and doubled quote", `x,"a, ""b""",y` + "\n", ',',
			[]tokRecord{{1, []string{"x", `a, "b"`, "y"}, false}}},
		{"quoted newline keeps physical lines", "h\n\"a\r\nb\"\nnext\n", ',',
			[]tokRecord{{1, []string{"h"}, false}, {2, []string{"a\nb"}, false}, {4, []string{"next"}, false}}},
		{"blank lines are skipped but counted", "a\n\n  \n,,\nb\n", ',',
			[]tokRecord{{1, []string{"a"}, false}, {5, []string{"b"}, false}}},
		{"empty quoted field", `"",x` + "\n", ',', []tokRecord{{1, []string{"", "x"}, false}}},
		{"trailing empty after quote", `"a",` + "\n", ',', []tokRecord{{1, []string{"a", ""}, false}}},
		{"spaces around quotes", `a, "b" ,c` + "\n", ',', []tokRecord{{1, []string{"a", "b", "c"}, false}}},
		{"bare quote in unquoted field", `5" screen,x` + "\n", ',', []tokRecord{{1, []string{`5" screen`, "x"}, false}}},
		{"text after closing quote", `"a"b,c` + "\n", ',', []tokRecord{{1, []string{"ab", "c"}, true}}},
		{"semicolon", "a;b\n1,5;2\n", ';', []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1,5", "2"}, false}}},
		{"tab", "a\tb\n", '\t', []tokRecord{{1, []string{"a", "b"}, false}}},
		{"whitespace aligned", " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n", 0,
			[]tokRecord{{1, []string{"customer_id", "date", "number_of_cds", "dollar_value"}, false},
				{2, []string{"00001", "19970101", "1", "11.77"}, false}}},
		{"whitespace with quotes", `a "b c"  d` + "\n", 0, []tokRecord{{1, []string{"a", "b c", "d"}, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tokenize(t, c.text, c.delim)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestTextReaderErrors(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"unterminated quote", "a\n\"b\nc\n", "line 2 is never closed"},
		{"record over the limit", "\"" + strings.Repeat("x\n", maxRecordBytes/2+10), "runs past 16 MiB"},
		{"line over the limit", strings.Repeat("x", maxRecordBytes+2<<20), "longer than 16 MiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tokenize(t, c.text, ',')
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrUnreadable with %q", err, c.want)
			}
		})
	}
}

func TestSniffDelimiter(t *testing.T) {
	cases := []struct {
		name, head string
		want       byte
	}{
		{"comma", "a,b,c\n1,2,3\n4,5,6\n", ','},
		{"semicolon with decimal commas", "a;b;c\n1,5;2,5;3\n4,5;5;6\n", ';'},
		{"tab with thousands commas", "a\tb\tc\n1,234.00\t2\t3\n1,000.50\t5\t6\n", '\t'},
		{"pipe", "a|b\n1|2\n", '|'},
		{"commas inside quotes do not count", "a;b\n\"x,y,z\";1\n\"p,q,r\";2\n", ';'},
		{"whitespace aligned", " id  date  amount\n 1 20240101  1.5\n 2 20240102  2.5\n", 0},
		{"single column", "amount\n1\n2\n", ','},
		{"partial last line ignored", "a,b\n1,2\n3;4;5;6;7", ','},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sniffDelimiter([]byte(c.head)); got != c.want {
				t.Fatalf("sniffDelimiter = %q, want %q", got, c.want)
			}
		})
	}
}

// readAll reads every record of r with read (tr.next or tr.slowNext).
func readAll(tr *textReader, read func() ([][]byte, int, error)) ([]tokRecord, error) {
	var out []tokRecord
	for {
		fields, line, err := read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rec := tokRecord{Line: line, Issue: tr.quoteErr}
		for _, f := range fields {
			rec.Fields = append(rec.Fields, string(f))
		}
		out = append(out, rec)
	}
}

// checkFastPath reads text with next (which tries fastNext first) and with
// slowNext alone, each through whole buffers and through reads of a few
// bytes (records then straddle the buffer's end), and requires the same
// records, lines, issues and errors. A first line is added: the first
// record of a reader always takes the general path, which fills the
// buffer.
func checkFastPath(t *testing.T, text []byte, d byte) {
	t.Helper()
	text = append([]byte("h\n"), text...)
	slowTR := newTextReader(bytes.NewReader(text), d)
	want, wantErr := readAll(slowTR, slowTR.slowNext)
	for _, r := range []io.Reader{bytes.NewReader(text), iotest.HalfReader(bytes.NewReader(text))} {
		tr := newTextReader(r, d)
		got, err := readAll(tr, tr.next)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("%q (delimiter %q): error %v, general path %v", text, d, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q (delimiter %q):\n got %+v\nwant %+v", text, d, got, want)
		}
	}
}

// TestFastPath covers what the one-pass split could get wrong: a byte one
// above the delimiter right after it (the false positive of the short
// zero-byte trick), bytes with the high bit set, delimiters at word
// boundaries, and quotes that it must take (whole fields, doubled quotes,
// the last field, before CRLF) or leave to the general path (a quoted
// line end, a bare quote, spaces or text around the quotes, blank lines).
func TestFastPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		d    byte
	}{
		{"empty", "", ','},
		{"one field", "abc\n", ','},
		{"only delimiters", ",,,,,,,,,,,,,,,,,\nx\n", ','},
		{"minus after comma", "a,-1,-2.5,--,x,-,-\n", ','},
		{"byte above delimiter everywhere", "-,-,-,-,-,-,-,-,-,-,-,-\n", ','},
		{"semicolon and colon", "1;:2;;:3:;4\n", ';'},
		{"tab and control bytes", "a\tb\x0b\tc\x0b\td\n", '\t'},
		{"high bytes", "caf\xe9,na\xefve,\x80\x81\xff,\xac,\xff\xfe\n", ','},
		{"pipe", "a|b||c|\n", '|'},
		{"delimiter at byte 7 and 8", "1234567,9abcdef,\n", ','},
		{"CRLF", "a,b\r\nc,d\r\n", ','},
		{"CR inside a field", "a\rb,c\n", ','},
		{"no final newline", "a,b\nc,d", ','},
		{"quoted fields", `a,"b,c","d",e` + "\n", ','},
		{"doubled quotes", `"x""y""z",1,"""",""` + "\n", ','},
		{"quoted last field", `a,"b"` + "\n" + `c,"d"` + "\r\n" + `e,"f"`, ','},
		{"quoted last field before CRLF at a word edge", `abcd,"ef"` + "\r\nx\n", ','},
		{"quoted line end", "a,\"b\nc\",d\ne\n", ','},
		{"quoted line end after doubled quote", "a,\"b\"\"\nc\",d\n", ','},
		{"bare quote", `5" screen,x` + "\n", ','},
		{"space before quote", `a, "b",c` + "\n", ','},
		{"text after closing quote", `"a"b,c` + "\n", ','},
		{"CR after closing quote", "\"a\"\rb,c\n", ','},
		{"unclosed quote", "a,\"b\n", ','},
		{"blank lines", "a\n\n  \n,,\n\t;\nb\n", ','},
		{"leading spaces", "  a,b\n", ','},
		{"quote in the tail", `abcdefgh,"` + "\n", ','},
	} {
		t.Run(tc.name, func(t *testing.T) { checkFastPath(t, []byte(tc.text), tc.d) })
	}
}

func FuzzFastPath(f *testing.F) {
	f.Add([]byte("a,-1,\xff,\"x\"\n\"a\"\"b\",c\r\n"), uint8(0))
	f.Add([]byte("1;2;;3\n\"x;\ny\";z"), uint8(1))
	f.Fuzz(func(t *testing.T, text []byte, d uint8) {
		if len(text) > 1<<16 {
			return
		}
		checkFastPath(t, text, candidateDelims[int(d)%len(candidateDelims)])
	})
}
