package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/pipeline"
	"github.com/salesseg/salesseg/internal/snapshot"
	"github.com/salesseg/salesseg/internal/store"
)

// fakeReader is an in-memory table with the semantics of store.Store's
// reads, for handler tests that need no emulator.
type fakeReader struct {
	mu        sync.Mutex
	rows      map[string]map[[2]string]*aggregate.Measures // by dim#grain, (period, value)
	uploads   map[string]store.Upload
	objects   map[string]store.Entry
	summary   string
	snapshot  *store.SnapshotInfo
	parts     map[string][]byte // encoded snapshot parts by name
	partsRead map[string]bool   // names of the parts read successfully
	calls     int               // reads of any kind: must stay 0 for rejected requests

	// reconciliation is the stored report's JSON, "" for none.
	reconciliation string
}

func newFake() *fakeReader {
	return &fakeReader{rows: map[string]map[[2]string]*aggregate.Measures{}, uploads: map[string]store.Upload{}, objects: map[string]store.Entry{}}
}

func (f *fakeReader) put(d dimension.Dimension, g aggregate.Grain, p, v string, m aggregate.Measures) {
	k := string(d) + "#" + string(g)
	if f.rows[k] == nil {
		f.rows[k] = map[[2]string]*aggregate.Measures{}
	}
	cur, ok := f.rows[k][[2]string{p, v}]
	if !ok {
		cur = &aggregate.Measures{}
		f.rows[k][[2]string{p, v}] = cur
	}
	if err := cur.Add(m); err != nil {
		panic(err)
	}
}

// sale is one order line of a test sales file; cost "" means the line
// has no cost.
type sale struct {
	day, revenue, cost string
	vals               map[dimension.Dimension]string
}

// ingest writes sales as a CSV file (two units a line, each line its own
// order), parses it with the real ingestion and adds the delta to the
// table, so that the keys the handlers read are exactly those ingestion
// writes. Any rejected line fails the test.
func (f *fakeReader) ingest(t testing.TB, sales []sale) {
	t.Helper()
	var dims []dimension.Dimension
	for _, d := range dimension.All() {
		for _, s := range sales {
			if _, ok := s.vals[d]; ok {
				dims = append(dims, d)
				break
			}
		}
	}
	var file bytes.Buffer
	w := csv.NewWriter(&file)
	header := []string{"date", "sales", "quantity", "cost"}
	for _, d := range dims {
		header = append(header, string(d))
	}
	rows := [][]string{header}
	for _, s := range sales {
		row := []string{s.day, s.revenue, "2", s.cost}
		for _, d := range dims {
			row = append(row, s.vals[d])
		}
		rows = append(rows, row)
	}
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(&file, "test.csv", failOnReject{t})
	if err != nil {
		t.Fatal(err)
	}
	for k, m := range res.Delta {
		f.put(k.Dim, k.Grain, k.Period, k.Value, *m)
	}
}

// failOnReject fails the test for every rejected row.
type failOnReject struct{ t testing.TB }

func (r failOnReject) Reject(e *parser.RowError) error {
	r.t.Errorf("ingest rejected a test line: %v", e)
	return nil
}

func (f *fakeReader) QueryRanges(_ context.Context, d dimension.Dimension, g aggregate.Grain, ranges []store.KeyRange) ([][]store.Row, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	out := make([][]store.Row, len(ranges))
	for i, r := range ranges {
		for k, m := range f.rows[string(d)+"#"+string(g)] {
			if k[0] >= r.From && k[0] <= r.To {
				out[i] = append(out[i], store.Row{Period: k[0], Value: k[1], Measures: *m})
			}
		}
		sort.Slice(out[i], func(a, b int) bool {
			x, y := out[i][a], out[i][b]
			return x.Period < y.Period || x.Period == y.Period && x.Value < y.Value
		})
	}
	return out, 1 + len(ranges), nil
}

func (f *fakeReader) Values(_ context.Context, dims ...dimension.Dimension) (map[dimension.Dimension][]store.ValueSpan, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	out := map[dimension.Dimension][]store.ValueSpan{}
	for _, d := range dims {
		spans := map[string]*store.ValueSpan{}
		for k := range f.rows[string(d)+"#M"] {
			sp, ok := spans[k[1]]
			if !ok {
				spans[k[1]] = &store.ValueSpan{Value: k[1], First: k[0], Last: k[0]}
				continue
			}
			sp.First, sp.Last = min(sp.First, k[0]), max(sp.Last, k[0])
		}
		list := []store.ValueSpan{}
		for _, sp := range spans {
			list = append(list, *sp)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Value < list[j].Value })
		out[d] = list
	}
	return out, 1 + len(dims), nil
}

