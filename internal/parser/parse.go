// Package parser turns a sales file into the aggregate delta it
// contributes: it reads the file's rows (package tabular detects the
// format, encoding and delimiter), maps its columns to canonical fields,
// reads each value's notation (package notation: decimal separators per
// column, the date column's day/month order), validates every row and sums
// the valid ones per dimension value and period, per pair of dimensions and
// month, and per customer and day (the purchase history). It knows nothing
// of where files come from or where deltas go.
//
// Every row is either counted or rejected with its line, column and reason;
// a file that cannot be read at all yields an error wrapping ErrUnreadable
// (or a *HeaderError) and no result. Failures of the reader underneath (the
// network) are returned as they are, so that the caller can retry.
//
// # Work and memory
//
// Reading, splitting, validation and parsing run on one goroutine, the
// aggregation on the caller's (see stagePipe), and the rollup of cells into
// keys on a third (see rollup); at the end the last cells roll up and the
// delta is built while another goroutine sorts the purchase history. Text
// is streamed: memory grows with distinct keys, customers and value
// combinations, not rows. What grows with rows goes to temporary files as
// the file is read (see spill.go): the purchase history, one 64-byte
// record per run of lines of one customer, day and order, and the log of
// orders' runs of lines, a record per run (more for runs of over six
// cells); both are read back in partitions when the file ends, and
// Result.Close closes them. Held in memory until the end of the file are
//   - the keys' sums (64 bytes a key; a dense block may hold up to four
//     empty slots per key), and a cache of up to 131,072 cells (a date and
//     a combination of dimension values), plus those whose date cannot be
//     read before the date column's day/month order is settled;
//   - each distinct combination of dimension values (4 bytes a dimension,
//     plus its index);
//   - each customer id once, and in a file with a customer name column
//     each distinct name once;
//   - for exact distinct order counts, the distinct sets of cells of the
//     orders not yet added to their keys (see orderSets; most are
//     forgotten at each roll of the cache), and orders of over 64 cells
//     whole;
//   - up to 10,000 remembered rows per day/month order while a date column's
//     order is undecided (see notation.DateColumn), and the first 2,000
//     rows, read ahead to decide decimal notations.
//
// For tests, Options.inMemory keeps the history and the orders' runs in
// memory instead (about 100 bytes a customer-day, 16 a run), the way
// they were before spilling.
package parser

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/tabular"
)

var (
	// ErrUnreadable means the file as a whole cannot be parsed: empty,
	// binary, broken or over-expanding compression, an unbalanced quote,
	// no data rows, a corrupt workbook or Parquet file.
	// It is tabular.ErrUnreadable, so either name matches.
	ErrUnreadable = tabular.ErrUnreadable
	// ErrMissingColumn means no column maps to a required field.
	ErrMissingColumn = errors.New("required column missing")
	// ErrDuplicateHeader means two columns of the same name could both be
	// the column of one field or dimension.
	ErrDuplicateHeader = errors.New("duplicate column name")
	// ErrNoHeader means the first row holds data, not column names: map the
	// columns by position (Options.NoHeader and Options.Mapping).
	ErrNoHeader = errors.New("first row is data, not a header")
	// ErrBadMapping means Options.Mapping names an unknown field or a
	// column the file does not have.
	ErrBadMapping = errors.New("bad column mapping")
	// ErrBadOptions means an Options value is invalid (an unknown date
	// order, decimal separator or delimiter, unordered size bands).
	// It is tabular.ErrBadOptions, so either name matches.
	ErrBadOptions = tabular.ErrBadOptions
	// ErrMissingValue is the reject reason for an empty required field
	// (also "NA", "N/A", "NULL").
	ErrMissingValue = errors.New("missing value")
	// ErrFieldCount is the reject reason for a row with more or fewer
	// fields than the header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrFieldTooLong is the reject reason for a field over 1 MiB.
	ErrFieldTooLong = errors.New("field longer than 1 MiB")
	// ErrBadText is the reject reason for a customer id, customer name or
	// dimension value that is not valid UTF-8 (a file whose encoding changes after its
	// first 64 KB), holds control characters (NUL bytes in a damaged file),
	// is longer than 256 bytes or is a spreadsheet formula ("=HYPERLINK(",
	// "+cmd|", "@SUM("), which would run when a report holding it is
	// opened.
	ErrBadText = errors.New("invalid text")
	// ErrMalformedRow is the reject reason for a row whose quoting is
	// broken locally (text after a closing quote).
	ErrMalformedRow = errors.New("malformed row")
	// ErrClosed means a Result was used after its Close.
	ErrClosed = errors.New("parse result closed")
	// ErrCreatedAfterClose is the reject reason for a closed deal whose
	// created date is after its close date, however either is read.
	ErrCreatedAfterClose = errors.New("created date after the close date")
)

// HeaderError reports a header row that cannot be mapped. It is returned
// by Parse for the whole file.
type HeaderError struct {
	Column string // the header, or the canonical field that is missing
	Other  string // for duplicates, the earlier column of the same name
	Detail string // what is wrong, when Err alone does not say
	Err    error  // ErrMissingColumn, ErrDuplicateHeader, ErrNoHeader or ErrBadMapping
}

