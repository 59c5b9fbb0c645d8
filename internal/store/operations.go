package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PutReconciliation records the latest reconciliation report (see package
// recompute) as JSON, replacing the previous one.
func (s *Store) PutReconciliation(ctx context.Context, report any) error {
	body, err := json.Marshal(report)
	if err != nil {
		return fmt.Errorf("encode reconciliation: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      map[string]types.AttributeValue{"pk": str("RECONCILIATION"), "sk": str("LATEST"), "body": str(string(body))},
	})
	if err != nil {
		return fmt.Errorf("put reconciliation: %w", err)
	}
	return nil
}

// GetReconciliation decodes the latest reconciliation report into dst;
// ErrNotFound if none was made yet.
func (s *Store) GetReconciliation(ctx context.Context, dst any) error {
	return s.getJSON(ctx, "RECONCILIATION", "LATEST", dst)
}

// failurePK is the partition of the local failure queue: one item per
// failed asynchronous invocation, sort key its id, attribute body the
// record as Lambda writes it to an on-failure destination. Deployed, the
// records go to the SQS queue instead and nothing writes here.
const failurePK = "FAILURE"

// Failure is one stored failure record.
type Failure struct {
	ID     string
	Record []byte
}

// PutFailure stores a failure record under id; storing the same id again
// replaces it.
func (s *Store) PutFailure(ctx context.Context, id string, record []byte) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      map[string]types.AttributeValue{"pk": str(failurePK), "sk": str(id), "body": str(string(record))},
	})
	if err != nil {
		return fmt.Errorf("put failure %s: %w", id, err)
	}
	return nil
}

// Failures returns up to limit stored failure records, oldest id first.
func (s *Store) Failures(ctx context.Context, limit int) ([]Failure, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(failurePK)},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("read failures: %w", err)
	}
	fs := make([]Failure, 0, len(out.Items))
	for _, item := range out.Items {
		fs = append(fs, Failure{ID: attrS(item, "sk"), Record: []byte(attrS(item, "body"))})
	}
	return fs, nil
}

// DeleteFailure removes a stored failure record; deleting one that is
// gone is not an error.
func (s *Store) DeleteFailure(ctx context.Context, id string) error {
	err := s.batchWrite(ctx, []types.WriteRequest{{DeleteRequest: &types.DeleteRequest{Key: key(failurePK, id)}}})
	if err != nil {
		return fmt.Errorf("delete failure %s: %w", id, err)
	}
	return nil
}
