package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

// unicodeSales has segment and region names outside ASCII, including one
// with the characters the key design uses (#, $) and a comma.
const unicodeSales = "Order ID,Order Date,Customer ID,Segment,Region,Sales,Profit\n" +
	"O1,2024-01-05,C1,Café ☕ Zürich,東京,100.50,10.05\n" +
	"O2,2024-01-20,C2,Café ☕ Zürich,Île-de-France,49.50,4.95\n" +
	"O3,2024-02-03,C3,\"Acme #1, $ Inc.\",東京,200.00,20\n" +
	"O4,2024-02-10,C1,Ünïcödé 👩‍💼,São Paulo,12.34,1.00\n" +
	"O5,2023-01-15,C1,Café ☕ Zürich,東京,80.00,8\n"

// TestUnicodeRoundTripThroughIngest puts a file with Unicode segment
// names into the emulated bucket, runs the real ingest handler on its S3
// event, and reads the values back through the API on the real store:
// breakdown, trend by value, value listing and upload lookup by key and
// version.
func TestUnicodeRoundTripThroughIngest(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := "transactions/ventes unicode.csv"
	put, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
		Body: bytes.NewReader([]byte(unicodeSales))})
	if err != nil {
		t.Fatal(err)
	}
	version := aws.ToString(put.VersionId)
	ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: emu.Bucket},
		Object: events.S3Object{Key: url.QueryEscape(key), VersionID: version, Sequencer: "0A"}}}}}
	if err := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{MaxRejectRate: 0.2}).HandleS3(ctx, ev); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket}), spec: loadSpec(t), seen: map[string]bool{}}

	var b Breakdown
	resp := e.get("/v1/segments?dimension=segment&period=2024-Q1", 200, &b)
	want := map[string]string{"Café ☕ Zürich": "150.00", "Acme #1, $ Inc.": "200.00", "Ünïcödé 👩‍💼": "12.34"}
	if len(b.Segments) != len(want) {
		t.Fatalf("segments %+v", b.Segments)
	}
	for _, s := range b.Segments {
		sameDec(t, s.Revenue, decimal.MustParse(want[str(s.Value)]))
		if s.Margin == nil {
			t.Fatalf("%s: no margin although every line had a profit", str(s.Value))
		}
	}
	if resp.Headers[DBRequestsHeader] != "2" {
		t.Errorf("breakdown made %s DynamoDB requests, want 2 (manifest + one Query page)", resp.Headers[DBRequestsHeader])
	}
	var tr Trend
	e.get("/v1/trend?dimension=segment&grain=month&period=2024-Q1&value="+url.QueryEscape("Café ☕ Zürich"), 200, &tr)
	if len(tr.Series) != 1 || tr.Series[0].Points[0].Growth.YearAgo == nil {
		t.Fatalf("trend %+v", tr.Series)
	}
	sameDec(t, tr.Series[0].Revenue, decimal.MustParse("150"))
	var v ValueList
	e.get("/v1/dimensions/region/values", 200, &v)
	var regions []string
	for _, x := range v.Values {
		regions = append(regions, x.Value)
	}
	if fmt.Sprint(regions) != "[São Paulo Île-de-France 東京]" {
		t.Fatalf("regions %v", regions)
	}
	var byKey, byVersion Upload
	e.get("/v1/uploads?key="+url.QueryEscape(key), 200, &byKey)
	e.get("/v1/uploads?key="+url.QueryEscape(key)+"&version="+url.QueryEscape(version), 200, &byVersion)
	if byKey.ID != ingest.FileID(emu.Bucket, key, version) || byVersion.ID != byKey.ID || byKey.Status != store.StatusSucceeded {
		t.Fatalf("by key %+v, by version %+v", byKey, byVersion)
	}

	t.Run("presigned PUT works against the emulated bucket", func(t *testing.T) {
		body := fmt.Sprintf(`{"file_name":"more sales.csv","content_type":"text/csv","size":%d}`, len(unicodeSales))
		req := request(http.MethodPost, "/v1/uploads", true)
		req.Body = body
		resp := e.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
		var tk UploadTicket
		if err := jsonUnmarshal(resp.Body, &tk); err != nil {
			t.Fatal(err)
		}
		put, err := http.NewRequestWithContext(ctx, tk.Method, tk.URL, bytes.NewReader([]byte(unicodeSales)))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tk.Headers {
			put.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(put)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("x-amz-version-id") == "" {
			t.Fatalf("PUT: %d, version %q", res.StatusCode, res.Header.Get("x-amz-version-id"))
		}
		head, err := emu.Clients.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(tk.Key)})
		if err != nil || aws.ToString(head.ContentType) != "text/csv" {
			t.Fatalf("uploaded object: %v %v", err, head)
		}
	})
}

