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
		Item:      map[string]types.AttributeValue{"pk": str(s.pk("RECONCILIATION")), "sk": str("LATEST"), "body": str(string(body))},
	})
	if err != nil {
		return fmt.Errorf("put reconciliation: %w", err)
	}
	return nil
}

// GetReconciliation decodes the latest reconciliation report into dst;
// ErrNotFound if none was made yet.
func (s *Store) GetReconciliation(ctx context.Context, dst any) error {
	return s.getJSON(ctx, s.pk("RECONCILIATION"), "LATEST", dst)
}
