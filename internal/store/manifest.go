package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Entry is an object's manifest entry.
type Entry struct {
	Sequencer string // S3 sequencer, normalized for comparison
	File      string // live file id, or Tombstone
	Previous  string // file id this entry replaced, for cleanup after a crash
	// Folded is File when compaction has folded it into the base, so a
	// later version must subtract it; "" otherwise.
	Folded string
	// Viewed is true once the view reflects this entry (see Commit). Until
	// then Unadd and Subtract are the view edits still owed: files to drop
	// from the pending additions, and folded files to subtract.
	Viewed   bool
	Unadd    []string
	Subtract []string
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
	e := Entry{Sequencer: attrS(item, "s"), File: attrS(item, "f"), Previous: attrS(item, "pf"), Folded: attrS(item, "fd"),
		Unadd: attrList(item, "rm"), Subtract: attrList(item, "sb")}
	if v, ok := item["vu"].(*types.AttributeValueMemberBOOL); ok {
		e.Viewed = v.Value
	} else {
		// Entries written before views existed are visible as they are.
		e.Viewed = item["vu"] == nil
	}
	return e
}

func attrList(m map[string]types.AttributeValue, name string) []string {
	l, ok := m[name].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l.Value))
	for _, v := range l.Value {
		if sv, ok := v.(*types.AttributeValueMemberS); ok {
			out = append(out, sv.Value)
		}
	}
	return out
}

func strList(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, v := range ss {
		l[i] = str(v)
	}
	return &types.AttributeValueMemberL{Value: l}
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
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(s.pk(manifestPK))},
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
		TableName: aws.String(s.table), Key: key(s.pk(manifestPK), objectSK(objectKey)), ConsistentRead: aws.Bool(true)})
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

func attrS(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// Commit makes file the live version of objectKey if seq is newer than the
// live entry's, and returns the entry it replaced (zero if none). Committing
// the same (seq, file) again succeeds and returns the entry as it stands
// (its Previous), so a retry after a crash can finish the work. A live
// entry with a newer sequencer, or the same sequencer and another file,
// yields ErrStale. file may be Tombstone, for a deleted object.
//
// The switch is two writes, each retry-safe. First the manifest entry is
// replaced with one conditional PutItem that records the view edits the
// switch owes: the replaced file is dropped from the pending additions, or
// subtracted when compaction had folded it into the base (edits still owed
// by an unfinished earlier switch are carried over). Then one UpdateItem
// of the view applies them together with adding file, which is the moment
// the change becomes visible to queries, and the entry is marked viewed.
// Every view edit is idempotent, and compaction leaves objects whose entry
// is not yet viewed alone, so repeating the second step is harmless.
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
				if err := s.finishCommit(ctx, objectKey, cur); err != nil {
					return Entry{}, err
				}
				return Entry{Sequencer: cur.Sequencer, File: cur.Previous}, nil
			}
		}
		next := Entry{Sequencer: seq, File: file, Previous: cur.File}
		if !cur.Viewed {
			next.Unadd, next.Subtract = append(next.Unadd, cur.Unadd...), append(next.Subtract, cur.Subtract...)
		}
		switch {
		case cur.File == "" || cur.File == Tombstone:
		case cur.Viewed && cur.Folded == cur.File:
			next.Subtract = append(next.Subtract, cur.File)
		default:
			next.Unadd = append(next.Unadd, cur.File)
		}
		item := key(s.pk(manifestPK), objectSK(objectKey))
		item["k"], item["s"], item["f"], item["pf"] = str(objectKey), str(seq), str(file), str(cur.File)
		item["fd"], item["vu"] = str(""), &types.AttributeValueMemberBOOL{Value: false}
		item["rm"], item["sb"] = strList(next.Unadd), strList(next.Subtract)
		in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}
		if exists {
			// The folded mark is part of the condition: compaction marking
			// the file between our read and this write changes what the
			// switch owes.
			in.ConditionExpression = aws.String("s = :olds AND f = :oldf AND (attribute_not_exists(fd) OR fd = :oldfd)")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{
				":olds": str(cur.Sequencer), ":oldf": str(cur.File), ":oldfd": str(cur.Folded)}
		}
		_, err = s.db.PutItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) && attempt < s.retries {
			continue // another version committed or compaction marked the file: re-decide
		}
		if err != nil {
			return Entry{}, fmt.Errorf("commit %s: %w", objectKey, err)
		}
		if err := s.finishCommit(ctx, objectKey, next); err != nil {
			return Entry{}, err
		}
		return cur, nil
	}
}

// finishCommit applies an entry's owed view edits, if any are still owed,
// and marks the entry viewed.
func (s *Store) finishCommit(ctx context.Context, objectKey string, e Entry) error {
	if e.Viewed {
		return nil
	}
	if err := s.applyCommit(ctx, objectKey, e); err != nil {
		return err
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(s.pk(manifestPK), objectSK(objectKey)),
		UpdateExpression:          aws.String("SET vu = :t, rm = :none, sb = :none"),
		ConditionExpression:       aws.String("s = :s AND f = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}, ":none": strList(nil), ":s": str(e.Sequencer), ":f": str(e.File)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // a newer version took over, and carries the edits on
	}
	if err != nil {
		return fmt.Errorf("mark %s viewed: %w", objectKey, err)
	}
	return nil
}
