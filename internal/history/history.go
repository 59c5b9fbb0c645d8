// Package history carries what ingestion hands to recompute in the bucket:
// per-customer purchase history, the accounts of customers files and the
// acquisition spend of spend files. Ingestion summarises each file version
// to one Purchase per customer and day and keeps them next to the file's
// aggregate delta in S3; recompute reads the histories of all live file
// versions to build the analytics that cannot be summed across files
// (distinct customers, value tiers, RFM, CLV, revenue bridges, acquisition
// cost).
//
// The encoding is newline-delimited JSON, one record per line, so a
// history streams in and out with memory bounded by one line; a sharded
// history (ShardWriter) is that, zstd-compressed shard by shard.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/ndjson"
	"github.com/salesseg/salesseg/internal/period"
)

// Purchase is one customer's activity on one day within one file version.
type Purchase struct {
	Customer string      `json:"c"`
	Day      period.Date `json:"d"` // encoded 2006-01-02
	Orders   int64       `json:"o"` // distinct order ids that day (lines when the file has no order id)
	Lines    int64       `json:"l"`
	Revenue  string      `json:"r"` // exact decimal
	Cost     string      `json:"k,omitempty"`
	// Attrs are the customer's dimension values on that day's last line
	// (segment, industry, size, region, country, and the category and
	// channel of that line).
	Attrs map[dimension.Dimension]string `json:"a,omitempty"`
	// Name is the customer's display name. Ingestion writes it once per
	// customer and file, on the customer's last purchase of the file: the
	// name of its latest day that gave one. Empty elsewhere, and in files
	// without a name column.
	Name string `json:"n,omitempty"`
}

// ErrCorrupt means a history stream does not decode.
var ErrCorrupt = errors.New("corrupt purchase history")

// Writer encodes purchases to a stream.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write encodes one purchase; its error is the stream's.
func (w *Writer) Write(p Purchase) error {
	w.buf = appendPurchase(w.buf[:0], p)
	_, err := w.w.Write(w.buf)
	return err
}

// Read decodes every purchase in r, plain or zstd-compressed (one frame
// or several, as ShardWriter writes them and ranges of it), and calls fn
// for each, stopping at the first error fn returns. Decoding errors, a
// day that is not a 2006-01-02 date or a damaged compressed stream
// included, wrap ErrCorrupt and name the line; r's own errors are
// returned wrapped.
func Read(r io.Reader, fn func(Purchase) error) error {
	const what = "purchase history"
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(len(zstdMagic)); !bytes.Equal(magic, zstdMagic) {
		return readLines(br, what, fn)
	}
	src := &sourceReader{r: br}
	dec, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer dec.Close()
	return readLines(&decompressed{dec: dec, src: src}, what, fn)
}

// zstdMagic starts every zstd frame; no line of JSON starts with it.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// sourceReader remembers the last error of the stream under a decoder, so
// that an error of the decoder's own is told apart from the stream's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// decompressed reads a decoder, turning its own errors (a damaged or
// truncated frame) into ErrCorrupt.
type decompressed struct {
	dec *zstd.Decoder
	src *sourceReader
}

func (d *decompressed) Read(p []byte) (int, error) {
	n, err := d.dec.Read(p)
	if err != nil && err != io.EOF && (d.src.err == nil || d.src.err == io.EOF || !errors.Is(err, d.src.err)) {
		err = fmt.Errorf("%w: compressed purchase history: %v", ErrCorrupt, err)
	}
	return n, err
}

// readLines decodes one JSON value of type T per line.
func readLines[T any](r io.Reader, what string, fn func(T) error) error {
	return ndjson.Read(r, what, ErrCorrupt, func(_ int, v T) error { return fn(v) })
}

// Key is where ingestion keeps the purchase history of a file version in
// the bucket: its lines compressed shard by shard (see ShardWriter).
func Key(file string) string { return "curated/" + file + ".history.ndjson.zst" }

// Account is one row of an attribute table: a customer's firmographics
// from a customers/ file (the attributes that fill in what transaction
// files lack, and the prospects, accounts without purchases, for
// lookalike ranking), or a product or sales agent of a products/ or
// teams/ file, whose ID is then the product or agent.
type Account struct {
	ID    string                         `json:"id"`
	Attrs map[dimension.Dimension]string `json:"a"`
	// Price is a product's list price, an exact decimal; "" for none.
	Price string `json:"p,omitempty"`
	// Name is a customer's display name from a customers file; "" for
	// none. It wins over the names of transactions files.
	Name string `json:"n,omitempty"`
}

// AccountsKey is where ingestion keeps the accounts of a customers file
// version in the bucket.
func AccountsKey(file string) string { return "curated/" + file + ".accounts.ndjson" }

