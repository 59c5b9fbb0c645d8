package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
)

// TestDatasetParameter checks that the dataset parameter picks the data a
// route reads, and that names which are invalid or have no data are
// refused before any read.
func TestDatasetParameter(t *testing.T) {
	e := newEnv(t)
	e.sample.ingest(t, []sale{{"2024-03-05", "10.5", "", map[dimension.Dimension]string{dimension.Segment: "Sample only"}}})
	segments := func(target string) []string {
		var b Breakdown
		e.get(target, 200, &b)
		var vals []string
		for _, s := range b.Segments {
			if s.Value != nil {
				vals = append(vals, *s.Value)
			}
		}
		return vals
	}
	t.Run("named dataset reads its own data", func(t *testing.T) {
		if got := segments("/v1/segments?dimension=segment&period=2024&dataset=sample"); !slices.Equal(got, []string{"Sample only"}) {
			t.Fatalf("sample's segments %v, want only its own", got)
		}
	})
	t.Run("default without the parameter and by name", func(t *testing.T) {
		a := segments("/v1/segments?dimension=segment&period=2024")
		b := segments("/v1/segments?dimension=segment&period=2024&dataset=default")
		if len(a) == 0 || slices.Contains(a, "Sample only") || !slices.Equal(a, b) {
			t.Fatalf("default's segments %v and by name %v", a, b)
		}
	})
	t.Run("datasets listed", func(t *testing.T) {
		var l DatasetList
		e.get("/v1/datasets", 200, &l)
		if !slices.Equal(l.Datasets, []string{"default", "sample"}) || l.Default != "default" {
			t.Fatalf("datasets %+v", l)
		}
	})
	for _, c := range []struct {
		name, target, detail string
		status               int
	}{
		{"no such dataset", "/v1/segments?dimension=segment&dataset=nope", "No dataset \"nope\"", 404},
		{"invalid name", "/v1/segments?dimension=segment&dataset=My%20Data", "not a dataset name", 400},
		{"empty name", "/v1/kpis?dataset=", "not a dataset name", 400},
		{"not on a shared route", "/v1/uploads?dataset=sample", "Unknown parameter \"dataset\"", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.sample.readCount() + e.f.readCount()
			e.problemOf(e.do(request(http.MethodGet, c.target, true)), c.status, c.detail)
			if after := e.sample.readCount() + e.f.readCount(); after != before {
				t.Fatalf("%d reads for a refused request", after-before)
			}
		})
	}
}
