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
	"github.com/salesseg/salesseg/internal/api"
	"github.com/salesseg/salesseg/internal/clv"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/pipeline"
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
	// Holdout compares the CLV model, fitted on the purchases up to
	// -as-of, with the purchases after it, when there are any.
	Holdout *analytics.HoldoutReport `json:"holdout,omitempty"`
	// Pipeline is the deal figures by -by, as GET /v1/pipeline gives
	// them, when some FILE is a deal file.
	Pipeline *api.Pipeline `json:"pipeline,omitempty"`
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
	products := fs.String("products", "", "a products lookup file (product, series, list price) for deal files")
	teams := fs.String("teams", "", "a teams lookup file (sales agent, manager, regional office) for deal files")
	by := fs.String("by", string(dimension.Total), "the dimension deal files' pipeline figures are grouped by, e.g. owner, manager, region, product, industry")
	var spendFiles []string
	fs.Func("spend", "an acquisition spend file (period, amount, optional segment and channel), as under spend/ in the bucket: adds the acquisition/... parts (CAC, payback, CLV:CAC); may be repeated",
		func(name string) error { spendFiles = append(spendFiles, name); return nil })
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
		// The mapping's columns are the sales files'; its spellings
		// apply to the accounts too.
		spell := parser.Options{Values: opt.Values, KeepSpelling: opt.KeepSpelling}
		if opt.Customers, err = readAccounts(*customers, spell); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		name string
		key  dimension.Dimension
	}{{*products, dimension.Product}, {*teams, dimension.Owner}} {
		if l.name == "" {
			continue
		}
		tab, err := readTable(l.name, l.key, parser.Options{Values: opt.Values, KeepSpelling: opt.KeepSpelling})
		if err != nil {
			return err
		}
		if opt.Lookups == nil {
			opt.Lookups = map[dimension.Dimension]*parser.Table{}
		}
		opt.Lookups[l.key] = tab
	}
	byDim, err := dimension.Parse(*by)
	if err != nil {
		return fmt.Errorf("-by: %w", err)
	}
	// Deals are figured as of -as-of, as the customers are.
	deals, err := pipeline.NewAccumulator(pipeline.Query{Dim: byDim, AsOf: period.DateOf(at)})
	if err != nil {
		return fmt.Errorf("-by: %w", err)
	}
	accounts := opt.Customers
	var spend []history.Spend
	for _, name := range spendFiles {
		// The mapping's columns are the sales files'; spend files take
		// only its spellings, so their segments meet the customers'.
		s, err := readSpend(name, parser.Options{Values: opt.Values, KeepSpelling: opt.KeepSpelling})
		if err != nil {
			return err
		}
		spend = append(spend, s...)
	}
	b := analytics.NewBuilder()
	// With -as-of, purchases after it are the holdout: the model is
	// fitted without them and then checked against them.
	var hold *recompute.Holdout
	add := b.Add
	if !at.IsZero() {
		hold = recompute.NewHoldout(period.DateOf(at))
		add = hold.Add
	}
	dealFiles := 0
	for _, name := range fs.Args() {
		n, err := foldFile(name, opt, add, deals.Add)
		if err != nil {
			return err
		}
		if n > 0 {
			dealFiles++
		}
	}
	var base *analytics.Base
	if hold != nil {
		base = hold.Calibration()
	} else {
		base = b.Build()
	}
	snap, err := recompute.Analyze(ctx, base, recompute.Prospects(accounts), spend, at)
	if err != nil {
		return err
	}
	var report *analytics.HoldoutReport
	if hold != nil && hold.Later() {
		if m := snap.Meta.CLV; m == nil || snap.Meta.CLVStatus != string(analytics.CLVFitted) {
			snap.Meta.Warnings = append(snap.Meta.Warnings, "No holdout check: the CLV model was withheld ("+snap.Meta.CLVReason+").")
		} else {
			model := analytics.CLVModel{Purchases: clv.BGNBD{R: m.R, Alpha: m.Alpha, A: m.A, B: m.B}, AsOf: period.DateOf(at), UnitDays: m.UnitDays}
			rep, err := hold.Check(base, model)
			if err != nil {
				return err
			}
			report = &rep
		}
	}
	all, err := snap.Encode()
	if err != nil {
		return err
	}
	rep := analyzeReport{Files: fs.Args(), Meta: snap.Meta, Parts: map[string]json.RawMessage{}, Holdout: report}
	if dealFiles > 0 {
		dr, err := deals.Report()
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		rep.Pipeline = api.NewPipeline(dr, dealFiles)
	}
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
func readAccounts(name string, opt parser.Options) (map[string]map[dimension.Dimension]string, error) {
	t, err := readTable(name, "", opt)
	if err != nil {
		return nil, err
	}
	return t.Attrs, nil
}

// readTable parses a customers file (key "") or a lookup file keyed by
// dimension key, rejects to stderr.
func readTable(name string, key dimension.Dimension, opt parser.Options) (*parser.Table, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	var res *parser.Table
	if key == "" {
		res, err = parser.ParseCustomers(f, name, rejects, opt)
	} else {
		res, err = parser.ParseLookup(f, name, key, rejects, opt)
	}
	if err != nil {
		return nil, err
	}
	return res, rejects.Flush()
}

// readSpend parses a spend file (rejects to stderr).
func readSpend(name string, opt parser.Options) ([]history.Spend, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	res, err := parser.ParseSpend(f, name, rejects, opt)
	if err != nil {
		return nil, err
	}
	return res.Records, rejects.Flush()
}

// foldFile parses one sales file with opt (rejects to stderr), filling in
// missing attributes from opt.Customers and opt.Lookups as ingestion does,
// hands each purchase of its history to add and each deal of a deal file
// to deal, and returns how many deals it had.
func foldFile(name string, opt parser.Options, add func(history.Purchase) error, deal func(pipeline.Deal) error) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rejects := parser.NewCSVRejects(os.Stderr)
	res, err := parser.ParseWith(f, name, rejects, opt)
	if err != nil {
		return 0, err
	}
	defer res.Close()
	if err := rejects.Flush(); err != nil {
		return 0, err
	}
	if err := res.Purchases(add); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if err := res.Deals(deal); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return res.DealCount(), nil
}