func (f *fakeReader) Object(_ context.Context, key string) (store.Entry, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	e, ok := f.objects[key]
	return e, ok, nil
}

func (f *fakeReader) GetUpload(_ context.Context, id string) (store.Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	u, ok := f.uploads[id]
	if !ok {
		return u, fmt.Errorf("upload %s: %w", id, store.ErrNotFound)
	}
	return u, nil
}

func (f *fakeReader) GetSummary(_ context.Context, dst any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.summary == "" {
		return fmt.Errorf("summary: %w", store.ErrNotFound)
	}
	return json.Unmarshal([]byte(f.summary), dst)
}

// ListUploads lists the fake's uploads as the store's index does: by
// start time and id, newest first, filtered by stored status.
func (f *fakeReader) ListUploads(_ context.Context, q store.UploadQuery) (store.UploadPage, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var sks []string
	for id, u := range f.uploads {
		sk := u.Started + "#" + id
		if (q.After == "" || sk < q.After) && (len(q.Statuses) == 0 || slices.Contains(q.Statuses, u.Status)) {
			sks = append(sks, sk)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(sks)))
	var p store.UploadPage
	for i, sk := range sks {
		if i == q.Limit {
			p.Next = sks[i-1]
			break
		}
		_, id, _ := strings.Cut(sk, "#")
		p.Uploads = append(p.Uploads, f.uploads[id])
	}
	return p, 1, nil
}

func (f *fakeReader) GetReconciliation(_ context.Context, dst any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.reconciliation == "" {
		return fmt.Errorf("reconciliation: %w", store.ErrNotFound)
	}
	return json.Unmarshal([]byte(f.reconciliation), dst)
}

func (f *fakeReader) LatestSnapshot(context.Context) (store.SnapshotInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.snapshot == nil {
		return store.SnapshotInfo{}, fmt.Errorf("snapshot: %w", store.ErrNotFound)
	}
	return *f.snapshot, nil
}

func (f *fakeReader) SnapshotPart(_ context.Context, id, part string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	data, ok := f.parts[part]
	if f.snapshot == nil || f.snapshot.ID != id || !ok {
		return nil, fmt.Errorf("part %s: %w", part, store.ErrNotFound)
	}
	if f.partsRead == nil {
		f.partsRead = map[string]bool{}
	}
	f.partsRead[part] = true
	return data, nil
}

// publish replaces the fake's snapshot with info and the given parts.
func (f *fakeReader) publish(info store.SnapshotInfo, parts []snapshot.Encoded) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshot, f.parts, f.partsRead = &info, map[string][]byte{}, nil
	for _, p := range parts {
		f.parts[p.Name] = p.Data
		f.snapshot.Parts = append(f.snapshot.Parts, p.Name)
	}
}

// encoded encodes v as part p, failing the test if it cannot.
func encoded[T any](t testing.TB, p snapshot.Part[T], v T) snapshot.Encoded {
	t.Helper()
	e, err := p.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *fakeReader) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// fakePresigner signs nothing: it returns a URL that names what it was
// asked for.
type fakePresigner struct{}

func (fakePresigner) PresignPutObject(_ context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	var o s3.PresignOptions
	for _, fn := range opts {
		fn(&o)
	}
	u := fmt.Sprintf("https://%s.s3.amazonaws.com/%s?X-Amz-Expires=%d", *in.Bucket, url.PathEscape(*in.Key), int(o.Expires.Seconds()))
	signed := http.Header{"Host": {*in.Bucket + ".s3.amazonaws.com"}, "Content-Type": {*in.ContentType}}
	if in.ContentLength != nil {
		signed.Set("Content-Length", fmt.Sprint(*in.ContentLength))
	}
	return &v4.PresignedHTTPRequest{URL: u, Method: http.MethodPut, SignedHeader: signed}, nil
}

