package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
)

// Fragments are one file version's buckets, all under the file's own
// partition: pk F#<file>, sk <dim>#<kind>#<month>#<page>. A query reads the
// fragments of a pending file for one dimension and month range with one
// Query; compaction reads a file's whole partition.

func fragmentPK(file string) string { return "F#" + file }

func fragmentSK(id bucketID, page int) string {
	return id.dim + "#" + id.kind + "#" + id.month + "#" + fmt.Sprintf("%03d", page)
}

// parseFragmentSK splits a fragment sort key; dimensions and months never
// contain '#'.
func parseFragmentSK(sk string) (bucketID, bool) {
	parts := strings.Split(sk, "#")
	if len(parts) != 4 {
		return bucketID{}, false
	}
	return bucketID{dim: parts[0], kind: parts[1], month: parts[2]}, true
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
	buckets, err := deltaEntries(d)
	if err != nil {
		return fmt.Errorf("fragments of %s: %w", file, err)
	}
	has := map[string]bool{}
	for id := range buckets {
		has[id.dim] = true
	}
	err = s.writeStream(ctx, func(put func(types.WriteRequest) error) error {
		meta := key(fragmentPK(file), fragmentMeta)
		meta["k"], meta["d"] = str(objectKey), strList(sortedKeys(has))
		if err := put(types.WriteRequest{PutRequest: &types.PutRequest{Item: meta}}); err != nil {
			return err
		}
		for id, es := range buckets {
			es, err := mergeEntries(es)
			if err != nil {
				return err
			}
			for p, page := range encodePages(es) {
				if page == nil {
					continue
				}
				item := key(fragmentPK(file), fragmentSK(id, p))
				setPage(item, page)
				if err := put(types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fragments of %s: %w", file, err)
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
		id, ok := parseFragmentSK(attrS(item, "sk"))
		if !ok {
			return fmt.Errorf("fragment key %q", attrS(item, "sk"))
		}
		b, ok := out[id]
		if !ok {
			b = bucket{}
			out[id] = b
		}
		return b.decodeItem(item, id.kind, neg)
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
