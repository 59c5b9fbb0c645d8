package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// analyzeReport is what `salesseg analyze` prints: the same parts a
// recompute snapshot holds, computed from local files.
type analyzeReport struct {
	Files []string                   `json:"files"`
	Meta  snapshot.Meta              `json:"meta"`
	Parts map[string]json.RawMessage `json:"parts"`
	Names []string                   `json:"part_names"`
}

// runAnalyze parses local sales files as ingestion would and runs the
// customer analytics recompute runs, printing them as JSON. -part keeps
// only the parts whose names start with the given prefixes.
func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asOf := fs.String("as-of", "", "day recency and CLV are measured at, YYYY-MM-DD (default: the last purchase day)")
	parts := fs.String("part", "", "comma-separated part name prefixes to print, e.g. meta,tiers/segment,bridge/total/quarter (default: all)")
	mapping := fs.String("mapping", "", "a mapping file (JSON, as config/mapping.json in the bucket) applied to every FILE")
	customers := fs.String("customers", "", "a customers (firmographics) file: fills in missing attributes and ranks accounts without purchases as lookalike prospects")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("analyze needs at least one FILE")
	}
	at := time.Time{}
	if *asOf != "" {
		var err error
		if at, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return fmt.Errorf("-as-of: %w", err)
		}
	}
	opt, err := mappingOptions(*mapping)
	if err != nil {
		return err
	}
	if *customers != "" {
		if opt.Customers, err = readAccounts(*customers); err != nil {
			return err
		}
	}
	accounts := opt.Customers
	b := analytics.NewBuilder()
	for _, name := range fs.Args() {
		if err := foldFile(name, opt, b); err != nil {
			return err
		}
	}
	snap, err := recompute.Analyze(ctx, b.Build(), recompute.Prospects(accounts), at)
	if err != nil {
		return err
	}
	all, err := snap.Encode()
	if err != nil {
		return err
	}
	rep := analyzeReport{Files: fs.Args(), Meta: snap.Meta, Parts: map[string]json.RawMessage{}}
	for _, p := range all {
		if p.Name != snapshot.MetaPart().Name() && keep(p.Name, *parts) {
			rep.Parts[p.Name] = p.Data
			rep.Names = append(rep.Names, p.Name)
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func keep(name, prefixes string) bool {
	if prefixes == "" {
		return true
	}
	for _, p := range strings.Split(prefixes, ",") {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// readAccounts parses a customers file (rejects to stderr).
func readAccounts(name string) (map[string]map[dimension.Dimension]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	res, err := parser.ParseCustomers(f, name, rejects, parser.Options{})
	if err != nil {
		return nil, err
	}
	return res.Attrs, rejects.Flush()
}

// foldFile parses one sales file with opt (rejects to stderr), filling in
// missing attributes from opt.Customers as ingestion does, and folds its
// purchase history into b.
func foldFile(name string, opt parser.Options, b *analytics.Builder) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	res, err := parser.ParseWith(f, name, rejects, opt)
	if err != nil {
		return err
	}
	if err := rejects.Flush(); err != nil {
		return err
	}
	if err := res.Purchases(b.Add); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
