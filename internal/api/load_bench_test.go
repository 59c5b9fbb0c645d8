package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/salesgen"
	"github.com/salesseg/salesseg/internal/store"
)

// Load test sizes: loadClients query at once; in the reference phase
// each sends loadRequests requests, in the upload phase each sends
// requests until the uploads are done (at most loadMaxRequests), so both
// phases stay bounded.
const (
	loadClients     = 50
	loadRequests    = 20
	loadMaxRequests = 200
	loadFiles       = 4
)

// loadShapes are the sales already there (base) and those uploaded during
// the load (4,000 more, split into loadFiles files by date): two years
// of daily dates, 2,000 customers, 5 segments, 6 regions, 20 countries,
// 10 categories and 4 channels.
func loadShapes() (base, uploads salesgen.Shape) {
	base = salesgen.Shape{Rows: 20_000, Customers: 2000, From: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Days: 730,
		Segments: 5, Regions: 6, Countries: 20, Categories: 10, Channels: 4, Seed: 21}
	uploads = base
	uploads.Rows, uploads.Seed = 4000, 22
	return base, uploads
}

// loadStack is the local stack over a loopback listener: emulators, the
// ingest function on the bucket's events, the API behind the local API
// Gateway.
type loadStack struct {
	url      string
	client   *http.Client
	dispatch *devstack.Dispatcher
	st       *store.Store
}

// get sends an authenticated GET and returns its status.
func (l *loadStack) get(ctx context.Context, target string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url+target, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+devstack.DefaultDevToken)
	res, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

// upload does what the dashboard does with a file: asks the API for an
// upload URL, PUTs the file to the emulated bucket, whose event reaches
// the ingest function, and waits until ingestion is done. It returns the
// object key.
func (l *loadStack) upload(ctx context.Context, name string, data []byte) (string, error) {
	body := fmt.Sprintf(`{"file_name":%q,"size":%d}`, name, len(data))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url+"/v1/uploads", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+devstack.DefaultDevToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := l.client.Do(req)
	if err != nil {
		return "", err
	}
	var tk UploadTicket
	err = json.NewDecoder(res.Body).Decode(&tk)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /v1/uploads: %d %v", res.StatusCode, err)
	}
	put, err := http.NewRequestWithContext(ctx, tk.Method, tk.URL, bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	for k, v := range tk.Headers {
		if k != "Content-Length" {
			put.Header.Set(k, v)
		}
	}
	if res, err = l.client.Do(put); err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("PUT %s: %d", tk.Key, res.StatusCode)
	}
	return tk.Key, l.dispatch.Idle(ctx)
}

// loadRoute is one route's latencies and failures in one phase.
type loadRoute struct {
	mu     sync.Mutex
	lat    []time.Duration
	errors int
}

func (r *loadRoute) add(d time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, d)
	if !ok {
		r.errors++
	}
}

func (r *loadRoute) errorRate() float64 { return float64(r.errors) / float64(max(len(r.lat), 1)) }

