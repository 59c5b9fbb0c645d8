package recompute_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

// put uploads a small sales file and returns the event S3 would send.
func put(t *testing.T, emu *devstack.Emulators, key, amount string, seq int) (events.S3Event, string) {
	t.Helper()
	body := "Order Date,Customer ID,Segment,Sales\n2024-01-02,C1,Corporate," + amount + "\n"
	out, err := emu.Clients.S3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
		Body: bytes.NewReader([]byte(body))})
	if err != nil {
		t.Fatal(err)
	}
	v := aws.ToString(out.VersionId)
	return events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: emu.Bucket},
		Object: events.S3Object{Key: key, VersionID: v, Sequencer: fmt.Sprintf("%X", seq)},
	}}}}, ingest.FileID(emu.Bucket, key, v)
}

// TestReconcileFindsLostEventsAndStuckUploads builds, against the
// emulators, an object whose event never came, an object overwritten
// whose newer version's event never came, an upload whose function died
// while processing, and one that died and then succeeded on a retry.
// Before the deadline the dead one reads processing; after it, it reads
// failed with the reason, reconciliation lists it as stuck (and the two
// lost events), and a late successful retry still wins.
func TestReconcileFindsLostEventsAndStuckUploads(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	opts := ingest.ServiceOptions{MaxRejectRate: 0.5, ProcessingDeadline: time.Minute}
	svc := ingest.New(emu.Clients.S3, st, quiet, opts)
	// dying dies after the upload is marked processing: its call 4 (the
	// manifest read, the in-flight entry and the status came first) and
	// every later one fail, as after a crash or a timeout.
	dying := func() *ingest.Service {
		return ingest.New(emu.Clients.S3, store.New(&emutest.FaultyDB{DB: emu.Clients.DynamoDB, FailAt: 4, Dead: true}, emu.Table), quiet, opts)
	}

	ok, _ := put(t, emu, "transactions/ok.csv", "1.00", 1)
	if err := svc.HandleS3(ctx, ok); err != nil {
		t.Fatal(err)
	}
	_, lostID := put(t, emu, "transactions/lost.csv", "2.00", 2)
	v1, _ := put(t, emu, "transactions/overwritten.csv", "3.00", 3)
	if err := svc.HandleS3(ctx, v1); err != nil {
		t.Fatal(err)
	}
	_, _ = put(t, emu, "transactions/overwritten.csv", "4.00", 4)
	dead, deadID := put(t, emu, "transactions/dead.csv", "5.00", 5)
	if err := dying().HandleS3(ctx, dead); !errors.Is(err, emutest.ErrInjected) {
		t.Fatalf("the dying ingest returned %v", err)
	}
	retried, retriedID := put(t, emu, "transactions/retried.csv", "6.00", 6)
	if err := dying().HandleS3(ctx, retried); !errors.Is(err, emutest.ErrInjected) {
		t.Fatalf("the dying ingest returned %v", err)
	}
	if err := svc.HandleS3(ctx, retried); err != nil {
		t.Fatal(err)
	}

	u, err := st.GetUpload(ctx, deadID)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.At(time.Now()).Status; got != store.StatusProcessing {
		t.Fatalf("before its deadline the dead upload reads %s", got)
	}
	later := time.Now().Add(2 * time.Minute)
	if got := u.At(later); got.Status != store.StatusFailed || !strings.Contains(got.Error, "timed out or crashed") {
		t.Fatalf("past its deadline the dead upload reads %s %q", got.Status, got.Error)
	}

	rec := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket, Now: func() time.Time { return later }})
	r, err := rec.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects != 5 {
		t.Errorf("objects %d, want 5", r.Objects)
	}
	if len(r.NeverIngested) != 1 || r.NeverIngested[0].Key != "transactions/lost.csv" || r.NeverIngested[0].Upload != lostID {
		t.Errorf("never ingested: %+v", r.NeverIngested)
	}
	if len(r.StaleVersion) != 1 || r.StaleVersion[0].Key != "transactions/overwritten.csv" || r.StaleVersion[0].CurrentStatus != "" ||
		r.StaleVersion[0].CountedVersion == r.StaleVersion[0].CurrentVersion {
		t.Errorf("stale: %+v", r.StaleVersion)
	}
	if len(r.Stuck) != 1 || r.Stuck[0].Upload != deadID {
		t.Errorf("stuck: %+v (want only %s; %s succeeded on its retry)", r.Stuck, deadID, retriedID)
	}
	if len(r.Gone) != 0 {
		t.Errorf("gone: %+v", r.Gone)
	}
	for id, want := range map[string]string{deadID: store.StatusFailed, retriedID: store.StatusSucceeded} {
		if u, err := st.GetUpload(ctx, id); err != nil || u.Status != want {
			t.Errorf("upload %s: %s %v, want %s", id, u.Status, err, want)
		}
	}
	var stored recompute.Reconciliation
	if err := st.GetReconciliation(ctx, &stored); err != nil || len(stored.Stuck) != 1 || len(stored.NeverIngested) != 1 {
		t.Fatalf("stored report %+v: %v", stored, err)
	}

	// A late retry (or a redrive) of the dead upload wins over the mark,
	// and the next run finds nothing stuck.
	if err := svc.HandleS3(ctx, dead); err != nil {
		t.Fatal(err)
	}
	if u, err := st.GetUpload(ctx, deadID); err != nil || u.Status != store.StatusSucceeded {
		t.Fatalf("after the retry: %s %v", u.Status, err)
	}
	r, err = rec.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Stuck) != 0 || len(r.NeverIngested) != 1 || len(r.StaleVersion) != 1 {
		t.Errorf("second run: %+v", r)
	}
}
