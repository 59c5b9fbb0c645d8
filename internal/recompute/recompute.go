// Package recompute rebuilds what cannot be maintained incrementally at
// ingest time. On a schedule it folds the purchase history of every live
// file version into a customer base, computes value tiers, RFM groups, the
// CLV model, propensity × potential quadrants, forecasts, revenue bridges
// and, from the live spend files, acquisition cost (package analytics), and
// publishes them as one snapshot that the API switches to atomically and
// serves with its as-of time.
//
// A scheduled run is skipped when nothing changed since the last snapshot
// and that snapshot is younger than Options.MaxAge, so a frequent schedule
// acts as a debounce after ingests without recomputing idle data. Each
// dataset (package dataset) is compacted, reconciled and recomputed on its
// own, into a snapshot of its own: a scheduled event goes through every
// dataset the table has registered.
package recompute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

// Datasets opens the table of each dataset and lists the datasets;
// *store.Store implements it.
type Datasets interface {
	Dataset(name string) *store.Store
	Datasets(ctx context.Context) ([]string, error)
}

// Table is what recompute reads and writes in DynamoDB, within one
// dataset.
type Table interface {
	Query(ctx context.Context, d dimension.Dimension, g aggregate.Grain, from, to string) ([]store.Row, int, error)
	PutSummary(ctx context.Context, summary any) error
	LiveObjects(ctx context.Context) (map[string]store.Entry, error)
	LastChange(ctx context.Context) (string, error)
	LatestSnapshot(ctx context.Context) (store.SnapshotInfo, error)
	PutSnapshotPart(ctx context.Context, id, part string, data []byte) error
	PublishSnapshot(ctx context.Context, info store.SnapshotInfo) (store.SnapshotInfo, error)
	DeleteSnapshot(ctx context.Context, info store.SnapshotInfo) error
	Compact(ctx context.Context) (store.Compaction, error)
	// GetUpload, ExpireOverdue and PutReconciliation serve Reconcile.
	GetUpload(ctx context.Context, id string) (store.Upload, error)
	ExpireOverdue(ctx context.Context, now time.Time) ([]store.Upload, error)
	PutReconciliation(ctx context.Context, report any) error
}

