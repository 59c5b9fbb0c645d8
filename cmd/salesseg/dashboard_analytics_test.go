package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// spendFile is the synthetic Superstore spend file the acquisition
// checks upload: monthly spend by segment, some naming no segment, and
// one quarter's spend.
const spendFile = "internal/recompute/testdata/superstore_spend_2016-2019.csv"

// uploadSpendHelp is what the acquisition section asks for without spend.
const uploadSpendHelp = "Upload a spend/ file (period, amount, optional segment or channel) to see acquisition cost."

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
	t.Run("customers with a CLV prediction", func(t *testing.T) {
		withCLV, total := 0, 0
		next := ""
		for {
			var page struct {
				Total      int     `json:"total"`
				NextCursor *string `json:"next_cursor"`
				Customers  []struct {
					CLV *string `json:"clv"`
				} `json:"customers"`
			}
			client.get("/v1/analytics/customers?limit=500"+next, &page)
			total = page.Total
			for _, c := range page.Customers {
				if c.CLV != nil {
					withCLV++
				}
			}
			if page.NextCursor == nil {
				break
			}
			next = "&cursor=" + url.QueryEscape(*page.NextCursor)
		}
		want := fmt.Sprintf("%s of %s customers have a CLV prediction.", thousands(withCLV), thousands(total))
		if rep.Customers.CLV.Note != want || withCLV == 0 {
			t.Errorf("the CLV section says %q, the API's customers give %q", rep.Customers.CLV.Note, want)
		}
	})
	t.Run("customer list by quadrant", func(t *testing.T) {
		cq := rep.CustomerQuadrant
		if opts := rep.Customers.CustomerList.Filters["c-quadrant"].Options; len(opts) != 4 {
			t.Errorf("the quadrant filter offers %v, want the 4 quadrants of a trusted model", opts)
		}
		if n := checkCustomerList(t, client, cq.Page, url.Values{"quadrant": {cq.Quadrant}}); n == 0 {
			t.Errorf("no CDNOW customer in quadrant %q", cq.Quadrant)
		}
	})
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

// apiSpend is spend that no acquisition row holds.
type apiSpend struct {
	Period string `json:"period"`
	Spend  string `json:"spend"`
}

// apiAcquisition is GET /v1/acquisition's answer, with its figures as the
// API writes them.
type apiAcquisition struct {
	Period    string `json:"period"`
	Dimension string `json:"dimension"`
	Rows      []struct {
		Value         string  `json:"value"`
		Period        string  `json:"period"`
		Spend         string  `json:"spend"`
		NewCustomers  int64   `json:"new_customers"`
		CAC           *string `json:"cac"`
		PaybackMonths *string `json:"payback_months"`
		MeanCLV       *string `json:"mean_clv"`
		CLVToCAC      *string `json:"clv_to_cac"`
		Conversion    *string `json:"conversion"`
	} `json:"rows"`
	Unattributed []apiSpend `json:"unattributed"`
	Unplaced     []apiSpend `json:"unplaced"`
	Notes        []string   `json:"notes"`
}

// checkNoSpend checks the acquisition section without a spend file: the
// API answers 404 and the section's empty state asks for one.
func checkNoSpend(t *testing.T, client apiClient, p pageFigures) {
	t.Helper()
	var problem struct {
		Detail string `json:"detail"`
	}
	getJSON(t, client.base+"/v1/acquisition?dimension=total&period=quarter", http.StatusNotFound, &problem)
	sec := p.Acquisition
	if sec.State != "empty" || sec.Message != uploadSpendHelp || len(sec.Rows) > 0 || !strings.Contains(problem.Detail, "spend/") {
		t.Errorf("acquisition without a spend file: page %+v with %d rows, API %q", sec.sectionState, len(sec.Rows), problem.Detail)
	}
}

