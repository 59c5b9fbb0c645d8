package recompute_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

// acquisitionRef is the output of infra/node/acquisition_reference.mjs:
// DuckDB's new customers, spend, CAC and first-year margin per month, by
// value and in total.
type acquisitionRef struct {
	ByValue map[string]map[string]refMonth `json:"by_value"`
	Total   map[string]refMonth            `json:"total"`
}

type refMonth struct {
	New    int64   `json:"new"`
	Spend  string  `json:"spend"`
	CAC    *string `json:"cac"`
	Margin string  `json:"margin"`
	Months int64   `json:"months"`
}

// toFloat reads a decimal string of the reference as a float64.
func toFloat(s string) float64 {
	f, _ := decimal.MustParse(s).Float64()
	return f
}

// duckAcquisition runs the DuckDB reference (installed by make deps).
func duckAcquisition(t *testing.T, args ...string) acquisitionRef {
	t.Helper()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", append([]string{filepath.Join(root, "infra/node/acquisition_reference.mjs")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB reference (installed by make deps) %v: %v\n%s", args, err, stderr.String())
	}
	var ref acquisitionRef
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestAcquisitionOnSuperstore ingests Superstore 2016-2019 and a synthetic
// monthly spend file by segment (testdata/superstore_spend_2016-2019.csv:
// made-up amounts, with some spend naming no segment and one quarter's
// spend) through the real ingest handler, recomputes, and checks the
// snapshot's acquisition parts against DuckDB: new customers, spend and
// first-year margin exactly, CAC to the cent (half a cent either way), payback from them, and the
// spend that fits no row listed apart.
func TestAcquisitionOnSuperstore(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	svc := ingest.New(emu.Clients.S3, st, quiet, ingest.ServiceOptions{MaxRejectRate: 0.5})
	const salesName, spendPath = "sample_superstore_utf8bom_2016-2019.csv", "testdata/superstore_spend_2016-2019.csv"
	for i, f := range []struct{ key, path string }{
		{"transactions/superstore.csv", shareddata.Path(t, salesName)},
		{"spend/2016-2019.csv", spendPath},
	} {
		body, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(f.key), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: emu.Bucket},
			Object: events.S3Object{Key: f.key, VersionID: aws.ToString(out.VersionId), Sequencer: fmt.Sprintf("%02X", i+1)}}}}}
		if err := svc.HandleS3(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	res, err := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := duckAcquisition(t, "--file", shareddata.Path(t, salesName), "--customer", "Customer ID", "--date", "Order Date",
		"--date-format", "%m/%d/%Y", "--dimension", "Segment", "--profit", "Profit",
		"--spend", spendPath, "--spend-month", "Month", "--spend-value", "Segment", "--spend-amount", "Spend")
	if len(ref.ByValue) != 3 || len(ref.Total) != 48 {
		t.Fatalf("reference has %d segments and %d months, want 3 and 48", len(ref.ByValue), len(ref.Total))
	}
	part := func(d dimension.Dimension, g analytics.Grain) analytics.Acquisition {
		return readPart(t, ctx, st, res.Snapshot.ID, snapshot.AcquisitionPart(d, g))
	}

	compare := func(t *testing.T, a analytics.Acquisition, want map[string]map[string]refMonth) {
		rows := 0
		for _, r := range a.Rows {
			w, ok := want[r.Value][r.Period]
			if !ok {
				t.Errorf("%s %s: not in the reference", r.Value, r.Period)
				continue
			}
			rows++
			if r.NewCustomers != w.New || !r.Matched || r.ObservedMonths != w.Months {
				t.Errorf("%s %s: %d new customers over %d months (matched %v), DuckDB %d over %d", r.Value, r.Period,
					r.NewCustomers, r.ObservedMonths, r.Matched, w.New, w.Months)
			}
			if s := decimal.MustParse(w.Spend); r.Spend.Cmp(s) != 0 {
				t.Errorf("%s %s: spend %s, DuckDB %s", r.Value, r.Period, r.Spend, w.Spend)
			}
			if m := decimal.MustParse(w.Margin); r.FirstYearMargin.Cmp(m) != 0 {
				t.Errorf("%s %s: first-year margin %s, DuckDB %s", r.Value, r.Period, r.FirstYearMargin, w.Margin)
			}
			switch {
			case w.CAC == nil && r.CAC != nil:
				t.Errorf("%s %s: CAC %v without new customers", r.Value, r.Period, *r.CAC)
			case w.CAC != nil && (r.CAC == nil || math.Abs(float64(*r.CAC)-toFloat(*w.CAC)) > 0.005+1e-9):
				// CAC is stored with 2 places, DuckDB's with 6.
				t.Errorf("%s %s: CAC %v, DuckDB %s", r.Value, r.Period, show(r.CAC), *w.CAC)
			}
			if r.CAC != nil {
				// Both are stored with 2 places: payback is the unrounded
				// CAC over the average monthly margin, then rounded.
				perMonth := toFloat(w.Margin) / float64(w.Months)
				want := toFloat(w.Spend) / float64(w.New) / perMonth
				switch {
				case perMonth <= 0 && r.PaybackMonths != nil:
					t.Errorf("%s %s: payback %v on a margin of %s", r.Value, r.Period, *r.PaybackMonths, w.Margin)
				case perMonth > 0 && (r.PaybackMonths == nil || math.Abs(float64(*r.PaybackMonths)-want) > 0.005+1e-9):
					t.Errorf("%s %s: payback %v, want %v", r.Value, r.Period, show(r.PaybackMonths), want)
				}
			}
			if r.MeanCLV != nil || r.CLVToCAC != nil {
				t.Errorf("%s %s: CLV figures although Superstore's CLV model is withheld", r.Value, r.Period)
			}
		}
		n := 0
		for _, months := range want {
			n += len(months)
		}
		if rows != n {
			t.Errorf("%d rows, DuckDB %d", rows, n)
		}
		if a.PaybackBasis != analytics.BasisGrossMargin {
			t.Errorf("payback basis %s, want gross margin (every Superstore line has a profit)", a.PaybackBasis)
		}
	}
	t.Run("by segment per month", func(t *testing.T) {
		a := part(dimension.Segment, analytics.ByMonth)
		compare(t, a, ref.ByValue)
		if got := fmt.Sprint(a.Unplaced); got != "[{2017-Q4 1200.00}]" {
			t.Errorf("unplaced %s, want the quarter's spend", got)
		}
		if len(a.Unattributed) != 8 || a.Unattributed[0].Period != "2016-06" {
			t.Errorf("unattributed %v, want the 8 half-year rows without a segment", a.Unattributed)
		}
		if notes := strings.Join(a.Notes, " "); !strings.Contains(notes, "withheld") || !strings.Contains(notes, "known from the start of the data") {
			t.Errorf("notes %q do not say the CLV model is withheld and how accounts count", notes)
		}
	})
	t.Run("in total per month", func(t *testing.T) {
		compare(t, part(dimension.Total, analytics.ByMonth), map[string]map[string]refMonth{dimension.TotalValue: ref.Total})
	})
	t.Run("a quarter holds its months and the quarter's own spend", func(t *testing.T) {
		q4 := decimal.MustParse("1200")
		for _, m := range []string{"2017-10", "2017-11", "2017-12"} {
			var err error
			if q4, err = money.Add(q4, decimal.MustParse(ref.ByValue["Consumer"][m].Spend)); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range part(dimension.Segment, analytics.ByQuarter).Rows {
			if r.Value == "Consumer" && r.Period == "2017-Q4" {
				if r.Spend.Cmp(q4) != 0 {
					t.Fatalf("Consumer 2017-Q4 spend %s, want %s", r.Spend, q4)
				}
				return
			}
		}
		t.Fatal("no Consumer 2017-Q4 row")
	})
}

// show prints a nullable figure.
func show(a *analytics.Amount) string {
	if a == nil {
		return "null"
	}
	return fmt.Sprint(float64(*a))
}
