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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

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
}

// ErrCorrupt means a history stream does not decode.
var ErrCorrupt = errors.New("corrupt purchase history")

// Writer encodes purchases to a stream.
type Writer struct {
	enc *json.Encoder
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{enc: json.NewEncoder(w)} }

// Write encodes one purchase.
func (w *Writer) Write(p Purchase) error {
	return w.enc.Encode(p)
}

// Read decodes every purchase in r and calls fn for each, stopping at the
// first error fn returns. Decoding errors, a day that is not a 2006-01-02
// date included, wrap ErrCorrupt and name the line.
func Read(r io.Reader, fn func(Purchase) error) error { return readLines(r, "purchase history", fn) }

// readLines decodes one JSON value of type T per line.
func readLines[T any](r io.Reader, what string, fn func(T) error) error {
	return ndjson.Read(r, what, ErrCorrupt, func(_ int, v T) error { return fn(v) })
}

// Key is where ingestion keeps the purchase history of a file version in
// the bucket, next to its aggregate delta.
func Key(file string) string { return "curated/" + file + ".history.ndjson" }

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
}

// AccountsKey is where ingestion keeps the accounts of a customers file
// version in the bucket.
func AccountsKey(file string) string { return "curated/" + file + ".accounts.ndjson" }

// WriteAccounts encodes accounts, one per line, in id order so the file is
// reproducible; prices, by id, may be nil.
func WriteAccounts(w io.Writer, attrs map[string]map[dimension.Dimension]string, prices map[string]string) error {
	ids := make([]string, 0, len(attrs))
	for id := range attrs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	enc := json.NewEncoder(w)
	for _, id := range ids {
		if err := enc.Encode(Account{ID: id, Attrs: attrs[id], Price: prices[id]}); err != nil {
			return fmt.Errorf("write account %q: %w", id, err)
		}
	}
	return nil
}

// ReadAccounts decodes every account in r and calls fn for each. Decoding
// errors wrap ErrCorrupt and name the line.
func ReadAccounts(r io.Reader, fn func(Account) error) error { return readLines(r, "accounts", fn) }

// The bucket's upload prefixes: sales and deal files under
// TransactionsPrefix, firmographics (one row per customer) under
// CustomersPrefix, and the lookup files that enrich deals under
// ProductsPrefix (one row per product: series, list price) and
// TeamsPrefix (one row per sales agent: manager, regional office).
// Ingestion, recompute and the API's presigned uploads all use these.
const (
	TransactionsPrefix = "transactions/"
	CustomersPrefix    = "customers/"
	ProductsPrefix     = "products/"
	TeamsPrefix        = "teams/"
)

// Prefixes returns every upload prefix whose objects ingestion reads, as
// template.yaml's notification filters list them.
func Prefixes() []string {
	return []string{TransactionsPrefix, CustomersPrefix, ProductsPrefix, TeamsPrefix}
}