// checkSpend puts the spend file into the stack, recomputes, reads the
// acquisition section in the browser and compares it with the API: in
// total and by segment per quarter, by segment per month, and by
// channel, which the file does not name.
func checkSpend(t *testing.T, s *stack, root string, client apiClient) {
	ctx := context.Background()
	if err := s.upload(ctx, filepath.Join(root, spendFile), "spend/superstore_spend_2016-2019.csv"); err != nil {
		t.Fatal(err)
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	s.dispatch.RunRecompute(ctx)
	rep := runDashboardScript(t, root, "report-acquisition.json", "--base", client.base, "--mode", "acquisition")
	total := spendTotal(t, filepath.Join(root, spendFile))
	for _, c := range []struct {
		name       string
		page       pageFigures
		dim, grain string
	}{
		{"total per quarter", rep.Acquisition.Total, "total", "quarter"},
		{"by segment per quarter", rep.Acquisition.Segment, "segment", "quarter"},
		{"by segment per month", rep.Acquisition.SegmentMonth, "segment", "month"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := checkAcquisition(t, client, c.page, c.dim, c.grain)
			// Every amount of the file is in a row, unattributed or unplaced.
			sum := decimal.Decimal{}
			for _, x := range a.Rows {
				sum = addDecimal(t, sum, x.Spend)
			}
			for _, x := range append(a.Unattributed, a.Unplaced...) {
				sum = addDecimal(t, sum, x.Spend)
			}
			if sum.Cmp(total) != 0 {
				t.Errorf("the API's spend adds up to %s, the file's to %s", sum, total)
			}
		})
	}
	t.Run("by channel", func(t *testing.T) {
		var problem struct {
			Detail string `json:"detail"`
		}
		getJSON(t, client.base+"/v1/acquisition?dimension=channel&period=month", http.StatusNotFound, &problem)
		sec := rep.Acquisition.Channel.Acquisition
		if sec.State != "empty" || sec.Message != problem.Detail+" "+uploadSpendHelp {
			t.Errorf("acquisition by channel: page %+v, API %q", sec.sectionState, problem.Detail)
		}
	})
	if len(rep.A11y.Issues) > 0 {
		t.Errorf("accessibility issues:\n  %s", strings.Join(rep.A11y.Issues, "\n  "))
	}
}

// checkAcquisition compares the acquisition section, by dim per grain,
// with GET /v1/acquisition: every row's exact figures, the note and the
// chart's text alternative. It returns the API's answer.
func checkAcquisition(t *testing.T, client apiClient, p pageFigures, dim, grain string) apiAcquisition {
	t.Helper()
	var want apiAcquisition
	client.get("/v1/acquisition?"+url.Values{"dimension": {dim}, "period": {grain}}.Encode(), &want)
	sec := p.Acquisition
	if sec.State != "ready" || sec.Dimension != dim || sec.Grain != grain || len(sec.Rows) != len(want.Rows) || len(want.Rows) == 0 {
		t.Fatalf("acquisition by %s per %s: page %+v by %s per %s with %d rows, API %d rows",
			dim, grain, sec.sectionState, sec.Dimension, sec.Grain, len(sec.Rows), len(want.Rows))
	}
	for i, r := range want.Rows {
		row := sec.Rows[i]
		what := r.Value + " " + r.Period
		if row["period"].Text != r.Period || (dim != "total" && row["value"].Text != r.Value) {
			t.Errorf("row %d: page %s %s, API %s", i, row["value"].Text, row["period"].Text, what)
		}
		money(t, what+" spend", row["spend"], r.Spend)
		whole(t, what+" new customers", row["new_customers"], r.NewCustomers)
		optional(t, what+" CAC", row["cac"], r.CAC, 2)
		optional(t, what+" payback months", row["payback_months"], r.PaybackMonths, 1)
		optional(t, what+" mean CLV", row["mean_clv"], r.MeanCLV, 2)
		optional(t, what+" CLV:CAC", row["clv_to_cac"], r.CLVToCAC, 2)
		pct(t, what+" conversion", row["conversion"], r.Conversion)
	}
	for _, n := range want.Notes {
		if !strings.Contains(sec.Note, n) {
			t.Errorf("the note leaves out the API's %q: %q", n, sec.Note)
		}
	}
	if len(want.Unattributed) > 0 && !strings.Contains(sec.Note, "in the total only: ") {
		t.Errorf("the note does not give the unattributed spend %v: %q", want.Unattributed, sec.Note)
	}
	if len(want.Unplaced) > 0 && !strings.Contains(sec.Note, "in no row: ") {
		t.Errorf("the note does not give the unplaced spend %v: %q", want.Unplaced, sec.Note)
	}
	if !strings.HasPrefix(sec.Alt, "Line chart of customer acquisition cost per "+grain) {
		t.Errorf("acquisition chart text %q", sec.Alt)
	}
	return want
}

// spendTotal sums the spend file's Spend column exactly.
func spendTotal(t *testing.T, path string) decimal.Decimal {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("read %s: %v", path, err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "Spend" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s has no Spend column: %v", path, recs[0])
	}
	sum := decimal.Decimal{}
	for _, r := range recs[1:] {
		sum = addDecimal(t, sum, r[col])
	}
	return sum
}

// addDecimal adds the decimal string x to sum.
func addDecimal(t *testing.T, sum decimal.Decimal, x string) decimal.Decimal {
	t.Helper()
	d, err := decimal.Parse(x)
	if err != nil {
		t.Fatalf("not a decimal: %q", x)
	}
	if sum, err = sum.Add(d); err != nil {
		t.Fatal(err)
	}
	return sum
}
