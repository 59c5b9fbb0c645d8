package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// reference is the output of infra/node/reference.mjs: DuckDB's exact
// DECIMAL sums of the same file, computed by code that shares nothing with
// salesseg.
type reference struct {
	Rows         int64                        `json:"rows"`
	Total        string                       `json:"total"`
	ByValue      map[string]string            `json:"by_value"`
	ByValueMonth map[string]map[string]string `json:"by_value_month"`
}

func duckdb(t *testing.T, root string, args ...string) reference {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(root, "infra/node/reference.mjs")}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB reference (installed by make deps): %v", err)
	}
	var ref reference
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func testStack(t *testing.T) (*stack, *httptest.Server, string) {
	t.Helper()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	s, err := startStack(context.Background(), stackOptions{root: root, s3Addr: "127.0.0.1:0", schedule: time.Hour,
		debounce: time.Hour, functions: testFunctions(t), log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	srv := httptest.NewServer(s.gateway)
	t.Cleanup(srv.Close)
	return s, srv, root
}

// testFunctions is the local stack's configuration from an environment
// that only sets MAX_REJECT_RATE=0.2, stricter than the default so that a
// sample file losing rows fails loudly.
func testFunctions(t testing.TB) config.Functions {
	t.Helper()
	fns, err := config.FunctionsFromEnv(localEnv(func(name string) string {
		if name == config.MaxRejectRateVar {
			return "0.2"
		}
		return ""
	}))
	if err != nil {
		t.Fatal(err)
	}
	return fns
}

// TestLocalEnvKeepsSettingsButNotNames checks that the local stack takes
// the functions' settings from its environment, as Lambda does, but always
// its own emulated table and bucket.
func TestLocalEnvKeepsSettingsButNotNames(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "prod-table", "BUCKET_NAME": "prod-bucket", "FISCAL_YEAR_START": "4",
		"MAX_SPOOL_BYTES": "1000", "MAX_REJECT_RATE": "0.1", "LOG_LEVEL": "warn"}
	fns, err := config.FunctionsFromEnv(localEnv(func(name string) string { return env[name] }))
	if err != nil {
		t.Fatal(err)
	}
	if fns.Ingest.Table != localName || fns.API.Table != localName || fns.API.Bucket != localName ||
		fns.Recompute.Table != localName || fns.Recompute.Bucket != localName {
		t.Errorf("names %+v, want %s everywhere", fns, localName)
	}
	if fns.API.Calendar.FiscalStart() != time.April || fns.Ingest.MaxSpoolBytes != 1000 ||
		fns.Ingest.MaxRejectRate != 0.1 || fns.LogLevel != slog.LevelWarn {
		t.Errorf("settings %+v, want April, 1000 bytes, 0.1, warn", fns)
	}
	env["MAX_REJECT_RATE"] = "1.5"
	if _, err := config.FunctionsFromEnv(localEnv(func(name string) string { return env[name] })); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("MAX_REJECT_RATE=1.5: %v, want ErrInvalid", err)
	}
}

// getJSON GETs url with the local dev token, as `salesseg local` prints it.
func getJSON(t *testing.T, url string, wantStatus int, dst any) http.Header {
	t.Helper()
	return getJSONAs(t, "Bearer "+devstack.DefaultDevToken, url, wantStatus, dst)
}

// getJSONAs GETs url with the given Authorization header ("" for none).
func getJSONAs(t *testing.T, authorization, url string, wantStatus int, dst any) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, wantStatus, body)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	return resp.Header
}

type breakdown struct {
	Revenue  string `json:"revenue"`
	Orders   int64  `json:"orders"`
	Lines    int64  `json:"lines"`
	Segments []struct {
		Value   string `json:"value"`
		Revenue string `json:"revenue"`
		Share   string `json:"share"`
	} `json:"segments"`
}

// sameMoney compares decimals by value: "1.50" equals "1.5000".
func sameMoney(t *testing.T, a, b string) bool {
	t.Helper()
	x, err1 := decimal.Parse(a)
	y, err2 := decimal.Parse(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("not decimals: %q %q", a, b)
	}
	return x.Cmp(y) == 0
}

