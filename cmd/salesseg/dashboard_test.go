package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/devstack"
)

// shown is a figure as the page shows it, with the exact value it carries.
type shown struct {
	Text  string  `json:"text"`
	Exact *string `json:"exact"`
}

type sectionState struct {
	State   string `json:"state"`
	Message string `json:"message"`
}

// pageFigures is what web/e2e/dashboard.mjs reads off the page.
type pageFigures struct {
	Filters map[string]string `json:"filters"`
	KPIs    struct {
		sectionState
		Cards map[string]shown `json:"cards"`
	} `json:"kpis"`
	Segments struct {
		sectionState
		Alt   string             `json:"alt"`
		Rows  []map[string]shown `json:"rows"`
		Total map[string]shown   `json:"total"`
	} `json:"segments"`
	Heatmap struct {
		sectionState
		Columns []string `json:"columns"`
		Rows    []struct {
			Value string  `json:"value"`
			Cells []shown `json:"cells"`
		} `json:"rows"`
	} `json:"heatmap"`
	Trends struct {
		sectionState
		Alt  string             `json:"alt"`
		Rows []map[string]shown `json:"rows"`
	} `json:"trends"`
	Forecast struct {
		sectionState
		Method string             `json:"method"`
		Alt    string             `json:"alt"`
		Rows   []map[string]shown `json:"rows"`
	} `json:"forecast"`
	AsOf     string `json:"asof"`
	Currency string `json:"currency"`
	Dataset  struct {
		Value   string   `json:"value"`
		Options []string `json:"options"`
	} `json:"dataset"`
	CustomerList struct {
		sectionState
		Caption string `json:"caption"`
		Filters map[string]struct {
			Value    string   `json:"value"`
			Disabled bool     `json:"disabled"`
			Options  []string `json:"options"`
		} `json:"filters"`
	} `json:"customer_list"`
	Tiers struct {
		sectionState
		Rows []map[string]shown `json:"rows"`
		Alt  string             `json:"alt"`
		Top  []map[string]shown `json:"top"`
	} `json:"tiers"`
	RFM struct {
		sectionState
		Rows []map[string]shown `json:"rows"`
	} `json:"rfm"`
	Quadrants struct {
		sectionState
		Rows []map[string]shown `json:"rows"`
		Grid []string           `json:"grid"`
	} `json:"quadrants"`
	CLV struct {
		sectionState
		Rows []map[string]shown `json:"rows"`
		Alt  string             `json:"alt"`
		Note string             `json:"note"`
	} `json:"clv"`
	Bridge struct {
		sectionState
		Rows    []map[string]shown `json:"rows"`
		Figures *struct {
			From  string `json:"from"`
			To    string `json:"to"`
			Start string `json:"start"`
			End   string `json:"end"`
			Moves []struct {
				Name    string `json:"name"`
				Revenue string `json:"revenue"`
			} `json:"moves"`
		} `json:"figures"`
	} `json:"bridge"`
	Uploads struct {
		sectionState
		Rows []map[string]shown `json:"rows"`
	} `json:"uploads"`
	Pipeline struct {
		sectionState
		Dimension  string             `json:"dimension"`
		AsOf       string             `json:"as_of"`
		Note       string             `json:"note"`
		Alt        string             `json:"alt"`
		Caption    string             `json:"caption"`
		Rows       []map[string]shown `json:"rows"`
		Total      map[string]shown   `json:"total"`
		Conversion []map[string]shown `json:"conversion"`
	} `json:"pipeline"`
	Holdout struct {
		sectionState
		Summary string             `json:"summary"`
		Alt     string             `json:"alt"`
		Rows    []map[string]shown `json:"rows"`
		Total   map[string]shown   `json:"total"`
	} `json:"holdout"`
	Acquisition struct {
		sectionState
		Dimension string             `json:"dimension"`
		Grain     string             `json:"grain"`
		Note      string             `json:"note"`
		Alt       string             `json:"alt"`
		Caption   string             `json:"caption"`
		Rows      []map[string]shown `json:"rows"`
	} `json:"acquisition"`
}

type audit struct {
	Issues        []string `json:"issues"`
	TextsChecked  int      `json:"texts_checked"`
	WorstContrast float64  `json:"worst_contrast"`
}

