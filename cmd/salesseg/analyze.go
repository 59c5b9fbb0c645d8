package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/recompute"
)

// analyzeReport is what `salesseg analyze` prints: the same parts a
// recompute snapshot holds, computed from local files.
type analyzeReport struct {
	Files []string       `json:"files"`
	Meta  recompute.Meta `json:"meta"`
	Parts map[string]any `json:"parts"`
	Names []string       `json:"part_names"`
}

// runAnalyze parses local sales files as ingestion would and runs the
// customer analytics recompute runs, printing them as JSON. -part keeps
// only the parts whose names start with the given prefixes.
func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asOf := fs.String("as-of", "", "day recency and CLV are measured at, YYYY-MM-DD (default: the last purchase day)")
	parts := fs.String("part", "", "comma-separated part name prefixes to print, e.g. meta,tiers/segment,bridge/total/quarter (default: all)")
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
	b := analytics.NewBuilder()
	for _, name := range fs.Args() {
		if err := foldFile(name, b); err != nil {
			return err
		}
	}
	meta, all, err := recompute.Analyze(ctx, b.Build(), nil, at)
	if err != nil {
		return err
	}
	rep := analyzeReport{Files: fs.Args(), Meta: meta, Parts: map[string]any{}}
	for name, v := range all {
		if name != "meta" && keep(name, *parts) {
			rep.Parts[name] = v
			rep.Names = append(rep.Names, name)
		}
	}
	sort.Strings(rep.Names)
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

// foldFile parses one file (rejects to stderr) and folds its purchase
// history into b.
func foldFile(name string, b *analytics.Builder) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rejects := ingest.NewCSVRejects(os.Stderr)
	res, err := ingest.Parse(f, name, rejects)
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
