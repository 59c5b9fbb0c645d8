package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Snapshots hold what recompute derives from customer histories. A run
// writes its parts under a new id (SNAP#<id>, sk = part name), then
// publishes the id with one conditional write of the SNAPSHOT/LATEST
// pointer. Readers follow the pointer, so they only ever see a complete
// snapshot, and a slow run can never replace a newer one.

// ErrTooLarge means a snapshot part does not fit in one item even
// compressed, so the caller must split it, or that a stored part inflates
// beyond what a reader accepts.
var ErrTooLarge = errors.New("snapshot part too large for one item")

// maxPartBytes keeps a compressed part well under DynamoDB's 400 KB item
// limit, leaving room for keys and attribute names.
const maxPartBytes = 350 << 10

// SnapshotInfo describes a published snapshot.
type SnapshotInfo struct {
	ID string `json:"id"`
	// StartedAt orders snapshots: a run that started later read more
	// recent data, however long it took. RFC 3339 with nanoseconds, UTC.
	StartedAt  string   `json:"started_at"`
	ComputedAt string   `json:"computed_at"` // RFC 3339, when the run finished
	AsOf       string   `json:"as_of"`       // the last purchase day the data covers
	Parts      []string `json:"parts"`
}

const snapshotPK, snapshotSK = "SNAPSHOT", "LATEST"

// PutSnapshotPart stores one encoded part of an unpublished snapshot,
// gzipped; what the bytes mean is package snapshot's business. Rewriting
// a part is harmless. A part that does not fit in one item even
// compressed gives ErrTooLarge.
func (s *Store) PutSnapshotPart(ctx context.Context, id, part string, data []byte) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("compress snapshot part %s: %w", part, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress snapshot part %s: %w", part, err)
	}
	if buf.Len() > maxPartBytes {
		return fmt.Errorf("snapshot part %s: %d bytes compressed: %w", part, buf.Len(), ErrTooLarge)
	}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]types.AttributeValue{
		"pk": str(s.pk("SNAP#" + id)), "sk": str(part), "gz": &types.AttributeValueMemberB{Value: buf.Bytes()}}})
	if err != nil {
		return fmt.Errorf("put snapshot part %s: %w", part, err)
	}
	return nil
}

// PublishSnapshot makes info the latest snapshot unless a snapshot started
// later is already published, in which case it returns ErrStale. It
// returns the snapshot it replaced (zero if none) so the caller can delete
// it.
func (s *Store) PublishSnapshot(ctx context.Context, info SnapshotInfo) (SnapshotInfo, error) {
	prev, err := s.LatestSnapshot(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return SnapshotInfo{}, err
	}
	body, err := json.Marshal(info)
	if err != nil {
		return SnapshotInfo{}, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{"pk": str(s.pk(snapshotPK)), "sk": str(snapshotSK),
			"at": str(info.StartedAt), "body": str(string(body))},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #at < :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(info.StartedAt)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return SnapshotInfo{}, fmt.Errorf("publish snapshot %s: %w", info.ID, ErrStale)
	}
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("publish snapshot %s: %w", info.ID, err)
	}
	return prev, nil
}

// LatestSnapshot returns the published snapshot; ErrNotFound before the
// first recompute.
func (s *Store) LatestSnapshot(ctx context.Context) (SnapshotInfo, error) {
	var info SnapshotInfo
	err := s.getJSON(ctx, s.pk(snapshotPK), snapshotSK, &info)
	return info, err
}

// maxPartSize bounds a part's uncompressed size, so that a corrupt item
// cannot exhaust a reader's memory.
const maxPartSize = 64 << 20

// SnapshotPart returns one part of a snapshot as PutSnapshotPart was
// given it; an error wrapping ErrNotFound if the snapshot has no such
// part, ErrTooLarge if it inflates beyond 64 MiB.
func (s *Store) SnapshotPart(ctx context.Context, id, part string) ([]byte, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(s.pk("SNAP#"+id), part)})
	if err != nil {
		return nil, fmt.Errorf("get snapshot part %s: %w", part, err)
	}
	gz, ok := out.Item["gz"].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("snapshot %s part %s: %w", id, part, ErrNotFound)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Value))
	if err != nil {
		return nil, fmt.Errorf("snapshot part %s: %w", part, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxPartSize+1))
	if err != nil {
		return nil, fmt.Errorf("snapshot part %s: %w", part, err)
	}
	if len(data) > maxPartSize {
		return nil, fmt.Errorf("snapshot part %s: more than %d bytes: %w", part, maxPartSize, ErrTooLarge)
	}
	return data, nil
}

// DeleteSnapshot removes a replaced snapshot's parts.
func (s *Store) DeleteSnapshot(ctx context.Context, info SnapshotInfo) error {
	reqs := make([]types.WriteRequest, 0, len(info.Parts))
	for _, p := range info.Parts {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(s.pk("SNAP#"+info.ID), p)}})
	}
	return s.batchWrite(ctx, reqs)
}

// SnapshotTime formats t for SnapshotInfo.StartedAt: fixed width, so that
// string order is time order.
func SnapshotTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