// browserReport is the JSON report web/e2e/dashboard.mjs writes.
type browserReport struct {
	Problems                []string `json:"problems"`
	FirstLoadMS             int      `json:"first_load_ms"`
	ReloadMS                int      `json:"reload_ms"`
	TokenRemovedFromAddress bool     `json:"token_removed_from_address"`
	AuthState               string   `json:"auth_state"`
	SignedInAfterReload     string   `json:"signed_in_after_reload"`
	FirstTab                string   `json:"first_tab"`
	WithoutToken            struct {
		AuthState    string       `json:"auth_state"`
		Segments     sectionState `json:"segments"`
		FieldFocused bool         `json:"field_focused"`
		AfterSignIn  string       `json:"after_sign_in"`
	} `json:"without_token"`
	SkipLinkTarget string            `json:"skip_link_target"`
	Progress       map[string]string `json:"progress"`
	Upload         struct {
		State, Message, ID, Status, Key, Rows, Accepted, Rejected, Format string
	} `json:"upload"`
	SegmentsCSV      string      `json:"segments_csv"`
	Tables           int         `json:"tables"`
	TablesWithoutCSV int         `json:"tables_without_csv"`
	BeforeUpload     pageFigures `json:"before_upload"`
	AfterUpload      pageFigures `json:"after_upload"`
	Year2017         pageFigures `json:"year_2017"`
	Crossed          pageFigures `json:"crossed"`
	A11y             audit       `json:"a11y"`
	A11ySegments     audit       `json:"a11y_segments"`
	Phone            struct {
		HorizontalOverflow int         `json:"horizontal_overflow"`
		Page               pageFigures `json:"page"`
	} `json:"phone"`
	Screenshots []string `json:"screenshots"`
	// Deals is what --mode pipeline reads: the pipeline section by its
	// default dimension, by sales agent, by sales agent for 2017-Q2 and
	// then with open deals as of 2017-06-30, and how much wider than a
	// phone the page is.
	Deals struct {
		Default       pageFigures `json:"default"`
		Owner         pageFigures `json:"owner"`
		Quarter       pageFigures `json:"quarter"`
		AsOf          pageFigures `json:"as_of"`
		PhoneOverflow int         `json:"phone_overflow"`
	} `json:"deals"`
	// Acquisition is what --mode acquisition reads: the acquisition
	// section in total per quarter, by segment per quarter and per month,
	// and by channel.
	Acquisition struct {
		Total        pageFigures `json:"total"`
		Segment      pageFigures `json:"segment"`
		SegmentMonth pageFigures `json:"segment_month"`
		Channel      pageFigures `json:"channel"`
	} `json:"acquisition"`
	// Customers is what --mode holdout reads: the whole page, with the
	// customer analytics of the snapshot; CustomerQuadrant the page with
	// the customer list filtered by a quadrant.
	Customers        pageFigures `json:"customers"`
	CustomerQuadrant struct {
		Quadrant string      `json:"quadrant"`
		Page     pageFigures `json:"page"`
	} `json:"customer_quadrant"`
	// Datasets is what --mode datasets reads: the first page a new user
	// sees, the page after an upload into the default dataset, and after
	// picking the sample again, with the API requests of the first load
	// and of the pick.
	Datasets struct {
		First          pageFigures `json:"first"`
		FirstRequests  []string    `json:"first_requests"`
		AfterUpload    pageFigures `json:"after_upload"`
		Picked         pageFigures `json:"picked"`
		PickedRequests []string    `json:"picked_requests"`
	} `json:"datasets"`
	// CustomerSteps are the customer list after each filter --mode
	// datasets picks, with the list downloaded as CSV.
	// Overflow1280 lists the tables shown wider than their box at 1280
	// px, by section; every mode measures its pages, and
	// runDashboardScript fails the test on any.
	Overflow1280 []struct {
		Section  string `json:"section"`
		Table    string `json:"table"`
		Overflow int    `json:"overflow"`
	} `json:"overflow_1280"`
	CustomerSteps []struct {
		ID    string      `json:"id"`
		Value string      `json:"value"`
		Page  pageFigures `json:"page"`
		CSV   string      `json:"csv"`
	} `json:"customer_steps"`
}

