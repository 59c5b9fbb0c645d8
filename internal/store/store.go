// Package store keeps salesseg's aggregates, upload statuses and summaries in
// one DynamoDB table and reads them back for queries.
//
// # Table design
//
// One table, string keys pk (partition) and sk (sort), and one index.
// Item types:
//
//	F#<file>           <dim>#<kind>#<last>#<first>#<page>
//	                                                a fragment: one file version's measures of
//	                                                every value of a dimension (or pair) per
//	                                                month (kind M) or per day (kind D), for a
//	                                                run of months first..last (see fragments.go)
//	F#<file>           META                         the object the file version belongs to and
//	                                                the dimensions and pairs it has buckets of
//	B#<dim>#<kind>     <month>#<gen>#<page>         the compacted base: the same buckets summed
//	                                                over every folded file, one generation per
//	                                                compaction of the month
//	CTRL               VIEW                         what queries see: each month's base
//	                                                generation, the pending files to add and to
//	                                                subtract, garbage awaiting collection, the
//	                                                compaction lease
//	MANIFEST           O#<object key>               an object's entry: k object key, s sequencer,
//	                                                f live file id, pf file it replaced, fd file
//	                                                folded into the base, vu/rm/sb view edits
//	                                                (H#<sha256> for keys too long to fit)
//	UPLOAD#<file>      STATUS                       an upload's status, counts, format, deadline;
//	                                                also in the uploads index (see UploadsIndex)
//	INFLIGHT           <deadline>#<file>            an upload entered processing (see ExpireOverdue)
//	RECONCILIATION     LATEST                       the last reconciliation of bucket and table
//	SUMMARY            LATEST                       the last recompute's totals summary
//	SNAP#<id>          <part>                       one gzipped JSON part of a recompute
//	                                                snapshot (tiers/<dim>, bridge/<dim>/<grain>…)
//	SNAPSHOT           LATEST                       pointer to the published snapshot
//	CHANGES            LATEST                       when live data last changed (debounce)
//	DATASETS           <name>                       a dataset that has had data (see Datasets)
//
// # Datasets
//
// Each dataset (package dataset) is kept apart: Dataset returns a Store
// whose manifest, view, base, snapshot, summary, reconciliation and change
// mark live in partitions prefixed D#<name>#, so D#sample#MANIFEST is the
// sample's manifest and D#sample#B#segment#M its base. The default
// dataset's partitions have no prefix. Fragments, upload statuses and the
// in-flight index are keyed by upload id, which is unique across datasets,
// and stay shared: an upload is found by its id whatever its dataset. Every
// access pattern below costs the same within one dataset, whatever the
// others hold.
//
// A bucket item holds one binary attribute: every value of its page with
// its measures (exact decimals as a scale and a varint coefficient,
// counts as varints; for day buckets, per day of the month; see
// bucket.go), zstd-compressed as z, or
// as v when compression would not shrink it; a fragment item holds a run
// of such pages, one per month (see fragments.go). Items grow with
// (dimension or pair) × month, not with values × days: the base holds one
// item per dimension or pair, kind and month, about (10 dimensions × 2
// kinds + 45 pairs + Total) × 72 months ≈ 4,800 items for six years of
// daily dates; a file's fragments pack months into runs and leave out
// the dimensions it has no column for, so the 10 MB high-cardinality
// benchmark file (7 dimensions of 10) is 267 items. A bucket whose
// encoding passes 200 KB is split into pages by a hash of the value.
//
// # Access patterns and their cost
//
// All GetItem, Query or BatchWriteItem on known keys, never Scan; one
// global secondary index, UploadsIndex, lists the upload history. P is the
// number of pending files (folded away by compaction after every ingest,
// so normally 0–2, whatever the number of files uploaded).
//   - breakdown, trend, KPIs (QueryRanges; Query is the one-range case):
//     one consistent GetItem of the view, one GetItem of each pending
//     file's META, then per period range one paged Query of
//     B#<dim>#<kind> over the range's months (items of the month's
//     generation are used, others skipped) and P Queries of pending
//     fragments: 1 + P + ranges × (1 + P) requests, about one base item
//     per dimension and month, and a pending file's runs from the range's
//     first month to its last;
//   - dimension values (Values): the same over all months of the month
//     kind, per dimension;
//   - ingest of a file: its fragment items with BatchWriteItem (25 a
//     call, up to 4 calls in flight): runs of months of each dimension and
//     kind it has a column for, up to 48 KB each (a dimension or pair it
//     lacks is derived on read from Total or the pair's other dimension,
//     as aggregate.Copies says); then the commit: GetItem and conditional
//     PutItem of the manifest entry, one UpdateItem of the view, one of
//     the entry;
//   - compaction (Compact, after every ingest and on the schedule): one
//     UpdateItem for the lease, the pending files' partitions read, one
//     Query per dimension and kind over the touched months, the new
//     generation's items written, one UpdateItem per folded file's entry
//     and one of the view to publish;
//   - upload status: GetItem UPLOAD#<id>; by object key, GetItem of the
//     object's manifest entry gives the live id, then one GetItem;
//   - upload history (ListUploads): one Query of the uploads index per
//     page, newest first, a status filter applied by DynamoDB;
//   - customer analytics: GetItem of the snapshot pointer, then GetItem of
//     the part.
//
// # Why fragments, a view and compaction
//
// A file version's delta is written as immutable fragment items with
// BatchWriteItem (idempotent puts, ~25× cheaper than conditional updates on
// the emulator). The manifest entry, switched with one conditional PutItem,
// decides which version of an object is live: a newer S3 sequencer always
// wins and a retried or duplicated event rewrites identical items. The view
// decides what queries see; a commit changes it with one UpdateItem (see
// Commit), so a file is wholly visible or not at all. Compaction folds
// pending files into a new base generation and publishes it with one
// UpdateItem of the view (see Compact), so query cost stays bounded as
// files accumulate. Superseded items are deleted only after Grace, longer
// than any query, so a query that read the view finds every item it names.
// A folded file's fragments are kept while it is live, so replacing or
// deleting it later subtracts it exactly. No transactions are used: the
// local emulators' transactions slow down with table size (see
// ../shared/LOCAL-AWS.md in the development set-up).
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dataset"
)

