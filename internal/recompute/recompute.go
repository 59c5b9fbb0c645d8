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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/shard"
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

// Blobs is what recompute reads and writes in S3: it reads the purchase
// histories and the object versions Reconcile compares with the table,
// and keeps a run's intermediate objects (see Step).
type Blobs interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
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
	// Shards is the number of customer shards a run computes one at a
	// time (package shard); 0 means shard.Default. Workers is how many
	// shards are read and computed at once; 0 means one.
	Shards, Workers int
	// StateMachine, when set with Executions, is the ARN of the state
	// machine that runs a recompute's steps (see Step): a scheduled
	// event that finds a dataset changed starts an execution on it
	// instead of running the steps in this process.
	StateMachine string
	Executions   Executions
}

// Executions starts state machine executions; *sfn.Client implements it.
type Executions interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
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
	skip, changed, err := s.upToDate(ctx)
	if err != nil {
		return errors.Join(err, recErr)
	}
	if skip {
		s.log.InfoContext(ctx, "recompute skipped: no change since the last snapshot", "event_time", ev.Time)
		return recErr
	}
	if s.opts.StateMachine != "" && s.opts.Executions != nil {
		return errors.Join(s.start(ctx, changed), recErr)
	}
	_, err = s.Run(ctx)
	return errors.Join(err, recErr)
}

// start starts the state machine on the dataset. The execution is named
// after the dataset, its last change and the day, so that the schedule's
// next events start no second run for the same change while one runs
// (Step Functions refuses a second execution of one name), and a day
// later a run still refreshes the snapshot's age.
func (s *Service) start(ctx context.Context, changed string) error {
	sum := sha256.Sum256([]byte(changed))
	name := fmt.Sprintf("%s-%s-%s", s.dataset, hex.EncodeToString(sum[:8]), s.now().UTC().Format("20060102"))
	input, err := json.Marshal(ExecutionInput{Dataset: s.dataset})
	if err != nil {
		return err
	}
	out, err := s.opts.Executions.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(s.opts.StateMachine),
		Name: aws.String(name), Input: aws.String(string(input))})
	var exists *sfntypes.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		s.log.InfoContext(ctx, "recompute already started for this change", "execution", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("start recompute %s: %w", name, err)
	}
	s.log.InfoContext(ctx, "recompute started", "execution", aws.ToString(out.ExecutionArn))
	return nil
}

// upToDate reports whether the latest snapshot started after the last
// change and is younger than MaxAge, and returns the last change.
func (s *Service) upToDate(ctx context.Context) (bool, string, error) {
	changed, err := s.t.LastChange(ctx)
	if err != nil {
		return false, "", err
	}
	snap, err := s.t.LatestSnapshot(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return false, changed, nil
	}
	if err != nil {
		return false, "", err
	}
	started, err := time.Parse(time.RFC3339Nano, snap.StartedAt)
	if err != nil {
		return false, changed, nil // unreadable pointer: recompute and replace it
	}
	return changed < snap.StartedAt && s.now().Sub(started) < s.opts.MaxAge, changed, nil
}

// Result is what one run produced: the snapshot published and its meta.
type Result struct {
	Snapshot store.SnapshotInfo
	Meta     snapshot.Meta
}

// Run recomputes the totals summary and a new snapshot, publishes it, and
// deletes the snapshot it replaced. It runs the state machine's steps
// (Step) in this process: the plan, the first pass over every customer
// shard, the fit, the second pass, and the publication, Options.Workers
// shards at once, each read from the live files' histories with ranged
// GETs. A run overtaken by a later one (whose snapshot is already
// published) discards its own parts and returns without error.
func (s *Service) Run(ctx context.Context) (*Result, error) {
	plan, err := s.planStep(ctx, "")
	if err != nil {
		return nil, err
	}
	r, err := s.runInputs(ctx, plan.Run, plan.Shards)
	if err != nil {
		return nil, err
	}
	n := plan.Shards
	if err := eachShard(ctx, n, s.opts.Workers, func(ctx context.Context, sh int) error { return s.summarizeStep(ctx, r, sh) }); err != nil {
		return nil, err
	}
	if err := s.fitStep(ctx, r); err != nil {
		return nil, err
	}
	if err := eachShard(ctx, n, s.opts.Workers, func(ctx context.Context, sh int) error { return s.assignStep(ctx, r, sh) }); err != nil {
		return nil, err
	}
	return s.publishStep(ctx, r)
}