// BenchmarkLoadWhileUploading is issue 14's load test on loopback: the
// local stack (emulated DynamoDB and S3, the ingest function on the
// bucket's events, the API behind the local API Gateway on a real HTTP
// listener) holding 20,000 order lines, and 50 clients querying the main
// routes (a year's segment breakdown, a 24-month trend by region, a
// quarter's KPIs, a dimension's values, an upload's status). First the
// reference: each client sends 20 requests with nothing else running.
// Then the same clients query while 4 more files of 1,000 lines are
// uploaded one after another through the API's upload URLs and ingested;
// each client stops when the uploads are done (at most 200 requests).
//
// It prints per route the requests, error rate, p50 and p99 of both
// phases and the upload phase's ratio to the reference, and checks that no
// request failed, every upload succeeded and the total revenue afterwards
// is exactly the generated one.
func BenchmarkLoadWhileUploading(b *testing.B) {
	ctx := context.Background()
	base, more := loadShapes()
	files, err := more.Split(loadFiles)
	if err != nil {
		b.Fatal(err)
	}
	emu := emutest.Start(b)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.DiscardHandler)
	ing := ingest.New(emu.Clients.S3, st, log, ingest.ServiceOptions{})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := emu.Dispatch(runCtx, lambda.NewHandler(ing.HandleS3), noRecompute{}, log, 24*time.Hour, 24*time.Hour)
	srv := httptest.NewServer(devstack.NewGateway(lambda.NewHandler(New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket}).Handle), ""))
	defer srv.Close()
	l := &loadStack{url: srv.URL, dispatch: d, st: st,
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * loadClients, MaxIdleConnsPerHost: 2 * loadClients}}}
	defer l.client.CloseIdleConnections()

	var first bytes.Buffer
	if err := base.WriteCSV(&first); err != nil {
		b.Fatal(err)
	}
	baseKey, err := l.upload(ctx, "base.csv", first.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	routes := []struct{ name, target string }{
		{"segments-year", "/v1/segments?dimension=segment&period=2024"},
		{"trend-24-months", "/v1/trend?dimension=region&grain=month&from=2023-01&to=2024-12"},
		{"kpis-quarter", "/v1/kpis?period=2024-Q2"},
		{"values", "/v1/dimensions/country/values"},
		{"upload-status", "/v1/uploads?key=" + url.QueryEscape(baseKey)},
	}
	// run starts the clients; each stops after limit requests or, when
	// done is not nil, once done is closed.
	run := func(limit int, done <-chan struct{}) []*loadRoute {
		stats := make([]*loadRoute, len(routes))
		for i := range stats {
			stats[i] = &loadRoute{}
		}
		var wg sync.WaitGroup
		for c := range loadClients {
			wg.Go(func() {
				for n := range limit {
					if done != nil {
						select {
						case <-done:
							return
						default:
						}
					}
					i := (c + n) % len(routes)
					t0 := time.Now()
					status, err := l.get(ctx, routes[i].target)
					stats[i].add(time.Since(t0), err == nil && status == http.StatusOK)
				}
			})
		}
		wg.Wait()
		return stats
	}
	for range 2 { // warm up connections and the emulators' caches
		run(1, nil)
	}

	b.ResetTimer()
	t0 := time.Now()
	ref := run(loadRequests, nil)
	refTook := time.Since(t0)
	done := make(chan struct{})
	var uploaded atomic.Int64
	var uploadErr error
	var uploadTook time.Duration
	keys := make([]string, 0, len(files))
	go func() {
		defer close(done)
		t := time.Now()
		for k, f := range files {
			key, err := l.upload(ctx, fmt.Sprintf("export-%d.csv", k), f)
			if err != nil {
				uploadErr = err
				return
			}
			keys = append(keys, key)
			uploaded.Add(1)
		}
		uploadTook = time.Since(t)
	}()
	t0 = time.Now()
	load := run(loadMaxRequests, done)
	loadTook := time.Since(t0)
	during := uploaded.Load() // uploads finished while the clients ran
	<-done
	b.StopTimer()
	if uploadErr != nil {
		b.Fatal(uploadErr)
	}

	for _, k := range append(keys, baseKey) {
		e, ok, err := st.Object(ctx, k)
		if err != nil || !ok {
			b.Fatalf("%s: no manifest entry (%v)", k, err)
		}
		if u, err := st.GetUpload(ctx, e.File); err != nil || u.Status != store.StatusSucceeded {
			b.Fatalf("%s: upload %+v, %v", k, u, err)
		}
	}
	want, err := revenueBetween(base, "2023-01-01", "2024-12-31")
	if err != nil {
		b.Fatal(err)
	}
	wantMore, err := revenueBetween(more, "2023-01-01", "2024-12-31")
	if err != nil {
		b.Fatal(err)
	}
	var k KPIs
	if err := getJSON(ctx, l, "/v1/kpis?from=2023-01&to=2024-12", &k); err != nil {
		b.Fatal(err)
	}
	sum, err := money.Add(want, wantMore)
	if err != nil {
		b.Fatal(err)
	}
	if got := decimal.MustParse(k.Revenue); got.Cmp(sum) != 0 {
		b.Fatalf("revenue after the uploads %s, want %s", got, sum)
	}

	fmt.Printf("load: %d clients; reference %d requests in %s; during uploads (%d of %d files of %d lines done while they ran; %s, %.0f ms a file) %d requests in %s\n",
		loadClients, count(ref), refTook.Round(time.Millisecond), during, loadFiles, more.Rows/loadFiles, uploadTook.Round(time.Millisecond),
		ms(uploadTook)/float64(loadFiles), count(load), loadTook.Round(time.Millisecond))
	fmt.Printf("%-16s %8s %7s %8s %8s | %8s %7s %8s %8s | %9s %9s\n", "route", "ref-n", "ref-err", "ref-p50", "ref-p99",
		"load-n", "err", "p50-ms", "p99-ms", "p50-ratio", "p99-ratio")
	var all, allRef []time.Duration
	errs := 0
	for i, r := range routes {
		x, y := ref[i], load[i]
		fmt.Printf("%-16s %8d %7.4f %8.1f %8.1f | %8d %7.4f %8.1f %8.1f | %9.2f %9.2f\n", r.name, len(x.lat), x.errorRate(),
			ms(percentile(x.lat, 0.5)), ms(percentile(x.lat, 0.99)), len(y.lat), y.errorRate(), ms(percentile(y.lat, 0.5)),
			ms(percentile(y.lat, 0.99)), float64(percentile(y.lat, 0.5))/float64(percentile(x.lat, 0.5)),
			float64(percentile(y.lat, 0.99))/float64(percentile(x.lat, 0.99)))
		all, allRef = append(all, y.lat...), append(allRef, x.lat...)
		errs += x.errors + y.errors
	}
	b.ReportMetric(float64(errs)/float64(len(all)+len(allRef)), "error-rate")
	b.ReportMetric(ms(percentile(all, 0.5)), "p50-ms")
	b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
	b.ReportMetric(float64(percentile(all, 0.5))/float64(percentile(allRef, 0.5)), "p50-ratio")
	b.ReportMetric(float64(percentile(all, 0.99))/float64(percentile(allRef, 0.99)), "p99-ratio")
	if errs > 0 {
		b.Errorf("%d requests failed", errs)
	}
}

// count is the requests of a phase.
func count(stats []*loadRoute) int {
	n := 0
	for _, s := range stats {
		n += len(s.lat)
	}
	return n
}

// getJSON sends an authenticated GET that must answer 200 and decodes it.
func getJSON(ctx context.Context, l *loadStack, target string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url+target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+devstack.DefaultDevToken)
	res, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", target, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(dst)
}
