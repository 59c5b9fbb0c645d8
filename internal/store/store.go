// Package store keeps salesseg's aggregates, upload statuses and summaries in
// one DynamoDB table and reads them back for queries.
//
// # Table design
//
// One table, string keys pk (partition) and sk (sort). Item types:
//
//	AGG#<dim>#<grain>  <period>#<value>#<file>  additive measures of one dimension
//	                                            value in one period, contributed by
//	                                            one file version (a fragment)
//	MANIFEST           O#<object key>           an object's entry: k object key,
//	                                            s sequencer, f live file id, pf file
//	                                            it replaced (H#<sha256> for keys
//	                                            too long to fit)
//	UPLOAD#<file>      STATUS                   an upload's status, counts, format
//	SUMMARY            LATEST                   the last recompute's totals summary
//	SNAP#<id>          <part>                   one gzipped JSON part of a recompute
//	                                            snapshot (tiers/<dim>, bridge/<dim>/<grain>…)
//	SNAPSHOT           LATEST                   pointer to the published snapshot
//	CHANGES            LATEST                   when live data last changed (debounce)
//
// Access patterns, all GetItem or Query on known keys, never Scan:
//   - breakdown, trend, KPIs: one strongly consistent Query of the
//     manifest (a page per ~5,000 objects), then one Query per merged
//     period range on AGG#<dim>#<grain>
//     with sk BETWEEN the range's first and last period, projecting only
//     the measures needed (QueryRanges; Query is the one-range case);
//   - dimension values: one Query per dimension over all months (Values);
//   - upload status: GetItem UPLOAD#<id>; by object key, GetItem of the
//     object's manifest entry gives the live id, then one GetItem;
//   - customer analytics: GetItem of the snapshot pointer, then GetItem of
//     the part.
//
// # Why fragments and a manifest
//
// A file version's delta is written as immutable fragment items with
// BatchWriteItem (idempotent puts, ~25× cheaper than conditional updates on
// the emulator and one write per distinct key on AWS). Fragments count only
// once the manifest names their file as the live version of its object; the
// manifest entry is switched with one conditional PutItem, so a file is
// either wholly visible or not at all, a newer S3 sequencer always wins, and
// a retried or duplicated event rewrites identical items. Fragments of
// replaced or deleted versions are invisible at once and removed afterwards.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/segment"
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
}

// New returns a Store on the named table.
func New(db DB, table string) *Store {
	return &Store{db: db, table: table, retries: 8, backoff: 20 * time.Millisecond}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
func numInt(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

func aggPK(d segment.Dimension, g aggregate.Grain) string {
	return "AGG#" + string(d) + "#" + string(g)
}

func fragmentSK(k aggregate.Key, file string) string { return k.Period + "#" + k.Value + "#" + file }

// PutFragments writes a file version's delta as fragment items. Writing the
// same delta again rewrites identical items, so retries are harmless.
func (s *Store) PutFragments(ctx context.Context, file string, d aggregate.Delta) error {
	keys := d.Keys()
	reqs := make([]types.WriteRequest, 0, len(keys))
	for _, k := range keys {
		m := d[k]
		item := map[string]types.AttributeValue{
			"pk": str(aggPK(k.Dim, k.Grain)), "sk": str(fragmentSK(k, file)),
			"p": str(k.Period), "v": str(k.Value), "f": str(file),
			"rev": num(m.Revenue.String()), "cost": num(m.Cost.String()), "units": num(m.Units.String()),
			"lines": numInt(m.Lines), "orders": numInt(m.Orders), "clines": numInt(m.CostLines),
		}
		// Deal measures only for deal files, so other fragments stay small.
		for _, a := range [...]struct {
			name string
			n    int64
		}{{"won", m.Won}, {"lost", m.Lost}, {"cyc", m.Cycled}, {"cycd", m.CycleDays}} {
			if a.n != 0 {
				item[a.name] = numInt(a.n)
			}
		}
		if !m.WonRevenue.IsZero() {
			item["wrev"] = num(m.WonRevenue.String())
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	return s.batchWrite(ctx, reqs)
}

// DeleteFragments removes a file version's fragments. Deleting absent items
// is a no-op, so this is safe to repeat.
func (s *Store) DeleteFragments(ctx context.Context, file string, keys []aggregate.Key) error {
	reqs := make([]types.WriteRequest, 0, len(keys))
	for _, k := range keys {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
			Key: key(aggPK(k.Dim, k.Grain), fragmentSK(k, file))}})
	}
	return s.batchWrite(ctx, reqs)
}

// batchWrite sends requests in batches of at most 25 and retries
// unprocessed items with exponential backoff.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for start := 0; start < len(reqs); start += batchLimit {
		pending := reqs[start:min(start+batchLimit, len(reqs))]
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
	}
	return nil
}

// Entry is an object's manifest entry.
type Entry struct {
	Sequencer string // S3 sequencer, normalized for comparison
	File      string // live file id, or Tombstone
	Previous  string // file id this entry replaced, for cleanup after a crash
}

