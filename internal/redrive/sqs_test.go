package redrive_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/redrive"
)

// failing invokes nothing and fails the payloads naming a key in keys.
type failing struct{ keys []string }

func (f failing) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	for _, k := range f.keys {
		if strings.Contains(string(payload), k) {
			return nil, errors.New("still broken")
		}
	}
	return []byte("null"), nil
}

func s3Event(key string) []byte {
	return fmt.Appendf(nil, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":%q,"versionId":"v1"}}}]}`, key)
}

// TestSQS runs a redrive against SQS on moto_server: replayed records leave
// the queue, a failed one and a foreign message stay visible for the next
// run, and a dry run leaves everything.
func TestSQS(t *testing.T) {
	ctx := context.Background()
	clients, err := awsconf.Load(ctx, awsconf.Endpoints{S3: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	fq, err := devstack.StartFailureQueue(ctx, clients.Config, "127.0.0.1:0", "ingest-failures")
	if err != nil {
		t.Fatalf("the failure queue needs moto_server: %v", err)
	}
	t.Cleanup(fq.Close)
	// Thirteen records and a foreign message, received one by one.
	for i := range 13 {
		rec, err := redrive.NewRecord("arn:aws:lambda:us-east-1:1:function:ingest", s3Event(fmt.Sprintf("transactions/f%02d.csv", i)), 3, errors.New("boom"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := fq.Send(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := fq.Send(ctx, []byte("not a record")); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := redrive.NewSQS(fq.Client, fq.URL)

	dry, err := redrive.New(q, failing{}, log).Run(ctx, redrive.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Pending) != 13 || len(dry.Skipped) != 1 || len(dry.Redriven) != 0 {
		t.Fatalf("dry run: %d pending, %d skipped, %d redriven; want 13, 1, 0", len(dry.Pending), len(dry.Skipped), len(dry.Redriven))
	}

	rep, err := redrive.New(q, failing{keys: []string{"f07.csv"}}, log).Run(ctx, redrive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Redriven) != 12 || len(rep.Failed) != 1 || len(rep.Skipped) != 1 {
		t.Fatalf("run: %d redriven, %d failed, %d skipped; want 12, 1, 1", len(rep.Redriven), len(rep.Failed), len(rep.Skipped))
	}
	if got := rep.Failed[0].Objects; !slices.Equal(got, []string{"transactions/f07.csv@v1"}) || rep.Failed[0].Error != "still broken" || rep.Failed[0].OriginalError != "errorString: boom" {
		t.Errorf("failed outcome = %+v", rep.Failed[0])
	}
	// What is left must be visible again at once: the failed record and
	// the foreign message, nothing else.
	out, err := fq.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fq.URL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, m := range out.Messages {
		body := aws.ToString(m.Body)
		if strings.Contains(body, "f07.csv") {
			body = "f07"
		}
		left = append(left, body)
	}
	slices.Sort(left)
	if !slices.Equal(left, []string{"f07", "not a record"}) {
		t.Errorf("left in the queue: %q, want the failed record and the foreign message", left)
	}
}

// TestLambda checks the invoker against Lambda's Invoke wire format: a
// synchronous call, the function's error turned into a FunctionError.
func TestLambda(t *testing.T) {
	var gotPath, gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotType = r.URL.Path, r.Header.Get("X-Amz-Invocation-Type")
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "bad.csv") {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"write fragments: throttled","errorType":"wrapError"}`)
			return
		}
		io.WriteString(w, "null")
	}))
	t.Cleanup(srv.Close)
	clients, err := awsconf.Load(context.Background(), awsconf.Endpoints{S3: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	inv := redrive.NewLambda(awslambda.NewFromConfig(clients.Config, func(o *awslambda.Options) { o.BaseEndpoint = aws.String(srv.URL) }), "salesseg-ingest")
	if _, err := inv.Invoke(context.Background(), s3Event("good.csv")); err != nil {
		t.Fatalf("good event: %v", err)
	}
	if gotPath != "/2015-03-31/functions/salesseg-ingest/invocations" || gotType != "RequestResponse" {
		t.Errorf("call = %s with invocation type %q, want a synchronous invocation of salesseg-ingest", gotPath, gotType)
	}
	_, err = inv.Invoke(context.Background(), s3Event("bad.csv"))
	var fe *redrive.FunctionError
	if !errors.As(err, &fe) || fe.Message != "write fragments: throttled" || fe.Type != "wrapError" {
		t.Fatalf("bad event: err = %v, want the function's error", err)
	}
}
