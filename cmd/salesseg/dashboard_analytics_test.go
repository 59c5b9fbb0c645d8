package main

import (
	"bufio"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// TestDashboardHoldoutInBrowser puts the CDNOW sample (headerless, read
// through its mapping file) into a fresh stack, recomputes, and reads the
// customer analytics in headless Chromium: the CLV holdout check's table
// must carry GET /v1/analytics/holdout's figures for every calibration
// frequency and in total, its sentence the API's dates and totals, and
// the actual purchase days must equal a plain count of the file's
// purchase days after the calibration end. TestDashboardInBrowser checks
// the section when the model is withheld (Superstore).
func TestDashboardHoldoutInBrowser(t *testing.T) {
	ctx := context.Background()
	s, root := dashboardStack(t)
	if err := s.upload(ctx, filepath.Join("testdata", "cdnow_mapping.json"), ingest.ConfigMappings+"CDNOW_sample.txt.json"); err != nil {
		t.Fatal(err)
	}
	if err := s.upload(ctx, shareddata.Path(t, "CDNOW_sample.txt"), "transactions/CDNOW_sample.txt"); err != nil {
		t.Fatal(err)
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	s.dispatch.RunRecompute(ctx)
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	rep := runDashboardScript(t, root, "report-holdout.json", "--base", srv.URL, "--mode", "holdout")
	client := apiClient{t: t, base: srv.URL}

	h := checkHoldout(t, client, rep.Customers)
	if h.Report == nil {
		t.Fatalf("CDNOW has no holdout report: %s", h.Reason)
	}
	if h.Report.NewCustomers != 0 || len(h.Report.Groups) != 8 {
		t.Errorf("%d new customers and %d frequency groups; CDNOW's customers all first bought in 1997-Q1, and the groups are 0 to 7+",
			h.Report.NewCustomers, len(h.Report.Groups))
	}
	whole(t, "purchase days after "+h.CalibrationEnd+" (a count of the file's)", rep.Customers.Holdout.Total["actual"], cdnowDaysAfter(t, h.CalibrationEnd))
	if len(rep.A11y.Issues) > 0 {
		t.Errorf("accessibility issues:\n  %s", strings.Join(rep.A11y.Issues, "\n  "))
	}
}

// cdnowDaysAfter counts the CDNOW sample's purchase days (distinct
// customer and day) after day (YYYY-MM-DD), read as plain text.
func cdnowDaysAfter(t *testing.T, day string) int64 {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, "CDNOW_sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after := strings.ReplaceAll(day, "-", "")
	days := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fl := strings.Fields(sc.Text()); len(fl) == 5 && fl[2] > after {
			days[fl[0]+" "+fl[2]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return int64(len(days))
}

// apiHoldoutGroup is one group of GET /v1/analytics/holdout, with its
// figures as the API writes them.
type apiHoldoutGroup struct {
	Frequency            string `json:"frequency"`
	Customers            int64  `json:"customers"`
	Actual               int64  `json:"actual"`
	Predicted            string `json:"predicted"`
	ActualPerCustomer    string `json:"actual_per_customer"`
	PredictedPerCustomer string `json:"predicted_per_customer"`
}

// apiHoldout is GET /v1/analytics/holdout's answer.
type apiHoldout struct {
	CalibrationEnd string `json:"calibration_end"`
	Report         *struct {
		From         string            `json:"from"`
		To           string            `json:"to"`
		Groups       []apiHoldoutGroup `json:"groups"`
		Total        apiHoldoutGroup   `json:"total"`
		NewCustomers int               `json:"new_customers"`
	} `json:"report"`
	Reason string `json:"reason"`
}

var (
	holdoutExpected = regexp.MustCompile(`the model expected ([0-9,]+\.[0-9]) purchase days`)
	holdoutMade     = regexp.MustCompile(`customers made ([0-9,]+)\.`)
)

// checkHoldout compares the CLV holdout check on the page with
// GET /v1/analytics/holdout: without a report the section's empty state
// gives the API's reason; with one, every group's row and the total row
// carry the API's exact figures, the rows add up to the total, and the
// sentence gives the calibration end, the holdout's dates, and the
// predicted and actual purchase days. It returns the API's answer.
func checkHoldout(t *testing.T, client apiClient, p pageFigures) apiHoldout {
	t.Helper()
	var want apiHoldout
	client.get("/v1/analytics/holdout", &want)
	sec := p.Holdout
	if want.Report == nil {
		if sec.State != "empty" || want.Reason == "" || sec.Message != want.Reason || len(sec.Rows) > 0 {
			t.Errorf("holdout without a report: page %+v with %d rows, API reason %q", sec.sectionState, len(sec.Rows), want.Reason)
		}
		return want
	}
	r := want.Report
	if sec.State != "ready" || len(sec.Rows) != len(r.Groups) || len(r.Groups) == 0 {
		t.Fatalf("holdout: page %+v with %d rows, API %d groups", sec.sectionState, len(sec.Rows), len(r.Groups))
	}
	var customers, actual int64
	for i, g := range r.Groups {
		checkHoldoutRow(t, sec.Rows[i], g, g.Frequency)
		customers += g.Customers
		actual += g.Actual
	}
	checkHoldoutRow(t, sec.Total, r.Total, "All")
	if customers != r.Total.Customers || actual != r.Total.Actual {
		t.Errorf("the groups hold %d customers with %d purchase days, the total %d with %d", customers, actual, r.Total.Customers, r.Total.Actual)
	}
	prefix := "Fitted on purchases up to " + want.CalibrationEnd + ", the model expected "
	if !strings.HasPrefix(sec.Summary, prefix) || !strings.Contains(sec.Summary, " from "+r.From+" to "+r.To+"; ") {
		t.Errorf("holdout sentence %q, API calibration end %s, holdout %s to %s", sec.Summary, want.CalibrationEnd, r.From, r.To)
	}
	if m := holdoutMade.FindStringSubmatch(sec.Summary); m == nil {
		t.Errorf("holdout sentence %q gives no actual purchase days", sec.Summary)
	} else {
		whole(t, "holdout sentence's actual", shown{Text: m[1]}, r.Total.Actual)
	}
	if m := holdoutExpected.FindStringSubmatch(sec.Summary); m == nil {
		t.Errorf("holdout sentence %q gives no expected purchase days", sec.Summary)
	} else if diff, _ := parseShown(t, "holdout sentence", m[1]).Sub(decimal.MustParse(r.Total.Predicted)); diff.Abs().Cmp(decimal.MustParse("0.05")) > 0 {
		t.Errorf("holdout sentence expects %s purchase days, API %s", m[1], r.Total.Predicted)
	}
	if last := r.Groups[len(r.Groups)-1]; !strings.Contains(sec.Alt, "; "+last.Frequency+": actual ") {
		t.Errorf("holdout chart text %q does not name the %s group", sec.Alt, last.Frequency)
	}
	return want
}

// checkHoldoutRow compares one row of the holdout table with the API's group.
func checkHoldoutRow(t *testing.T, row map[string]shown, g apiHoldoutGroup, label string) {
	t.Helper()
	if row["frequency"].Text != label {
		t.Errorf("holdout row %q, API %q", row["frequency"].Text, label)
	}
	whole(t, label+" customers", row["customers"], g.Customers)
	whole(t, label+" actual", row["actual"], g.Actual)
	rounded(t, label+" predicted", row["predicted"], g.Predicted, 2)
	rounded(t, label+" actual per customer", row["actual_per_customer"], g.ActualPerCustomer, 2)
	rounded(t, label+" predicted per customer", row["predicted_per_customer"], g.PredictedPerCustomer, 2)
}
