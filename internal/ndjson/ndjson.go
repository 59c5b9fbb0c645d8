// Package ndjson reads the newline-delimited JSON streams salesseg keeps
// its curated per-file records in (purchase histories, accounts, deals):
// one JSON value per line, so that a stream is read with memory bounded
// by its longest line whatever its length.
package ndjson

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// MaxLine is the longest line Read accepts, in bytes. Records are a few
// hundred bytes; the limit only stops a damaged stream without newlines
// from being buffered whole.
const MaxLine = 16 << 20

// Read decodes each line of r as a T and calls fn with the value and the
// line's number, counted from 1. It stops at fn's first error and returns
// it unchanged, so that callers can report their own failures (such as a
// record that decodes but breaks a rule) in their own words.
//
// A line that does not decode as a T ends the reading with an error that
// wraps corrupt and names the stream and the line, as
// "<corrupt>: <what> line 3: <cause>". A failure of r, or a line longer
// than MaxLine, is returned wrapped with what was being read.
func Read[T any](r io.Reader, what string, corrupt error, fn func(line int, v T) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		// A fresh value per line: decoding into a reused one would merge
		// the maps of successive records.
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%w: %s line %d: %v", corrupt, what, line, err)
		}
		if err := fn(line, v); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s after line %d: %w", what, line, err)
	}
	return nil
}
