package recompute_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// putFile makes a live file version with the given purchases, as ingestion
// would leave it: history in S3, fragments committed in the manifest.
func putFile(t *testing.T, ctx context.Context, st *store.Store, s3c *s3.Client, bucket, object, file string, seq string, ps []history.Purchase) {
	t.Helper()
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	for _, p := range ps {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(history.Key(file)), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, object, seq, file); err != nil {
		t.Fatal(err)
	}
}

// readPart reads and decodes one part of a stored snapshot.
func readPart[T any](t *testing.T, ctx context.Context, st *store.Store, id string, p snapshot.Part[T]) T {
	t.Helper()
	data, err := st.SnapshotPart(ctx, id, p.Name())
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func purchases() []history.Purchase {
	attrs := func(seg string) map[dimension.Dimension]string {
		return map[dimension.Dimension]string{dimension.Segment: seg}
	}
	return []history.Purchase{
		{Customer: "c1", Day: period.NewDate(2024, 1, 5), Orders: 1, Lines: 1, Revenue: "100.00", Attrs: attrs("Consumer")},
		{Customer: "c1", Day: period.NewDate(2024, 2, 7), Orders: 1, Lines: 2, Revenue: "50.50", Attrs: attrs("Consumer")},
		{Customer: "c1", Day: period.NewDate(2024, 3, 9), Orders: 1, Lines: 1, Revenue: "25.25", Attrs: attrs("Consumer")},
		{Customer: "c2", Day: period.NewDate(2024, 1, 10), Orders: 2, Lines: 2, Revenue: "10.00", Attrs: attrs("Corporate")},
		{Customer: "c3", Day: period.NewDate(2024, 3, 1), Orders: 1, Lines: 1, Revenue: "7.00", Attrs: attrs("Corporate")},
		{Customer: "c3", Day: period.NewDate(2024, 3, 20), Orders: 1, Lines: 1, Revenue: "3.00", Attrs: attrs("Corporate")},
	}
}

func TestRunPublishesASnapshotOfLiveFilesOnly(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	ps := purchases()
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/a.csv", "a1", "01", ps[:3])
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/b.csv", "b1", "01", ps[3:])
	// A replaced version's history must not count.
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/old.csv", "old1", "01", ps)
	if _, err := st.Commit(ctx, "transactions/old.csv", "02", store.Tombstone); err != nil {
		t.Fatal(err)
	}
	svc := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket})
	res, err := svc.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Customers != 3 || res.Meta.Revenue != "195.75" || res.Meta.LastDay != "2024-03-20" {
		t.Fatalf("meta %+v", res.Meta)
	}
	latest, err := st.LatestSnapshot(ctx)
	if err != nil || latest.ID != res.Snapshot.ID {
		t.Fatalf("latest %+v %v", latest, err)
	}
	tiers := readPart(t, ctx, st, latest.ID, snapshot.GroupsPart(snapshot.Tiers, dimension.Segment))
	got := map[string]string{}
	for _, s := range tiers {
		got[s.Value] = s.Revenue.String()
	}
	if got["Consumer"] != "175.75" || got["Corporate"] != "20.00" {
		t.Fatalf("tiers by segment %v", got)
	}
	bridge := readPart(t, ctx, st, latest.ID, snapshot.BridgePart(dimension.Total, analytics.ByMonth))
	for _, r := range bridge {
		if err := r.Check(); err != nil {
			t.Errorf("bridge %s: %v", r.Period, err)
		}
	}

	t.Run("a second run replaces and deletes the first", func(t *testing.T) {
		res2, err := svc.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SnapshotPart(ctx, res.Snapshot.ID, snapshot.MetaPart().Name()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old snapshot still readable: %v", err)
		}
		if l, _ := st.LatestSnapshot(ctx); l.ID != res2.Snapshot.ID {
			t.Fatalf("latest %s, want %s", l.ID, res2.Snapshot.ID)
		}
	})
}

