package recompute

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/metrics"
	"github.com/salesseg/salesseg/internal/store"
	"github.com/salesseg/salesseg/internal/workflow"
)

// NewFromConfig builds the service the recompute function's
// configuration describes, on clients. It lives beside the service rather
// than in package config so that each function links only its own
// service (see config's package comment).
func NewFromConfig(c config.Recompute, clients *awsconf.Clients, log *slog.Logger) *Service {
	opts := Options{Bucket: c.Bucket, Shards: c.Shards, Workers: c.Workers, StateMachine: c.StateMachine}
	if c.StateMachine != "" {
		opts.Executions = sfn.NewFromConfig(clients.Config)
	}
	return New(store.New(clients.DynamoDB, c.Table), clients.S3, log, opts)
}

// LambdaHandler is the Lambda handler of the service c describes on
// clients, for the function's main and `salesseg local`. It is invoked by
// the schedule, whose runs it logs with their duration and outcome as the
// metrics RecomputeSeconds and RecomputeErrors (see package metrics), and
// by the state machine with the input of one step
// (workflow.DecodeInput), whose output it returns.
func LambdaHandler(c config.Recompute, clients *awsconf.Clients, log *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	svc := NewFromConfig(c, clients, log)
	scheduled := metrics.Timed(metrics.New(log, "recompute"), "Recompute", svc.Handle)
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		in, step, err := workflow.DecodeInput(payload)
		if err != nil {
			return nil, err
		}
		if step {
			return svc.Step(ctx, in)
		}
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("recompute event: %w", err)
		}
		return nil, scheduled(ctx, ev)
	}
}