// Error describes the header problem in one line.
func (e *HeaderError) Error() string {
	switch {
	case e.Other != "":
		return fmt.Sprintf("header: column %q: %v (same as %q)", e.Column, e.Err, e.Other)
	case e.Detail != "":
		return fmt.Sprintf("header: %v: %s: %s", e.Err, e.Column, e.Detail)
	}
	return fmt.Sprintf("header: %v: %s", e.Err, e.Column)
}

// Unwrap returns the sentinel the error is about.
func (e *HeaderError) Unwrap() error { return e.Err }

// RowError is why one row was rejected. Line is the 1-based physical line
// of the file the row starts on (the header is line 1; a quoted field with
// newlines makes a row span several lines); in XLSX it is the sheet's row
// number and in Parquet the row's 1-based position plus one (as in a CSV
// export with a header). Column is the header of the offending column, ""
// for the row as a whole.
type RowError struct {
	Line   int
	Column string
	Value  string
	Err    error
}

// Error describes the rejected row in one line.
func (e *RowError) Error() string {
	return fmt.Sprintf("line %d, column %q: %v: %q", e.Line, e.Column, e.Err, e.Value)
}

// Unwrap returns the reject reason (ErrBadDate, ErrBadAmount, ...).
func (e *RowError) Unwrap() error { return e.Err }

// Format is what was detected about a file, reported in its upload status:
// its physical layout (see tabular.Layout), then how its values read.
type Format struct {
	tabular.Layout
	// HeaderLine is the line of the header when title lines precede it.
	HeaderLine int `json:"header_line,omitempty"`
	// DateFormat lists the date layouts read, with counts.
	DateFormat string `json:"date_format"`
	// DateOrder is M/D/Y or D/M/Y when numeric dates needed an order, and
	// DateOrderBasis says how it was decided.
	DateOrder      string `json:"date_order,omitempty"`
	DateOrderBasis string `json:"date_order_basis,omitempty"`
	// Decimal is each numeric column's decimal separator, "." or ",",
	// suffixed " (assumed)" when no value in the sample decided it.
	Decimal    map[string]string `json:"decimal,omitempty"`
	Currencies []string          `json:"currencies,omitempty"`
	// Rounded counts, by column, the values of more than 4 decimal places
	// that were rounded half to even to 4 (see moneyScale in rounding.go).
	Rounded map[string]int64 `json:"rounded,omitempty"`
	// Columns maps canonical fields and dimensions to the headers read.
	Columns map[string]string `json:"columns"`
	// SizeBands describes how the size dimension was derived, if it was.
	SizeBands string `json:"size_bands,omitempty"`
	// Returns counts the lines counted as returns or cancellations, whose
	// revenue is negative (see the policy on Parse).
	Returns    int64 `json:"returns"`
	BlankLines int64 `json:"blank_lines,omitempty"`
	// Normalized lists, per dimension, every value stored under another
	// spelling (as written → as stored; see package spelling and
	// Options.Values), so that a user sees each merge and can undo it.
	Normalized map[string]map[string]string `json:"normalized,omitempty"`
	// OpenDeals counts the accepted rows of open deals (a stage neither
	// won nor lost): pipeline, not sales, so in no sales figure.
	OpenDeals int64 `json:"open_deals,omitempty"`
	// DealsWithoutAccount counts the accepted deals (won, lost or open)
	// whose account cell is empty: they count in the deal figures and the
	// blank value of the account's dimensions, but no customer has them.
	DealsWithoutAccount int64 `json:"deals_without_account,omitempty"`
}

// HasDimension reports whether the file's rows had values of dimension
// d, from a column or a table, so a lookup keyed by d can enrich them.
func (f *Format) HasDimension(d dimension.Dimension) bool {
	_, ok := f.Columns[string(d)]
	return ok
}

// HasCustomerIDs reports whether the file had a customer id column, so its
// rows can take attributes from customers files.
func (f *Format) HasCustomerIDs() bool {
	_, ok := f.Columns[fieldCustomer.String()]
	return ok
}

// Result is what a parsed file contributes.
type Result struct {
	Delta    aggregate.Delta
	Rows     int64 // data rows read (blank lines are not rows)
	Accepted int64
	Rejected int64
	// NoCustomer counts accepted rows without a customer id (empty or
	// "NA"): they are in the aggregates but not in the purchase history.
	NoCustomer int64
	Format     Format
	history    *historyTable
	spilled    *historySpill // instead of history when the parse spilled it
	deals      *accumulator  // nil unless the file has a deal stage column
}

// Close releases what the Result holds outside memory: the spill files
// of its purchase history (already unlinked, see spill.go). Purchases
// then fails with ErrClosed; the other fields stay. It may be called more
// than once.
func (r *Result) Close() error {
	if r == nil || r.spilled == nil {
		return nil
	}
	err := r.spilled.close()
	r.spilled.out = nil
	if err != nil {
		return fmt.Errorf("close parse result: %w", err)
	}
	return nil
}

