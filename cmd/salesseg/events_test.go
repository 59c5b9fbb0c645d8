package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/devstack"
)

// TestSampleEventsDriveTheHandlers invokes each handler with the sample
// events in events/, exactly as Lambda would decode them, against the
// emulators: the put ingests, the API event reads what it ingested, the
// delete retracts it, and the schedule runs recompute.
func TestSampleEventsDriveTheHandlers(t *testing.T) {
	ctx := context.Background()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The sample events name bucket salesseg-local, as `make local` does.
	emu, err := devstack.Start(ctx, devstack.Options{Root: root, Bucket: localName, Table: localName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	h := newHandlers(emu, stackOptions{functions: testFunctions(t), log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	sample, err := os.ReadFile(filepath.Join(root, "infra/sample/superstore.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket),
		Key: aws.String("transactions/superstore sample.csv"), Body: bytes.NewReader(sample)}); err != nil {
		t.Fatal(err)
	}
	event := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(root, "events", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	invoke := func(h interface {
		Invoke(context.Context, []byte) ([]byte, error)
	}, name string) []byte {
		t.Helper()
		out, err := h.Invoke(ctx, event(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	segments := func() (rev string, n int) {
		t.Helper()
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(invoke(h.api, "api-segments.json"), &resp); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("api-segments.json: status %d: %s", resp.StatusCode, resp.Body)
		}
		var b breakdown
		if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
			t.Fatal(err)
		}
		return b.Revenue, len(b.Segments)
	}

	invoke(h.ingest, "s3-put.json")
	if rev, n := segments(); !sameMoney(t, rev, "2297200.8603") || n != 3 {
		t.Fatalf("after s3-put.json: revenue %s over %d segments, want 2297200.8603 over 3", rev, n)
	}
	var health events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(invoke(h.api, "api-health.json"), &health); err != nil || health.StatusCode != 200 {
		t.Fatalf("api-health.json: %+v %v", health, err)
	}
	invoke(h.recompute, "schedule.json")
	invoke(h.ingest, "s3-delete.json")
	if rev, n := segments(); !sameMoney(t, rev, "0") || n != 0 {
		t.Fatalf("after s3-delete.json: revenue %s over %d segments, want nothing", rev, n)
	}
}
