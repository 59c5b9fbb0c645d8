package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/shareddata"
)

// acrossDatasets are the routes that serve every dataset at once and take
// no dataset parameter.
var acrossDatasets = regexp.MustCompile(`^/v1/(datasets|uploads|health|openapi\.json)(/|$)`)

// TestDashboardDatasetsInBrowser starts the stack as `salesseg local`
// leaves it, the Superstore sample in the dataset "sample" and the default
// dataset empty, and drives the dashboard in headless Chromium: a new user
// sees the sample (the page picks it and names it in the address), every
// data request carries dataset=sample, the customer list filters by tier,
// segment and RFM group as GET /v1/analytics/customers does and downloads
// as CSV; an upload through the page goes to the default dataset, which
// the page then shows; and the dataset picker brings the sample back.
func TestDashboardDatasetsInBrowser(t *testing.T) {
	ctx := context.Background()
	fns := testFunctions(t)
	fns.API.Currency = "USD"
	s, root := dashboardStackWith(t, fns)
	if err := s.loadSample(ctx, filepath.Join(root, "infra", "sample", "superstore.csv")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	retail := shareddata.Path(t, "uci_online_retail_random_sample_2709.csv")
	rep := runDashboardScript(t, root, "report-datasets.json", "--base", srv.URL, "--mode", "datasets", "--file", retail)
	api := apiClient{t: t, base: srv.URL}
	d := rep.Datasets

	t.Run("a new user sees the sample", func(t *testing.T) {
		p := d.First
		if p.Filters["dataset"] != "sample" || p.Dataset.Value != "sample" || !slices.Equal(p.Dataset.Options, []string{"default", "sample"}) {
			t.Errorf("dataset in the address %q, picker %q of %v; want the sample picked of default and sample", p.Filters["dataset"], p.Dataset.Value, p.Dataset.Options)
		}
		sample := url.Values{"dataset": {"sample"}}
		checkSegments(t, api, p, url.Values{"dimension": {"segment"}, "limit": {"200"}, "dataset": {"sample"}})
		checkKPIs(t, api, p, sample)
		checkCustomerList(t, api, p, sample)
		checkDatasetRequests(t, d.FirstRequests, "sample", true)
		if p.Currency != "· amounts in USD" {
			t.Errorf("with CURRENCY=USD the page says %q", p.Currency)
		}
	})
	t.Run("customer list filters", func(t *testing.T) {
		if len(rep.CustomerSteps) != 3 {
			t.Fatalf("%d filter steps, want tier, segment and RFM group", len(rep.CustomerSteps))
		}
		q := url.Values{"dataset": {"sample"}}
		param := map[string][]string{"c-tier": {"tier"}, "c-segment": {"dimension", "value"}, "c-rfm": {"rfm_group"}}
		for _, st := range rep.CustomerSteps {
			if p := param[st.ID]; len(p) == 2 {
				q.Set(p[0], "segment")
				q.Set(p[1], st.Value)
			} else {
				q.Set(p[0], st.Value)
			}
			t.Run(st.ID+"="+st.Value, func(t *testing.T) {
				if got := st.Page.CustomerList.Filters[st.ID].Value; got != st.Value {
					t.Errorf("the filter shows %q, picked %q", got, st.Value)
				}
				n := checkCustomerList(t, api, st.Page, q)
				if n == 0 {
					return // the list says no customer matches; nothing to download
				}
				recs, err := csv.NewReader(strings.NewReader(st.CSV)).ReadAll()
				if err != nil {
					t.Fatalf("customer list CSV: %v\n%s", err, st.CSV)
				}
				if len(recs) != len(st.Page.Tiers.Top)+1 || recs[0][0] != "Customer" {
					t.Fatalf("customer list CSV has %d lines for %d customers: %q", len(recs), len(st.Page.Tiers.Top), recs)
				}
				for i, r := range st.Page.Tiers.Top {
					if recs[i+1][0] != r["id"].Text {
						t.Errorf("CSV line %d: %q, page %s", i+1, recs[i+1], r["id"].Text)
					}
				}
			})
		}
		// The first two filters narrow the list but still match someone.
		for _, st := range rep.CustomerSteps[:2] {
			if len(st.Page.Tiers.Top) == 0 {
				t.Errorf("%s=%s matches nobody", st.ID, st.Value)
			}
		}
	})
	t.Run("an upload goes to the default dataset", func(t *testing.T) {
		p := d.AfterUpload
		if p.Filters["dataset"] != "default" || p.Dataset.Value != "default" {
			t.Errorf("after the upload the page shows dataset %q (picker %q), want default", p.Filters["dataset"], p.Dataset.Value)
		}
		checkSegments(t, api, p, url.Values{"dimension": {p.Filters["dimension"]}, "limit": {"200"}})
		var list struct {
			Uploads []struct {
				Key string `json:"key"`
			} `json:"uploads"`
		}
		api.get("/v1/uploads", &list)
		var keys []string
		for _, u := range list.Uploads {
			keys = append(keys, u.Key)
		}
		// Newest first: the page's upload at the top of the bucket, then
		// the sample in its own dataset.
		if len(keys) != 2 || !strings.HasPrefix(keys[0], "transactions/") || keys[1] != "datasets/sample/transactions/superstore.csv" {
			t.Errorf("uploads %q, want the page's upload in the default dataset and the sample in its own", keys)
		}
	})
	t.Run("the picker brings the sample back", func(t *testing.T) {
		p := d.Picked
		if p.Filters["dataset"] != "sample" || p.Dataset.Value != "sample" {
			t.Errorf("after picking the sample the page shows %q (picker %q)", p.Filters["dataset"], p.Dataset.Value)
		}
		checkSegments(t, api, p, url.Values{"dimension": {p.Filters["dimension"]}, "limit": {"200"}, "dataset": {"sample"}})
		checkKPIs(t, api, p, url.Values{"dataset": {"sample"}})
		checkDatasetRequests(t, d.PickedRequests, "sample", false)
	})
	if len(rep.A11y.Issues) > 0 {
		t.Errorf("accessibility issues:\n  %s", strings.Join(rep.A11y.Issues, "\n  "))
	}
}

// checkDatasetRequests checks that each of the page's API requests to a
// data route carries dataset=want; on the first load, the page may also
// ask whether the default dataset has data (GET /v1/dimensions of
// dataset=default) to decide which one to show.
func checkDatasetRequests(t *testing.T, requests []string, want string, first bool) {
	t.Helper()
	data := 0
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatalf("request %q: %v", r, err)
		}
		if acrossDatasets.MatchString(u.Path) {
			continue
		}
		data++
		ds := u.Query().Get("dataset")
		if ds != want && !(first && u.Path == "/v1/dimensions" && ds == "default") {
			t.Errorf("request %s reads dataset %q, want %q", r, ds, want)
		}
	}
	if data < 10 {
		t.Errorf("only %d data requests seen: %q", data, requests)
	}
}

