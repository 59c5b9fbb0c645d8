// Package tabular reads the rows of a tabular file, whatever its format:
// delimited text (, ; tab | or whitespace-aligned columns) in UTF-8, UTF-16
// or Windows-1252, plain or gzip-compressed, an XLSX worksheet or a Parquet
// file. The format is detected from the content, never from the name, and
// what was detected is reported in a Layout.
//
// A Reader yields Records: a row's fields as byte slices into the reader's
// buffers, with the physical line the row starts on (LF, CRLF and a lone
// CR each end a line, as in Excel). Nothing here knows what the columns
// mean; that is the parser's business.
//
// Errors: a file that cannot be read as a table (empty, binary, broken or
// over-expanding compression, an unbalanced quote, a row wider than
// MaxColumns, a corrupt or over-expanding workbook, a corrupt Parquet
// file) yields an error wrapping ErrUnreadable; invalid Options yield
// ErrBadOptions. Failures of the underlying reader (the network) are
// returned as they are, so that the caller can retry.
//
// # Memory
//
// Every limit bounds memory before the work it guards, so that a small
// compressed file cannot expand into a large allocation. Text is streamed
// through fixed buffers; one record may not exceed 16 MiB, and a row is
// refused as soon as it passes MaxColumns fields (a 16 MB line of commas
// costs a few megabytes, not sixteen million fields). XLSX and Parquet need
// random access: an *os.File (or for Parquet anything with ReadAt and
// Size) is read in place; any other stream is first copied to a temporary
// file (Options.TempDir, at most Options.MaxSpoolBytes). Parquet is then
// read a page per column at a time. A workbook is first checked part by
// part against the limits of checkWorkbook (parts held in memory, XML tags
// parsed whole, shared strings, cells and bytes per row, expansion); then
// excelize keeps its small parts in memory and unzips worksheets and
// shared strings over 1 MiB to temporary files, which it streams.
package tabular

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

var (
	// ErrUnreadable means the file as a whole cannot be read as a table:
	// empty, binary, broken or over-expanding compression, an unbalanced
	// quote, a corrupt workbook or Parquet file.
	ErrUnreadable = errors.New("file cannot be read")
	// ErrBadOptions means an Options value is invalid.
	ErrBadOptions = errors.New("invalid parse options")
)

// Options adjust how a file is read. The zero value detects everything and
// applies the default limits.
type Options struct {
	// Sheet is the XLSX worksheet to read; "" reads the first.
	Sheet string
	// Delimiter forces the delimiter: ",", ";", "tab", "|" or
	// "whitespace"; "" sniffs it.
	Delimiter string
	// MaxDecompressedBytes caps what a gzip file may expand to (default
	// 32 GiB); MaxCompressionRatio caps its expansion ratio once 64 MiB are
	// out (default 200:1). Beyond either the file is refused as a
	// decompression bomb.
	MaxDecompressedBytes int64
	MaxCompressionRatio  int64
	// MaxSpoolBytes caps the temporary copy made of an XLSX or Parquet
	// stream (default 8 GiB), in TempDir ("" is the system's).
	MaxSpoolBytes int64
	TempDir       string
}

// Validate checks the options; errors wrap ErrBadOptions.
func (o *Options) Validate() error {
	if o.delimiter() == -2 {
		return fmt.Errorf("%w: delimiter %q: use , ; tab | or whitespace", ErrBadOptions, o.Delimiter)
	}
	if o.MaxDecompressedBytes < 0 || o.MaxCompressionRatio < 0 || o.MaxSpoolBytes < 0 {
		return fmt.Errorf("%w: negative limit", ErrBadOptions)
	}
	return nil
}

// delimiter returns the forced delimiter byte (0 for whitespace), -1 to
// sniff, -2 when invalid.
func (o *Options) delimiter() int {
	switch strings.ToLower(o.Delimiter) {
	case "":
		return -1
	case ",", ";", "|":
		return int(o.Delimiter[0])
	case "\t", "tab":
		return '\t'
	case "whitespace", " ":
		return 0
	}
	return -2
}

func (o *Options) maxDecompressed() int64 {
	if o.MaxDecompressedBytes > 0 {
		return o.MaxDecompressedBytes
	}
	return defaultMaxDecompressed
}

func (o *Options) maxRatio() int64 {
	if o.MaxCompressionRatio > 0 {
		return o.MaxCompressionRatio
	}
	return defaultMaxRatio
}

func (o *Options) maxSpool() int64 {
	if o.MaxSpoolBytes > 0 {
		return o.MaxSpoolBytes
	}
	return defaultMaxSpool
}

