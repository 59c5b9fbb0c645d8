package redrive

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SQSAPI is the part of the SQS client an SQS queue uses.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, o ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQS is a failure queue in Amazon SQS, the ingest function's on-failure
// destination (IngestFailureQueueUrl among the stack's outputs).
type SQS struct {
	api SQSAPI
	url string
}

// NewSQS returns the queue at url, read through api.
func NewSQS(api SQSAPI, url string) *SQS { return &SQS{api: api, url: url} }

// sqsBatch is how many messages one ReceiveMessage takes: one, because a
// message is hidden from the moment it is received, and replays run one
// after another; a batch's last message could outwait its hiding while
// the others replay, and a second redrive would then replay it too.
const sqsBatch = 1

// Receive returns the next message, waiting at most a second for one: a
// redrive drains what is there and must not wait for new failures.
func (q *SQS) Receive(ctx context.Context, hide time.Duration) ([]Message, error) {
	out, err := q.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(q.url), MaxNumberOfMessages: sqsBatch,
		VisibilityTimeout: int32(hide / time.Second), WaitTimeSeconds: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", q.url, err)
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		msgs = append(msgs, Message{ID: aws.ToString(m.MessageId), Receipt: aws.ToString(m.ReceiptHandle), Body: []byte(aws.ToString(m.Body))})
	}
	return msgs, nil
}

// Delete removes m from the queue for good.
func (q *SQS) Delete(ctx context.Context, m Message) error {
	if _, err := q.api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(m.Receipt)}); err != nil {
		return fmt.Errorf("delete message %s: %w", m.ID, err)
	}
	return nil
}

// Release makes m visible to the next reader at once.
func (q *SQS) Release(ctx context.Context, m Message) error {
	if _, err := q.api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(m.Receipt), VisibilityTimeout: 0,
	}); err != nil {
		return fmt.Errorf("release message %s: %w", m.ID, err)
	}
	return nil
}
