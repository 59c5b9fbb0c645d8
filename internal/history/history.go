// Package history carries per-customer purchase history from ingestion to
// recompute. Ingestion summarises each file version to one Purchase per
// customer and day and keeps them next to the file's aggregate delta in S3;
// recompute reads the histories of all live file versions to build the
// analytics that cannot be summed across files (distinct customers, value
// tiers, RFM, CLV, revenue bridges).
//
// The encoding is newline-delimited JSON, one Purchase per line, so a
// history streams in and out with memory bounded by one line.
package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/salesseg/salesseg/internal/segment"
)

// Purchase is one customer's activity on one day within one file version.
type Purchase struct {
	Customer string `json:"c"`
	Day      string `json:"d"` // 2006-01-02
	Orders   int64  `json:"o"` // distinct order ids that day (lines when the file has no order id)
	Lines    int64  `json:"l"`
	Revenue  string `json:"r"` // exact decimal
	Cost     string `json:"k,omitempty"`
	// Attrs are the customer's dimension values on that day's last line
	// (segment, industry, size, region, country, and the category and
	// channel of that line).
	Attrs map[segment.Dimension]string `json:"a,omitempty"`
}

// ErrCorrupt means a history stream does not decode.
var ErrCorrupt = errors.New("corrupt purchase history")

// Writer encodes purchases to a stream.
type Writer struct {
	enc *json.Encoder
	n   int64
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{enc: json.NewEncoder(w)} }

// Write encodes one purchase.
func (w *Writer) Write(p Purchase) error {
	w.n++
	return w.enc.Encode(p)
}

// Count returns how many purchases were written.
func (w *Writer) Count() int64 { return w.n }

// Read decodes every purchase in r and calls fn for each, stopping at the
// first error fn returns. Decoding errors wrap ErrCorrupt and name the line.
func Read(r io.Reader, fn func(Purchase) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var p Purchase
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrCorrupt, line, err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read purchase history: %w", err)
	}
	return nil
}

// Key is where ingestion keeps the purchase history of a file version in
// the bucket, next to its aggregate delta.
func Key(file string) string { return "curated/" + file + ".history.ndjson" }
