package recompute_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/recompute"
)

// TestRecomputeHandlerEmitsItsDuration runs the recompute handler against
// a table that cannot be reached: the run fails, and its metrics line
// says how long it took and that it failed, whatever the log level.
func TestRecomputeHandlerEmitsItsDuration(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	clients, err := awsconf.Load(ctx, awsconf.Endpoints{S3: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	h := recompute.LambdaHandler(config.Recompute{Table: "t", Bucket: "b"}, clients, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})))
	payload, err := json.Marshal(events.EventBridgeEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h(ctx, payload); err == nil {
		t.Fatal("a run without a table succeeded")
	}
	var line map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil && m["msg"] == "Recompute" {
			line = m
		}
	}
	if _, ok := line["_aws"]; !ok || line["Function"] != "recompute" || line["RecomputeErrors"] != 1.0 {
		t.Fatalf("no metrics line for the run: %s", buf.String())
	}
	if secs, ok := line["RecomputeSeconds"].(float64); !ok || secs <= 0 {
		t.Fatalf("RecomputeSeconds %v", line["RecomputeSeconds"])
	}
}
