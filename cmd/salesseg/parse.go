package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/parser"
)

// parseReport is what `salesseg parse` prints.
type parseReport struct {
	File     string        `json:"file"`
	Rows     int64         `json:"rows"`
	Accepted int64         `json:"accepted"`
	Rejected int64         `json:"rejected"`
	Format   parser.Format `json:"format"`
	// Seconds is the wall time of parser.Parse alone: reading, parsing
	// and aggregating, without this command's start and report.
	Seconds float64                      `json:"seconds"`
	Totals  map[string]map[string]string `json:"revenue_by_dimension"`
}

// parseMemoryLimit is the Go heap's soft limit for `salesseg parse`:
// what ingestion holds for a 1 GB file fits under it (see the README's
// Measured table), and keeping the heap near its live size keeps the
// process within the 256 MB budget instead of growing to twice that
// between collections.
const parseMemoryLimit = 220 << 20

// runParse parses a local file and prints all-time revenue per dimension
// value; rejected rows go to stderr as CSV.
func runParse(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: salesseg parse [-mapping FILE] FILE\n\nPrints what ingestion makes of a sales file (format, mapping, totals) as JSON; rejected rows go to stderr as CSV.")
		fs.PrintDefaults()
	}
	mapping := fs.String("mapping", "", "a mapping file (JSON, as config/mapping.json in the bucket): columns, date order, no_header, values, ...")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("parse needs exactly one FILE")
	}
	opt, err := mappingOptions(*mapping)
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Ingestion's memory budget (see parseMemoryLimit), unless the
		// environment sets one.
		debug.SetMemoryLimit(parseMemoryLimit)
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(stderr)
	start := time.Now()
	res, err := parser.ParseWith(f, name, rejects, opt)
	took := time.Since(start)
	if err != nil {
		return err
	}
	// The report needs neither the purchase history nor the deals: their
	// spill files can go now.
	if err := res.Close(); err != nil {
		return err
	}
	if err := rejects.Flush(); err != nil {
		return err
	}
	rep := parseReport{File: name, Rows: res.Rows, Accepted: res.Accepted, Rejected: res.Rejected,
		Format: res.Format, Seconds: took.Seconds(), Totals: map[string]map[string]string{}}
	sums := map[[2]string]*aggregate.Measures{}
	// Sums do not depend on the order of the keys: no need to sort them.
	for k, m := range res.Delta {
		if k.Grain != aggregate.Month {
			continue
		}
		id := [2]string{string(k.Dim), k.Value}
		if sums[id] == nil {
			sums[id] = &aggregate.Measures{}
		}
		if err := sums[id].Add(*m); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for id, m := range sums {
		if rep.Totals[id[0]] == nil {
			rep.Totals[id[0]] = map[string]string{}
		}
		rep.Totals[id[0]][id[1]] = m.Revenue.String()
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// mappingOptions reads the parse options of a mapping file; "" is none.
func mappingOptions(path string) (parser.Options, error) {
	var opt parser.Options
	if path == "" {
		return opt, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return opt, fmt.Errorf("-mapping: %w", err)
	}
	defer f.Close()
	m, err := parser.ReadMappingFile(f, path)
	if err != nil {
		return opt, err
	}
	m.Apply(&opt)
	return opt, nil
}