func (fakePresigner) PresignGetObject(_ context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	var o s3.PresignOptions
	for _, fn := range opts {
		fn(&o)
	}
	u := fmt.Sprintf("https://%s.s3.amazonaws.com/%s?X-Amz-Expires=%d", *in.Bucket, url.PathEscape(*in.Key), int(o.Expires.Seconds()))
	return &v4.PresignedHTTPRequest{URL: u, Method: http.MethodGet}, nil
}

// Test data: three segments (one with a Unicode name and no costs), two
// regions, two sales on the 1st and 15th of every month 2019-2024, with
// revenue growing month by month.
var (
	testSegments = []string{"Consumer", "Corporate", "Café ☕ Zürich"}
	testRegions  = []string{"East", "West"}
)

func testData(t testing.TB) *fakeReader {
	f := newFake()
	var sales []sale
	for y := 2019; y <= 2024; y++ {
		for m := 1; m <= 12; m++ {
			for i, seg := range testSegments {
				for _, day := range []int{1, 15} {
					rev := fmt.Sprintf("%d.%02d", 100*(i+1)+(y-2019)*12+m, day)
					cost := ""
					if i < 2 {
						cost = fmt.Sprintf("%d", 50*(i+1))
					}
					sales = append(sales, sale{fmt.Sprintf("%04d-%02d-%02d", y, m, day), rev, cost,
						map[dimension.Dimension]string{dimension.Segment: seg, dimension.Region: testRegions[(m+day+i)%2]}})
				}
			}
		}
	}
	f.ingest(t, sales)
	f.uploads["0123456789abcdef01234567"] = store.Upload{ID: "0123456789abcdef01234567", Bucket: "b", Key: "transactions/a.csv",
		Version: "v1", Status: store.StatusSucceeded, Rows: 10, Accepted: 10, Format: json.RawMessage(`{"encoding":"utf-8"}`),
		Started: "2024-01-01T00:00:00Z", Finished: "2024-01-01T00:00:02Z"}
	f.objects["transactions/a.csv"] = store.Entry{Sequencer: "1", File: "0123456789abcdef01234567"}
	f.objects["transactions/gone.csv"] = store.Entry{Sequencer: "2", File: store.Tombstone}
	f.uploads["00000000000000000000000c"] = store.Upload{ID: "00000000000000000000000c", Bucket: "b", Key: "customers/firms.csv",
		Version: "v1", Status: store.StatusSucceeded, Started: "2024-01-01T00:00:00Z"}
	return f
}

// env is a Service on a fake table plus the OpenAPI document that every
// response is checked against.
type env struct {
	t testing.TB
	f *fakeReader
	// sample is the dataset "sample", empty unless a test fills it.
	sample *fakeReader
	svc    *Service
	spec   *spec
	seen   map[string]bool // "METHOD template status" answered so far
}

func newEnv(t testing.TB) *env {
	f := testData(t)
	sample := newFake()
	svc := New(f, fakePresigner{}, nil, Options{Bucket: "sales-bucket", Deals: fakeDeals{},
		Now:      func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		Datasets: fakeDatasets{"sample": sample}})
	return &env{t: t, f: f, sample: sample, svc: svc, spec: loadSpec(t), seen: map[string]bool{}}
}

// fakeDatasets are the datasets other than the default, by name, each a
// fakeReader with the default's deals.
type fakeDatasets map[string]*fakeReader

