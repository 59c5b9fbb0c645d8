package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
)

// Fragments are one file version's buckets, all under the file's own
// partition: pk F#<file>, sk <dim>#<kind>#<last>#<first>#<page>. An item
// holds a run: the buckets of one dimension (or pair) and kind for months
// first through last, each with one page, packed while the run stays
// under runTarget; a bucket split into pages has one item per page, a
// run of its month alone. A dimension's small month buckets (a few
// hundred bytes each) so take a handful of items instead of one a month,
// and the emulator's per-item work, the larger part of a file's write,
// shrinks with them. Runs of one dimension and kind never share a month
// and are cut at every split bucket, so in sort-key order their first
// months rise too: a query for months from..to reads from the first item
// whose last month is from or later and stops before the first whose
// first month is after to (see readPending). Compaction reads a file's
// whole partition.

func fragmentPK(file string) string { return "F#" + file }

// runKey names one fragment item: a dimension, a kind, the months its
// run spans and, for a bucket split into pages, the page.
type runKey struct {
	dim, kind   string
	first, last string
	page        int
}

func (k runKey) sk() string {
	return k.dim + "#" + k.kind + "#" + k.last + "#" + k.first + "#" + fmt.Sprintf("%03d", k.page)
}

// parseRunKey splits a fragment sort key; dimensions and months never
// contain '#'.
func parseRunKey(sk string) (runKey, bool) {
	parts := strings.Split(sk, "#")
	if len(parts) != 5 || len(parts[2]) != monthLen || len(parts[3]) != monthLen {
		return runKey{}, false
	}
	page, err := strconv.Atoi(parts[4])
	if err != nil {
		return runKey{}, false
	}
	return runKey{dim: parts[0], kind: parts[1], last: parts[2], first: parts[3], page: page}, true
}

// runTarget is the size past which a run takes no further month: large
// enough to pack a dimension's small months by the dozen, small enough
// that a batch of 25 stays far below the request sizes that slow the
// emulator down (see batchBytes).
const runTarget = 48 << 10

// monthLen is the length of a month key, "2006-01".
const monthLen = 7

// A run is, for each of its months in order, the month (monthLen bytes),
// then its page's length as a uvarint and the page (see encodePages).

// appendRun appends one month's page to a run.
func appendRun(run []byte, month string, page []byte) []byte {
	run = append(run, month...)
	run = binary.AppendUvarint(run, uint64(len(page)))
	return append(run, page...)
}

// eachRunPage calls fn with each month of a run and its page, in order;
// a run that is not well formed is an error, never a panic.
func eachRunPage(run []byte, fn func(month string, page []byte) error) error {
	r := pageReader{b: run}
	for r.off < len(run) {
		if len(run)-r.off < monthLen {
			return fmt.Errorf("run ends inside a month at byte %d", r.off)
		}
		month := string(run[r.off : r.off+monthLen])
		r.off += monthLen
		page, err := r.bytes()
		if err != nil {
			return fmt.Errorf("month %q: %w", month, err)
		}
		if err := fn(month, page); err != nil {
			return fmt.Errorf("month %q: %w", month, err)
		}
	}
	return nil
}

// decodeRun adds each month of a run item within from..to into the
// bucket into returns for it, negated when neg.
func (c *codec) decodeRun(item map[string]types.AttributeValue, kind, from, to string, neg bool, into func(month string) bucket) error {
	run, err := c.page(item)
	if err != nil {
		return err
	}
	return eachRunPage(run, func(month string, page []byte) error {
		if month < from || month > to {
			return nil
		}
		return into(month).decodePage(page, kind, neg)
	})
}

// fragmentMeta is the sort key of the item naming a file's object.
const fragmentMeta = "META"