// noRecompute is a recompute handler that does nothing: the uploads test
// reads only ingested aggregates.
type noRecompute struct{}

func (noRecompute) Invoke(context.Context, []byte) ([]byte, error) { return []byte("null"), nil }

// TestUploadsThroughPresignedURLs goes the whole way a browser goes: ask
// for an upload URL, PUT the file to the emulated bucket (which checks the
// URL's signature as S3 does), let the bucket's event reach the real
// ingest handler, and read the result through the API. Two uploads of
// export.csv both count; a replacement names the upload it replaces and
// takes its place; a body of another size than the one signed is refused.
func TestUploadsThroughPresignedURLs(t *testing.T) {
	ctx := t.Context()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var ingestLog bytes.Buffer // read only after the dispatcher is idle
	ing := ingest.New(emu.Clients.S3, st, slog.New(slog.NewJSONHandler(&ingestLog, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ingest.ServiceOptions{MaxRejectRate: 0.2})
	d := emu.Dispatch(ctx, lambda.NewHandler(ing.HandleS3), noRecompute{}, log, time.Hour, time.Hour)
	e := &env{t: t, svc: New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket, Versions: emu.Clients.S3}), spec: loadSpec(t), seen: map[string]bool{}}

	ticket := func(body string) UploadTicket {
		t.Helper()
		req := request(http.MethodPost, "/v1/uploads", true)
		req.Body = body
		resp := e.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
		var tk UploadTicket
		if err := jsonUnmarshal(resp.Body, &tk); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	put := func(tk UploadTicket, data string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, tk.Method, tk.URL, strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tk.Headers {
			if k != "Content-Length" { // the client sets it from the body
				req.Header.Set(k, v)
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("x-amz-version-id"), string(out)
	}
	upload := func(file, replace, data string) (UploadTicket, string) {
		t.Helper()
		body := fmt.Sprintf(`{"file_name":%q,"size":%d}`, file, len(data))
		if replace != "" {
			body = fmt.Sprintf(`{"file_name":%q,"size":%d,"replace":%q}`, file, len(data), replace)
		}
		tk := ticket(body)
		status, version, out := put(tk, data)
		if status != 200 || version == "" {
			t.Fatalf("PUT %s: %d, version %q: %s", tk.Key, status, version, out)
		}
		if err := d.Idle(ctx); err != nil {
			t.Fatal(err)
		}
		return tk, version
	}
	status := func(tk UploadTicket, version string) Upload {
		t.Helper()
		var u Upload
		e.get(tk.StatusURL+"&version="+url.QueryEscape(version), 200, &u)
		if u.Status != store.StatusSucceeded {
			t.Fatalf("%s: %+v", tk.Key, u)
		}
		return u
	}
	revenue := func() map[string]string {
		t.Helper()
		var b Breakdown
		e.get("/v1/segments?dimension=segment&period=2024-01", 200, &b)
		out := map[string]string{}
		for _, s := range b.Segments {
			out[str(s.Value)] = decimal.MustParse(s.Revenue).Trim(0).String()
		}
		return out
	}
	const header = "Order ID,Order Date,Segment,Sales\n"

	aliceData := header + "A1,2024-01-05,Consumer,100\n"
	alice, aliceVersion := upload("export.csv", "", aliceData)
	t.Run("ingest logs one line per file with its metrics", func(t *testing.T) {
		var lines []map[string]any
		for _, l := range bytes.Split(bytes.TrimSpace(ingestLog.Bytes()), []byte("\n")) {
			var m map[string]any
			if err := json.Unmarshal(l, &m); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			if m["msg"] == "ingested" {
				lines = append(lines, m)
			}
		}
		if len(lines) != 1 {
			t.Fatalf("%d lines for one file: %s", len(lines), ingestLog.String())
		}
		m := lines[0]
		if _, ok := m["_aws"].(map[string]any); !ok || m["Function"] != "ingest" || m["key"] != alice.Key || m["status"] != "succeeded" ||
			m["Rows"] != 1.0 || m["Accepted"] != 1.0 || m["BytesRead"] != float64(len(aliceData)) {
			t.Fatalf("%v", m)
		}
		for _, name := range []string{"ReadSeconds", "AggregateSeconds", "WriteSeconds", "IngestSeconds"} {
			if v, ok := m[name].(float64); !ok || v <= 0 {
				t.Errorf("%s = %v", name, m[name])
			}
		}
		// The status twice, the fragments (a meta item and at least one
		// bucket), the manifest entry twice and the view.
		if n, _ := m["ItemsWritten"].(float64); n < 6 {
			t.Errorf("ItemsWritten = %v", m["ItemsWritten"])
		}
	})
	bob, _ := upload("export.csv", "", header+"B1,2024-01-06,Corporate,40\n")
	if alice.Key == bob.Key {
		t.Fatalf("both uploads of export.csv got key %s", alice.Key)
	}
	if got := revenue(); got["Consumer"] != "100" || got["Corporate"] != "40" {
		t.Fatalf("after two uploads of export.csv: %v", got)
	}
	first := status(alice, aliceVersion)
	if first.Replaced != nil {
		t.Fatalf("a new upload replaced %s", *first.Replaced)
	}

	fixed, fixedVersion := upload("export-fixed.csv", first.ID, header+"A1,2024-01-05,Consumer,120\n")
	if fixed.Key != alice.Key {
		t.Fatalf("replacement went to %s, not %s", fixed.Key, alice.Key)
	}
	if u := status(fixed, fixedVersion); u.Replaced == nil || *u.Replaced != first.ID {
		t.Fatalf("replacement's status names %v as replaced, want %s", u.Replaced, first.ID)
	}
	if got := revenue(); got["Consumer"] != "120" || got["Corporate"] != "40" {
		t.Fatalf("after the replacement: %v", got)
	}
	t.Run("status_url answers for every outcome without the version", func(t *testing.T) {
		var u Upload
		e.get(fixed.StatusURL, 200, &u)
		if u.Status != store.StatusSucceeded || u.Version == nil || *u.Version != fixedVersion {
			t.Errorf("%s: %+v, want the current version %s succeeded", fixed.StatusURL, u, fixedVersion)
		}
		broken, _ := upload("broken.csv", "", "just one column\nno sales here\n")
		var f Upload
		e.get(broken.StatusURL, 200, &f)
		if f.Status != store.StatusFailed || f.Error == nil || *f.Error == "" {
			t.Errorf("%s: %+v, want the failed upload with its reason", broken.StatusURL, f)
		}
	})

	t.Run("a body of another size than signed is refused", func(t *testing.T) {
		data := header + "C1,2024-01-07,Consumer,5\n"
		tk := ticket(fmt.Sprintf(`{"file_name":"small.csv","size":%d}`, len(data)))
		if code, _, out := put(tk, data+strings.Repeat("C2,2024-01-07,Consumer,5\n", 40000)); code != http.StatusForbidden ||
			!strings.Contains(out, "SignatureDoesNotMatch") {
			t.Fatalf("oversized PUT: %d %s", code, out)
		}
		if _, err := emu.Clients.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(tk.Key)}); err == nil {
			t.Fatal("the refused upload was stored")
		}
		if code, _, out := put(tk, data); code != 200 {
			t.Fatalf("PUT of the signed size: %d %s", code, out)
		}
	})
}

// TestUploadHistoryAndReconciliationOnEmulators ingests six uploads with
// the real ingest handler (one fails, one replaces an earlier one), a
// second apart so their start times order them, puts one more object in
// the bucket whose event never comes, and reads it all back through the
// API on the real store: the history newest first, paged with a cursor
// without gap or duplicate, filtered by status; and, once recompute has
// reconciled, the lost object listed as never ingested with its reason.
func TestUploadHistoryAndReconciliationOnEmulators(t *testing.T) {
	ctx := t.Context()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ing := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{MaxRejectRate: 0.2})
	e := &env{t: t, svc: New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket}), spec: loadSpec(t), seen: map[string]bool{}}
	putObject := func(key, body string) string {
		t.Helper()
		out, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
			Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	const header = "Order Date,Customer ID,Segment,Sales\n"
	var newest []string // upload ids, newest first
	for i, f := range []struct{ key, body string }{
		{"transactions/a.csv", header + "2024-01-02,C1,Consumer,10\n"},
		{"transactions/b.csv", header + "2024-01-03,C2,Corporate,20\n"},
		{"transactions/c.csv", "Colour,Shape\nred,round\n"}, // no date or amount: fails
		{"transactions/d.csv", header + "2024-01-04,C3,Consumer,30\n"},
		{"transactions/e.csv", header + "2024-01-05,C4,Corporate,40\n"},
		{"transactions/a.csv", header + "2024-01-02,C1,Consumer,15\n"}, // replaces the first
	} {
		if i > 0 {
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // a start second of its own
		}
		version := putObject(f.key, f.body)
		ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put", S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: emu.Bucket},
			Object: events.S3Object{Key: f.key, VersionID: version, Sequencer: fmt.Sprintf("%04X", i+1)}}}}}
		if err := ing.HandleS3(ctx, ev); err != nil {
			t.Fatal(err)
		}
		newest = append([]string{ingest.FileID(emu.Bucket, f.key, version)}, newest...)
	}
	lostVersion := putObject("transactions/lost.csv", header+"2024-01-06,C5,Consumer,50\n")
	ids := func(l UploadList) []string {
		var out []string
		for _, u := range l.Uploads {
			out = append(out, u.ID)
		}
		return out
	}

	var all UploadList
	e.get("/v1/uploads", 200, &all)
	if got := ids(all); fmt.Sprint(got) != fmt.Sprint(newest) || all.NextCursor != nil {
		t.Fatalf("history %v, want %v, next %v", got, newest, all.NextCursor)
	}
	wantStatus := []string{store.StatusSucceeded, store.StatusSucceeded, store.StatusSucceeded, store.StatusFailed, store.StatusSucceeded, store.StatusSucceeded}
	for i, u := range all.Uploads {
		if u.Status != wantStatus[i] || u.StatusURL != "/v1/uploads/"+u.ID || u.FinishedAt == nil || u.Version == nil {
			t.Errorf("entry %d: %+v, want status %s", i, u, wantStatus[i])
		}
		if i > 0 && u.StartedAt >= all.Uploads[i-1].StartedAt {
			t.Errorf("entry %d started %s, not before %s", i, u.StartedAt, all.Uploads[i-1].StartedAt)
		}
	}
	if a2 := all.Uploads[0]; a2.Key != "transactions/a.csv" || str(a2.Replaced) != newest[5] || a2.Rows != 1 || a2.Accepted != 1 {
		t.Errorf("the replacement %+v, want it to name %s as replaced", a2, newest[5])
	}
	if c := all.Uploads[3]; c.Key != "transactions/c.csv" || c.Error == nil || c.Accepted != 0 {
		t.Errorf("the failed upload %+v", c)
	}

	t.Run("pages of two", func(t *testing.T) {
		var got []string
		target := "/v1/uploads?limit=2"
		for pages := 1; ; pages++ {
			var l UploadList
			resp := e.get(target, 200, &l)
			if len(l.Uploads) != 2 {
				t.Errorf("page %d holds %d uploads", pages, len(l.Uploads))
			}
			if resp.Headers[DBRequestsHeader] != "1" {
				t.Errorf("page %d made %s DynamoDB requests, want 1", pages, resp.Headers[DBRequestsHeader])
			}
			got = append(got, ids(l)...)
			if l.NextCursor == nil {
				break
			}
			if pages == 3 {
				t.Fatal("a fourth page after six uploads in pages of two")
			}
			target = "/v1/uploads?limit=2&cursor=" + url.QueryEscape(*l.NextCursor)
		}
		if fmt.Sprint(got) != fmt.Sprint(newest) {
			t.Fatalf("paged %v, want %v", got, newest)
		}
	})
	t.Run("status filter", func(t *testing.T) {
		var failed, ok UploadList
		e.get("/v1/uploads?status=failed", 200, &failed)
		if fmt.Sprint(ids(failed)) != fmt.Sprint([]string{newest[3]}) {
			t.Fatalf("failed %v, want [%s]", ids(failed), newest[3])
		}
		e.get("/v1/uploads?status=succeeded&limit=3", 200, &ok)
		if fmt.Sprint(ids(ok)) != fmt.Sprint([]string{newest[0], newest[1], newest[2]}) || ok.NextCursor == nil {
			t.Fatalf("succeeded %v, next %v", ids(ok), ok.NextCursor)
		}
		var rest UploadList
		e.get("/v1/uploads?status=succeeded&limit=3&cursor="+url.QueryEscape(*ok.NextCursor), 200, &rest)
		if fmt.Sprint(ids(rest)) != fmt.Sprint([]string{newest[4], newest[5]}) || rest.NextCursor != nil {
			t.Fatalf("second page of succeeded %v, next %v", ids(rest), rest.NextCursor)
		}
	})

	t.Run("reconciliation lists the object whose event never came", func(t *testing.T) {
		var before Reconciliation
		e.get("/v1/reconciliation", 200, &before)
		if before.CheckedAt != nil || len(before.NeverIngested) != 0 {
			t.Fatalf("before any run: %+v", before)
		}
		if _, err := recompute.New(st, emu.Clients.S3, log, recompute.Options{Bucket: emu.Bucket}).Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		var r Reconciliation
		e.get("/v1/reconciliation", 200, &r)
		if r.CheckedAt == nil || r.Objects == nil || *r.Objects != 6 || r.Clean == nil || *r.Clean {
			t.Fatalf("report header: checked %v, objects %v, clean %v", r.CheckedAt, r.Objects, r.Clean)
		}
		if len(r.NeverIngested) != 1 || len(r.StaleVersion)+len(r.Gone)+len(r.Stuck) != 0 {
			t.Fatalf("report %+v", r)
		}
		lost := r.NeverIngested[0]
		if lost.Key != "transactions/lost.csv" || lost.Version != lostVersion || lost.UploadID != ingest.FileID(emu.Bucket, lost.Key, lostVersion) ||
			!strings.Contains(lost.Reason, "never received its event") {
			t.Fatalf("never ingested %+v", lost)
		}
	})
}
