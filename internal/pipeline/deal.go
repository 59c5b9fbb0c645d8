// Package pipeline keeps deals as their own records and computes the
// pipeline figures a sales leader reads by segment: open pipeline by
// stage as of a date, won and lost deals, win rates, won-deal cycle,
// sales velocity and stage conversion.
//
// Ingestion writes every deal of a deal file (a file with a stage column)
// as one Deal per line next to the file's other curated outputs, so that
// replacing or deleting the file replaces or deletes its deals exactly as
// it does its aggregates: the figures come from the deals of the live
// file versions only.
package pipeline

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// Outcome is where a deal stands: still open, won or lost.
type Outcome string

// The outcomes of a deal. A stage such as "Won" or "Closed Won" is won,
// "Lost" or "Closed Lost" lost, and every other stage open.
const (
	Open Outcome = "open"
	Won  Outcome = "won"
	Lost Outcome = "lost"
)

// Deal is one opportunity as its file gives it.
type Deal struct {
	// ID is the deal's id in its file ("" when the file has none).
	ID string `json:"id,omitempty"`
	// Account is the customer the deal is with; "" when the cell is empty.
	Account string `json:"c,omitempty"`
	// Stage is the stage as the file spells it (after respelling), such
	// as "Engaging" or "Won".
	Stage   string  `json:"s"`
	Outcome Outcome `json:"o"`
	// Created is when the deal was created or engaged; zero when unknown.
	Created period.Date `json:"cr,omitempty"`
	// Closed is a won or lost deal's close date; zero for open deals.
	Closed period.Date `json:"cl,omitempty"`
	// Value is the deal's value as an exact decimal; "" when the file
	// gives none. For an open deal without a value it is the product's
	// list price when a products file gives one, and Listed is set.
	Value  string `json:"v,omitempty"`
	Listed bool   `json:"lp,omitempty"`
	// Attrs are the deal's dimension values (segment, industry, product,
	// owner, manager, region…), from its row, the customers file of its
	// account, and the products and teams files; a dimension without a
	// value is left out.
	Attrs map[dimension.Dimension]string `json:"a,omitempty"`
}

// ErrCorrupt means a deals stream does not decode.
var ErrCorrupt = errors.New("corrupt deals")

// Key is where ingestion keeps the deals of a file version in the bucket,
// next to its aggregate delta and purchase history.
func Key(file string) string { return Prefix + file + ".ndjson" }

// Prefix is where every deals file is kept, so that one listing finds
// the deals of every file version.
const Prefix = "curated/deals/"

// Writer encodes deals to a stream, one JSON object per line.
type Writer struct {
	enc *json.Encoder
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{enc: json.NewEncoder(w)} }

// Write encodes one deal.
func (w *Writer) Write(d Deal) error { return w.enc.Encode(d) }