// TestLocalStackServesSuperstoreExactly drives the whole local stack: the
// Windows-1252 Superstore file is put into the emulated bucket, the S3
// notification invokes ingest through Lambda's JSON decoding, and the HTTP
// API answers through the API Gateway event bridge. Every segment's revenue
// must equal DuckDB's exact sum, in total and per month range.
func TestLocalStackServesSuperstoreExactly(t *testing.T) {
	ctx := context.Background()
	s, srv, root := testStack(t)
	file := shareddata.Path(t, "sample_superstore_cp1252.csv")
	ref := duckdb(t, root, "--file", file, "--amount", "Sales", "--date", "Order Date",
		"--date-format", "%m/%d/%Y", "--dimension", "Segment", "--encoding", "cp1252")
	if ref.Rows != 9994 || len(ref.ByValue) != 3 {
		t.Fatalf("reference looks wrong: %d rows, %d segments", ref.Rows, len(ref.ByValue))
	}

	check := func(t *testing.T, from, to string) {
		t.Helper()
		var got breakdown
		getJSON(t, fmt.Sprintf("%s/v1/segments?dimension=Segment&from=%s&to=%s", srv.URL, from, to), http.StatusOK, &got)
		want := map[string]decimal.Decimal{}
		total := decimal.Decimal{}
		for v, months := range ref.ByValueMonth {
			for m, sum := range months {
				if m >= from && m <= to {
					d := decimal.MustParse(sum)
					want[v], _ = want[v].Add(d)
					total, _ = total.Add(d)
				}
			}
		}
		if !sameMoney(t, got.Revenue, total.String()) {
			t.Errorf("%s..%s total %s, DuckDB %s", from, to, got.Revenue, total)
		}
		if len(got.Segments) != len(want) {
			t.Fatalf("%s..%s: %d segments, DuckDB %d", from, to, len(got.Segments), len(want))
		}
		for _, seg := range got.Segments {
			if !sameMoney(t, seg.Revenue, want[seg.Value].String()) {
				t.Errorf("%s..%s %s: %s, DuckDB %s", from, to, seg.Value, seg.Revenue, want[seg.Value])
			}
		}
	}

	if err := s.upload(ctx, file, "transactions/superstore.csv"); err != nil {
		t.Fatal(err)
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("all time", func(t *testing.T) { check(t, "2014-01", "2017-12") })
	t.Run("one quarter", func(t *testing.T) { check(t, "2016-04", "2016-06") })
	t.Run("one month", func(t *testing.T) { check(t, "2017-11", "2017-11") })

	t.Run("same upload twice counts once", func(t *testing.T) {
		if err := s.upload(ctx, file, "transactions/superstore.csv"); err != nil {
			t.Fatal(err)
		}
		if err := s.dispatch.Idle(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, "2014-01", "2017-12")
	})

	t.Run("recompute summary", func(t *testing.T) {
		s.dispatch.RunRecompute(ctx)
		var sum struct {
			ComputedAt string `json:"computed_at"`
			Dimensions map[string][]struct {
				Value   string `json:"value"`
				Revenue string `json:"revenue"`
			} `json:"dimensions"`
		}
		getJSON(t, srv.URL+"/v1/summary", http.StatusOK, &sum)
		if _, err := time.Parse(time.RFC3339, sum.ComputedAt); err != nil {
			t.Errorf("computed_at %q: %v", sum.ComputedAt, err)
		}
		for _, vt := range sum.Dimensions["segment"] {
			if !sameMoney(t, vt.Revenue, ref.ByValue[vt.Value]) {
				t.Errorf("summary %s: %s, DuckDB %s", vt.Value, vt.Revenue, ref.ByValue[vt.Value])
			}
		}
		if len(sum.Dimensions["segment"]) != 3 {
			t.Errorf("summary has %d segments", len(sum.Dimensions["segment"]))
		}
	})
}

func TestLocalStackErrorsAndHealth(t *testing.T) {
	_, srv, _ := testStack(t)
	var health map[string]string
	getJSON(t, srv.URL+"/v1/health", http.StatusOK, &health)
	if health["status"] != "ok" {
		t.Fatalf("health %v", health)
	}
	cases := []struct {
		name, path string
		status     int
		detail     string
	}{
		{"unknown dimension", "/v1/segments?dimension=planet", 400, "unknown dimension"},
		{"missing dimension", "/v1/segments", 400, "dimension is required"},
		{"bad month", "/v1/segments?dimension=segment&from=2016-13", 400, "YYYY-MM"},
		{"reversed range", "/v1/segments?dimension=segment&from=2017-01&to=2016-01", 400, "after"},
		{"injection-like dimension", "/v1/segments?dimension=segment%22%20OR%201%3D1", 400, "unknown dimension"},
		{"unknown upload", "/v1/uploads/0123456789abcdef01234567", 404, "No upload"},
		{"malformed upload id", "/v1/uploads/..%2F..%2Fetc", 404, "hexadecimal"},
		{"no such route", "/v1/nothing", 404, "No route"},
		{"summary before recompute", "/v1/summary", 404, "recompute has not run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p struct {
				Status int    `json:"status"`
				Title  string `json:"title"`
				Detail string `json:"detail"`
			}
			h := getJSON(t, srv.URL+c.path, c.status, &p)
			if ct := h.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			if p.Status != c.status || !strings.Contains(p.Detail, c.detail) {
				t.Errorf("problem %+v, want status %d and detail containing %q", p, c.status, c.detail)
			}
		})
	}
}