// chromiumPath is where Debian's chromium package puts the browser;
// SALESSEG_CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("SALESSEG_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// TestDashboardInBrowser drives the dashboard in headless Chromium against
// the whole local stack: it signs in with the dev token, uploads the bundled
// Superstore sample through the page (presigned PUT with a progress bar),
// waits for ingestion, and checks every figure the page shows against the
// API's JSON for the same request, to the exact decimal behind each rounded
// figure. It also checks keyboard access, labels, text contrast, the phone
// layout and the browser console, and saves screenshots under
// testout/dashboard. Chromium and playwright-core must be installed (`make
// test` does both); the test fails, not skips, without them.
func TestDashboardInBrowser(t *testing.T) {
	s, root := dashboardStack(t)
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	rep := runDashboardScript(t, root, "report.json", "--base", srv.URL, "--file", filepath.Join(root, "infra", "sample", "superstore.csv"))
	t.Logf("first load %d ms (new browser context), reload %d ms; screenshots: %s", rep.FirstLoadMS, rep.ReloadMS, strings.Join(rep.Screenshots, ", "))

	api := apiClient{t: t, base: srv.URL}
	t.Run("sign in and keyboard", func(t *testing.T) {
		if !rep.TokenRemovedFromAddress || rep.AuthState != "Signed in" || rep.SignedInAfterReload != "Signed in" {
			t.Errorf("token handling: removed from address %v, state %q, after reload %q", rep.TokenRemovedFromAddress, rep.AuthState, rep.SignedInAfterReload)
		}
		w := rep.WithoutToken
		if w.Segments.State != "error" || !strings.Contains(w.Segments.Message, "Sign in") || !w.FieldFocused || w.AfterSignIn != "Signed in" {
			t.Errorf("without a token: %+v", w)
		}
		if rep.FirstTab != "Skip to the dashboard" || rep.SkipLinkTarget != "main" {
			t.Errorf("first Tab reached %q and the skip link moved focus to %q", rep.FirstTab, rep.SkipLinkTarget)
		}
	})

	t.Run("upload status", func(t *testing.T) {
		var u struct {
			Status   string          `json:"status"`
			Key      string          `json:"key"`
			Rows     int64           `json:"rows"`
			Accepted int64           `json:"accepted"`
			Rejected int64           `json:"rejected"`
			Format   json.RawMessage `json:"format"`
		}
		api.get("/v1/uploads/"+rep.Upload.ID, &u)
		if rep.Upload.Status != u.Status || rep.Upload.Key != u.Key || u.Status != "succeeded" {
			t.Errorf("page shows %s %q, API %s %q", rep.Upload.Status, rep.Upload.Key, u.Status, u.Key)
		}
		for _, c := range []struct {
			name string
			page string
			api  int64
		}{{"rows", rep.Upload.Rows, u.Rows}, {"accepted", rep.Upload.Accepted, u.Accepted}, {"rejected", rep.Upload.Rejected, u.Rejected}} {
			if strings.ReplaceAll(c.page, ",", "") != fmt.Sprint(c.api) {
				t.Errorf("%s: page %q, API %d", c.name, c.page, c.api)
			}
		}
		if u.Rows != 9994 {
			t.Errorf("the sample has 9994 rows, the API counted %d", u.Rows)
		}
		var f struct {
			Encoding string `json:"encoding"`
		}
		if err := json.Unmarshal(u.Format, &f); err != nil || !strings.Contains(rep.Upload.Format, "encoding "+f.Encoding) {
			t.Errorf("detected format: page %q, API %s", rep.Upload.Format, u.Format)
		}
		if rep.Progress["reached"] != "100" || rep.Progress["events"] == "" {
			t.Errorf("the progress bar did not follow the upload: %v", rep.Progress)
		}
	})

	var dims struct {
		Dimensions []struct {
			Name       string  `json:"name"`
			FirstMonth *string `json:"first_month"`
			LastMonth  *string `json:"last_month"`
		} `json:"dimensions"`
	}
	api.get("/v1/dimensions", &dims)
	var first, last string
	for _, d := range dims.Dimensions {
		if d.Name == "total" && d.FirstMonth != nil && d.LastMonth != nil {
			first, last = *d.FirstMonth, *d.LastMonth
		}
	}
	if first == "" {
		t.Fatalf("the API lists no data range after the upload: %+v", dims)
	}

	t.Run("before the upload", func(t *testing.T) {
		checkNotComputed(t, rep.BeforeUpload)
		checkNoDeals(t, api, rep.BeforeUpload)
		if u := rep.BeforeUpload.Uploads; u.State != "empty" || u.Message != "No uploads yet." || len(u.Rows) > 0 {
			t.Errorf("upload history before any upload: %+v", u)
		}
	})
	t.Run("upload history", func(t *testing.T) {
		var list struct {
			Uploads []struct {
				ID     string `json:"id"`
				Key    string `json:"key"`
				Status string `json:"status"`
				Rows   int64  `json:"rows"`
			} `json:"uploads"`
		}
		api.get("/v1/uploads", &list)
		rows := rep.AfterUpload.Uploads.Rows
		if len(list.Uploads) != 1 || list.Uploads[0].ID != rep.Upload.ID || len(rows) != 1 {
			t.Fatalf("API lists %+v, the page shows %d rows, want the one upload %s", list.Uploads, len(rows), rep.Upload.ID)
		}
		want := map[string]string{"key": list.Uploads[0].Key, "status": list.Uploads[0].Status, "rows": fmt.Sprint(list.Uploads[0].Rows)}
		for col, w := range want {
			got := rows[0][col].Text
			if e := rows[0][col].Exact; e != nil {
				got = *e
			}
			if got != w {
				t.Errorf("history column %s: page %q, API %q", col, got, w)
			}
		}
	})
	t.Run("revenue forecast", func(t *testing.T) { checkRevenueForecast(t, api, rep.AfterUpload) })
	t.Run("tables download as CSV", func(t *testing.T) {
		if rep.Tables < 5 || rep.TablesWithoutCSV != 0 {
			t.Errorf("%d of %d data tables have no CSV download", rep.TablesWithoutCSV, rep.Tables)
		}
		recs, err := csv.NewReader(strings.NewReader(rep.SegmentsCSV)).ReadAll()
		if err != nil {
			t.Fatalf("segments CSV: %v\n%s", err, rep.SegmentsCSV)
		}
		rows := rep.AfterUpload.Segments.Rows
		// The header, a line per segment row and the total.
		if len(recs) != len(rows)+2 || recs[0][0] != "Customer segment" || recs[len(recs)-1][0] != "Total" {
			t.Fatalf("segments CSV has %d lines for %d rows: %q", len(recs), len(rows), recs)
		}
		for i, r := range rows {
			want := r["revenue"].Text
			if r["revenue"].Exact != nil {
				want = *r["revenue"].Exact
			}
			if recs[i+1][0] != r["value"].Text || !slices.Contains(recs[i+1], want) {
				t.Errorf("CSV line %d %q, page %s %s", i+1, recs[i+1], r["value"].Text, want)
			}
		}
	})
	t.Run("all time", func(t *testing.T) {
		checkSegments(t, api, rep.AfterUpload, url.Values{"dimension": {"segment"}, "limit": {"200"}})
		checkKPIs(t, api, rep.AfterUpload, url.Values{})
		checkTrend(t, api, rep.AfterUpload, url.Values{"dimension": {"segment"}, "from": {first}, "to": {last}, "grain": {"month"}, "top": {"6"}})
		checkAnalytics(t, api, rep.AfterUpload, "segment", url.Values{"dimension": {"total"}, "grain": {"month"}}, false)
		if rep.AfterUpload.Heatmap.State != "empty" {
			t.Errorf("heat map without a second dimension: %+v", rep.AfterUpload.Heatmap.sectionState)
		}
		// Superstore is a sales file, not a deal file: still no pipeline.
		checkNoDeals(t, api, rep.AfterUpload)
		// Nor a spend file: no acquisition cost yet.
		checkNoSpend(t, api, rep.AfterUpload)
	})
	t.Run("CLV holdout check", func(t *testing.T) { checkHoldout(t, api, rep.AfterUpload) })
	t.Run("2017 with growth", func(t *testing.T) {
		q := url.Values{"dimension": {"segment"}, "from": {"2017-01"}, "to": {"2017-12"}, "limit": {"200"}}
		checkSegments(t, api, rep.Year2017, q)
		checkKPIs(t, api, rep.Year2017, url.Values{"from": {"2017-01"}, "to": {"2017-12"}})
		checkTrend(t, api, rep.Year2017, url.Values{"dimension": {"segment"}, "from": {"2017-01"}, "to": {"2017-12"}, "grain": {"month"}, "top": {"6"}})
		checkAnalytics(t, api, rep.Year2017, "segment", url.Values{"dimension": {"total"}, "grain": {"month"}, "from": {"2017-01"}, "to": {"2017-12"}}, true)
	})
	t.Run("region crossed with product line", func(t *testing.T) {
		if f := rep.Crossed.Filters; f["dimension"] != "region" || f["cross"] != "category" {
			t.Fatalf("filters in the address: %v", f)
		}
		checkSegments(t, api, rep.Crossed, url.Values{"dimension": {"region"}, "from": {"2017-01"}, "to": {"2017-12"}, "limit": {"200"}})
		checkHeatmap(t, api, rep.Crossed, url.Values{"dimension": {"region,category"}, "from": {"2017-01"}, "to": {"2017-12"}, "limit": {"500"}})
	})
	t.Run("phone", func(t *testing.T) {
		if rep.Phone.HorizontalOverflow > 0 {
			t.Errorf("the page is %d px wider than a 390 px phone screen", rep.Phone.HorizontalOverflow)
		}
		checkSegments(t, api, rep.Phone.Page, url.Values{"dimension": {"segment"}, "limit": {"200"}})
	})
	t.Run("accessibility", func(t *testing.T) {
		for _, a := range []audit{rep.A11y, rep.A11ySegments} {
			if len(a.Issues) > 0 || a.TextsChecked < 50 {
				t.Errorf("%d texts checked, worst contrast %.2f:1, issues:\n  %s", a.TextsChecked, a.WorstContrast, strings.Join(a.Issues, "\n  "))
			}
		}
		for _, alt := range []string{rep.AfterUpload.Segments.Alt, rep.AfterUpload.Trends.Alt} {
			if !strings.Contains(alt, "Consumer") {
				t.Errorf("chart text alternative does not name the values: %q", alt)
			}
		}
	})
	t.Run("speed and screenshots", func(t *testing.T) {
		// Load time is a measurement, not a pass/fail bound: a wall-clock
		// limit fails on a busy machine for no fault of the page. It is
		// logged here and reported in the README.
		t.Logf("load took %d ms (first) and %d ms (reload)", rep.FirstLoadMS, rep.ReloadMS)
		if len(rep.Screenshots) != 10 {
			t.Errorf("screenshots: %v", rep.Screenshots)
		}
		for _, p := range rep.Screenshots {
			if st, err := os.Stat(p); err != nil || st.Size() < 10_000 {
				t.Errorf("screenshot %s missing or blank: %v", p, err)
			}
		}
	})
	// Last, as it adds data: a spend file, then the acquisition section.
	t.Run("acquisition cost with a spend file", func(t *testing.T) { checkSpend(t, s, root, api) })
}