// The manifest is one item per object under manifestPK, so that it has no
// size limit (a single item holds 400 KB, a few thousand objects).
const manifestPK = "MANIFEST"

// maxSortKey is DynamoDB's limit on a sort key, in bytes.
const maxSortKey = 1024

// objectSK is an object's manifest sort key: the key itself, or its
// SHA-256 when the key (S3 allows 1,024 bytes) would not fit with the
// prefix. The item also holds the key in attribute k.
func objectSK(objectKey string) string {
	if len(objectKey)+2 <= maxSortKey {
		return "O#" + objectKey
	}
	h := sha256.Sum256([]byte(objectKey))
	return "H#" + hex.EncodeToString(h[:])
}

func entryOf(item map[string]types.AttributeValue) Entry {
	return Entry{Sequencer: attrS(item, "s"), File: attrS(item, "f"), Previous: attrS(item, "pf")}
}

// manifest reads every object's entry with strongly consistent Query
// pages, by object key, and reports how many requests it made.
func (s *Store) manifest(ctx context.Context) (map[string]Entry, int, error) {
	entries := map[string]Entry{}
	var start map[string]types.AttributeValue
	for requests := 1; ; requests++ {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(manifestPK)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, requests, fmt.Errorf("read manifest: %w", err)
		}
		for _, item := range out.Items {
			entries[attrS(item, "k")] = entryOf(item)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return entries, requests, nil
		}
		start = out.LastEvaluatedKey
	}
}

// Object returns the manifest entry of an object key.
func (s *Store) Object(ctx context.Context, objectKey string) (Entry, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(manifestPK, objectSK(objectKey)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Entry{}, false, fmt.Errorf("read manifest entry of %s: %w", objectKey, err)
	}
	if out.Item == nil {
		return Entry{}, false, nil
	}
	return entryOf(out.Item), true, nil
}

// LiveObjects returns the live entry of every object that has one
// (deleted objects left out), by object key.
func (s *Store) LiveObjects(ctx context.Context) (map[string]Entry, error) {
	m, _, err := s.manifest(ctx)
	if err != nil {
		return nil, err
	}
	for k, e := range m {
		if e.File == Tombstone {
			delete(m, k)
		}
	}
	return m, nil
}

// LiveFiles returns the set of file ids whose fragments count, and how
// many requests reading the manifest took.
func (s *Store) LiveFiles(ctx context.Context) (map[string]bool, int, error) {
	m, requests, err := s.manifest(ctx)
	if err != nil {
		return nil, requests, err
	}
	live := make(map[string]bool, len(m))
	for _, e := range m {
		if e.File != Tombstone {
			live[e.File] = true
		}
	}
	return live, requests, nil
}

func attrS(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// Commit makes file the live version of objectKey if seq is newer than the
// live entry's, and returns the entry it replaced (zero if none). Committing
// the same (seq, file) again succeeds and returns the entry as it stands, so
// a retry after a crash can finish cleaning up. A live entry with a newer
// sequencer, or the same sequencer and another file, yields ErrStale.
func (s *Store) Commit(ctx context.Context, objectKey, seq, file string) (Entry, error) {
	for attempt := 0; ; attempt++ {
		cur, exists, err := s.Object(ctx, objectKey)
		if err != nil {
			return Entry{}, err
		}
		if exists {
			switch c := strings.Compare(cur.Sequencer, seq); {
			case c > 0, c == 0 && cur.File != file:
				return cur, ErrStale
			case c == 0:
				return Entry{Sequencer: cur.Sequencer, File: cur.Previous}, nil
			}
		}
		item := key(manifestPK, objectSK(objectKey))
		item["k"], item["s"], item["f"], item["pf"] = str(objectKey), str(seq), str(file), str(cur.File)
		in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}
		if exists {
			in.ConditionExpression = aws.String("s = :olds AND f = :oldf")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":olds": str(cur.Sequencer), ":oldf": str(cur.File)}
		}
		_, err = s.db.PutItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) && attempt < s.retries {
			continue // another version committed between our read and write: re-decide
		}
		if err != nil {
			return Entry{}, fmt.Errorf("commit %s: %w", objectKey, err)
		}
		return cur, nil
	}
}

// Row is one dimension value's measures in one period, summed over live files.
type Row struct {
	Period string
	Value  string
	aggregate.Measures
}

// Query sums the live fragments of a dimension at a grain for periods from
// through to (inclusive, formatted as the grain's periods), ordered by
// period then value. It reports how many DynamoDB requests it made.
func (s *Store) Query(ctx context.Context, d segment.Dimension, g aggregate.Grain, from, to string) ([]Row, int, error) {
	rows, n, err := s.QueryRanges(ctx, d, g, []KeyRange{{From: from, To: to}})
	if err != nil {
		return nil, n, err
	}
	return rows[0], n, nil
}

func attrDec(item map[string]types.AttributeValue, name string) (decimal.Decimal, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return decimal.Decimal{}, nil
	}
	d, err := decimal.Parse(v.Value)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("attribute %s: %w", name, err)
	}
	return d, nil
}