// TestLocalGatewayRequiresTheDevToken checks the local stand-in for the JWT
// authorizer: public routes need no token, every other route answers 401
// without the dev token or with a wrong one, as API Gateway would.
func TestLocalGatewayRequiresTheDevToken(t *testing.T) {
	_, srv, _ := testStack(t)
	cases := []struct {
		name, auth, path string
		status           int
	}{
		{"health without token", "", "/v1/health", 200},
		{"openapi without token", "", "/v1/openapi.json", 200},
		{"segments without token", "", "/v1/segments?dimension=segment", 401},
		{"segments with wrong token", "Bearer not-the-token", "/v1/segments?dimension=segment", 401},
		{"segments with basic auth", "Basic ZGV2LXRva2Vu", "/v1/segments?dimension=segment", 401},
		{"segments with dev token", "Bearer " + devstack.DefaultDevToken, "/v1/segments?dimension=segment", 200},
		{"unknown route without token", "", "/v1/nothing", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body map[string]any
			getJSONAs(t, c.auth, srv.URL+c.path, c.status, &body)
		})
	}
}

func TestParseCommandPrintsTotals(t *testing.T) {
	file := shareddata.Path(t, "sample_superstore_utf8bom_2016-2019.csv")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"parse", file}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var rep parseReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 9994 || rep.Format.Encoding != "utf-8-bom" || !sameMoney(t, rep.Totals["segment"]["Corporate"], "706146.3668") {
		t.Fatalf("report %+v", rep)
	}
}

