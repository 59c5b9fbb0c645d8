package main

import (
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// superstoreCustomers counts distinct customers, and those whose first
// order falls in [from, to], straight from the UTF-8 Superstore file with
// encoding/csv: an independent reference for the recompute snapshot.
func superstoreCustomers(t *testing.T, path string, from, to time.Time) (active, newOnes int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	first := map[string]time.Time{}
	inRange := map[string]bool{}
	for _, row := range rows[1:] {
		d, err := time.Parse("1/2/2006", row[col["Order Date"]])
		if err != nil {
			t.Fatal(err)
		}
		id := row[col["Customer ID"]]
		if f, ok := first[id]; !ok || d.Before(f) {
			first[id] = d
		}
		if !d.Before(from) && !d.After(to) {
			inRange[id] = true
		}
	}
	for id := range inRange {
		if !first[id].Before(from) {
			newOnes++
		}
	}
	return len(inRange), newOnes
}

// TestLocalStackCustomerAnalytics ingests Superstore, runs recompute and
// reads the customer analytics back through the HTTP API: counts match an
// independent computation and every revenue bridge row reconciles exactly.
func TestLocalStackCustomerAnalytics(t *testing.T) {
	ctx := context.Background()
	s, srv, _ := testStack(t)
	file := shareddata.Path(t, "sample_superstore_utf8bom_2016-2019.csv")
	if err := s.upload(ctx, file, "transactions/superstore.csv"); err != nil {
		t.Fatal(err)
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	s.dispatch.RunRecompute(ctx)

	var model struct {
		Snapshot struct {
			AsOf string `json:"as_of"`
		} `json:"snapshot"`
		Meta struct {
			Customers int                               `json:"customers"`
			Revenue   string                            `json:"revenue"`
			CLV       *struct{ R, Alpha, A, B float64 } `json:"clv"`
		} `json:"meta"`
	}
	getJSON(t, srv.URL+"/v1/analytics/model", http.StatusOK, &model)
	if model.Meta.Customers != 793 || !sameMoney(t, model.Meta.Revenue, "2297200.8603") || model.Meta.CLV == nil {
		t.Fatalf("model %+v", model.Meta)
	}

	t.Run("tiers cover every customer", func(t *testing.T) {
		var tiers struct {
			Rows []struct {
				Value     string `json:"value"`
				Customers int    `json:"customers"`
				Groups    []struct {
					Group     string `json:"group"`
					Customers int    `json:"customers"`
				} `json:"groups"`
			} `json:"rows"`
		}
		getJSON(t, srv.URL+"/v1/analytics/tiers?dimension=segment", http.StatusOK, &tiers)
		total := 0
		for _, r := range tiers.Rows {
			sum := 0
			for _, g := range r.Groups {
				sum += g.Customers
			}
			if sum != r.Customers {
				t.Errorf("%s: tiers hold %d of %d customers", r.Value, sum, r.Customers)
			}
			total += r.Customers
		}
		if total != 793 {
			t.Fatalf("segments hold %d customers, want 793", total)
		}
	})

	t.Run("quarter KPIs count customers like the raw file", func(t *testing.T) {
		from, to := time.Date(2019, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC)
		active, newOnes := superstoreCustomers(t, file, from, to)
		var k struct {
			Customers struct {
				Available bool   `json:"available"`
				Customers *int64 `json:"customers"`
				New       *int64 `json:"new"`
			} `json:"customers"`
		}
		getJSON(t, srv.URL+"/v1/kpis?period=2019-Q4", http.StatusOK, &k)
		if !k.Customers.Available || *k.Customers.Customers != int64(active) || *k.Customers.New != int64(newOnes) {
			t.Fatalf("customers %+v, want %d active, %d new", k.Customers, active, newOnes)
		}
	})

	t.Run("every bridge row reconciles", func(t *testing.T) {
		type mv struct {
			Customers int64  `json:"customers"`
			Revenue   string `json:"revenue"`
		}
		var b struct {
			Rows []struct {
				Value, Period                                                           string
				Start, End, New, Expansion, Contraction, Churned, Reactivated, Retained mv
			} `json:"rows"`
		}
		getJSON(t, srv.URL+"/v1/analytics/bridge?dimension=segment&grain=quarter", http.StatusOK, &b)
		if len(b.Rows) != 3*16 {
			t.Fatalf("%d rows, want 3 segments × 16 quarters", len(b.Rows))
		}
		for _, r := range b.Rows {
			sum := decimal.MustParse(r.Start.Revenue)
			for _, m := range []mv{r.New, r.Expansion, r.Contraction, r.Churned, r.Reactivated} {
				sum, _ = sum.Add(decimal.MustParse(m.Revenue))
			}
			if !sameMoney(t, sum.String(), r.End.Revenue) {
				t.Errorf("%s %s: start + movements = %s, end %s", r.Value, r.Period, sum, r.End.Revenue)
			}
		}
	})

	t.Run("top customers page", func(t *testing.T) {
		// Superstore's BG/NBD fit is degenerate (nobody ever drops out), so
		// the model says why and the list, without predictions, is ranked
		// by revenue.
		var model struct {
			Meta struct {
				CLVStatus string `json:"clv_status"`
				CLVReason string `json:"clv_reason"`
			} `json:"meta"`
		}
		getJSON(t, srv.URL+"/v1/analytics/model", http.StatusOK, &model)
		if model.Meta.CLVStatus != "degenerate" || !strings.Contains(model.Meta.CLVReason, "nobody ever stops buying") {
			t.Errorf("model %+v", model.Meta)
		}
		var list struct {
			Total     int `json:"total"`
			Customers []struct {
				ID      string            `json:"id"`
				CLV     *analytics.Amount `json:"clv"`
				Revenue string            `json:"revenue"`
				Tier    string            `json:"tier"`
			} `json:"customers"`
		}
		getJSON(t, srv.URL+"/v1/analytics/customers?limit=10", http.StatusOK, &list)
		if list.Total != 793 || len(list.Customers) != 10 {
			t.Fatalf("%+v", list)
		}
		for i, c := range list.Customers {
			if c.CLV != nil {
				t.Fatalf("customer %s has a CLV from a withheld model", c.ID)
			}
			if i > 0 && decimal.MustParse(c.Revenue).Cmp(decimal.MustParse(list.Customers[i-1].Revenue)) > 0 {
				t.Fatalf("not ranked by revenue at %d", i)
			}
		}
	})
}
