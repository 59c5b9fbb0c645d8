package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/salesseg/salesseg/internal/store"
)

// storedReconciliation is the report recompute stores (see
// recompute.Reconciliation, whose JSON this decodes; a test holds the two
// to one set of fields).
type storedReconciliation struct {
	CheckedAt     string `json:"checked_at"`
	Objects       int64  `json:"objects"`
	NeverIngested []struct {
		Key     string `json:"key"`
		Version string `json:"version"`
		Upload  string `json:"upload"`
	} `json:"never_ingested"`
	StaleVersion []struct {
		Key            string `json:"key"`
		CurrentVersion string `json:"current_version"`
		CurrentStatus  string `json:"current_status"`
		CountedVersion string `json:"counted_version"`
		CountedUpload  string `json:"counted_upload"`
	} `json:"stale_version"`
	Gone []struct {
		Key     string `json:"key"`
		Version string `json:"version"`
		Upload  string `json:"upload"`
	} `json:"gone"`
	Stuck []struct {
		Upload   string `json:"upload"`
		Key      string `json:"key"`
		Version  string `json:"version"`
		Started  string `json:"started_at"`
		Deadline string `json:"deadline_at"`
	} `json:"stuck"`
}

// Reconciliation is the body of GET /v1/reconciliation: what recompute's
// last comparison of the bucket with the table found. Before the first
// one, CheckedAt, Objects and Clean are null and every list is empty.
type Reconciliation struct {
	CheckedAt *string `json:"checked_at"`
	// Objects is how many live objects the ingested prefixes held.
	Objects *int64 `json:"objects"`
	// Clean is true when every list is empty: each object counts with its
	// current version and no upload was left processing.
	Clean         *bool           `json:"clean"`
	NeverIngested []NeverIngested `json:"never_ingested"`
	StaleVersion  []StaleVersion  `json:"stale_version"`
	Gone          []GoneObject    `json:"gone"`
	Stuck         []StuckUpload   `json:"stuck"`
}

// NeverIngested is an object whose current version ingestion never saw:
// nothing of it counts.
type NeverIngested struct {
	Key      string `json:"key"`
	Version  string `json:"version"`
	UploadID string `json:"upload_id"`
	Reason   string `json:"reason"`
}

// StaleVersion is an object that counts with a version that is no longer
// the bucket's current one.
type StaleVersion struct {
	Key            string `json:"key"`
	CurrentVersion string `json:"current_version"`
	// CurrentStatus is the current version's upload status; null when
	// ingestion never saw it.
	CurrentStatus   *string `json:"current_status"`
	CountedVersion  *string `json:"counted_version"`
	CountedUploadID string  `json:"counted_upload_id"`
	Reason          string  `json:"reason"`
}

// GoneObject is an object that still counts although the bucket no longer
// holds it.
type GoneObject struct {
	Key      string  `json:"key"`
	Version  *string `json:"version"`
	UploadID string  `json:"upload_id"`
	Reason   string  `json:"reason"`
}

// StuckUpload is an upload found processing past its deadline and marked
// failed.
type StuckUpload struct {
	UploadID   string  `json:"upload_id"`
	Key        string  `json:"key"`
	Version    *string `json:"version"`
	StartedAt  string  `json:"started_at"`
	DeadlineAt string  `json:"deadline_at"`
	StatusURL  string  `json:"status_url"`
	Reason     string  `json:"reason"`
}

// reconciliation answers GET /v1/reconciliation, explaining each listed
// object in words.
func (s *Service) reconciliation(ctx context.Context) (*Reconciliation, error) {
	out := &Reconciliation{NeverIngested: []NeverIngested{}, StaleVersion: []StaleVersion{}, Gone: []GoneObject{}, Stuck: []StuckUpload{}}
	var r storedReconciliation
	err := s.r.GetReconciliation(ctx, &r)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, o := range r.NeverIngested {
		out.NeverIngested = append(out.NeverIngested, NeverIngested{Key: o.Key, Version: o.Version, UploadID: o.Upload,
			Reason: fmt.Sprintf("Never ingested: version %s is in the bucket but ingestion never received its event, so nothing of this object counts. Upload it again or redrive it.", o.Version)})
	}
	for _, o := range r.StaleVersion {
		counted := "an older version"
		if o.CountedVersion != "" {
			counted = "version " + o.CountedVersion
		}
		why := "ingestion never received its event"
		switch o.CurrentStatus {
		case "":
		case store.StatusFailed:
			why = "its ingestion failed (see its upload's error)"
		case store.StatusProcessing:
			why = "it is still processing"
		default:
			why = "its upload reads " + o.CurrentStatus
		}
		out.StaleVersion = append(out.StaleVersion, StaleVersion{Key: o.Key, CurrentVersion: o.CurrentVersion,
			CurrentStatus: opt(o.CurrentStatus), CountedVersion: opt(o.CountedVersion), CountedUploadID: o.CountedUpload,
			Reason: fmt.Sprintf("Ingested from a stale version: the figures count %s, but the bucket's current version %s does not count because %s.", counted, o.CurrentVersion, why)})
	}
	for _, o := range r.Gone {
		out.Gone = append(out.Gone, GoneObject{Key: o.Key, Version: opt(o.Version), UploadID: o.Upload,
			Reason: fmt.Sprintf("Deleted but still counted: the bucket no longer holds this object (its delete event was lost), yet upload %s still counts.", o.Upload)})
	}
	for _, o := range r.Stuck {
		out.Stuck = append(out.Stuck, StuckUpload{UploadID: o.Upload, Key: o.Key, Version: opt(o.Version), StartedAt: o.Started,
			DeadlineAt: o.Deadline, StatusURL: "/v1/uploads/" + o.Upload,
			Reason: fmt.Sprintf("Stuck: still processing at its deadline %s, so its function timed out or crashed; it was marked failed and can be redriven.", o.Deadline)})
	}
	clean := len(out.NeverIngested)+len(out.StaleVersion)+len(out.Gone)+len(out.Stuck) == 0
	out.CheckedAt, out.Objects, out.Clean = &r.CheckedAt, &r.Objects, &clean
	return out, nil
}