// PutFragments writes a file version of objectKey as fragment items, one
// per page of each (dimension, kind, month) bucket of its delta, and one
// item naming the object and the dimensions and pairs the delta has keys
// of, with BatchWriteItem. Pages are encoded straight from the delta's
// measures, and a bucket's items are on their way while the next bucket
// is encoded. Writing the same delta again rewrites identical items, so
// retries are harmless; nothing counts until Commit.
//
// The file counts in every dimension: those it has no keys of (a column
// the file lacks) are never written but derived on read, as
// aggregate.Copies says, which spares a file without three of ten
// dimensions nearly half its items.
func (s *Store) PutFragments(ctx context.Context, objectKey, file string, d aggregate.Delta) error {
	err := s.writeStream(ctx, func(put func(types.WriteRequest) error) error {
		return s.eachFragment(objectKey, file, d, func(item map[string]types.AttributeValue) error {
			return put(types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		})
	})
	if err != nil {
		return fmt.Errorf("fragments of %s: %w", file, err)
	}
	return nil
}

// eachFragment builds a file version's fragment items from its delta, the
// item naming its object and dimensions first, then one per run (see
// eachRun), and calls fn with each as soon as it is encoded.
func (s *Store) eachFragment(objectKey, file string, d aggregate.Delta, fn func(map[string]types.AttributeValue) error) error {
	buckets, err := deltaEntries(d)
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for id := range buckets {
		has[id.dim] = true
	}
	meta := key(fragmentPK(file), fragmentMeta)
	meta["k"], meta["d"] = str(objectKey), strList(sortedKeys(has))
	if err := fn(meta); err != nil {
		return err
	}
	return eachRun(buckets, func(k runKey, run []byte) error {
		item := key(fragmentPK(file), k.sk())
		s.codec.setPage(item, run)
		return fn(item)
	})
}

// eachRun encodes a delta's buckets (see deltaEntries) as runs, each
// dimension and kind's months in order, and calls fn with each. The run's
// bytes are reused once fn returns, so fn must not keep them.
func eachRun(buckets map[bucketID][]entry, fn func(k runKey, run []byte) error) error {
	months := map[[2]string][]string{}
	for id := range buckets {
		dk := [2]string{id.dim, id.kind}
		months[dk] = append(months[dk], id.month)
	}
	dks := slices.SortedFunc(maps.Keys(months), func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	})
	// Buffers grown afresh for every page made encoding a 10 MB file's
	// delta allocate 134 MB; one run and one page buffer, reused, take
	// it to 34 MB and the collector's share of the CPU with it.
	var (
		run, buf []byte
		values   []valueRun
	)
	for _, dk := range dks {
		slices.Sort(months[dk])
		cur := runKey{dim: dk[0], kind: dk[1]}
		open := false
		flush := func() error {
			if !open {
				return nil
			}
			open = false
			return fn(cur, run)
		}
		for _, month := range months[dk] {
			es, err := mergeEntries(buckets[bucketID{dim: dk[0], kind: dk[1], month: month}])
			if err != nil {
				return err
			}
			buf, values = appendValues(buf[:0], values[:0], es)
			pages := splitPages(buf, values)
			if len(pages) > 1 {
				// A split bucket ends the run, keeping runs in month order.
				if err := flush(); err != nil {
					return err
				}
				for p, page := range pages {
					if page == nil {
						continue
					}
					k := runKey{dim: dk[0], kind: dk[1], first: month, last: month, page: p}
					run = appendRun(run[:0], month, page)
					if err := fn(k, run); err != nil {
						return err
					}
				}
				continue
			}
			if open && len(run)+len(pages[0]) > runTarget {
				if err := flush(); err != nil {
					return err
				}
			}
			if !open {
				cur.first, open, run = month, true, run[:0]
			}
			run, cur.last = appendRun(run, month, pages[0]), month
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

// DeleteFragments removes every fragment of a file version: one Query of
// its partition's keys, then batched deletes. Deleting absent items is a
// no-op, so this is safe to repeat. Only files no query can see may be
// deleted (see Commit and Compact).
func (s *Store) DeleteFragments(ctx context.Context, file string) error {
	var reqs []types.WriteRequest
	err := s.queryPages(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ProjectionExpression:      aws.String("pk, sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(fragmentPK(file))},
	}, func(item map[string]types.AttributeValue) error {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(attrS(item, "pk"), attrS(item, "sk"))}})
		return nil
	}, nil)
	if err != nil {
		return fmt.Errorf("list fragments of %s: %w", file, err)
	}
	return s.batchWrite(ctx, reqs)
}

// fileBuckets reads every bucket of a file version, negated when neg,
// with those derived from the dimensions it has (see PutFragments).
func (s *Store) fileBuckets(ctx context.Context, file string, neg bool) (map[bucketID]bucket, error) {
	out := map[bucketID]bucket{}
	listed := false
	err := s.queryPages(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(fragmentPK(file))},
	}, func(item map[string]types.AttributeValue) error {
		if attrS(item, "sk") == fragmentMeta {
			_, listed = item["d"]
			return nil
		}
		k, ok := parseRunKey(attrS(item, "sk"))
		if !ok {
			return fmt.Errorf("fragment key %q", attrS(item, "sk"))
		}
		return s.codec.decodeRun(item, k.kind, "", "~", neg, func(month string) bucket {
			id := bucketID{dim: k.dim, kind: k.kind, month: month}
			b, ok := out[id]
			if !ok {
				b = bucket{}
				out[id] = b
			}
			return b
		})
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("read fragments of %s: %w", file, err)
	}
	if !listed {
		return out, nil // written with every dimension
	}
	if err := complete(out); err != nil {
		return nil, fmt.Errorf("read fragments of %s: %w", file, err)
	}
	return out, nil
}

// fileMeta is what a file version's META item says: its object key, ""
// when its fragments are gone, and the dimensions and pairs it has
// buckets of (has nil: every dimension's are written).
type fileMeta struct {
	object string
	has    map[string]bool
}

// copyOf returns how the file derives dim, and false when it has dim's
// buckets itself.
func (m fileMeta) copyOf(dim string) (aggregate.Copy, bool) {
	if m.has == nil || m.has[dim] {
		return aggregate.Copy{}, false
	}
	for _, c := range aggregate.Copies(func(d dimension.Dimension) bool { return m.has[string(d)] }) {
		if string(c.Dim) == dim {
			return c, true
		}
	}
	return aggregate.Copy{}, false
}

// readFileMeta reads a file version's META item.
func (s *Store) readFileMeta(ctx context.Context, file string) (fileMeta, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table),
		Key: key(fragmentPK(file), fragmentMeta), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fileMeta{}, fmt.Errorf("read object of %s: %w", file, err)
	}
	m := fileMeta{object: attrS(out.Item, "k")}
	if _, ok := out.Item["d"]; ok {
		m.has = map[string]bool{}
		for _, d := range attrList(out.Item, "d") {
			m.has[d] = true
		}
	}
	return m, nil
}

// queryPages runs a Query through every page, calling fn for each item
// and counting requests in *requests when it is not nil.
func (s *Store) queryPages(ctx context.Context, in *dynamodb.QueryInput, fn func(map[string]types.AttributeValue) error, requests *int) error {
	for {
		out, err := s.db.Query(ctx, in)
		if requests != nil {
			*requests++
		}
		if err != nil {
			return err
		}
		for _, item := range out.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