// runDashboardScript runs web/e2e/dashboard.mjs with the dev token, the
// browser and the screenshot directory, plus args, and returns its
// report. Screenshots go to testout/dashboard (git-ignored) for people to
// look at, with a copy of the report named name; the script writes the
// report into this run's own directory, so concurrent runs cannot mix
// their reports. It fails the test when Chromium or playwright-core is
// missing, or when the browser run reports a problem; and, without
// stopping it, for every table the page showed wider than its box at
// 1280 px (columns hidden behind a scroll).
func runDashboardScript(t *testing.T, root, name string, args ...string) browserReport {
	t.Helper()
	browser := chromiumPath()
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("headless Chromium is required at %s (Debian: apt-get install -y chromium; `make test` installs it): %v", browser, err)
	}
	if _, err := os.Stat(filepath.Join(root, "web", "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is not installed: run `make web-deps` (npm ci in web/): %v", err)
	}
	out := filepath.Join(root, "testout", "dashboard")
	reportPath := filepath.Join(t.TempDir(), "report.json")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(root, "web", "e2e", "dashboard.mjs"),
		"--token", devstack.DefaultDevToken, "--out", out, "--report", reportPath, "--chromium", browser}, args...)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	runErr := cmd.Run()
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("browser run wrote no report: %v (%v)\n%s", err, runErr, output.String())
	}
	var rep browserReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("browser report: %v (%v)\n%s", err, runErr, output.String())
	}
	if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
		t.Logf("copy the report next to the screenshots: %v", err)
	}
	if runErr != nil || len(rep.Problems) > 0 {
		t.Fatalf("browser run: %v\nproblems:\n  %s\n%s", runErr, strings.Join(rep.Problems, "\n  "), output.String())
	}
	for _, o := range rep.Overflow1280 {
		t.Errorf("at 1280 px a table of section %s is %d px wider than its box, hiding columns: %q", o.Section, o.Overflow, o.Table)
	}
	return rep
}

// testLog sends the stack's warnings and errors to the test log, so a
// failing browser run shows what the server saw.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// dashboardStack is testStack with recompute running a moment after each
// ingest, as `salesseg local` does, so the page can show customer analytics
// after its upload.
func dashboardStack(t *testing.T) (*stack, string) {
	t.Helper()
	return dashboardStackWith(t, testFunctions(t))
}

