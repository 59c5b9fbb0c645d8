package recompute_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/store"
	"github.com/salesseg/salesseg/internal/workflow"
)

// countingBlobs counts the GETs of purchase histories recompute makes,
// ranged or whole.
type countingBlobs struct {
	recompute.Blobs
	ranged, whole, versioned atomic.Int64
}

func (c *countingBlobs) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if !strings.HasSuffix(aws.ToString(in.Key), ".history.ndjson.zst") {
		return c.Blobs.GetObject(ctx, in, o...)
	}
	if in.Range != nil {
		c.ranged.Add(1)
		if in.VersionId != nil {
			c.versioned.Add(1)
		}
	} else {
		c.whole.Add(1)
	}
	return c.Blobs.GetObject(ctx, in, o...)
}

// ingestShared puts a shared data file under key and hands its S3 event,
// with sequencer seq, to the ingest handler.
func ingestShared(t *testing.T, emu *devstack.Emulators, svc *ingest.Service, key, name string, seq int) {
	t.Helper()
	ctx := context.Background()
	body, err := os.ReadFile(shareddata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	out, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: emu.Bucket},
		Object: events.S3Object{Key: key, VersionID: aws.ToString(out.VersionId), Sequencer: fmt.Sprintf("%02X", seq)}}}}}
	if err := svc.HandleS3(ctx, ev); err != nil {
		t.Fatal(err)
	}
}

