package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/shareddata"
)

// TestAnalyzeAsOfHoldsOutLaterPurchases runs `salesseg analyze -as-of` on
// the CDNOW sample with the calibration period of Fader, Hardie & Lee
// (2005): the model is fitted on 1997-01-01..1997-09-30 only and recovers
// the published parameters, and the holdout check counts the later
// purchase days exactly as a plain count of the file does.
func TestAnalyzeAsOfHoldsOutLaterPurchases(t *testing.T) {
	file := shareddata.Path(t, "CDNOW_sample.txt")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "-as-of", "1997-09-30", "-mapping", "testdata/cdnow_mapping.json", "-part", "meta", file}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var rep analyzeReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Meta.AsOf != "1997-09-30" || rep.Meta.LastDay != "1997-09-30" || rep.Meta.Customers != 2357 {
		t.Fatalf("meta %+v: want the calibration period only", rep.Meta)
	}
	// Section 4 of the paper: r = 0.243, α = 4.414, a = 0.793, b = 2.426,
	// LL = −9582.4.
	m := rep.Meta.CLV
	if m == nil {
		t.Fatal("no CLV model")
	}
	for _, p := range []struct {
		name      string
		got, want float64
	}{{"r", m.R, 0.243}, {"alpha", m.Alpha, 4.414}, {"a", m.A, 0.793}, {"b", m.B, 2.426}, {"LL", m.LogLikelihood, -9582.4}} {
		if math.Abs(p.got-p.want) > 0.002*math.Abs(p.want) {
			t.Errorf("%s = %.4f, published %.4f", p.name, p.got, p.want)
		}
	}

	// The holdout's purchase days, counted from the file itself.
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	days := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) == 5 && fl[2] > "19970930" {
			days[fl[0]+" "+fl[2]] = true
		}
	}
	h := rep.Holdout
	if h == nil {
		t.Fatal("no holdout report")
	}
	if h.From != "1997-10-01" || h.To != "1998-06-30" || h.Periods != 39 || h.NewCustomers != 0 {
		t.Errorf("holdout %s..%s, %v weeks, %d new customers; want weeks 40-78 of the paper and none new", h.From, h.To, h.Periods, h.NewCustomers)
	}
	if h.Total.Actual != int64(len(days)) || h.Total.Customers != 2357 {
		t.Errorf("holdout: %d purchase days of %d customers, the file has %d days", h.Total.Actual, h.Total.Customers, len(days))
	}
	var customers int
	var actual int64
	for _, g := range h.Groups {
		customers += g.Customers
		actual += g.Actual
		// The model tracks every frequency group, within a third (the
		// paper's conditional-expectation plot shows the same fit).
		if float64(g.Predicted) < 0.66*float64(g.Actual) || float64(g.Predicted) > 1.5*float64(g.Actual) {
			t.Errorf("frequency %s: predicted %.1f, actual %d", g.Frequency, g.Predicted, g.Actual)
		}
	}
	if customers != h.Total.Customers || actual != h.Total.Actual {
		t.Errorf("groups hold %d customers and %d days, the total %d and %d", customers, actual, h.Total.Customers, h.Total.Actual)
	}
	if h.Groups[0].Frequency != "0" || h.Groups[len(h.Groups)-1].Frequency != "7+" {
		t.Errorf("groups %s..%s, want 0..7+", h.Groups[0].Frequency, h.Groups[len(h.Groups)-1].Frequency)
	}
}

// TestAnalyzeAsOfWithAWithheldModel checks that -as-of on data whose CLV
// model is withheld (Superstore) still prints the analytics, with a
// warning instead of the holdout check.
func TestAnalyzeAsOfWithAWithheldModel(t *testing.T) {
	file := shareddata.Path(t, "sample_superstore_cp1252.csv")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "-as-of", "2016-12-31", "-part", "meta", file}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var rep analyzeReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Holdout != nil || rep.Meta.AsOf != "2016-12-31" || !slices.ContainsFunc(rep.Meta.Warnings, func(w string) bool { return strings.HasPrefix(w, "No holdout check") }) {
		t.Errorf("holdout %v, as of %s, warnings %q", rep.Holdout, rep.Meta.AsOf, rep.Meta.Warnings)
	}
}
