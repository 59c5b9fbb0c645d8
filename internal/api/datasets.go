package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/salesseg/salesseg/internal/dataset"
)

// Datasets opens the data of each dataset (package dataset): every data
// route reads the dataset its dataset parameter names, the default one
// without it.
type Datasets interface {
	// Names lists the datasets that have had data, the default among
	// them, sorted.
	Names(ctx context.Context) ([]string, error)
	// Open returns the reader and the deals of the named dataset.
	Open(name string) (Reader, DealSource)
}

// datasetParam is the query parameter that selects a dataset.
const datasetParam = "dataset"

// open returns the reader and deals of the dataset a request names: the
// service's own for the default dataset or none named, else the one
// Options.Datasets opens. An invalid name is a 400 and a dataset that
// never had data a 404, so that a typo never reads as an empty dataset;
// checking costs one DynamoDB request, counted in *requests.
func (s *Service) open(ctx context.Context, q map[string]string, requests *int) (Reader, DealSource, error) {
	name, ok := q[datasetParam]
	if !ok || name == dataset.Default {
		return s.r, s.deals, nil
	}
	if err := dataset.Check(name); err != nil {
		return nil, nil, badRequest("Parameter dataset %q is not a dataset name: use 1 to 40 lower-case letters, digits and hyphens.", truncate(name))
	}
	names, err := s.datasetNames(ctx, requests)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(names, name) {
		return nil, nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No dataset %q: nothing was uploaded to it; GET /v1/datasets lists the datasets.", name)}
	}
	r, deals := s.datasets.Open(name)
	return r, deals, nil
}

// datasetNames lists the datasets, only the default one without
// Options.Datasets.
func (s *Service) datasetNames(ctx context.Context, requests *int) ([]string, error) {
	if s.datasets == nil {
		return []string{dataset.Default}, nil
	}
	*requests++
	return s.datasets.Names(ctx)
}

// DatasetList is the body of GET /v1/datasets.
type DatasetList struct {
	// Datasets are the names of the datasets that have had data, sorted;
	// default, the dataset of keys at the top of the bucket, is always
	// there.
	Datasets []string `json:"datasets"`
	// Default is the dataset data routes read without a dataset parameter.
	Default string `json:"default"`
}

func (s *Service) datasetList(ctx context.Context, requests *int) (DatasetList, error) {
	names, err := s.datasetNames(ctx, requests)
	if err != nil {
		return DatasetList{}, err
	}
	return DatasetList{Datasets: names, Default: dataset.Default}, nil
}
