package recompute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/store"
	"github.com/salesseg/salesseg/internal/versions"
)

// Reconciliation is what one comparison of the bucket with the table
// found: every list is empty when each live object's current version is
// what counts and no upload was left processing by a dead function.
type Reconciliation struct {
	CheckedAt string `json:"checked_at"`
	// Objects is how many live objects the ingested prefixes hold.
	Objects int `json:"objects"`
	// NeverIngested are objects whose current version ingestion never
	// saw (its event was lost) and that count with no version at all.
	NeverIngested []ObjectVersion `json:"never_ingested"`
	// StaleVersion are objects that count with a version that is no
	// longer current: the current one's event was lost (CurrentStatus
	// empty), failed, or is still processing.
	StaleVersion []StaleObject `json:"stale_version"`
	// Gone are objects that still count although the bucket holds no
	// current version of them (their delete event was lost).
	Gone []ObjectVersion `json:"gone"`
	// Stuck are uploads this run found processing past their deadline
	// and marked failed (store.Store.ExpireOverdue).
	Stuck []StuckUpload `json:"stuck"`
}

// ObjectVersion names one version of an object and its upload id.
type ObjectVersion struct {
	Key     string `json:"key"`
	Version string `json:"version"`
	Upload  string `json:"upload"`
}

// StaleObject is an object counted from a version that is not current.
type StaleObject struct {
	Key            string `json:"key"`
	CurrentVersion string `json:"current_version"`
	// CurrentStatus is the status of the current version's upload, or
	// "" when ingestion never saw it.
	CurrentStatus  string `json:"current_status"`
	CountedVersion string `json:"counted_version"`
	CountedUpload  string `json:"counted_upload"`
}

// StuckUpload is an upload left processing by a function that died.
type StuckUpload struct {
	Upload   string `json:"upload"`
	Key      string `json:"key"`
	Version  string `json:"version"`
	Started  string `json:"started_at"`
	Deadline string `json:"deadline_at"`
}

// Clean reports whether the reconciliation found nothing to act on.
func (r *Reconciliation) Clean() bool {
	return len(r.NeverIngested)+len(r.StaleVersion)+len(r.Gone)+len(r.Stuck) == 0
}

// Reconcile marks failed the uploads stuck processing past their
// deadline, then lists the live objects of the service's dataset under
// the ingested prefixes with their current versions and compares them
// with the dataset's manifest and the uploads. It stores the report
// (store.Store.PutReconciliation), logs it as one line, and returns it.
// Errors are S3's or DynamoDB's, wrapped; a failed reconciliation changes
// no aggregate.
func (s *Service) Reconcile(ctx context.Context) (*Reconciliation, error) {
	expired, err := s.t.ExpireOverdue(ctx, s.now())
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	return s.reconcile(ctx, expired)
}

// reconcile is Reconcile with the uploads already given up on: those of
// other datasets are left to their own reports.
func (s *Service) reconcile(ctx context.Context, expired []store.Upload) (*Reconciliation, error) {
	now := s.now()
	r := &Reconciliation{CheckedAt: now.UTC().Format(time.RFC3339), NeverIngested: []ObjectVersion{},
		StaleVersion: []StaleObject{}, Gone: []ObjectVersion{}, Stuck: []StuckUpload{}}
	for _, u := range expired {
		if ds, _, _ := dataset.Of(u.Key); ds == s.dataset {
			r.Stuck = append(r.Stuck, StuckUpload{Upload: u.ID, Key: u.Key, Version: u.Version, Started: u.Started, Deadline: u.Deadline})
		}
	}
	current := map[string]string{}
	for _, prefix := range history.Prefixes() {
		live, err := versions.Live(ctx, s.blobs, s.opts.Bucket, dataset.Key(s.dataset, prefix))
		if err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		for k, v := range live {
			if !strings.HasSuffix(k, "/") { // a folder placeholder is no file
				current[k] = v
			}
		}
	}
	r.Objects = len(current)
	counted, err := s.t.LiveObjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	for _, k := range sortedKeys(current) {
		if err := s.reconcileObject(ctx, r, k, current[k], counted); err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", k, err)
		}
	}
	for _, k := range sortedKeys(counted) {
		if _, ok := current[k]; !ok {
			u, err := s.t.GetUpload(ctx, counted[k].File)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("reconcile %s: %w", k, err)
			}
			r.Gone = append(r.Gone, ObjectVersion{Key: k, Version: u.Version, Upload: counted[k].File})
		}
	}
	if err := s.t.PutReconciliation(ctx, r); err != nil {
		return nil, err
	}
	level := slog.LevelInfo
	if !r.Clean() {
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "reconciled", "objects", r.Objects, "never_ingested", len(r.NeverIngested),
		"stale_version", len(r.StaleVersion), "gone", len(r.Gone), "stuck", len(r.Stuck), "report", r)
	return r, nil
}

// reconcileObject compares one live object's current version with what
// counts for its key.
func (s *Service) reconcileObject(ctx context.Context, r *Reconciliation, key, version string, counted map[string]store.Entry) error {
	id := store.UploadID(s.opts.Bucket, key, version)
	status := ""
	cur, err := s.t.GetUpload(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		status = cur.At(s.now()).Status
	}
	e, ok := counted[key]
	if !ok {
		if status == "" {
			r.NeverIngested = append(r.NeverIngested, ObjectVersion{Key: key, Version: version, Upload: id})
		}
		return nil // otherwise failed, in progress or stuck: its status says so
	}
	live, err := s.t.GetUpload(ctx, e.File)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if live.Version != version {
		r.StaleVersion = append(r.StaleVersion, StaleObject{Key: key, CurrentVersion: version, CurrentStatus: status,
			CountedVersion: live.Version, CountedUpload: e.File})
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