func TestAnalyzeCommandOnALocalFile(t *testing.T) {
	file := shareddata.Path(t, "sample_superstore_cp1252.csv")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "-part", "tiers/segment,rfm/total", file}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Meta struct {
			Customers int    `json:"customers"`
			Revenue   string `json:"revenue"`
		} `json:"meta"`
		Names []string `json:"part_names"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	// 793 customers and the total Sales are the data set's published facts
	// (../shared/data/README.md).
	if rep.Meta.Customers != 793 || !sameMoney(t, rep.Meta.Revenue, "2297200.8603") {
		t.Fatalf("meta %+v", rep.Meta)
	}
	if strings.Join(rep.Names, ",") != "rfm/total,tiers/segment" {
		t.Fatalf("parts %v", rep.Names)
	}
}

// TestAnalyzeFillsAttributesFromACustomersFile runs the analyst command on
// the CRM pipeline with its accounts file: every buying account gets its
// sector as industry, as ingestion would fill it in.
func TestAnalyzeFillsAttributesFromACustomersFile(t *testing.T) {
	pipeline := shareddata.Path(t, "crm_sales_pipeline.csv")
	accounts := shareddata.Path(t, "crm_accounts.csv")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "-part", "tiers/industry", "-customers", accounts, pipeline}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Meta struct {
			Customers int `json:"customers"`
		} `json:"meta"`
		Parts map[string][]struct {
			Value     string `json:"value"`
			Customers int    `json:"customers"`
		} `json:"parts"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	byIndustry := map[string]int{}
	sum := 0
	for _, r := range rep.Parts["tiers/industry"] {
		byIndustry[r.Value] = r.Customers
		sum += r.Customers
	}
	if sum != rep.Meta.Customers || rep.Meta.Customers == 0 {
		t.Fatalf("industries hold %d of %d customers", sum, rep.Meta.Customers)
	}
	// The data set's README: 12 accounts have the misspelled sector
	// "technolgy" (stored capitalised), and every pipeline account is in
	// the accounts file.
	if byIndustry["Technolgy"] != 12 || byIndustry["(blank)"] != 0 {
		t.Fatalf("customers by industry %v", byIndustry)
	}
}

// TestLocalReportsATakenPortFirst checks that `salesseg local` names a
// taken port, and how to choose another, before starting anything.
func TestLocalReportsATakenPortFirst(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"API", []string{"local", "-addr", addr}, "make local PORT=<port>"},
		{"S3", []string{"local", "-addr", "127.0.0.1:0", "-s3-addr", addr}, "make local S3_PORT=<port>"},
		{"failure queue", []string{"local", "-addr", "127.0.0.1:0", "-s3-addr", "127.0.0.1:0", "-sqs-addr", addr}, "make local SQS_PORT=<port>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			start := time.Now()
			err := run(context.Background(), tc.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), addr) {
				t.Fatalf("err %v, want the port %s named with %q", err, addr, tc.want)
			}
			if out.Len() > 0 {
				t.Errorf("printed %q before failing", out.String())
			}
			t.Logf("failed after %v", time.Since(start))
		})
	}
}

