package api

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/salesseg/salesseg/internal/store"
)

// UploadList is the body of GET /v1/uploads without key: one page of the
// upload history, newest first.
type UploadList struct {
	Uploads []UploadEntry `json:"uploads"`
	// NextCursor continues the list; null on the last page. A page may
	// hold fewer than limit uploads (even none) while a status filter
	// skips many, so only a null cursor means the end.
	NextCursor *string `json:"next_cursor"`
}

// UploadEntry is one upload in the history: its status as it stands now,
// its counts and what it replaced; StatusURL gives the rest (format,
// rejects download).
type UploadEntry struct {
	ID         string  `json:"id"`
	Key        string  `json:"key"`
	Version    *string `json:"version"`
	Status     string  `json:"status"`
	StartedAt  string  `json:"started_at"`
	FinishedAt *string `json:"finished_at"`
	Rows       int64   `json:"rows"`
	Accepted   int64   `json:"accepted"`
	Rejected   int64   `json:"rejected"`
	Replaced   *string `json:"replaced"`
	Error      *string `json:"error"`
	StatusURL  string  `json:"status_url"`
}

// uploadStatuses are the statuses an upload reads as, which the status
// filter takes.
func uploadStatuses() []string {
	return []string{store.StatusProcessing, store.StatusSucceeded, store.StatusPartiallySucceeded,
		store.StatusFailed, store.StatusSuperseded, store.StatusDeleted}
}

// uploadListParams are the parameters of GET /v1/uploads: key and version
// find one upload (see decodeUploadLookup), the others page the history.
func uploadListParams() []string {
	return []string{"key", "version", "limit", "cursor", "status"}
}

const (
	defaultUploadPage = 50
	maxUploadPage     = 200
)

type uploadListing struct {
	// statuses are the wanted statuses as uploads read now; nil for all.
	statuses []string
	limit    int
	after    string
}

// uploadPosition is the form of a history position (store.UploadPage.Next):
// the start time, then the upload id.
var uploadPosition = regexp.MustCompile(`^[0-9A-Za-z:.+-]{0,40}#[0-9a-f]{24}$`)

func decodeUploadListing(q query) (uploadListing, error) {
	if _, ok := q["version"]; ok {
		return uploadListing{}, badRequest("Parameter version needs key: it picks one version of that key's uploads.")
	}
	var in uploadListing
	var err error
	if in.limit, err = parseInt(q, "limit", defaultUploadPage, 1, maxUploadPage); err != nil {
		return in, err
	}
	if v, ok := q["status"]; ok {
		for s := range strings.SplitSeq(v, ",") {
			if !slices.Contains(uploadStatuses(), s) {
				return in, badRequest("Parameter status must be one or more of %s, separated by commas, got %s.",
					strings.Join(uploadStatuses(), ", "), quote(s))
			}
			if !slices.Contains(in.statuses, s) {
				in.statuses = append(in.statuses, s)
			}
		}
	}
	key, err := decodeCursor(q, 1)
	if err != nil {
		return in, err
	}
	if key != nil {
		if !uploadPosition.MatchString(key[0]) {
			return in, badRequest("Parameter cursor is not valid for this query.")
		}
		in.after = key[0]
	}
	return in, nil
}

// storedStatuses are the stored statuses that can read as one of wanted:
// a stored processing upload reads failed past its deadline.
func storedStatuses(wanted []string) []string {
	out := slices.Clone(wanted)
	if slices.Contains(wanted, store.StatusFailed) && !slices.Contains(wanted, store.StatusProcessing) {
		out = append(out, store.StatusProcessing)
	}
	return out
}

// listUploads answers GET /v1/uploads without key: the store filters by
// stored status, then each upload is taken as it reads now (see
// store.Upload.At) and checked again.
func (s *Service) listUploads(ctx context.Context, q query, in uploadListing) (*UploadList, error) {
	page, _, err := s.r.ListUploads(ctx, store.UploadQuery{After: in.after, Statuses: storedStatuses(in.statuses), Limit: in.limit})
	if err != nil {
		return nil, err
	}
	out := &UploadList{Uploads: []UploadEntry{}}
	now := s.now()
	for _, u := range page.Uploads {
		f := uploadFields(u.At(now))
		if in.statuses != nil && !slices.Contains(in.statuses, f.Status) {
			continue
		}
		out.Uploads = append(out.Uploads, UploadEntry{ID: f.ID, Key: f.Key, Version: f.Version, Status: f.Status,
			StartedAt: f.StartedAt, FinishedAt: f.FinishedAt, Rows: f.Rows, Accepted: f.Accepted, Rejected: f.Rejected,
			Replaced: f.Replaced, Error: f.Error, StatusURL: "/v1/uploads/" + f.ID})
	}
	if page.Next != "" {
		c := encodeCursor(q, []string{page.Next})
		out.NextCursor = &c
	}
	return out, nil
}
