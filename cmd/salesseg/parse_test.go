package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// TestParseHelp checks that -h prints the command's usage and flags.
func TestParseHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"parse", "-h"}, &out, &errOut)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(errOut.String(), "usage: salesseg parse") || !strings.Contains(errOut.String(), "-mapping") {
		t.Errorf("usage: %q", errOut.String())
	}
}

// TestMappingFlagReadsHeaderlessCDNOW reads the headerless CDNOW sample
// with a mapping file, as the error for a headerless file suggests:
// parse's total equals a plain sum of the file's amount column, and
// analyze finds the 2,357 customers the published sample has.
func TestMappingFlagReadsHeaderlessCDNOW(t *testing.T) {
	file := shareddata.Path(t, "CDNOW_sample.txt")
	mapping := "testdata/cdnow_mapping.json"

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"parse", file}, &out, &errOut); !errors.Is(err, parser.ErrNoHeader) || !strings.Contains(err.Error(), "no_header") {
		t.Fatalf("without a mapping: %v, want the headerless file refused with advice", err)
	}

	out.Reset()
	if err := run(context.Background(), []string{"parse", "-mapping", mapping, file}, &out, &errOut); err != nil {
		t.Fatalf("parse -mapping: %v\n%s", err, errOut.String())
	}
	var rep parseReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, rows := decimal.Decimal{}, int64(0)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 5 {
			continue
		}
		if sum, err = sum.Add(decimal.MustParse(fields[4])); err != nil {
			t.Fatal(err)
		}
		rows++
	}
	if rep.Rows != rows || rep.Accepted != rows || !sameMoney(t, rep.Totals["total"]["all"], sum.String()) {
		t.Errorf("parse: %d rows, %d accepted, total %s; the file has %d rows summing to %s", rep.Rows, rep.Accepted, rep.Totals["total"]["all"], rows, sum)
	}

	out.Reset()
	if err := run(context.Background(), []string{"analyze", "-mapping", mapping, "-part", "meta", file}, &out, &errOut); err != nil {
		t.Fatalf("analyze -mapping: %v\n%s", err, errOut.String())
	}
	var an struct {
		Meta struct {
			Customers int `json:"customers"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(out.Bytes(), &an); err != nil {
		t.Fatal(err)
	}
	if an.Meta.Customers != 2357 {
		t.Errorf("analyze: %d customers, the CDNOW sample has 2,357", an.Meta.Customers)
	}

	if err := run(context.Background(), []string{"parse", "-mapping", "testdata/missing.json", file}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "-mapping") {
		t.Errorf("missing mapping file: %v", err)
	}
}
