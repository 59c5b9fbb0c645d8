package parser

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSVRejects writes rejected rows as CSV with a header
// line,column,value,reason. It counts what it wrote in Count. It is not
// safe for concurrent use (Parse calls it from one goroutine).
//
// The file is offered for download and opened in spreadsheets, and its
// values and column names come from the uploaded file, so every cell is
// written as inert text (see inertCell): a rejected "=HYPERLINK(...)"
// never runs as a formula.
type CSVRejects struct {
	w     *csv.Writer
	Count int64
}

// NewCSVRejects returns a RejectWriter writing CSV to w. Call Flush when done.
func NewCSVRejects(w io.Writer) *CSVRejects {
	return &CSVRejects{w: csv.NewWriter(w)}
}

// Reject writes one rejected row, preceded by the header on first use. It
// returns the underlying writer's error, which may only surface on a later
// call or on Flush since writes are buffered.
func (c *CSVRejects) Reject(e *RowError) error {
	if c.Count == 0 {
		if err := c.w.Write([]string{"line", "column", "value", "reason"}); err != nil {
			return err
		}
	}
	c.Count++
	return c.w.Write([]string{strconv.Itoa(e.Line), inertCell(e.Column), inertCell(e.Value), inertCell(e.Err.Error())})
}

// Flush writes buffered rows and returns the first write error of any
// Reject or of the flush itself.
func (c *CSVRejects) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// inertCell makes a CSV cell safe to open in a spreadsheet, as OWASP
// advises against CSV injection: a cell starting (after spaces) with '=',
// '+', '-', '@', a tab or a CR, or their full-width forms, which
// spreadsheets may evaluate as a formula, gets a leading apostrophe, which
// they read as "text follows" and which a reader can strip to recover the
// value. A plain signed number ("-5", "+1,234.50") is left as it is: it
// cannot be a formula, and a rejected negative amount stays readable.
func inertCell(s string) string {
	t := strings.TrimLeft(s, " ")
	r, _ := utf8.DecodeRuneInString(t)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		if !signedNumber(t) {
			return "'" + s
		}
	}
	return s
}

// signedNumber reports whether s is a sign followed by digits, with '.'
// and ',' only between or after them.
func signedNumber(s string) bool {
	if len(s) < 2 || (s[0] != '-' && s[0] != '+') || s[1] < '0' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != ',' {
			return false
		}
	}
	return true
}