// RejectWriter receives every rejected row as it is found, so rejects never
// accumulate in memory. An error it returns aborts Parse with that error
// (wrapped), which is then not a file error.
type RejectWriter interface {
	Reject(*RowError) error
}

// Parse reads a whole sales file from r with default Options and returns
// its delta; see ParseWith.
func Parse(r io.Reader, name string, rejects RejectWriter) (*Result, error) {
	return ParseWith(r, name, rejects, Options{})
}

// ParseWith reads a whole sales file from r and returns its delta. name is
// only used in error messages; the format is detected from the content.
// rejects receives each rejected row.
//
// The delta has, for every dimension present (and Total), Day and Month
// keys, and for every pair of dimensions present (not Total) Month keys
// under dimension.Cross with dimension.JoinValues values. Orders are distinct
// order ids per key; a line without an order id (or in a file without an
// order column) is an order of its own.
//
// Returns and cancellations: a line with a negative quantity, or whose
// invoice number is "C" followed by digits (Online Retail's cancellations),
// counts as a return: its revenue and cost are made negative when written
// positive (a negative value stays as written), and its units negative.
// Format.Returns counts them. Zero amounts are lines with zero revenue.
//
// Errors: a file that cannot be read returns an error wrapping
// ErrUnreadable, a header that cannot be mapped a *HeaderError, invalid
// options ErrBadOptions, a sum beyond 19 digits money.ErrOverflow; in
// every case the Result is nil. An error from rejects is returned wrapped.
func ParseWith(r io.Reader, name string, rejects RejectWriter, opt Options) (*Result, error) {
	res, err := parse(r, rejects, &opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// sampleRecords and sampleBytes bound the data rows read ahead to decide
// each numeric column's decimal separator.
const (
	sampleRecords = 2000
	sampleBytes   = 8 << 20
)

func parse(r io.Reader, rejects RejectWriter, opt *Options) (*Result, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	res := &Result{Delta: aggregate.Delta{}}
	src, err := tabular.Open(r, opt.Read, &res.Format.Layout)
	if err != nil {
		return nil, err
	}
	defer func() { src.Close() }()
	cm, headerLine, first, err := readHeader(src, opt)
	if err != nil {
		return nil, err
	}
	if headerLine > 1 {
		res.Format.HeaderLine = headerLine
	}
	res.Format.Columns = cm.describe()
	acc, err := newAccumulator(cm, opt, src.Date1904())
	if err != nil {
		return nil, err
	}
	defer acc.roller.stop() // on errors: finish has stopped it otherwise
	ok := false
	defer func() {
		if !ok {
			acc.closeSpills() // on errors: the Result owns them otherwise
		}
	}()
	p := startPipeline(src, acc, first, res.Format.Delimiter == ";")
	err = p.drive(res, rejects)
	p.stop()
	if err != nil {
		return nil, err
	}
	if res.Rows == 0 {
		return nil, fmt.Errorf("%w: header but no data rows", ErrUnreadable)
	}
	if err := acc.finish(res, rejects); err != nil {
		return nil, err
	}
	res.Format.BlankLines = src.BlankLines()
	ok = true
	return res, nil
}

// maxPreamble is how many title lines may precede the header.
const maxPreamble = 10

// readHeader finds the header: the first row, or after up to maxPreamble
// title rows of at most one cell each. With Options.NoHeader there is none:
// columns are named "#1", "#2"... for the mapping and the first row is
// returned as data.
func readHeader(src *tabular.Reader, opt *Options) (*columnMap, int, *tabular.Record, error) {
	var firstErr error
	for i := 0; i <= maxPreamble; i++ {
		rec, err := src.Next()
		if err == io.EOF {
			if i == 0 {
				return nil, 0, nil, fmt.Errorf("%w: empty file", ErrUnreadable)
			}
			break
		}
		if err != nil {
			return nil, 0, nil, err
		}
		header := make([]string, len(rec.Fields))
		for j, f := range rec.Fields {
			header[j] = headerName(f)
		}
		if opt.NoHeader {
			for j := range header {
				header[j] = fmt.Sprintf("#%d", j+1)
			}
			first := rec.Clone()
			cm, err := mapHeader(header, opt.Mapping)
			return cm, 0, &first, err
		}
		cm, err := mapHeader(header, opt.Mapping)
		if err == nil {
			return cm, rec.Line, nil, nil
		}
		if i == 0 {
			firstErr = err
			var he *HeaderError
			if errors.As(err, &he) && he.Err == ErrMissingColumn && looksLikeData(header) {
				firstErr = &HeaderError{Column: strings.Join(header, ", "), Err: ErrNoHeader,
					Detail: "map the columns by position (no_header and a mapping such as date: \"#2\")"}
			}
		}
		if !errors.Is(err, ErrMissingColumn) || nonEmpty(header) > 1 {
			break
		}
	}
	return nil, 0, nil, firstErr
}

func nonEmpty(ss []string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

// maxDims is how many dimensions a file can have: all but Total.
const maxDims = 10
