package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/redrive"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/store"
)

// TestRedriveReplaysFailedIngestExactly fails every attempt of an ingest
// part-way through its writes, as a DynamoDB outage would, so the event
// lands in the local failure queue; `salesseg redrive -local` then replays
// it against the repaired service and the totals equal DuckDB's. A second
// redrive finds nothing, and the same record delivered again counts nothing
// twice.
func TestRedriveReplaysFailedIngestExactly(t *testing.T) {
	ctx := context.Background()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Calls from the sixth on fail: the first attempt's fragment write (the
	// fifth call: the whole file is one batch) lands, its commit dies, and
	// every retry dies too.
	faulty := &emutest.FaultyDB{FailAt: 6, Dead: true}
	s, err := startStack(ctx, stackOptions{root: root, s3Addr: "127.0.0.1:0", sqsAddr: "127.0.0.1:0", schedule: time.Hour,
		debounce: time.Hour, functions: testFunctions(t), log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ingestDB: func(db store.DB) store.DB { faulty.DB = db; return faulty }})
	if err != nil {
		t.Fatalf("local stack with a failure queue (needs moto_server): %v", err)
	}
	t.Cleanup(s.close)
	srv := httptest.NewServer(s.gateway)
	t.Cleanup(srv.Close)

	file := shareddata.Path(t, "sample_superstore_cp1252.csv")
	ref := duckdb(t, root, "--file", file, "--amount", "Sales", "--date", "Order Date",
		"--date-format", "%m/%d/%Y", "--dimension", "Segment", "--encoding", "cp1252")
	if err := s.upload(ctx, file, "transactions/superstore.csv"); err != nil {
		t.Fatal(err)
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	if !faulty.Injected.Load() || faulty.Calls.Load() <= faulty.FailAt {
		t.Fatalf("the fault was not reached (%d calls): the test proves nothing", faulty.Calls.Load())
	}
	var before breakdown
	getJSON(t, srv.URL+"/v1/segments?dimension=segment&from=2014-01&to=2017-12", http.StatusOK, &before)
	if !sameMoney(t, before.Revenue, "0") {
		t.Fatalf("a failed ingest counted %s", before.Revenue)
	}

	u, err := url.Parse(s.emu.DDBURL)
	if err != nil {
		t.Fatal(err)
	}
	flags := []string{"redrive", "-local", "-s3-addr", s.emu.S3URL[len("http://"):], "-dynamodb-port", u.Port(),
		"-sqs-addr", s.failures.Endpoint[len("http://"):]}
	redriveRun := func(t *testing.T, extra ...string) redrive.Report {
		t.Helper()
		var out, errs bytes.Buffer
		if err := run(ctx, append(flags, extra...), &out, &errs); err != nil {
			t.Fatalf("salesseg redrive: %v\n%s", err, errs.String())
		}
		var rep redrive.Report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("report: %v: %s", err, out.String())
		}
		return rep
	}
	check := func(t *testing.T) {
		t.Helper()
		var got breakdown
		getJSON(t, srv.URL+"/v1/segments?dimension=segment&from=2014-01&to=2017-12", http.StatusOK, &got)
		if !sameMoney(t, got.Revenue, ref.Total) {
			t.Errorf("total %s, DuckDB %s", got.Revenue, ref.Total)
		}
		for _, seg := range got.Segments {
			if !sameMoney(t, seg.Revenue, ref.ByValue[seg.Value]) {
				t.Errorf("%s: %s, DuckDB %s", seg.Value, seg.Revenue, ref.ByValue[seg.Value])
			}
		}
		if len(got.Segments) != len(ref.ByValue) {
			t.Errorf("%d segments, DuckDB %d", len(got.Segments), len(ref.ByValue))
		}
	}

	// Keep the record's body to deliver it again at the end.
	peek, err := s.failures.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.failures.URL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(peek.Messages) != 1 {
		for _, m := range peek.Messages {
			r, _ := redrive.Decode([]byte(aws.ToString(m.Body)))
			t.Logf("%v %s", r.Objects(), r.ResponsePayload)
		}
		t.Fatalf("%d messages in the failure queue, want the one failed ingest", len(peek.Messages))
	}
	body := aws.ToString(peek.Messages[0].Body)
	if err := redrive.NewSQS(s.failures.Client, s.failures.URL).Release(ctx, redrive.Message{Receipt: aws.ToString(peek.Messages[0].ReceiptHandle)}); err != nil {
		t.Fatal(err)
	}

	t.Run("dry run lists it", func(t *testing.T) {
		rep := redriveRun(t, "-dry-run")
		if len(rep.Pending) != 1 || len(rep.Redriven) != 0 {
			t.Fatalf("dry run: %+v, want one pending record", rep)
		}
		if o := rep.Pending[0]; len(o.Objects) != 1 || o.Objects[0][:len("transactions/superstore.csv@")] != "transactions/superstore.csv@" || o.OriginalError == "" {
			t.Errorf("pending record %+v, want the uploaded object and its error", o)
		}
	})
	t.Run("redrive ends exact", func(t *testing.T) {
		rep := redriveRun(t)
		if len(rep.Redriven) != 1 || len(rep.Failed) != 0 {
			t.Fatalf("redrive: %+v, want one record replayed", rep)
		}
		check(t)
	})
	t.Run("a second redrive finds nothing", func(t *testing.T) {
		rep := redriveRun(t)
		if len(rep.Redriven)+len(rep.Failed)+len(rep.Skipped) != 0 {
			t.Fatalf("second redrive: %+v, want nothing", rep)
		}
		check(t)
	})
	t.Run("the same record again counts once", func(t *testing.T) {
		if err := s.failures.Send(ctx, []byte(body)); err != nil {
			t.Fatal(err)
		}
		rep := redriveRun(t)
		if len(rep.Redriven) != 1 {
			t.Fatalf("redrive of a duplicate: %+v", rep)
		}
		check(t)
	})
	t.Run("upload status is succeeded", func(t *testing.T) {
		var up struct {
			Status string `json:"status"`
		}
		getJSON(t, srv.URL+"/v1/uploads?key="+url.QueryEscape("transactions/superstore.csv"), http.StatusOK, &up)
		if up.Status != "succeeded" {
			t.Errorf("status %q, want succeeded", up.Status)
		}
	})
}
