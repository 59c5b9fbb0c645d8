package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Upload states, as GET /v1/uploads/{id} reports them.
const (
	StatusProcessing         = "processing"
	StatusSucceeded          = "succeeded"
	StatusPartiallySucceeded = "partially_succeeded"
	StatusFailed             = "failed"
	StatusSuperseded         = "superseded"
	StatusDeleted            = "deleted"
)

// Upload is the status of one file version.
type Upload struct {
	ID         string          `json:"id"`
	Bucket     string          `json:"bucket"`
	Key        string          `json:"key"`
	Version    string          `json:"version,omitempty"`
	Status     string          `json:"status"`
	Rows       int64           `json:"rows"`
	Accepted   int64           `json:"accepted"`
	Rejected   int64           `json:"rejected"`
	RejectsKey string          `json:"rejects_key,omitempty"`
	Format     json.RawMessage `json:"format,omitempty"`
	Error      string          `json:"error,omitempty"`
	Started    string          `json:"started_at"`
	Finished   string          `json:"finished_at,omitempty"`
	// Replaced is the upload id whose data this one replaced: the live
	// file of the same object key when this one was committed.
	Replaced string `json:"replaced,omitempty"`
	// Deadline, RFC 3339 in UTC, is when a processing upload is given up
	// on: its start plus every attempt the ingest function gets, with a
	// margin (see At). Empty for uploads that never had one.
	Deadline string `json:"deadline_at,omitempty"`
}

// PutUpload writes an upload's status. A status that is final
// (succeeded, partially succeeded) is never overwritten by processing, so
// a duplicated event cannot make a finished upload look unfinished. A
// processing upload with a deadline is first entered in the in-flight
// index, so that ExpireOverdue finds it if its function dies.
func (s *Store) PutUpload(ctx context.Context, u Upload) error {
	body, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode upload %s: %w", u.ID, err)
	}
	if u.Status == StatusProcessing && u.Deadline != "" {
		if err := s.putInFlight(ctx, u); err != nil {
			return err
		}
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: uploadItem(u, body)}
	if u.Status == StatusProcessing {
		in.ConditionExpression = aws.String("attribute_not_exists(pk) OR NOT (#s IN (:ok, :partial))")
		in.ExpressionAttributeNames = map[string]string{"#s": "status"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":ok": str(StatusSucceeded), ":partial": str(StatusPartiallySucceeded)}
	}
	_, err = s.db.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("put upload %s: %w", u.ID, err)
	}
	return nil
}

// GetUpload reads an upload's status; ErrNotFound if there is none.
func (s *Store) GetUpload(ctx context.Context, id string) (Upload, error) {
	var u Upload
	err := s.getJSON(ctx, "UPLOAD#"+id, "STATUS", &u)
	return u, err
}

// PutSummary records the latest recompute summary as JSON.
func (s *Store) PutSummary(ctx context.Context, summary any) error {
	body, err := json.Marshal(summary)
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      map[string]types.AttributeValue{"pk": str(s.pk("SUMMARY")), "sk": str("LATEST"), "body": str(string(body))},
	})
	if err != nil {
		return fmt.Errorf("put summary: %w", err)
	}
	return nil
}

// GetSummary decodes the latest recompute summary into dst; ErrNotFound if
// recompute has not run yet.
func (s *Store) GetSummary(ctx context.Context, dst any) error {
	return s.getJSON(ctx, s.pk("SUMMARY"), "LATEST", dst)
}

func (s *Store) getJSON(ctx context.Context, pk, sk string, dst any) error {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get %s: %w", pk, err)
	}
	body := attrS(out.Item, "body")
	if body == "" {
		return fmt.Errorf("%s: %w", pk, ErrNotFound)
	}
	if err := json.Unmarshal([]byte(body), dst); err != nil {
		return fmt.Errorf("decode %s: %w", pk, err)
	}
	return nil
}

// MarkChanged records that the live data of the store's dataset changed at
// t, for recompute's debounce, and registers the dataset (see Datasets).
// Only a later time replaces the recorded one, so concurrent ingests never
// move it backwards.
func (s *Store) MarkChanged(ctx context.Context, t time.Time) error {
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table),
		Item: key(datasetsPK, s.dataset)}); err != nil {
		return fmt.Errorf("register dataset %s: %w", s.dataset, err)
	}
	at := SnapshotTime(t)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      map[string]types.AttributeValue{"pk": str(s.pk("CHANGES")), "sk": str("LATEST"), "at": str(at)},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #at < :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(at)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark changed: %w", err)
	}
	return nil
}

// LastChange returns when the live data last changed, in SnapshotTime
// form, or "" if it never did.
func (s *Store) LastChange(ctx context.Context) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(s.pk("CHANGES"), "LATEST"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read last change: %w", err)
	}
	return attrS(out.Item, "at"), nil
}

// UploadID returns the id of the upload of one object version: the file id
// ingestion derives from the bucket, key and S3 version id (ingest.FileID
// is this function), and so the id GET /v1/uploads/{id} takes.
func UploadID(bucket, key, version string) string {
	h := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	return hex.EncodeToString(h[:12])
}
