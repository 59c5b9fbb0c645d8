package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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

// runParse parses a local file and prints all-time revenue per dimension
// value; rejected rows go to stderr as CSV.
func runParse(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("parse needs exactly one FILE")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	start := time.Now()
	res, err := parser.Parse(f, args[0], rejects)
	took := time.Since(start)
	if err != nil {
		return err
	}
	if err := rejects.Flush(); err != nil {
		return err
	}
	rep := parseReport{File: args[0], Rows: res.Rows, Accepted: res.Accepted, Rejected: res.Rejected,
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
			return fmt.Errorf("%s: %w", args[0], err)
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