// Blobs is what recompute reads from S3: the purchase histories, and the
// object versions Reconcile compares with the table.
type Blobs interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// Options configure a Service.
type Options struct {
	// Bucket holds the purchase histories (history.Key).
	Bucket string
	// MaxAge is how old a snapshot may grow before a scheduled run
	// recomputes although nothing changed; 0 means one day.
	MaxAge time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Service computes summaries and snapshots.
type Service struct {
	datasets Datasets
	// t and dataset are the dataset a run works on (see in).
	t       Table
	dataset string
	blobs   Blobs
	opts    Options
	log     *slog.Logger
	now     func() time.Time
}

// New returns a Service on the default dataset; Handle goes through them
// all.
func New(t Datasets, blobs Blobs, log *slog.Logger, opts Options) *Service {
	if opts.MaxAge == 0 {
		opts.MaxAge = 24 * time.Hour
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{datasets: t, blobs: blobs, opts: opts, log: log, now: now}
	return s.In(dataset.Default)
}

// In returns the service working on the named dataset, which must pass
// dataset.Check (or be dataset.Default).
func (s *Service) In(name string) *Service {
	d := *s
	d.t, d.dataset = s.datasets.Dataset(name), name
	d.log = s.log.With("dataset", name)
	return &d
}

// Handle is the Lambda entry point for the schedule's events. It gives up
// on uploads past their deadline, then handles every dataset in turn (see
// handle); a dataset that fails does not hold the others back, and every
// failure is returned.
func (s *Service) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	expired, err := s.t.ExpireOverdue(ctx, s.now())
	if err != nil {
		return fmt.Errorf("expire overdue uploads: %w", err)
	}
	names, err := s.datasets.Datasets(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := s.In(name).handle(ctx, ev, expired); err != nil {
			errs = append(errs, fmt.Errorf("dataset %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// handle compacts the dataset's aggregates (ingestion does after every
// file, but a busy moment can leave files pending), reconciles the bucket
// with the table (see Reconcile), then recomputes unless nothing changed.
// A failed reconciliation is logged and returned after the recompute, so
// that it never holds the analytics back.
func (s *Service) handle(ctx context.Context, ev events.EventBridgeEvent, expired []store.Upload) error {
	if c, err := s.t.Compact(ctx); err == nil {
		s.log.InfoContext(ctx, "compacted", "folded", c.Folded, "subtracted", c.Subtracted, "collected", c.Collected)
	} else if !errors.Is(err, store.ErrBusy) {
		return err
	}
	_, recErr := s.reconcile(ctx, expired)
	if recErr != nil {
		s.log.ErrorContext(ctx, "reconciliation failed", "error", recErr)
	}
	skip, err := s.upToDate(ctx)
	if err != nil {
		return errors.Join(err, recErr)
	}
	if skip {
		s.log.InfoContext(ctx, "recompute skipped: no change since the last snapshot", "event_time", ev.Time)
		return recErr
	}
	_, err = s.Run(ctx)
	return errors.Join(err, recErr)
}

// upToDate reports whether the latest snapshot started after the last
// change and is younger than MaxAge.
func (s *Service) upToDate(ctx context.Context) (bool, error) {
	snap, err := s.t.LatestSnapshot(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	changed, err := s.t.LastChange(ctx)
	if err != nil {
		return false, err
	}
	started, err := time.Parse(time.RFC3339Nano, snap.StartedAt)
	if err != nil {
		return false, nil // unreadable pointer: recompute and replace it
	}
	return changed < snap.StartedAt && s.now().Sub(started) < s.opts.MaxAge, nil
}

// Result is what one run produced.
type Result struct {
	Summary  *Summary
	Snapshot store.SnapshotInfo
	Meta     snapshot.Meta
}

// Run recomputes the totals summary and a new snapshot, publishes it, and
// deletes the snapshot it replaced. A run overtaken by a later one (whose
// snapshot is already published) discards its own parts and returns
// without error.
func (s *Service) Run(ctx context.Context) (*Result, error) {
	started := s.now()
	sum, err := s.totals(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.loadBase(ctx)
	if err != nil {
		return nil, err
	}
	base := in.base
	// Recency and CLV are measured at the data's last purchase day, not
	// at the wall clock: an upload of last year's history should be scored
	// as of its end, and a nightly export's last day is yesterday anyway.
	var asOf time.Time
	if base.Len() == 0 {
		asOf = started // nothing to measure: the snapshot is as of now
	}
	snap, err := Analyze(ctx, base, in.prospects, in.spend, asOf)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	// The holdout check reads the histories a second time rather than
	// keep every purchase day of every customer in memory.
	if end, ok := HoldoutEnd(base.FirstDay, base.LastDay); ok && base.Len() > 0 {
		h := NewHoldout(end)
		if err := in.histories(ctx, h.Add); err != nil {
			return nil, err
		}
		check, err := h.CheckFitted(ctx)
		if err != nil {
			return nil, err
		}
		snap.Holdout = &check
	}
	meta := snap.Meta
	parts, err := snap.Encode()
	if err != nil {
		return nil, err
	}
	info := store.SnapshotInfo{ID: fmt.Sprintf("%d", started.UnixNano()), StartedAt: store.SnapshotTime(started), AsOf: meta.AsOf}
	for _, p := range parts {
		if err := s.t.PutSnapshotPart(ctx, info.ID, p.Name, p.Data); err != nil {
			return nil, err
		}
		info.Parts = append(info.Parts, p.Name)
	}
	info.ComputedAt = s.now().UTC().Format(time.RFC3339)
	prev, err := s.t.PublishSnapshot(ctx, info)
	if errors.Is(err, store.ErrStale) {
		s.log.InfoContext(ctx, "snapshot overtaken by a later run; discarded", "snapshot", info.ID)
		return &Result{Summary: sum, Snapshot: info, Meta: meta}, s.t.DeleteSnapshot(ctx, info)
	}
	if err != nil {
		return nil, err
	}
	if prev.ID != "" {
		if err := s.t.DeleteSnapshot(ctx, prev); err != nil {
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "recomputed", "snapshot", info.ID, "files", in.files, "customers", meta.Customers,
		"parts", len(info.Parts), "warnings", len(meta.Warnings), "seconds", s.now().Sub(started).Seconds())
	return &Result{Summary: sum, Snapshot: info, Meta: meta}, nil
}

// inputs are what a recompute reads from the bucket.
type inputs struct {
	base      *analytics.Base
	prospects []analytics.Prospect
	spend     []history.Spend
	// files is the number of transactions files read.
	files int
	// histories reads the purchases again, for the holdout check.
	histories func(ctx context.Context, fn func(history.Purchase) error) error
}

// loadBase reads the accounts of every live customers file, then folds
// the purchase history of every live transactions file, filling in the
// attributes a purchase lacks from its customer's account, and reads the
// spend of every live spend file. A live transactions file without a
// history (ingested before histories existed) is skipped with a warning
// in the log.
func (s *Service) loadBase(ctx context.Context) (inputs, error) {
	live, err := s.t.LiveObjects(ctx)
	if err != nil {
		return inputs{}, err
	}
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	accounts := map[string]map[dimension.Dimension]string{}
	names := map[string]string{}
	for _, k := range keys {
		if !strings.HasPrefix(dataset.Rel(k), history.CustomersPrefix) {
			continue
		}
		err := s.read(ctx, history.AccountsKey(live[k].File), func(r io.Reader) error {
			return history.ReadAccounts(r, func(a history.Account) error {
				accounts[a.ID] = a.Attrs
				if a.Name != "" {
					names[a.ID] = a.Name
				} else {
					delete(names, a.ID)
				}
				return nil
			})
		})
		if err != nil {
			return inputs{}, err
		}
	}
	var spend []history.Spend
	for _, k := range keys {
		if !strings.HasPrefix(dataset.Rel(k), history.SpendPrefix) {
			continue
		}
		err := s.read(ctx, history.SpendKey(live[k].File), func(r io.Reader) error {
			return history.ReadSpend(r, func(sp history.Spend) error { spend = append(spend, sp); return nil })
		})
		if err != nil {
			return inputs{}, err
		}
	}
	in := inputs{prospects: Prospects(accounts), spend: spend, histories: func(ctx context.Context, fn func(history.Purchase) error) error {
		return s.eachPurchase(ctx, live, keys, accounts, names, fn)
	}}
	for _, k := range keys {
		if strings.HasPrefix(dataset.Rel(k), history.TransactionsPrefix) {
			in.files++
		}
	}
	b := analytics.NewBuilder()
	if err := in.histories(ctx, b.Add); err != nil {
		return inputs{}, err
	}
	in.base = b.Build()
	return in, nil
}

// eachPurchase calls fn with every purchase of the histories of the live
// transactions files, attributes filled in from accounts; a customer with
// a name in names (from customers files) carries it on every purchase, so
// it wins over the transactions files' names. A live file without a
// history (ingested before histories existed) is skipped with a warning in
// the log.
func (s *Service) eachPurchase(ctx context.Context, live map[string]store.Entry, keys []string,
	accounts map[string]map[dimension.Dimension]string, names map[string]string, fn func(history.Purchase) error) error {
	fold := func(p history.Purchase) error {
		if acct, ok := accounts[p.Customer]; ok {
			p.Attrs = fill(p.Attrs, acct)
		}
		if n, ok := names[p.Customer]; ok {
			p.Name = n
		}
		return fn(p)
	}
	for _, k := range keys {
		if !strings.HasPrefix(dataset.Rel(k), history.TransactionsPrefix) {
			continue
		}
		err := s.read(ctx, history.Key(live[k].File), func(r io.Reader) error { return history.Read(r, fold) })
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			s.log.WarnContext(ctx, "live upload has no purchase history; not in customer analytics", "key", k, "upload", live[k].File)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Prospects lists accounts (customer id → attributes) in id order, the
// form Analyze takes; it ranks those without purchases as lookalikes.
func Prospects(accounts map[string]map[dimension.Dimension]string) []analytics.Prospect {
	out := make([]analytics.Prospect, 0, len(accounts))
	for id, attrs := range accounts {
		out = append(out, analytics.Prospect{ID: id, Attrs: attrs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// read streams one curated object of the bucket through fn.
func (s *Service) read(ctx context.Context, key string, fn func(io.Reader) error) error {
	obj, err := s.blobs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Body.Close()
	if err := fn(obj.Body); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// fill returns attrs with the account's values for the dimensions attrs
// lacks (absent or blank); the file's own values win.
func fill(attrs, account map[dimension.Dimension]string) map[dimension.Dimension]string {
	out := make(map[dimension.Dimension]string, len(attrs)+len(account))
	for d, v := range account {
		out[d] = v
	}
	for d, v := range attrs {
		if v != "" && v != dimension.Blank {
			out[d] = v
		}
	}
	return out
}