// DB is the subset of the DynamoDB API the store uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var (
	// ErrStale means a newer version of the object is already live: the
	// caller's event is out of date and its contribution must not count.
	ErrStale = errors.New("a newer version of the object is already live")
	// ErrNotFound means the requested item does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnprocessed means BatchWriteItem kept returning unprocessed items
	// after every retry.
	ErrUnprocessed = errors.New("batch write left unprocessed items after retries")
)

// Tombstone is the file id of a deleted object in the manifest.
const Tombstone = "-"

// batchLimit is DynamoDB's BatchWriteItem item limit, enforced here because
// some emulators accept more.
const batchLimit = 25

// Store reads and writes the salesseg table.
type Store struct {
	db      DB
	table   string
	retries int
	backoff time.Duration
	// writers is how many batches batchWrite keeps in flight.
	writers int
	now     func() time.Time
	// viewReady caches that the view item exists (it is never deleted).
	viewReady atomic.Bool
	// dataset names the dataset the store reads and writes; ns prefixes
	// its partitions ("" for the default dataset).
	dataset, ns string
	codec       *codec
}

// New returns a Store on the named table, for the default dataset.
func New(db DB, table string) *Store {
	return &Store{db: db, table: table, retries: 8, backoff: 20 * time.Millisecond, writers: writers, now: time.Now, dataset: dataset.Default,
		codec: newCodec()}
}

// Dataset returns a Store on the same table for the named dataset, which
// must pass dataset.Check (or be dataset.Default); the store of a dataset
// never reads or changes another's aggregates, manifest or snapshot.
func (s *Store) Dataset(name string) *Store {
	d := &Store{db: s.db, table: s.table, retries: s.retries, backoff: s.backoff, writers: s.writers, now: s.now, dataset: name, codec: s.codec}
	if name != dataset.Default {
		d.ns = "D#" + name + "#"
	}
	return d
}

// pk returns the partition key p in the store's dataset.
func (s *Store) pk(p string) string { return s.ns + p }

// viewKey is the key of the dataset's view item.
func (s *Store) viewKey() map[string]types.AttributeValue { return key(s.pk(viewPK), viewSK) }

// datasetsPK is the partition of the dataset registry, shared by every
// dataset.
const datasetsPK = "DATASETS"