// dashboardStackWith is dashboardStack with the functions' configuration fns.
func dashboardStackWith(t *testing.T, fns config.Functions) (*stack, string) {
	t.Helper()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	s, err := startStack(context.Background(), stackOptions{root: root, s3Addr: "127.0.0.1:0", schedule: time.Hour,
		debounce: 500 * time.Millisecond, functions: fns,
		log: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s, root
}

// apiClient makes the page's requests itself, with the dev token.
type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) get(path string, dst any) {
	c.t.Helper()
	getJSON(c.t, c.base+path, http.StatusOK, dst)
}

type apiChange struct {
	Rate *string `json:"rate"`
}

// rate is the change's rate, nil for no change.
func (c *apiChange) rate() *string {
	if c == nil {
		return nil
	}
	return c.Rate
}

type apiGrowth struct {
	Previous *apiChange `json:"previous"`
	YearAgo  *apiChange `json:"year_ago"`
}

type apiSegment struct {
	Value         *string   `json:"value"` // null: unassigned
	Values        []*string `json:"values"`
	Revenue       string    `json:"revenue"`
	Share         *string   `json:"share"`
	Orders        int64     `json:"orders"`
	AvgOrderValue *string   `json:"avg_order_value"`
	Growth        apiGrowth `json:"growth"`
}

// label is how the dashboard names a single-dimension row.
func (s apiSegment) label() string { return labelOf(s.Value) }

// labelOf is how the dashboard names a value: null is unassigned.
func labelOf(v *string) string {
	if v == nil {
		return "Unassigned"
	}
	return *v
}

func checkSegments(t *testing.T, api apiClient, p pageFigures, q url.Values) {
	t.Helper()
	var b struct {
		Revenue  string       `json:"revenue"`
		Orders   int64        `json:"orders"`
		Growth   apiGrowth    `json:"growth"`
		Segments []apiSegment `json:"segments"`
	}
	api.get("/v1/segments?"+q.Encode(), &b)
	if p.Segments.State != "ready" || len(p.Segments.Rows) != len(b.Segments) || len(b.Segments) == 0 {
		t.Fatalf("segments: page %s (%q) with %d rows, API %d", p.Segments.State, p.Segments.Message, len(p.Segments.Rows), len(b.Segments))
	}
	for i, seg := range b.Segments {
		row := p.Segments.Rows[i]
		if row["value"].Text != seg.label() {
			t.Errorf("row %d: page %q, API %q", i, row["value"].Text, seg.label())
		}
		money(t, seg.label()+" revenue", row["revenue"], seg.Revenue)
		pct(t, seg.label()+" share", row["share"], seg.Share)
		whole(t, seg.label()+" orders", row["orders"], seg.Orders)
		if seg.AvgOrderValue != nil {
			money(t, seg.label()+" average order", row["avg_order_value"], *seg.AvgOrderValue)
		}
		if q.Get("from") != "" {
			if seg.Growth.Previous == nil {
				t.Fatalf("%s: the API gives no growth for a closed range", seg.label())
			}
			pct(t, seg.label()+" growth", row["growth"], seg.Growth.Previous.Rate)
		} else if _, ok := row["growth"]; ok {
			t.Errorf("%s: growth column without a closed range", seg.label())
		}
	}
	money(t, "total revenue", p.Segments.Total["revenue"], b.Revenue)
	whole(t, "total orders", p.Segments.Total["orders"], b.Orders)
}

func checkKPIs(t *testing.T, api apiClient, p pageFigures, q url.Values) {
	t.Helper()
	var k struct {
		Revenue     string    `json:"revenue"`
		Orders      int64     `json:"orders"`
		AvgDealSize *string   `json:"avg_deal_size"`
		Growth      apiGrowth `json:"growth"`
		Customers   struct {
			Available bool   `json:"available"`
			Customers *int64 `json:"customers"`
		} `json:"customers"`
	}
	api.get("/v1/kpis?"+q.Encode(), &k)
	if p.KPIs.State != "ready" {
		t.Fatalf("KPIs: %+v", p.KPIs.sectionState)
	}
	c := p.KPIs.Cards
	money(t, "KPI revenue", c["revenue"], k.Revenue)
	whole(t, "KPI orders", c["orders"], k.Orders)
	if k.AvgDealSize != nil {
		money(t, "KPI average deal size", c["avg_deal_size"], *k.AvgDealSize)
	}
	if k.Growth.Previous != nil {
		pct(t, "KPI growth", c["growth"], k.Growth.Previous.Rate)
	} else if c["growth"].Text != "—" {
		t.Errorf("KPI growth shown without a comparison: %q", c["growth"].Text)
	}
	if k.Customers.Available {
		whole(t, "KPI customers", c["customers"], *k.Customers.Customers)
	} else if c["customers"].Text != "—" {
		t.Errorf("customers shown while the API has none: %q", c["customers"].Text)
	}
}

func checkTrend(t *testing.T, api apiClient, p pageFigures, q url.Values) {
	t.Helper()
	var tr struct {
		Total struct {
			Points []struct {
				Period  string    `json:"period"`
				Revenue string    `json:"revenue"`
				Growth  apiGrowth `json:"growth"`
			} `json:"points"`
		} `json:"total"`
	}
	api.get("/v1/trend?"+q.Encode(), &tr)
	if p.Trends.State != "ready" || len(p.Trends.Rows) != len(tr.Total.Points) {
		t.Fatalf("trend: page %s (%q) with %d rows, API %d points", p.Trends.State, p.Trends.Message, len(p.Trends.Rows), len(tr.Total.Points))
	}
	for i, pt := range tr.Total.Points {
		row := p.Trends.Rows[i]
		if row["period"].Text != pt.Period {
			t.Errorf("trend row %d: page %q, API %q", i, row["period"].Text, pt.Period)
		}
		money(t, pt.Period+" revenue", row["revenue"], pt.Revenue)
		pct(t, pt.Period+" growth", row["growth_previous"], pt.Growth.Previous.rate())
		pct(t, pt.Period+" growth on a year", row["growth_year_ago"], pt.Growth.YearAgo.rate())
	}
}

// checkRevenueForecast compares the forecast section with GET /v1/forecast:
// every forecast month and its point forecast, and the method in words.
func checkRevenueForecast(t *testing.T, api apiClient, p pageFigures) {
	t.Helper()
	var fc struct {
		Model  string `json:"model"`
		Reason string `json:"reason"`
		Points []struct {
			Period  string `json:"period"`
			Revenue string `json:"revenue"`
		} `json:"points"`
	}
	api.get("/v1/forecast?horizon=12", &fc)
	f := p.Forecast
	if f.State != "ready" || len(f.Rows) != len(fc.Points) || len(fc.Points) != 12 {
		t.Fatalf("forecast: page %s (%q) with %d rows, API %d points", f.State, f.Message, len(f.Rows), len(fc.Points))
	}
	for i, pt := range fc.Points {
		if f.Rows[i]["period"].Text != pt.Period {
			t.Errorf("forecast row %d: page %q, API %q", i, f.Rows[i]["period"].Text, pt.Period)
		}
		money(t, pt.Period+" forecast", f.Rows[i]["revenue"], pt.Revenue)
	}
	if !strings.HasPrefix(f.Method, fc.Model+". "+fc.Reason) {
		t.Errorf("forecast method %q, API %s: %s", f.Method, fc.Model, fc.Reason)
	}
	if !strings.Contains(f.Alt, "80% and 95% intervals") {
		t.Errorf("forecast chart text %q", f.Alt)
	}
}

func checkHeatmap(t *testing.T, api apiClient, p pageFigures, q url.Values) {
	t.Helper()
	var b struct {
		Segments []apiSegment `json:"segments"`
	}
	api.get("/v1/segments?"+q.Encode(), &b)
	if len(b.Segments) == 0 {
		// Nothing to draw: the page must say so, not invent cells.
		if p.Heatmap.State != "empty" || len(p.Heatmap.Rows) > 0 && p.Heatmap.State == "ready" {
			t.Errorf("the API has no crossed figures but the heat map is %+v", p.Heatmap.sectionState)
		}
		t.Logf("the API has no crossed figures yet; the page says: %s", p.Heatmap.Message)
		return
	}
	want := map[[2]string]string{}
	for _, s := range b.Segments {
		want[[2]string{labelOf(s.Values[0]), labelOf(s.Values[1])}] = s.Revenue
	}
	if p.Heatmap.State != "ready" || len(p.Heatmap.Rows) == 0 {
		t.Fatalf("heat map: %+v", p.Heatmap.sectionState)
	}
	for _, r := range p.Heatmap.Rows {
		for j, cell := range r.Cells {
			exp, ok := want[[2]string{r.Value, p.Heatmap.Columns[j]}]
			switch {
			case !ok && cell.Exact != nil:
				t.Errorf("%s × %s: page %s, API has no figure", r.Value, p.Heatmap.Columns[j], *cell.Exact)
			case ok && (cell.Exact == nil || !sameMoney(t, *cell.Exact, exp)):
				t.Errorf("%s × %s: page %v, API %s", r.Value, p.Heatmap.Columns[j], cell.Exact, exp)
			}
		}
	}
}

// checkNotComputed: before recompute has run, the customer sections say
// so (the API's 404 problem), and show no figures.
func checkNotComputed(t *testing.T, p pageFigures) {
	t.Helper()
	for name, s := range map[string]sectionState{"tiers": p.Tiers.sectionState, "rfm": p.RFM.sectionState,
		"quadrants": p.Quadrants.sectionState, "clv": p.CLV.sectionState, "bridge": p.Bridge.sectionState,
		"holdout": p.Holdout.sectionState, "acquisition": p.Acquisition.sectionState} {
		if s.State != "unavailable" || !strings.Contains(strings.ToLower(s.Message), "not computed yet") {
			t.Errorf("%s before any recompute: %+v", name, s)
		}
	}
	if len(p.Tiers.Rows)+len(p.RFM.Rows)+len(p.Quadrants.Rows)+len(p.CLV.Rows)+len(p.Bridge.Rows)+len(p.Holdout.Rows)+len(p.Acquisition.Rows) > 0 {
		t.Error("customer sections show rows before any recompute")
	}
}

type apiGroups struct {
	Rows []struct {
		Value  string `json:"value"`
		Groups []struct {
			Group         string          `json:"group"`
			Customers     int64           `json:"customers"`
			Revenue       string          `json:"revenue"`
			CustomerShare analytics.Ratio `json:"customer_share"`
			RevenueShare  analytics.Ratio `json:"revenue_share"`
		} `json:"groups"`
	} `json:"rows"`
}

// checkAnalytics compares the customer sections with the snapshot the API
// serves: tiers, RFM groups and quadrants of the whole business, the CLV
// forecast by dim, and the revenue bridge for bridgeQuery (chained over
// the range when ranged).
func checkAnalytics(t *testing.T, api apiClient, p pageFigures, dim string, bridgeQuery url.Values, ranged bool) {
	t.Helper()
	// Quadrants and the CLV forecast are shown only from a trusted model;
	// otherwise the sections give the model's reason.
	var model struct {
		Meta struct {
			CLVStatus string `json:"clv_status"`
			CLVReason string `json:"clv_reason"`
		} `json:"meta"`
	}
	api.get("/v1/analytics/model", &model)
	trusted := model.Meta.CLVStatus == "fitted"
	sections := []struct {
		kind string
		rows []map[string]shown
		sec  sectionState
	}{{"tiers", p.Tiers.Rows, p.Tiers.sectionState}, {"rfm", p.RFM.Rows, p.RFM.sectionState}}
	if trusted {
		sections = append(sections, struct {
			kind string
			rows []map[string]shown
			sec  sectionState
		}{"quadrants", p.Quadrants.Rows, p.Quadrants.sectionState})
	} else {
		for name, sec := range map[string]sectionState{"quadrants": p.Quadrants.sectionState, "clv": p.CLV.sectionState} {
			if sec.State != "unavailable" || model.Meta.CLVReason == "" || !strings.Contains(sec.Message, model.Meta.CLVReason) {
				t.Errorf("%s with the CLV model %s: page %+v, reason %q", name, model.Meta.CLVStatus, sec, model.Meta.CLVReason)
			}
		}
	}
	for _, c := range sections {
		var a apiGroups
		api.get("/v1/analytics/"+c.kind+"?dimension=total", &a)
		if c.sec.State != "ready" || len(a.Rows) != 1 {
			t.Fatalf("%s: page %+v, API %d rows", c.kind, c.sec, len(a.Rows))
		}
		shownRows := map[string]map[string]shown{}
		for _, r := range c.rows {
			shownRows[r["group"].Text] = r
		}
		if len(shownRows) != len(a.Rows[0].Groups) {
			t.Errorf("%s: page shows %d groups, API %d", c.kind, len(shownRows), len(a.Rows[0].Groups))
		}
		for _, g := range a.Rows[0].Groups {
			r, ok := shownRows[g.Group]
			if !ok {
				t.Errorf("%s: group %s missing on the page", c.kind, g.Group)
				continue
			}
			whole(t, c.kind+" "+g.Group+" customers", r["customers"], g.Customers)
			money(t, c.kind+" "+g.Group+" revenue", r["revenue"], g.Revenue)
			share(t, c.kind+" "+g.Group+" share of revenue", r["revenue_share"], g.RevenueShare)
			share(t, c.kind+" "+g.Group+" share of customers", r["customer_share"], g.CustomerShare)
		}
	}
	if !strings.Contains(p.AsOf, "snapshot computed") {
		t.Errorf("no snapshot time on the page: %q", p.AsOf)
	}
	checkTopCustomers(t, api, p)
	if trusted {
		checkForecast(t, api, p, dim)
	}
	checkBridge(t, api, p, bridgeQuery, ranged)
}

// checkTopCustomers compares the tiers section's list of top customers
// with the API's ranking: ids, names (blank for null) and tiers.
func checkTopCustomers(t *testing.T, api apiClient, p pageFigures) {
	t.Helper()
	var list struct {
		Customers []struct {
			ID   string  `json:"id"`
			Name *string `json:"name"`
			Tier string  `json:"tier"`
		} `json:"customers"`
	}
	api.get("/v1/analytics/customers?limit=20", &list)
	if len(p.Tiers.Top) != len(list.Customers) || len(list.Customers) == 0 {
		t.Fatalf("top customers: page shows %d, API %d", len(p.Tiers.Top), len(list.Customers))
	}
	named := 0
	for i, c := range list.Customers {
		r := p.Tiers.Top[i]
		name := ""
		if c.Name != nil {
			name, named = *c.Name, named+1
		}
		if r["id"].Text != c.ID || r["name"].Text != name || r["tier"].Text != c.Tier {
			t.Errorf("top customer %d: page %s %q %s, API %s %q %s", i, r["id"].Text, r["name"].Text, r["tier"].Text, c.ID, name, c.Tier)
		}
	}
	if named == 0 {
		t.Errorf("no top customer has a name: the Superstore file names every one")
	}
}

// checkForecast compares the quadrant grid and the CLV forecast by dim
// with the API's.
func checkForecast(t *testing.T, api apiClient, p pageFigures, dim string) {
	t.Helper()
	if len(p.Quadrants.Grid) != 4 {
		t.Errorf("quadrant grid: %v", p.Quadrants.Grid)
	}

	var fc struct {
		Rows []struct {
			Value            string           `json:"value"`
			Customers        int64            `json:"customers"`
			Revenue          string           `json:"revenue"`
			ProjectedRevenue analytics.Amount `json:"projected_revenue"`
		} `json:"rows"`
	}
	api.get("/v1/analytics/forecast?dimension="+dim, &fc)
	if p.CLV.State != "ready" || len(p.CLV.Rows) != len(fc.Rows) || len(fc.Rows) == 0 {
		t.Fatalf("CLV forecast: page %+v with %d rows, API %d", p.CLV.sectionState, len(p.CLV.Rows), len(fc.Rows))
	}
	for i, r := range fc.Rows {
		whole(t, "forecast "+r.Value+" customers", p.CLV.Rows[i]["customers"], r.Customers)
		money(t, "forecast "+r.Value+" revenue", p.CLV.Rows[i]["revenue"], r.Revenue)
	}
	if !strings.Contains(p.CLV.Alt, "Histogram of customer lifetime value") {
		t.Errorf("CLV chart: %q", p.CLV.Alt)
	}
}

// checkBridge compares the revenue bridge for bridgeQuery (chained over
// the range when ranged) with the API's.
func checkBridge(t *testing.T, api apiClient, p pageFigures, bridgeQuery url.Values, ranged bool) {
	t.Helper()

	var br struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	api.get("/v1/analytics/bridge?"+bridgeQuery.Encode(), &br)
	if p.Bridge.State != "ready" || p.Bridge.Figures == nil || len(br.Rows) == 0 {
		t.Fatalf("bridge: page %+v, API %d rows", p.Bridge.sectionState, len(br.Rows))
	}
	type move struct {
		Revenue string `json:"revenue"`
	}
	field := func(row map[string]json.RawMessage, k string) string {
		var m move
		if err := json.Unmarshal(row[k], &m); err != nil {
			t.Fatalf("bridge %s: %v", k, err)
		}
		return m.Revenue
	}
	span := br.Rows
	if !ranged {
		span = br.Rows[len(br.Rows)-1:]
	}
	f := p.Bridge.Figures
	if !sameMoney(t, f.Start, field(span[0], "start")) || !sameMoney(t, f.End, field(span[len(span)-1], "end")) {
		t.Errorf("bridge start/end: page %s/%s, API %s/%s", f.Start, f.End, field(span[0], "start"), field(span[len(span)-1], "end"))
	}
	total := decimal.MustParse(f.Start)
	for _, m := range f.Moves {
		want := decimal.Decimal{}
		for _, r := range span {
			want, _ = want.Add(decimal.MustParse(field(r, m.Name)))
		}
		if !sameMoney(t, m.Revenue, want.String()) {
			t.Errorf("bridge %s: page %s, API sum %s", m.Name, m.Revenue, want)
		}
		total, _ = total.Add(decimal.MustParse(m.Revenue))
	}
	if !sameMoney(t, total.String(), f.End) {
		t.Errorf("the waterfall does not reconcile: start + movements = %s, end %s", total, f.End)
	}
	listed := br.Rows // the table lists the range, or the last 8 periods
	if !ranged {
		listed = br.Rows[max(0, len(br.Rows)-8):]
	}
	if len(p.Bridge.Rows) != len(listed) {
		t.Fatalf("bridge table: %d periods, API %d", len(p.Bridge.Rows), len(listed))
	}
	for i, r := range listed {
		for _, k := range []string{"start", "new", "reactivated", "expansion", "contraction", "churned", "end"} {
			money(t, "bridge "+p.Bridge.Rows[i]["period"].Text+" "+k, p.Bridge.Rows[i][k], field(r, k))
		}
	}
}

// share checks a float ratio shown as a percentage with one decimal.
func share(t *testing.T, what string, got shown, want analytics.Ratio) {
	t.Helper()
	d := parseShown(t, what, got.Text)
	f, _ := d.Float64()
	// The page rounds the API's four places to one: at most half a
	// tenth of a percent off, and exactly that on a half.
	if diff := f - float64(want)*100; diff > 0.05+1e-9 || diff < -0.05-1e-9 {
		t.Errorf("%s: page shows %q, API %v", what, got.Text, want)
	}
}

// parseShown reads a displayed number: thousands separators, a typographic
// minus and a leading plus allowed.
func parseShown(t *testing.T, what, text string) decimal.Decimal {
	t.Helper()
	s := strings.NewReplacer(",", "", "−", "-", "+", "", "%", "").Replace(text)
	d, err := decimal.Parse(s)
	if err != nil {
		t.Fatalf("%s: page shows %q, not a number", what, text)
	}
	return d
}

// money checks a money figure: the exact value equals the API's, and the
// text is that value rounded to the cent.
func money(t *testing.T, what string, got shown, want string) {
	t.Helper()
	rounded(t, what, got, want, 2)
}

// rounded checks a figure shown rounded to places: the exact value equals
// the API's, and the text is that value rounded, with exactly that many
// places.
func rounded(t *testing.T, what string, got shown, want string, places int) {
	t.Helper()
	if got.Exact == nil {
		t.Errorf("%s: page shows %q with no exact value, API %s", what, got.Text, want)
		return
	}
	if !sameMoney(t, *got.Exact, want) {
		t.Errorf("%s: page carries %s, API %s", what, *got.Exact, want)
		return
	}
	d := parseShown(t, what, got.Text)
	w := decimal.MustParse(want)
	diff, _ := d.Sub(w)
	if d.Scale() != places || diff.Abs().Cmp(decimal.MustNew(5, places+1)) > 0 {
		t.Errorf("%s: page shows %q for %s", what, got.Text, want)
	}
}

// optional checks a figure the API may leave out (null): then the page
// shows "—" and carries no value; otherwise as rounded.
func optional(t *testing.T, what string, got shown, want *string, places int) {
	t.Helper()
	if want == nil {
		if got.Text != "—" || got.Exact != nil {
			t.Errorf("%s: page shows %q (%v), API null", what, got.Text, got.Exact)
		}
		return
	}
	rounded(t, what, got, *want, places)
}

// pct checks a ratio shown as a percentage with one decimal; nil in the
// API shows as "—".
func pct(t *testing.T, what string, got shown, want *string) {
	t.Helper()
	if want == nil {
		if got.Text != "—" || got.Exact != nil {
			t.Errorf("%s: page shows %q (%v), API null", what, got.Text, got.Exact)
		}
		return
	}
	if got.Exact == nil || !sameMoney(t, *got.Exact, *want) {
		t.Errorf("%s: page carries %v, API %s", what, got.Exact, *want)
		return
	}
	d := parseShown(t, what, got.Text)
	w, _ := decimal.MustParse(*want).Mul(decimal.Hundred)
	diff, _ := d.Sub(w)
	if !strings.HasSuffix(got.Text, "%") || diff.Abs().Cmp(decimal.MustParse("0.05")) > 0 {
		t.Errorf("%s: page shows %q for %s", what, got.Text, *want)
	}
}

func whole(t *testing.T, what string, got shown, want int64) {
	t.Helper()
	if strings.ReplaceAll(got.Text, ",", "") != fmt.Sprint(want) {
		t.Errorf("%s: page shows %q, API %d", what, got.Text, want)
	}
}