// Layout is what was detected about a file's physical form. It is part of
// an upload's reported format, hence the JSON names.
type Layout struct {
	Kind        string `json:"kind"`                  // csv (delimited or whitespace-aligned text), xlsx, parquet
	Compression string `json:"compression,omitempty"` // gzip
	// Encoding is utf-8, utf-8-bom, utf-16le, utf-16be (with " (no BOM)"
	// when recognised without one) or windows-1252; empty for XLSX and
	// Parquet.
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"` // , ; tab | or whitespace
	LineEnd   string `json:"line_end,omitempty"`  // CR for classic Mac OS text; LF and CRLF are not reported
	Sheet     string `json:"sheet,omitempty"`
}

// Record is one row of a file.
type Record struct {
	// Fields are the row's cells, slices into the reader's buffers.
	Fields [][]byte
	// Line is the 1-based physical line the row starts on (a quoted field
	// with newlines makes a row span several lines); in XLSX the sheet's
	// row number and in Parquet the row's 1-based position plus one (as in
	// a CSV export with a header).
	Line int
	// Issue is a problem with the row alone that the reader found
	// (ErrMalformedQuote), in field IssueField; the rest of the file reads.
	Issue      error
	IssueField int
}

// Clone copies a record out of the reader's buffers.
func (r Record) Clone() Record {
	n := 0
	for _, f := range r.Fields {
		n += len(f)
	}
	buf := make([]byte, 0, n)
	c := r
	c.Fields = make([][]byte, len(r.Fields))
	for i, f := range r.Fields {
		buf = append(buf, f...)
		c.Fields[i] = buf[len(buf)-len(f) : len(buf) : len(buf)]
	}
	return c
}

// source yields a file's rows, one implementation per format.
type source interface {
	// next returns the next row or io.EOF; other errors wrap
	// ErrUnreadable. The record is valid until the next call.
	next() (Record, error)
	// typed is true when values are typed cells (XLSX, Parquet): numbers
	// come with a decimal point and no grouping.
	typed() bool
	// date1904 is true for workbooks in Excel's 1904 date system.
	date1904() bool
	blankLines() int64
	close() error
}

// Reader reads the rows of one file. It is not safe for concurrent use.
type Reader struct {
	src source
}

// Open detects what r holds from its first bytes and returns a Reader of
// its rows: gzip is undone (once, with the bomb guard), XLSX and Parquet get
// random access, text is decoded to UTF-8 and its delimiter sniffed. What
// was detected is recorded in l. Errors wrap ErrUnreadable or
// ErrBadOptions, or are the underlying reader's.
func Open(r io.Reader, opt Options, l *Layout) (*Reader, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	src, err := openInput(r, &opt, l)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src}, nil
}

// Next returns the next row, or io.EOF after the last one. Other errors
// wrap ErrUnreadable (among them a row with more than MaxColumns fields)
// or are the underlying reader's. The record is valid until the next call.
func (r *Reader) Next() (Record, error) {
	rec, err := r.src.next()
	if err == nil && len(rec.Fields) > MaxColumns {
		// Text stops splitting at the limit; workbook rows are bounded by
		// Excel's 16,384 columns and Parquet's by its schema.
		return Record{}, tooWide(rec.Line)
	}
	return rec, err
}

// Typed reports whether values are typed cells (XLSX, Parquet): numbers
// come with a decimal point and no digit grouping.
func (r *Reader) Typed() bool { return r.src.typed() }

// Date1904 reports whether the workbook uses Excel's 1904 date system.
func (r *Reader) Date1904() bool { return r.src.date1904() }

// BlankLines counts the blank lines skipped so far.
func (r *Reader) BlankLines() int64 { return r.src.blankLines() }

// Close releases the reader's temporary files. It does not close the
// underlying io.Reader.
func (r *Reader) Close() error { return r.src.close() }

// textSource reads delimited or whitespace-aligned text.
type textSource struct {
	tr *textReader
}

func (s *textSource) next() (Record, error) {
	fields, line, err := s.tr.next()
	if err != nil {
		return Record{}, err
	}
	rec := Record{Fields: fields, Line: line}
	if s.tr.quoteErr {
		rec.Issue, rec.IssueField = ErrMalformedQuote, s.tr.quoteField
	}
	return rec, nil
}

func (s *textSource) typed() bool       { return false }
func (s *textSource) date1904() bool    { return false }
func (s *textSource) blankLines() int64 { return s.tr.blankLines }
func (s *textSource) close() error      { return nil }