func TestScheduledRunsAreSkippedUntilDataChanges(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/a.csv", "a1", "01", purchases())
	if err := st.MarkChanged(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	svc := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket})
	tick := events.EventBridgeEvent{DetailType: "Scheduled Event", Source: "aws.events"}
	latestID := func() string {
		l, err := st.LatestSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	if err := svc.Handle(ctx, tick); err != nil {
		t.Fatal(err)
	}
	first := latestID()
	if err := svc.Handle(ctx, tick); err != nil {
		t.Fatal(err)
	}
	if latestID() != first {
		t.Fatal("a run without changes recomputed")
	}
	if err := st.MarkChanged(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Handle(ctx, tick); err != nil {
		t.Fatal(err)
	}
	if latestID() == first {
		t.Fatal("a run after a change did not recompute")
	}
}

func TestNoHistoryYieldsAnEmptySnapshot(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	// A live file whose history is missing (ingested by an older version).
	if _, err := st.Commit(ctx, "transactions/a.csv", "01", "nohistory"); err != nil {
		t.Fatal(err)
	}
	res, err := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Customers != 0 || len(res.Meta.Warnings) == 0 || len(res.Snapshot.Parts) != 0 {
		t.Fatalf("meta %+v, parts %v", res.Meta, res.Snapshot.Parts)
	}
}

func TestAccountsFillAttributesAndBecomeProspects(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	ps := purchases()
	// The sales file names c1 and c2 on their last purchase; the
	// customers file names c1 too, and wins.
	ps[2].Name, ps[3].Name = "C One (sales file)", "C Two"
	putFile(t, ctx, st, emu.Clients.S3, emu.Bucket, "transactions/a.csv", "a1", "01", ps)
	var buf bytes.Buffer
	if err := history.WriteAccounts(&buf, map[string]map[dimension.Dimension]string{
		"c1": {dimension.Industry: "Retail", dimension.Segment: "Ignored: the file's own segment wins"},
		"c2": {dimension.Industry: "Software"},
		"p1": {dimension.Industry: "Retail"},
		"p2": {dimension.Industry: "Mining"},
	}, nil, map[string]string{"c1": "C One Ltd"}); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(history.AccountsKey("acc1")),
		Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, "customers/accounts.csv", "01", "acc1"); err != nil {
		t.Fatal(err)
	}
	res, err := recompute.New(st, emu.Clients.S3, quiet, recompute.Options{Bucket: emu.Bucket}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tiers := readPart(t, ctx, st, res.Snapshot.ID, snapshot.GroupsPart(snapshot.Tiers, dimension.Industry))
	got := map[string]int64{}
	for _, s := range tiers {
		got[s.Value] = s.Customers
	}
	if got["Retail"] != 1 || got["Software"] != 1 || got[dimension.Blank] != 1 {
		t.Fatalf("customers by industry %v", got)
	}
	segs := readPart(t, ctx, st, res.Snapshot.ID, snapshot.GroupsPart(snapshot.Tiers, dimension.Segment))
	for _, s := range segs {
		if s.Value != "Consumer" && s.Value != "Corporate" {
			t.Fatalf("an account overrode the file's segment: %q", s.Value)
		}
	}
	names := map[string]*string{}
	for _, c := range readPart(t, ctx, st, res.Snapshot.ID, snapshot.CustomersPart()) {
		names[c.ID] = c.Name
	}
	for id, want := range map[string]string{"c1": "C One Ltd", "c2": "C Two", "c3": ""} {
		got := names[id]
		if (want == "") != (got == nil) || got != nil && *got != want {
			t.Errorf("customer %s name %v, want %q (empty: null)", id, got, want)
		}
	}
	looks := readPart(t, ctx, st, res.Snapshot.ID, snapshot.LookalikesPart())
	if len(looks) != 2 || looks[0].ID != "p1" || looks[0].Score <= looks[1].Score {
		t.Fatalf("lookalikes %+v: want p1 (Retail, like the A tier's c1) ranked above p2", looks)
	}
}