// TestAnalyzeWithSpend runs the analyst command on Superstore with a small
// synthetic spend file (testdata/spend_2017.csv): the acquisition parts
// are printed, and January 2017's new customers in total are those an
// independent count of first orders finds, with CAC their spend's share.
func TestAnalyzeWithSpend(t *testing.T) {
	file := shareddata.Path(t, "sample_superstore_utf8bom_2016-2019.csv")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "-part", "acquisition/", "-spend", "testdata/spend_2017.csv", file}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Names []string                         `json:"part_names"`
		Parts map[string]analytics.Acquisition `json:"parts"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := "acquisition/segment/month,acquisition/segment/quarter,acquisition/segment/year,acquisition/total/month,acquisition/total/quarter,acquisition/total/year"
	if strings.Join(rep.Names, ",") != want {
		t.Fatalf("parts %v, want %s", rep.Names, want)
	}
	_, newInJanuary := superstoreCustomers(t, file, time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 1, 31, 0, 0, 0, 0, time.UTC))
	rows := rep.Parts["acquisition/total/month"].Rows
	if len(rows) != 2 || rows[0].Period != "2017-01" || rows[0].NewCustomers != int64(newInJanuary) || !sameMoney(t, rows[0].Spend.String(), "1500") {
		t.Fatalf("total rows %+v, want January 2017 with %d new customers and 1500 spent", rows, newInJanuary)
	}
	if cac := float64(*rows[0].CAC); math.Abs(cac-1500/float64(newInJanuary)) > 0.005 {
		t.Fatalf("CAC %v, want 1500 / %d", cac, newInJanuary)
	}
}

// syncBuffer is a bytes.Buffer that one goroutine writes while another
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// printedURL finds the URLs of the curl commands salesseg local prints.
var printedURL = regexp.MustCompile(`(?m)^\s+curl -s (?:-H '[^']*' )?'([^']+)'$`)

// TestLocalLoadsTheSampleIntoItsOwnDataset runs `salesseg local` as a
// user does and checks that its sample lands in the dataset "sample", not
// in the default dataset a user's own files go to; that every curl
// command it prints answers 200 with the sample's figures; and that the
// default dataset stays empty.
func TestLocalLoadsTheSampleIntoItsOwnDataset(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"local", "-addr", "127.0.0.1:0", "-s3-addr", "127.0.0.1:0", "-dynamodb-port", "0", "-sqs-addr", ""}, &out, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("salesseg local: %v", err)
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "Press Ctrl-C to stop.") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("salesseg local stopped: %v\n%s\n%s", err, out.String(), errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("salesseg local printed no instructions:\n%s\n%s", out.String(), errOut.String())
		}
	}
	printed := out.String()
	ref := duckdb(t, root, "--file", filepath.Join(root, "infra", "sample", "superstore.csv"), "--amount", "Sales",
		"--date", "Order Date", "--date-format", "%m/%d/%Y", "--dimension", "Segment")

	urls := printedURL.FindAllStringSubmatch(printed, -1)
	if len(urls) < 5 {
		t.Fatalf("found %d curl commands in:\n%s", len(urls), printed)
	}
	base := strings.TrimSuffix(urls[len(urls)-1][1], "/v1/openapi.json")
	t.Run("printed commands read the sample", func(t *testing.T) {
		for _, m := range urls {
			u := m[1]
			var body map[string]any
			getJSON(t, u, http.StatusOK, &body)
			if strings.Contains(u, "/v1/segments") || strings.Contains(u, "/v1/trend") || strings.Contains(u, "/v1/kpis") {
				if !strings.Contains(u, "dataset=sample") {
					t.Errorf("%s reads the default dataset, which holds no sample", u)
				}
			}
		}
	})
	t.Run("sample in its own dataset", func(t *testing.T) {
		var list struct {
			Datasets []string `json:"datasets"`
		}
		getJSON(t, base+"/v1/datasets", http.StatusOK, &list)
		if !slices.Equal(list.Datasets, []string{"default", "sample"}) {
			t.Errorf("datasets %v, want default and sample", list.Datasets)
		}
		var got breakdown
		getJSON(t, base+"/v1/segments?dimension=segment&dataset=sample", http.StatusOK, &got)
		if !sameMoney(t, got.Revenue, ref.Total) || len(got.Segments) != 3 {
			t.Errorf("sample dataset: total %s in %d segments, DuckDB %s in 3", got.Revenue, len(got.Segments), ref.Total)
		}
		var tiers struct {
			Rows []struct {
				Customers int `json:"customers"`
			} `json:"rows"`
		}
		getJSON(t, base+"/v1/analytics/tiers?dataset=sample", http.StatusOK, &tiers)
		if len(tiers.Rows) != 1 || tiers.Rows[0].Customers != 793 {
			t.Errorf("sample's customer analytics: %+v, want the 793 Superstore customers", tiers.Rows)
		}
	})
	t.Run("default dataset stays empty", func(t *testing.T) {
		var got breakdown
		getJSON(t, base+"/v1/segments?dimension=segment", http.StatusOK, &got)
		if len(got.Segments) != 0 || !sameMoney(t, got.Revenue, "0") {
			t.Errorf("without dataset=, the sample shows: total %s in %d segments", got.Revenue, len(got.Segments))
		}
		var dims struct {
			Dimensions []struct {
				Name    string `json:"name"`
				HasData bool   `json:"has_data"`
			} `json:"dimensions"`
		}
		getJSON(t, base+"/v1/dimensions", http.StatusOK, &dims)
		for _, d := range dims.Dimensions {
			if d.HasData {
				t.Errorf("the default dataset has data for %s", d.Name)
			}
		}
	})
	if !strings.Contains(printed, `dataset "sample"`) {
		t.Errorf("the instructions do not say where the sample is:\n%s", printed)
	}
}