// checkCustomerList compares the page's customer list with GET
// /v1/analytics/customers for the same filters (q), and returns how many
// customers match.
func checkCustomerList(t *testing.T, api apiClient, p pageFigures, q url.Values) int {
	t.Helper()
	var list struct {
		Total     int `json:"total"`
		Customers []struct {
			ID         string            `json:"id"`
			Tier       string            `json:"tier"`
			RFMGroup   string            `json:"rfm_group"`
			Quadrant   *string           `json:"quadrant"`
			Attributes map[string]string `json:"attributes"`
		} `json:"customers"`
	}
	q = maps.Clone(q)
	q.Set("limit", "20")
	api.get("/v1/analytics/customers?"+q.Encode(), &list)
	if list.Total == 0 {
		if p.CustomerList.State != "empty" || !strings.Contains(p.CustomerList.Message, "No customer has") || len(p.Tiers.Top) > 0 {
			t.Errorf("no customer matches %s, the page shows %+v with %d rows", q.Encode(), p.CustomerList.sectionState, len(p.Tiers.Top))
		}
		return 0
	}
	if p.CustomerList.State != "ready" || len(p.Tiers.Top) != len(list.Customers) {
		t.Fatalf("customers for %s: page %+v with %d rows, API %d", q.Encode(), p.CustomerList.sectionState, len(p.Tiers.Top), len(list.Customers))
	}
	if want := fmt.Sprintf(" of %s customers", thousands(list.Total)); !strings.Contains(p.CustomerList.Caption, want) {
		t.Errorf("caption %q does not say %q", p.CustomerList.Caption, want)
	}
	for i, c := range list.Customers {
		r := p.Tiers.Top[i]
		quadrant := ""
		if c.Quadrant != nil {
			quadrant = *c.Quadrant
		}
		if r["id"].Text != c.ID || r["tier"].Text != c.Tier || r["rfm_group"].Text != c.RFMGroup {
			t.Errorf("customer %d: page %s %s %s, API %s %s %s", i, r["id"].Text, r["tier"].Text, r["rfm_group"].Text, c.ID, c.Tier, c.RFMGroup)
		}
		if got, ok := r["quadrant"]; (ok || quadrant != "") && got.Text != quadrant {
			t.Errorf("customer %s quadrant: page %q, API %q", c.ID, got.Text, quadrant)
		}
		if got, ok := r["segment"]; (ok || c.Attributes["segment"] != "") && got.Text != c.Attributes["segment"] {
			t.Errorf("customer %s segment: page %q, API %q", c.ID, got.Text, c.Attributes["segment"])
		}
	}
	return list.Total
}

// thousands writes n with comma separators, as the page counts.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
