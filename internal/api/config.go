package api

import (
	"context"
	"log/slog"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/pipeline"
	"github.com/salesseg/salesseg/internal/store"
)

// NewFromConfig builds the service the api function's configuration
// describes, on clients. The function's main and `salesseg local` both
// build it here, so that both serve the same wiring; it lives beside the
// service rather than in package config so that the api function links
// only what it serves (see config's package comment).
func NewFromConfig(c config.API, clients *awsconf.Clients, log *slog.Logger) *Service {
	ds := tableDatasets{st: store.New(clients.DynamoDB, c.Table), objs: clients.S3, bucket: c.Bucket}
	r, deals := ds.Open(dataset.Default)
	return New(r, clients.Presign, log, Options{Bucket: c.Bucket, Calendar: c.Calendar, Versions: clients.S3,
		Currency: c.Currency, Deals: deals, Datasets: ds})
}

// tableDatasets opens each dataset's store and deal files.
type tableDatasets struct {
	st     *store.Store
	objs   pipeline.Objects
	bucket string
}

// Names lists the datasets the table has registered.
func (d tableDatasets) Names(ctx context.Context) ([]string, error) { return d.st.Datasets(ctx) }

// Open returns the named dataset's store and its deals.
func (d tableDatasets) Open(name string) (Reader, DealSource) {
	st := d.st.Dataset(name)
	return st, pipeline.NewSource(d.objs, st, d.bucket)
}
