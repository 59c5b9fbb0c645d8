package parser

import (
	"encoding/csv"
	"io"
	"strconv"
)

// CSVRejects writes rejected rows as CSV with a header
// line,column,value,reason. It counts what it wrote in Count. It is not
// safe for concurrent use (Parse calls it from one goroutine).
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
	return c.w.Write([]string{strconv.Itoa(e.Line), e.Column, e.Value, e.Err.Error()})
}

// Flush writes buffered rows and returns the first write error of any
// Reject or of the flush itself.
func (c *CSVRejects) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
