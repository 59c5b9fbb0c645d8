package ingest

import (
	"log/slog"

	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/store"
)

// NewFromConfig builds the service the ingest function's configuration
// describes, on the given S3 and DynamoDB clients (in tests, such as a
// DynamoDB client that fails on purpose). The function's main and
// `salesseg local` both build it here; it lives beside the service rather
// than in package config so that each function links only its own
// service (see config's package comment).
func NewFromConfig(c config.Ingest, blobs Blobs, db store.DB, log *slog.Logger) *Service {
	return New(blobs, store.New(db, c.Table), log, ServiceOptions{MaxRejectRate: c.MaxRejectRate,
		MaxSpoolBytes: c.MaxSpoolBytes, ProcessingDeadline: c.ProcessingDeadline, Shards: c.Shards})
}