// WriteAccounts encodes accounts, one per line, in id order so the file is
// reproducible; prices and names, by id, may be nil.
func WriteAccounts(w io.Writer, attrs map[string]map[dimension.Dimension]string, prices, names map[string]string) error {
	ids := make([]string, 0, len(attrs))
	for id := range attrs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	enc := json.NewEncoder(w)
	for _, id := range ids {
		if err := enc.Encode(Account{ID: id, Attrs: attrs[id], Price: prices[id], Name: names[id]}); err != nil {
			return fmt.Errorf("write account %q: %w", id, err)
		}
	}
	return nil
}

// ReadAccounts decodes every account in r and calls fn for each. Decoding
// errors wrap ErrCorrupt and name the line.
func ReadAccounts(r io.Reader, fn func(Account) error) error { return readLines(r, "accounts", fn) }

// Spend is the acquisition spend of one period, segment and channel in a
// spend file version: the sum of the file's rows for them.
type Spend struct {
	// Period is the label of the period the spend was made in: a day
	// (2017-03-05), a month (2017-03), a quarter (2017-Q1) or a year
	// (2017), as period.Calendar.Parse reads them.
	Period string `json:"p"`
	// Amount is the exact decimal sum.
	Amount string `json:"m"`
	// Segment and Channel are empty when the rows named none: such spend
	// counts in the total only.
	Segment string `json:"s,omitempty"`
	Channel string `json:"ch,omitempty"`
}

// SpendKey is where ingestion keeps the spend of a spend file version in
// the bucket.
func SpendKey(file string) string { return "curated/" + file + ".spend.ndjson" }

// WriteSpend encodes spend records, one per line, in the order given.
func WriteSpend(w io.Writer, spend []Spend) error {
	enc := json.NewEncoder(w)
	for _, s := range spend {
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("write spend of %s: %w", s.Period, err)
		}
	}
	return nil
}

// ReadSpend decodes every spend record in r and calls fn for each.
// Decoding errors wrap ErrCorrupt and name the line.
func ReadSpend(r io.Reader, fn func(Spend) error) error { return readLines(r, "spend", fn) }

// The bucket's upload prefixes: sales and deal files under
// TransactionsPrefix, firmographics (one row per customer) under
// CustomersPrefix, the lookup files that enrich deals under
// ProductsPrefix (one row per product: series, list price) and
// TeamsPrefix (one row per sales agent: manager, regional office), and
// acquisition spend (period, amount, optional segment and channel) under
// SpendPrefix. Ingestion and recompute read them all; the API presigns
// uploads and finds upload status by key under TransactionsPrefix only.
const (
	TransactionsPrefix = "transactions/"
	CustomersPrefix    = "customers/"
	ProductsPrefix     = "products/"
	TeamsPrefix        = "teams/"
	SpendPrefix        = "spend/"
)

// Prefixes returns every upload prefix whose objects ingestion reads, as
// template.yaml's notification filters list them.
func Prefixes() []string {
	return []string{TransactionsPrefix, CustomersPrefix, ProductsPrefix, TeamsPrefix, SpendPrefix}
}

// Watched returns the key prefixes whose S3 events ingestion is sent, as
// template.yaml's notification filters list them: Prefixes, and the
// datasets' folder, in which Uploaded picks the same prefixes.
func Watched() []string { return append(Prefixes(), dataset.Prefix) }

// Mapping files override what ingestion detects (see package ingest):
// MappingKey applies to every file, MappingsPrefix+"<file name>.json" to
// the files of that name. Their S3 events reach ingestion too, through one
// notification whose filter is MappingsNotifyPrefix and
// MappingsNotifySuffix.
const (
	MappingKey           = "config/mapping.json"
	MappingsPrefix       = "config/mappings/"
	MappingsNotifyPrefix = "config/mapping"
	MappingsNotifySuffix = ".json"
)

// MappingOf reports whether key is a mapping file and, for one that
// applies to a single file name, that name ("" for MappingKey). Keys
// under MappingsPrefix in a further folder, or not ending in .json, are
// not mapping files: ingestion never reads them.
func MappingOf(key string) (name string, ok bool) {
	if key == MappingKey {
		return "", true
	}
	name, ok = strings.CutPrefix(key, MappingsPrefix)
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, ".json")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// Uploaded reports whether an object key is under one of Prefixes: the
// objects whose S3 events ingestion handles, in any dataset (package
// dataset: datasets/<name>/transactions/… too).
func Uploaded(key string) bool {
	rel := dataset.Rel(key)
	for _, p := range Prefixes() {
		if strings.HasPrefix(rel, p) {
			return true
		}
	}
	return false
}