// publish stores a run's snapshot parts, publishes it and deletes the
// snapshot it replaced. started is when the run started: it names the
// snapshot, and dates an empty one; shards and files are logged.
func (s *Service) publish(ctx context.Context, snap snapshot.Snapshot, started time.Time, shards, files int) (*Result, error) {
	if snap.Meta.Customers == 0 {
		snap.Meta.AsOf = started.Format(time.DateOnly) // nothing to measure: the snapshot is as of now
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
		return &Result{Snapshot: info, Meta: meta}, s.t.DeleteSnapshot(ctx, info)
	}
	if err != nil {
		return nil, err
	}
	if prev.ID != "" {
		if err := s.t.DeleteSnapshot(ctx, prev); err != nil {
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "recomputed", "snapshot", info.ID, "files", files, "customers", meta.Customers, "shards", shards,
		"parts", len(info.Parts), "warnings", len(meta.Warnings), "seconds", s.now().Sub(started).Seconds())
	return &Result{Snapshot: info, Meta: meta}, nil
}

// inputs are what a recompute reads from the bucket besides the
// purchases: the live files, the accounts of customers files (with
// names), and the spend of spend files.
type inputs struct {
	live map[string]store.Entry
	// transactions are the live transactions files' keys, sorted.
	transactions []string
	accounts     map[string]map[dimension.Dimension]string
	names        map[string]string
	prospects    []analytics.Prospect
	spend        []history.Spend
	// indexes caches each history's shard index (nil: none) by file, for
	// the shards' workers.
	mu      sync.Mutex
	indexes map[string]*history.Index
}

// sources reads the accounts of every live customers file and the spend
// of every live spend file, and lists the live transactions files whose
// purchase histories eachPurchase reads.
func (s *Service) sources(ctx context.Context) (*inputs, error) {
	live, err := s.t.LiveObjects(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	in := &inputs{live: live, accounts: map[string]map[dimension.Dimension]string{}, names: map[string]string{}, indexes: map[string]*history.Index{}}
	for _, k := range keys {
		if !strings.HasPrefix(dataset.Rel(k), history.CustomersPrefix) {
			continue
		}
		err := s.read(ctx, history.AccountsKey(live[k].File), func(r io.Reader) error {
			return history.ReadAccounts(r, func(a history.Account) error {
				in.accounts[a.ID] = a.Attrs
				if a.Name != "" {
					in.names[a.ID] = a.Name
				} else {
					delete(in.names, a.ID)
				}
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		if !strings.HasPrefix(dataset.Rel(k), history.SpendPrefix) {
			continue
		}
		err := s.read(ctx, history.SpendKey(live[k].File), func(r io.Reader) error {
			return history.ReadSpend(r, func(sp history.Spend) error { in.spend = append(in.spend, sp); return nil })
		})
		if err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		if strings.HasPrefix(dataset.Rel(k), history.TransactionsPrefix) {
			in.transactions = append(in.transactions, k)
		}
	}
	in.prospects = Prospects(in.accounts)
	return in, nil
}

// eachPurchase calls fn with every purchase of shard sh of n (n = 1: all
// of them) in the histories of the live transactions files, attributes
// filled in from the accounts; a customer with a name from customers
// files carries it on every purchase, so it wins over the transactions
// files' names. A history indexed for n shards is read with one ranged
// GET of the shard, of the version its index names; one without an index
// or indexed for another count is read whole and filtered. A live file
// without a history (ingested before histories existed) is skipped with a
// warning in the log.
func (s *Service) eachPurchase(ctx context.Context, in *inputs, sh, n int, fn func(history.Purchase) error) error {
	fold := func(p history.Purchase) error {
		if n > 1 && shard.Of(p.Customer, n) != sh {
			return nil
		}
		if acct, ok := in.accounts[p.Customer]; ok {
			p.Attrs = fill(p.Attrs, acct)
		}
		if name, ok := in.names[p.Customer]; ok {
			p.Name = name
		}
		return fn(p)
	}
	for _, k := range in.transactions {
		file := in.live[k].File
		get := &s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(history.Key(file))}
		if n > 1 {
			x, err := s.index(ctx, in, file)
			if err != nil {
				return err
			}
			if x != nil && x.Shards == n {
				from, to, ok := x.Range(sh)
				if !ok {
					continue // no customer of the shard in this file
				}
				get.Range = aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1))
				if x.Version != "" {
					get.VersionId = aws.String(x.Version)
				}
			}
		}
		err := s.get(ctx, get, func(r io.Reader) error { return history.Read(r, fold) })
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			s.log.WarnContext(ctx, "live upload has no purchase history; not in customer analytics", "key", k, "upload", file)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// index returns the shard index of a file's history, nil when it has
// none, reading it once per run.
func (s *Service) index(ctx context.Context, in *inputs, file string) (*history.Index, error) {
	in.mu.Lock()
	x, ok := in.indexes[file]
	in.mu.Unlock()
	if ok {
		return x, nil
	}
	err := s.read(ctx, history.IndexKey(file), func(r io.Reader) error {
		idx, err := history.ReadIndex(r)
		x = &idx
		return err
	})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		x, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	in.indexes[file] = x
	in.mu.Unlock()
	return x, nil
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
	return s.get(ctx, &s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key)}, fn)
}

// get streams the object (or range) in asks for through fn.
func (s *Service) get(ctx context.Context, in *s3.GetObjectInput, fn func(io.Reader) error) error {
	key := aws.ToString(in.Key)
	obj, err := s.blobs.GetObject(ctx, in)
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
