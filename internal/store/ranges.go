package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/salesseg/salesseg/internal/segment"
)

// This file holds the read paths of the HTTP API beyond Query: several
// period ranges of one dimension under one manifest read, the values of
// dimensions, the lookup of upload ids, and the customer statistics of the
// recompute snapshot. Every read is a GetItem or a Query on known keys.

// UploadID returns the id of the upload of one object version: the file id
// ingestion derives from the bucket, key and S3 version id (ingest.FileID
// is this function), and so the id GET /v1/uploads/{id} takes.
func UploadID(bucket, key, version string) string {
	h := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	return hex.EncodeToString(h[:12])
}

// CustomerStats are the customer counts of one dimension value over a
// range of days, as the recompute snapshot holds them.
type CustomerStats struct {
	Customers int64 // distinct customers with a purchase in the range
	New       int64 // of those, customers whose first purchase is in the range
	Returning int64 // of those, customers who had bought before the range
	// AsOf is the last purchase day ("2006-01-02") the snapshot covers and
	// ComputedAt when recompute built it (RFC 3339).
	AsOf, ComputedAt string
}

// CustomerStats returns the customer counts of value of dimension d for
// the days from through to ("2006-01-02", inclusive) from the latest
// recompute snapshot's revenue bridge. Distinct customers do not add up
// across periods, so only ranges that are exactly one calendar month,
// quarter or year are answered; any other range, a value the snapshot does
// not know, or no snapshot yet gives an error wrapping ErrNotFound, which
// callers report as "not available".
func (s *Store) CustomerStats(ctx context.Context, d segment.Dimension, value, from, to string) (CustomerStats, error) {
	snap, err := s.LatestSnapshot(ctx)
	if err != nil {
		return CustomerStats{}, err
	}
	grain, label, ok := calendarPeriod(from, to)
	if !ok {
		return s.allTimeCustomers(ctx, snap, d, value, from, to)
	}
	var rows []struct {
		Value  string `json:"value"`
		Period string `json:"period"`
		End    struct {
			Customers int64 `json:"customers"`
		} `json:"end"`
		New struct {
			Customers int64 `json:"customers"`
		} `json:"new"`
	}
	if err := s.SnapshotPart(ctx, snap.ID, "bridge/"+string(d)+"/"+grain, &rows); err != nil {
		return CustomerStats{}, err
	}
	for _, r := range rows {
		if r.Value == value && r.Period == label {
			return CustomerStats{Customers: r.End.Customers, New: r.New.Customers, Returning: r.End.Customers - r.New.Customers,
				AsOf: snap.AsOf, ComputedAt: snap.ComputedAt}, nil
		}
	}
	return CustomerStats{}, fmt.Errorf("customer statistics of %s %q in %s: %w", d, value, label, ErrNotFound)
}

// allTimeCustomers answers a range that covers all of the snapshot's
// history: every customer of the value is then new in it. Any other range
// gives ErrNotFound.
func (s *Store) allTimeCustomers(ctx context.Context, snap SnapshotInfo, d segment.Dimension, value, from, to string) (CustomerStats, error) {
	var meta struct {
		FirstDay string `json:"first_day"`
		LastDay  string `json:"last_day"`
	}
	if err := s.SnapshotPart(ctx, snap.ID, "meta", &meta); err != nil {
		return CustomerStats{}, err
	}
	if meta.FirstDay == "" || from > meta.FirstDay || to < meta.LastDay {
		return CustomerStats{}, fmt.Errorf("customer statistics of %s..%s (not one calendar month, quarter or year, nor all history): %w", from, to, ErrNotFound)
	}
	var rows []struct {
		Value     string `json:"value"`
		Customers int64  `json:"customers"`
	}
	if err := s.SnapshotPart(ctx, snap.ID, "tiers/"+string(d), &rows); err != nil {
		return CustomerStats{}, err
	}
	for _, r := range rows {
		if r.Value == value {
			return CustomerStats{Customers: r.Customers, New: r.Customers, AsOf: snap.AsOf, ComputedAt: snap.ComputedAt}, nil
		}
	}
	return CustomerStats{}, fmt.Errorf("customer statistics of %s %q: %w", d, value, ErrNotFound)
}

// calendarPeriod recognises a day range that is exactly one calendar month,
// quarter or year, and returns its grain and label as recompute's bridge
// names them ("2017-11", "2017-Q4", "2017").
func calendarPeriod(from, to string) (grain, label string, ok bool) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil || f.Day() != 1 {
		return "", "", false
	}
	end := func(months int) time.Time { return f.AddDate(0, months, -1) }
	switch {
	case t.Equal(end(1)):
		return "month", f.Format("2006-01"), true
	case t.Equal(end(3)) && (f.Month()-1)%3 == 0:
		return "quarter", fmt.Sprintf("%04d-Q%d", f.Year(), (f.Month()-1)/3+1), true
	case t.Equal(end(12)) && f.Month() == time.January:
		return "year", fmt.Sprint(f.Year()), true
	}
	return "", "", false
}
