package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DeadlineFormat is how Upload.Deadline is written: RFC 3339 in UTC with
// a fixed width, so that string order is time order in the in-flight
// index's sort keys.
const DeadlineFormat = "2006-01-02T15:04:05Z"

// inFlightPK is the partition of the in-flight index: one item per
// processing upload, sort key <deadline>#<upload id>. Ingestion writes an
// item before it marks an upload processing and never deletes it;
// ExpireOverdue reads the items whose deadline has passed and deletes
// them once their upload is settled, so the partition holds only uploads
// started since about the last expiry run.
const inFlightPK = "INFLIGHT"

func (s *Store) putInFlight(ctx context.Context, u Upload) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      map[string]types.AttributeValue{"pk": str(inFlightPK), "sk": str(u.Deadline + "#" + u.ID), "id": str(u.ID)},
	})
	if err != nil {
		return fmt.Errorf("enter upload %s in flight: %w", u.ID, err)
	}
	return nil
}

// At returns the upload as it stands at now: a processing upload past its
// deadline is failed, with a reason saying so, because the function that
// was processing it has certainly stopped (timed out or crashed) and
// Lambda has no attempt left. A later retry or redrive that finishes it
// writes its real status over this one.
func (u Upload) At(now time.Time) Upload {
	if u.Status != StatusProcessing || u.Deadline == "" {
		return u
	}
	deadline, err := time.Parse(time.RFC3339, u.Deadline)
	if err != nil || !now.After(deadline) {
		return u
	}
	u.Status = StatusFailed
	u.Error = fmt.Sprintf("processing did not finish by %s; the ingest function timed out or crashed; it can be redriven (salesseg redrive)", u.Deadline)
	return u
}

// ExpireOverdue marks failed, durably, every processing upload whose
// deadline passed before now (see Upload.At), and returns them as marked.
// Each mark is a conditional write that applies only while the upload is
// still processing under the same deadline: a success that lands first
// is never overwritten, and a retry that started since (a new deadline)
// is left to finish; a retry or redrive that finishes later overwrites
// the mark. Index items of settled uploads are deleted. Safe to run
// concurrently and to repeat.
func (s *Store) ExpireOverdue(ctx context.Context, now time.Time) ([]Upload, error) {
	var due []map[string]types.AttributeValue
	err := s.queryPages(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(inFlightPK), ":now": str(now.UTC().Format(DeadlineFormat))},
		ConsistentRead: aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error { due = append(due, item); return nil }, nil)
	if err != nil {
		return nil, fmt.Errorf("read uploads in flight: %w", err)
	}
	var expired []Upload
	var settled []types.WriteRequest
	for _, item := range due {
		sk := attrS(item, "sk")
		deadline, _, _ := strings.Cut(sk, "#")
		u, err := s.GetUpload(ctx, attrS(item, "id"))
		switch {
		case errors.Is(err, ErrNotFound):
			// The function died between the index entry and the status.
		case err != nil:
			return nil, err
		case u.Status == StatusProcessing && u.Deadline <= deadline:
			marked, ok, err := s.expire(ctx, u, now)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue // changed meanwhile: the next run decides
			}
			expired = append(expired, marked)
		case u.Status == StatusProcessing:
			// A later attempt entered itself under its own deadline.
		}
		settled = append(settled, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(inFlightPK, sk)}})
	}
	if err := s.batchWrite(ctx, settled); err != nil {
		return nil, fmt.Errorf("delete settled in-flight entries: %w", err)
	}
	return expired, nil
}

// expire writes u as failed past its deadline if it is still processing
// under that deadline; ok is false when it no longer is.
func (s *Store) expire(ctx context.Context, u Upload, now time.Time) (Upload, bool, error) {
	failed := u.At(now)
	failed.Finished = now.UTC().Format(time.RFC3339)
	body, err := json.Marshal(failed)
	if err != nil {
		return Upload{}, false, fmt.Errorf("encode upload %s: %w", u.ID, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     uploadItem(failed, body),
		ConditionExpression:      aws.String("#s = :processing AND deadline = :d"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":processing": str(StatusProcessing), ":d": str(u.Deadline)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return Upload{}, false, nil
	}
	if err != nil {
		return Upload{}, false, fmt.Errorf("mark upload %s failed: %w", u.ID, err)
	}
	return failed, true, nil
}