// TestRunReadsShardedHistories ingests two real files through the
// ingest handler, which groups their histories by 8 customer shards,
// then recomputes with 8 shards (one ranged GET of each file's shard,
// of the version its index names), 5 shards (histories read whole and
// filtered) and 1 shard: every part of the three snapshots is the same,
// byte for byte.
func TestRunReadsShardedHistories(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	svc := ingest.New(emu.Clients.S3, st, quiet, ingest.ServiceOptions{MaxRejectRate: 0.5, Shards: 8})
	names := []string{"sample_superstore_utf8bom_2016-2019.csv", "uci_online_retail_random_sample_2709.csv"}
	for i, name := range names {
		ingestShared(t, emu, svc, "transactions/"+name, name, i+1)
	}
	snapshots := map[int]map[string][]byte{}
	for _, n := range []int{8, 5, 1} {
		blobs := &countingBlobs{Blobs: emu.Clients.S3}
		res, err := recompute.New(st, blobs, quiet, recompute.Options{Bucket: emu.Bucket, Shards: n, Workers: 3}).Run(ctx)
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		if res.Meta.Customers < 793 {
			t.Fatalf("%d shards: %d customers", n, res.Meta.Customers)
		}
		parts := map[string][]byte{}
		for _, p := range res.Snapshot.Parts {
			data, err := st.SnapshotPart(ctx, res.Snapshot.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			parts[p] = data
		}
		snapshots[n] = parts
		switch n {
		case 8:
			// Two passes, two files, eight shards; a shard without any
			// customer of a file is not read.
			if r := blobs.ranged.Load(); r < 16 || r > 32 || blobs.versioned.Load() != r {
				t.Errorf("8 shards: %d ranged GETs, %d of a version; want 16 to 32, all of a version", r, blobs.versioned.Load())
			}
		default:
			if r := blobs.ranged.Load(); r != 0 {
				t.Errorf("%d shards: %d ranged GETs of histories indexed for 8", n, r)
			}
		}
	}
	// The single-function Analyze on the same files, parsed here, gives
	// the same parts, and the holdout check on every purchase at once
	// (one part) the run's holdout part, which the shards' parts make.
	b := analytics.NewBuilder()
	var purchases []history.Purchase
	for _, name := range names {
		f, err := os.Open(shareddata.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		res, err := parser.ParseWith(f, name, parser.NewCSVRejects(io.Discard), parser.Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		err = res.Purchases(func(p history.Purchase) error {
			purchases = append(purchases, p)
			return b.Add(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	whole, err := recompute.Analyze(ctx, b.Build(), nil, nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := period.ParseDate(whole.Meta.FirstDay)
	last, _ := period.ParseDate(whole.Meta.LastDay)
	end, ok := recompute.HoldoutEnd(first, last)
	if !ok {
		t.Fatalf("no holdout from %s to %s", first, last)
	}
	h := recompute.NewHoldout(end)
	for _, p := range purchases {
		if err := h.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	check, err := h.CheckFitted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if check.Report == nil || check.Report.Total.Customers == 0 || check.Report.Total.Actual == 0 {
		t.Fatalf("holdout check without figures: %+v", check)
	}
	whole.Holdout = &check
	parts, err := whole.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if !bytes.Equal(snapshots[8][p.Name], p.Data) {
			t.Errorf("part %s differs between 8 shards and Analyze:\n%s\n%s", p.Name, snapshots[8][p.Name], p.Data)
		}
	}
	if len(parts) != len(snapshots[8]) {
		t.Errorf("Analyze gives %d parts, the run %d", len(parts), len(snapshots[8]))
	}
	for _, n := range []int{5, 1} {
		if len(snapshots[n]) != len(snapshots[8]) {
			t.Errorf("%d shards: %d parts, 8 shards: %d", n, len(snapshots[n]), len(snapshots[8]))
		}
		for name, data := range snapshots[8] {
			if !bytes.Equal(snapshots[n][name], data) {
				t.Errorf("part %s differs between 8 and %d shards", name, n)
			}
		}
	}
}

// TestStepsAsTheStateMachineRunsThem drives a recompute through Step with
// the inputs the state machine gives each step (infra/statemachine): the
// plan with its execution and start input, a summarize and an assign per
// item of the shard list the plan put in S3, the fit and the publish. The
// snapshot equals an in-process Run's, part for part.
func TestStepsAsTheStateMachineRunsThem(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	svc := ingest.New(emu.Clients.S3, st, quiet, ingest.ServiceOptions{MaxRejectRate: 0.5, Shards: 6})
	name := "sample_superstore_utf8bom_2016-2019.csv"
	ingestShared(t, emu, svc, "datasets/retail/transactions/"+name, name, 1)
	rec := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket, Shards: 6})
	step := func(payload string) any {
		t.Helper()
		in, ok, err := workflow.DecodeInput([]byte(payload))
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", payload, ok, err)
		}
		res, err := rec.Step(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		return res
	}
	plan, ok := step(`{"step":"plan","execution":"arn:aws:states:us-east-1:1:execution:m:e1","request":{"dataset":"retail"}}`).(workflow.PlanOutput)
	if !ok || plan.Shards != 6 || plan.PartsBucket != emu.Bucket {
		t.Fatalf("plan output %+v", plan)
	}
	obj, err := emu.Clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(plan.PartsKey)})
	if err != nil {
		t.Fatal(err)
	}
	var items []workflow.Item
	if err := json.NewDecoder(obj.Body).Decode(&items); err != nil || len(items) != 6 {
		t.Fatalf("shard list %v, %v", items, err)
	}
	obj.Body.Close()
	for _, kind := range []string{"summarize", "fit", "assign"} {
		if kind == "fit" {
			step(fmt.Sprintf(`{"step":"fit","run":%q,"of":6}`, plan.Run))
			continue
		}
		// The map runs its items in any order.
		for i := len(items) - 1; i >= 0; i-- {
			got := step(fmt.Sprintf(`{"step":%q,"run":%q,"shard":%d,"of":%d}`, kind, plan.Run, items[i].Shard, items[i].Of))
			if r, ok := got.(workflow.ShardResult); !ok || r.Shard != items[i].Shard || string(r.Step) != kind {
				t.Fatalf("%s of shard %d returned %+v", kind, items[i].Shard, got)
			}
		}
	}
	step(fmt.Sprintf(`{"step":"publish","run":%q,"of":6}`, plan.Run))
	retail := st.Dataset("retail")
	stepped, err := retail.LatestSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, p := range stepped.Parts {
		if parts[p], err = retail.SnapshotPart(ctx, stepped.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	ran, err := rec.In("retail").Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stepped.Parts) < 20 || len(stepped.Parts) != len(ran.Snapshot.Parts) || ran.Meta.Customers != 793 {
		t.Fatalf("stepped snapshot has %d parts, run %d of %d customers", len(stepped.Parts), len(ran.Snapshot.Parts), ran.Meta.Customers)
	}
	for _, p := range ran.Snapshot.Parts {
		data, err := retail.SnapshotPart(ctx, ran.Snapshot.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, parts[p]) {
			t.Errorf("part %s differs between the steps and Run", p)
		}
	}
	if _, err := rec.Step(ctx, workflow.Input{Step: workflow.Assign, Run: plan.Run, Shard: 2, Of: 5}); !errors.Is(err, recompute.ErrShardMismatch) {
		t.Errorf("an assign step of another shard count: %v, want ErrShardMismatch", err)
	}
}