// Datasets returns the name of every dataset whose data has changed at
// least once (MarkChanged registers it), sorted, the default dataset
// always among them. One Query, paged.
func (s *Store) Datasets(ctx context.Context) ([]string, error) {
	names := []string{dataset.Default}
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(datasetsPK)}}
	err := s.queryPages(ctx, in, func(item map[string]types.AttributeValue) error {
		if n := attrS(item, "sk"); n != dataset.Default {
			names = append(names, n)
		}
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// SetClock replaces the clock that dates leases and garbage, so that tests
// and simulations can let a crashed compaction's lease or the grace period
// run out without waiting.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func numInt(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

// writers is how many BatchWriteItem requests one batchWrite keeps in
// flight: enough to overlap one request's encoding and round trip with
// the server's work on others, few enough not to drain a table's write
// capacity in bursts.
const writers = 4

// batchBytes bounds the items of one BatchWriteItem request, as
// itemBytes counts them, well under DynamoDB's 16 MB request limit
// (items of at most 400 KB, base64 on the wire for binary values).
const batchBytes = 8 << 20

// itemBytes estimates an item's size as DynamoDB counts it: attribute
// names and string, number and binary values.
func itemBytes(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		default:
			n += 64 // not written in batches today; a generous guess
		}
	}
	return n
}

// requestBytes estimates a write request's size with itemBytes.
func requestBytes(r types.WriteRequest) int {
	switch {
	case r.PutRequest != nil:
		return itemBytes(r.PutRequest.Item)
	case r.DeleteRequest != nil:
		return itemBytes(r.DeleteRequest.Key)
	}
	return 0
}

// batchWrite writes every request with BatchWriteItem, as writeStream
// does.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	return s.writeStream(ctx, func(put func(types.WriteRequest) error) error {
		for _, r := range reqs {
			if err := put(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeStream writes every request that produce puts with
// BatchWriteItem: in batches of at most batchLimit items and batchBytes
// (a larger item goes alone), each sent as soon as it is full, up to
// writers batches in flight at once while produce goes on, each retrying
// its unprocessed items with exponential backoff. The requests must name
// distinct items, since batches may land in any order. The first error,
// a batch's or produce's, stops the batches not yet sent (those in
// flight finish or fail) and is returned; put returns an error once the
// stream has stopped. What was written stays written, which callers
// allow for: every batch written here is idempotent and counts only once
// something else commits it.
func (s *Store) writeStream(ctx context.Context, produce func(put func(types.WriteRequest) error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		runs          = make(chan []types.WriteRequest, max(s.writers, 1))
		wg            sync.WaitGroup
		once          sync.Once
		first         error
		sent, written atomic.Int64
	)
	for range max(s.writers, 1) {
		wg.Go(func() {
			for run := range runs {
				if ctx.Err() != nil {
					continue // stopped: drain what is queued unsent
				}
				if err := s.writeBatch(ctx, run); err != nil {
					once.Do(func() { first = err; cancel() })
					continue
				}
				written.Add(1)
			}
		})
	}
	var (
		cur  []types.WriteRequest
		size int
	)
	send := func() error {
		if len(cur) == 0 {
			return nil
		}
		select {
		case runs <- cur:
			sent.Add(1)
			cur, size = nil, 0
			return nil
		case <-ctx.Done():
			return fmt.Errorf("batch write stopped: %w", ctx.Err())
		}
	}
	perr := produce(func(r types.WriteRequest) error {
		n := requestBytes(r)
		if len(cur) > 0 && (len(cur) == batchLimit || size+n > batchBytes) {
			if err := send(); err != nil {
				return err
			}
		}
		cur = append(cur, r)
		size += n
		return nil
	})
	if perr == nil {
		perr = send()
	} else {
		cancel()
	}
	close(runs)
	wg.Wait()
	switch {
	case first != nil:
		return first // a batch failed: produce's error, if any, is the stop
	case perr != nil:
		return perr
	case written.Load() < sent.Load():
		return fmt.Errorf("batch write: %d of %d batches not sent: %w", sent.Load()-written.Load(), sent.Load(), context.Cause(ctx))
	}
	return nil
}

// writeBatch sends one batch, retrying its unprocessed items with
// exponential backoff until none is left or the retries run out.
func (s *Store) writeBatch(ctx context.Context, pending []types.WriteRequest) error {
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > s.retries {
			return fmt.Errorf("%w: %d items", ErrUnprocessed, len(pending))
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(s.backoff << min(attempt-1, 6)):
			}
		}
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: pending}})
		if err != nil {
			return fmt.Errorf("batch write %d items: %w", len(pending), err)
		}
		pending = out.UnprocessedItems[s.table]
	}
	return nil
}

// Row is one dimension value's measures in one period, summed over live files.
type Row struct {
	Period string
	Value  string
	aggregate.Measures
}