func (d fakeDatasets) Names(context.Context) ([]string, error) {
	names := []string{dataset.Default}
	for n := range d {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func (d fakeDatasets) Open(name string) (Reader, DealSource) { return d[name], fakeDeals{} }

// fakeDeals is one deal file of three deals, for handler tests; the real
// source is tested against the emulators (TestPipelineRoute).
type fakeDeals struct{}

func (fakeDeals) Each(_ context.Context, fn func(pipeline.Deal) error) (int, error) {
	day := func(s string) period.Date { d, _ := period.ParseDate(s); return d }
	for _, d := range []pipeline.Deal{
		{ID: "1", Stage: "Won", Outcome: pipeline.Won, Created: day("2024-01-02"), Closed: day("2024-02-01"), Value: "100", Attrs: map[dimension.Dimension]string{dimension.Owner: "Ann"}},
		{ID: "2", Stage: "Lost", Outcome: pipeline.Lost, Created: day("2024-01-05"), Closed: day("2024-03-01"), Value: "50", Attrs: map[dimension.Dimension]string{dimension.Owner: "Bo"}},
		{ID: "3", Stage: "Proposal", Outcome: pipeline.Open, Created: day("2024-03-01"), Value: "70"},
	} {
		if err := fn(d); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

// claims are what API Gateway's JWT authorizer passes on.
func claims() *events.APIGatewayV2HTTPRequestContextAuthorizerDescription {
	return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
		Claims: map[string]string{"sub": "analyst-1", "iss": "https://issuer.example"}}}
}

func request(method, target string, auth bool) events.APIGatewayV2HTTPRequest {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	q := map[string]string{}
	for k, vs := range u.Query() {
		q[k] = strings.Join(vs, ",") // as API Gateway joins repeated parameters
	}
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: u.EscapedPath(), RawQueryString: u.RawQuery,
		QueryStringParameters: q, Headers: map[string]string{}}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = u.Path
	if auth {
		req.RequestContext.Authorizer = claims()
	}
	return req
}

// do sends a request through Handle, checks the response against the
// OpenAPI document and returns it.
func (e *env) do(req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	e.t.Helper()
	resp, err := e.svc.Handle(context.Background(), req)
	if err != nil {
		e.t.Fatalf("Handle returned an error: %v", err)
	}
	if tmpl := e.spec.check(e.t, req.RequestContext.HTTP.Method, req.RawPath, resp.StatusCode, resp.Headers["Content-Type"], resp.Body); tmpl != "" {
		e.seen[fmt.Sprintf("%s %s %d", req.RequestContext.HTTP.Method, tmpl, resp.StatusCode)] = true
	}
	return resp
}

// get sends an authenticated GET, expects status and decodes into dst.
func (e *env) get(target string, status int, dst any) events.APIGatewayV2HTTPResponse {
	e.t.Helper()
	resp := e.do(request(http.MethodGet, target, true))
	if resp.StatusCode != status {
		e.t.Fatalf("GET %s: status %d, want %d: %s", target, resp.StatusCode, status, resp.Body)
	}
	if dst != nil {
		if err := json.Unmarshal([]byte(resp.Body), dst); err != nil {
			e.t.Fatalf("GET %s: %v", target, err)
		}
	}
	return resp
}

// problemOf expects a problem response with status and a detail containing
// want.
func (e *env) problemOf(resp events.APIGatewayV2HTTPResponse, status int, want string) {
	e.t.Helper()
	if resp.StatusCode != status || resp.Headers["Content-Type"] != "application/problem+json" {
		e.t.Fatalf("status %d (%s), want %d problem: %s", resp.StatusCode, resp.Headers["Content-Type"], status, resp.Body)
	}
	var p problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		e.t.Fatal(err)
	}
	if p.Status != status || !strings.Contains(p.Detail, want) {
		e.t.Fatalf("problem %+v, want detail containing %q", p, want)
	}
}

// unauthorized expects the JWT authorizer's 401, which the handler gives
// too.
func (e *env) unauthorized(resp events.APIGatewayV2HTTPResponse) {
	e.t.Helper()
	if resp.StatusCode != 401 || resp.Headers["Content-Type"] != "application/json" || resp.Body != `{"message":"Unauthorized"}` ||
		resp.Headers["WWW-Authenticate"] != "Bearer" {
		e.t.Fatalf("want the JWT authorizer's 401, got %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
}

// expected sums the fake's rows of a dimension by value over stored period
// keys from..to, the reference the handlers are compared with.
func (f *fakeReader) expected(d dimension.Dimension, g aggregate.Grain, from, to string) map[string]aggregate.Measures {
	out := map[string]aggregate.Measures{}
	for k, m := range f.rows[string(d)+"#"+string(g)] {
		if k[0] >= from && k[0] <= to {
			cur := out[k[1]]
			if err := cur.Add(*m); err != nil {
				panic(err)
			}
			out[k[1]] = cur
		}
	}
	return out
}

func sameDec(t testing.TB, got string, want decimal.Decimal) {
	t.Helper()
	g, err := decimal.Parse(got)
	if err != nil || g.Cmp(want) != 0 {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func jsonUnmarshal(s string, dst any) error { return json.Unmarshal([]byte(s), dst) }

// str reads a nullable value for comparisons: "" for null (unassigned).
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
