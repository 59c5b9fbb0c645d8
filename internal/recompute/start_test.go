package recompute_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

// TestScheduleStartsOneExecutionPerChange gives the service a state
// machine on moto_server: a scheduled event on changed data starts an
// execution for the dataset instead of computing in the function, the
// schedule's next event starts none while the change is the same, and a
// new change starts another.
func TestScheduleStartsOneExecutionPerChange(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	moto, err := devstack.StartFailureQueue(ctx, emu.Clients.Config, "127.0.0.1:0", "unused")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { moto.Close() })
	machines := sfn.NewFromConfig(emu.Clients.Config, func(o *sfn.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
	m, err := machines.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("recompute"),
		Definition: aws.String(`{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/recompute"), Type: sfntypes.StateMachineTypeStandard})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	svc := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket, StateMachine: aws.ToString(m.StateMachineArn), Executions: machines})
	executions := func() []sfntypes.ExecutionListItem {
		t.Helper()
		out, err := machines.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: m.StateMachineArn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Executions
	}
	ps := purchases()
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/a.csv", "a1", "01", ps[:3])
	if err := st.MarkChanged(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := svc.Handle(ctx, events.EventBridgeEvent{}); err != nil {
			t.Fatal(err)
		}
	}
	first := executions()
	if len(first) != 1 || !strings.HasPrefix(aws.ToString(first[0].Name), "default-") {
		t.Fatalf("executions after two events on one change: %+v", first)
	}
	d, err := machines.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: first[0].ExecutionArn})
	if err != nil || aws.ToString(d.Input) != `{"dataset":"default"}` {
		t.Fatalf("execution input %q, %v", aws.ToString(d.Input), err)
	}
	if _, err := st.LatestSnapshot(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the function computed a snapshot itself: %v", err)
	}
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/b.csv", "b1", "01", ps[3:])
	if err := st.MarkChanged(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Handle(ctx, events.EventBridgeEvent{}); err != nil {
		t.Fatal(err)
	}
	if n := len(executions()); n != 2 {
		t.Errorf("%d executions after a second change, want 2", n)
	}
}
