// Package api answers salesseg's HTTP API: API Gateway HTTP API (payload
// format 2.0) events in, JSON out.
//
// The routes, their parameters and their responses are described by the
// OpenAPI 3.1 document openapi.json in this package, served at
// GET /v1/openapi.json; tests validate real responses against it.
//
// Conventions: field names are snake_case and stable; money and ratios are
// decimal strings (exact sums; ratios rounded to 4 places); dates are ISO
// 8601 (2006-01-02); a figure that is undefined (an average over zero
// orders, a margin where some line had no cost) is null, never omitted.
// Errors are application/problem+json (RFC 9457) with a detail that says
// what to fix; internal error text is logged, never returned.
//
// Every route except GET /v1/health, GET /v1/openapi.json and OPTIONS
// requires the JWT claims that API Gateway's JWT authorizer puts into the
// request context; a request without them gets 401 even if it somehow
// bypassed the authorizer (defence in depth), with the authorizer's own
// body {"message":"Unauthorized"}, the one error that is not a problem
// document because API Gateway cannot be told to answer otherwise.
//
// All reads are DynamoDB GetItem or Query calls on known keys, never Scan;
// every parameter is validated before anything reaches DynamoDB.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/metrics"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/store"
)

// Reader is what the API reads from the table. *store.Store implements
// it. Methods return errors wrapping store.ErrNotFound for missing items;
// the int results count DynamoDB requests.
type Reader interface {
	QueryRanges(ctx context.Context, d dimension.Dimension, g aggregate.Grain, ranges []store.KeyRange) ([][]store.Row, int, error)
	Values(ctx context.Context, dims ...dimension.Dimension) (map[dimension.Dimension][]store.ValueSpan, int, error)
	Object(ctx context.Context, objectKey string) (store.Entry, bool, error)
	GetUpload(ctx context.Context, id string) (store.Upload, error)
	GetSummary(ctx context.Context, dst any) error
	// ListUploads reads a page of the upload history; GetReconciliation
	// decodes recompute's last reconciliation report into dst.
	ListUploads(ctx context.Context, q store.UploadQuery) (store.UploadPage, int, error)
	GetReconciliation(ctx context.Context, dst any) error
	// LatestSnapshot and SnapshotPart read recompute's published snapshot;
	// package snapshot decodes the parts.
	LatestSnapshot(ctx context.Context) (store.SnapshotInfo, error)
	SnapshotPart(ctx context.Context, id, part string) ([]byte, error)
}

// Presigner makes presigned S3 requests; *s3.PresignClient implements it.
type Presigner interface {
	PresignPutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Options configure a Service.
type Options struct {
	// Bucket is the sales bucket POST /v1/uploads presigns for and the
	// upload lookup by key reads; with it or the Presigner unset those
	// routes answer 503.
	Bucket string
	// Calendar sets the default fiscal year start; a request may override
	// it with fiscal_year_start.
	Calendar period.Calendar
	// Now is the clock for presigned URL expiry times; time.Now if nil.
	Now func() time.Time
	// Currency is the ISO 4217 code every amount is in, "" when unknown;
	// GET /v1/dimensions reports it for clients to show.
	Currency string
	// Versions finds an object's current version, so that an upload's
	// status_url (by key) answers while it is processing or after it
	// failed; without it the lookup by key sees only ingested uploads.
	Versions VersionLister
	// Deals reads the deal records GET /v1/pipeline computes from; with it
	// unset that route answers 503.
	Deals DealSource
	// Datasets opens the datasets other than the default, which r and
	// Deals read; with it unset only the default dataset exists.
	Datasets Datasets
}

// VersionLister lists object versions; *s3.Client implements it.
type VersionLister interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// Service routes and answers API requests. It is safe for concurrent use.
type Service struct {
	r       Reader
	presign Presigner
	bucket  string
	cal     period.Calendar
	log     *slog.Logger
	metrics *metrics.Emitter
	routes  routeTable
	now     func() time.Time
	// versions is nil when Options.Versions was.
	versions VersionLister
	currency string
	deals    DealSource
	datasets Datasets
}

// New returns a Service reading r and presigning uploads with p (which
// may be nil). A nil log discards logs. Each request is logged as one
// line with its latency and DynamoDB requests as metrics (see package
// metrics) by route and status class.
func New(r Reader, p Presigner, log *slog.Logger, o Options) *Service {
	s := &Service{r: r, presign: p, bucket: o.Bucket, cal: o.Calendar, log: log, now: o.Now, routes: newRouteTable(openAPI), versions: o.Versions, currency: o.Currency,
		deals: o.Deals, datasets: o.Datasets}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.metrics = metrics.New(s.log, "api")
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// routeTable holds the path templates of the OpenAPI document, split at
// slashes, so that metrics name a request by its route, not by its path:
// /v1/uploads/{id}, never one series per upload.
type routeTable [][]string

// newRouteTable reads the templates from the document doc; a document it
// cannot read gives an empty table, which names every path unmatched.
func newRouteTable(doc []byte) routeTable {
	var d struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	_ = json.Unmarshal(doc, &d)
	var t routeTable
	for p := range d.Paths {
		t = append(t, strings.Split(p, "/"))
	}
	// Fixed paths first, so that a template never claims one of them.
	sort.Slice(t, func(i, j int) bool {
		a, b := strings.Join(t[i], "/"), strings.Join(t[j], "/")
		if x, y := strings.Count(a, "{"), strings.Count(b, "{"); x != y {
			return x < y
		}
		return a < b
	})
	return t
}

// match returns the template path matches, or "unmatched".
func (t routeTable) match(path string) string {
	parts := strings.Split(path, "/")
next:
	for _, tmpl := range t {
		if len(tmpl) != len(parts) {
			continue
		}
		for i, seg := range tmpl {
			if seg != parts[i] && !(strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && parts[i] != "") {
				continue next
			}
		}
		return strings.Join(tmpl, "/")
	}
	return "unmatched"
}

// problem is an RFC 9457 problem detail, the body of every error response.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// Error is an error a caller caused, with the HTTP status and the detail to
// report. Any other error a service method returns is reported as 500 with
// a generic detail, or 404 if it wraps store.ErrNotFound, and logged.
type Error struct {
	Status int
	Detail string
}

// Error returns the status and detail, for logs.
func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Detail) }

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...)}
}

// public reports whether a route is served without authentication; the
// same routes have Authorizer NONE in template.yaml.
func public(method, path string) bool {
	return method == http.MethodOptions ||
		(method == http.MethodGet && (path == "/v1/health" || path == "/v1/openapi.json"))
}

// Subject returns the JWT subject API Gateway validated for req, and false
// if the request carries no JWT claims.
func Subject(req events.APIGatewayV2HTTPRequest) (string, bool) {
	a := req.RequestContext.Authorizer
	if a == nil || a.JWT == nil || len(a.JWT.Claims) == 0 {
		return "", false
	}
	return a.JWT.Claims["sub"], true
}

// counter counts DynamoDB requests of one API call.
type counter struct {
	Reader
	n int
}

func (c *counter) QueryRanges(ctx context.Context, d dimension.Dimension, g aggregate.Grain, ranges []store.KeyRange) ([][]store.Row, int, error) {
	rows, n, err := c.Reader.QueryRanges(ctx, d, g, ranges)
	c.n += n
	return rows, n, err
}

func (c *counter) Values(ctx context.Context, dims ...dimension.Dimension) (map[dimension.Dimension][]store.ValueSpan, int, error) {
	v, n, err := c.Reader.Values(ctx, dims...)
	c.n += n
	return v, n, err
}

func (c *counter) Object(ctx context.Context, key string) (store.Entry, bool, error) {
	c.n++
	return c.Reader.Object(ctx, key)
}

func (c *counter) GetUpload(ctx context.Context, id string) (store.Upload, error) {
	c.n++
	return c.Reader.GetUpload(ctx, id)
}

func (c *counter) GetSummary(ctx context.Context, dst any) error {
	c.n++
	return c.Reader.GetSummary(ctx, dst)
}

func (c *counter) ListUploads(ctx context.Context, q store.UploadQuery) (store.UploadPage, int, error) {
	p, n, err := c.Reader.ListUploads(ctx, q)
	c.n += n
	return p, n, err
}

func (c *counter) GetReconciliation(ctx context.Context, dst any) error {
	c.n++
	return c.Reader.GetReconciliation(ctx, dst)
}

func (c *counter) LatestSnapshot(ctx context.Context) (store.SnapshotInfo, error) {
	c.n++
	return c.Reader.LatestSnapshot(ctx)
}

func (c *counter) SnapshotPart(ctx context.Context, id, part string) ([]byte, error) {
	c.n++
	return c.Reader.SnapshotPart(ctx, id, part)
}

// DBRequestsHeader is the response header that reports how many DynamoDB
// requests an API call made, for dashboards and the benchmark.
const DBRequestsHeader = "X-Salesseg-Db-Requests"

// Handle answers one request. It never returns an error to Lambda:
// failures become problem responses, so API Gateway never shows a bare 500.
func (s *Service) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	method, path := req.RequestContext.HTTP.Method, req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	if method == "" {
		method = http.MethodGet
	}
	sub, authed := Subject(req)
	c := &counter{Reader: s.r}
	per := *s
	per.r = c
	var body any
	var err error
	status := http.StatusOK
	switch {
	case method == http.MethodOptions:
		status = http.StatusNoContent
	case !public(method, path) && !authed:
		status = http.StatusUnauthorized
	default:
		var r Reader
		if r, per.deals, err = s.open(ctx, req.QueryStringParameters, &c.n); err == nil {
			c.Reader = r
			body, err = per.route(ctx, method, path, &c.n, req)
		}
	}
	var resp events.APIGatewayV2HTTPResponse
	if err == nil && status == http.StatusOK {
		resp, err = encode(body)
	}
	switch {
	case err != nil:
		resp = s.fail(ctx, method, path, err)
	case status == http.StatusUnauthorized:
		resp = unauthorized()
	case status != http.StatusOK:
		resp = events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Cache-Control": "no-store"}}
	}
	resp.Headers[DBRequestsHeader] = fmt.Sprint(c.n)
	s.metrics.Emit(ctx, "request",
		[]metrics.Dimension{{Name: "Route", Value: method + " " + s.routes.match(path)}, {Name: "StatusClass", Value: fmt.Sprintf("%dxx", resp.StatusCode/100)}},
		[]metrics.Metric{metrics.Milliseconds("Latency", time.Since(start)), metrics.Count("DBRequests", int64(c.n))},
		slog.String("method", method), slog.String("path", path), slog.Int("status", resp.StatusCode), slog.String("sub", sub))
	return resp, nil
}

func encode(body any) (events.APIGatewayV2HTTPResponse, error) {
	var data []byte
	if raw, ok := body.(rawJSON); ok {
		data = raw
	} else {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("encode response: %w", err)
		}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: string(data), Headers: map[string]string{
		"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}}, nil
}

// rawJSON is a response body that is already encoded.
type rawJSON []byte

func (s *Service) fail(ctx context.Context, method, path string, err error) events.APIGatewayV2HTTPResponse {
	p := problem{Type: "about:blank", Status: http.StatusInternalServerError,
		Detail: "The request could not be completed; it has been logged."}
	var ae *Error
	switch {
	case errors.As(err, &ae):
		p.Status, p.Detail = ae.Status, ae.Detail
	case errors.Is(err, store.ErrNotFound):
		p.Status, p.Detail = http.StatusNotFound, "No such resource."
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		p.Status, p.Detail = http.StatusServiceUnavailable, "The request took too long; try a shorter range."
		s.log.WarnContext(ctx, "request timed out", "method", method, "path", path, "error", err)
	default:
		s.log.ErrorContext(ctx, "request failed", "method", method, "path", path, "error", err)
	}
	p.Title = http.StatusText(p.Status)
	data, _ := json.Marshal(p)
	h := map[string]string{"Content-Type": "application/problem+json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
	return events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Body: string(data), Headers: h}
}

// unauthorized is the answer to a request without JWT claims: the same
// status, body and challenge as API Gateway's JWT authorizer gives when no
// token is sent, so that a client sees one 401 whichever layer refuses.
func unauthorized() events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusUnauthorized, Body: `{"message":"Unauthorized"}`,
		Headers: map[string]string{"Content-Type": "application/json", "WWW-Authenticate": "Bearer", "Cache-Control": "no-store"}}
}

// route decodes the request for its route, calls the service method and
// returns the value to encode.
func (s *Service) route(ctx context.Context, method, path string, requests *int, req events.APIGatewayV2HTTPRequest) (any, error) {
	q := req.QueryStringParameters
	// shared answers a route that is the same in every dataset; get one
	// that reads the dataset the request names.
	shared := func(params []string, fn func(query) (any, error)) (any, error) {
		if err := allow(method, http.MethodGet); err != nil {
			return nil, err
		}
		if err := checkRawQuery(req.RawQueryString); err != nil {
			return nil, err
		}
		qq, err := newQuery(q, params)
		if err != nil {
			return nil, err
		}
		return fn(qq)
	}
	get := func(params []string, fn func(query) (any, error)) (any, error) {
		return shared(append(slices.Clip(params), datasetParam), fn)
	}
	switch {
	case path == "/v1/health":
		return shared(nil, func(query) (any, error) { return map[string]string{"status": "ok"}, nil })
	case path == "/v1/openapi.json":
		return shared(nil, func(query) (any, error) { return rawJSON(openAPI), nil })
	case path == "/v1/summary":
		return get(nil, func(query) (any, error) { return s.summary(ctx) })
	case path == "/v1/reconciliation":
		return get(nil, func(query) (any, error) { return s.reconciliation(ctx) })
	case path == "/v1/segments":
		return get(breakdownParams(), func(q query) (any, error) {
			in, err := s.decodeBreakdown(q)
			if err != nil {
				return nil, err
			}
			return s.breakdown(ctx, in)
		})
	case path == "/v1/trend":
		return get(trendParams(), func(q query) (any, error) {
			in, err := s.decodeTrend(q)
			if err != nil {
				return nil, err
			}
			return s.trend(ctx, in)
		})
	case path == "/v1/pipeline":
		return get(pipelineParams(), func(q query) (any, error) { return s.pipelineReport(ctx, q) })
	case path == "/v1/kpis":
		return get(kpiParams(), func(q query) (any, error) {
			in, err := s.decodeKPIs(q)
			if err != nil {
				return nil, err
			}
			return s.kpis(ctx, in)
		})
	case analyticsKinds[path] != "":
		params := []string{"dimension"}
		if path == "/v1/analytics/tiers" {
			params = append(params, "within")
		}
		return get(params, func(q query) (any, error) { return s.analytics(ctx, analyticsKinds[path], q) })
	case path == "/v1/analytics/bridge":
		return get([]string{"dimension", "grain", "from", "to", "value"}, func(q query) (any, error) { return s.bridge(ctx, q) })
	case path == "/v1/analytics/customers":
		return get(append([]string{"limit", "cursor", "alive_at"}, customerFilterParams()...), func(q query) (any, error) { return s.customerList(ctx, q) })
	case path == "/v1/analytics/lookalikes":
		return get([]string{"limit", "cursor"}, func(q query) (any, error) { return s.lookalikeList(ctx, q) })
	case path == "/v1/analytics/model":
		return get(nil, func(query) (any, error) { return s.model(ctx) })
	case path == "/v1/analytics/holdout":
		return get(nil, func(query) (any, error) { return s.holdout(ctx) })
	case path == "/v1/acquisition":
		return get(acquisitionParams(), func(q query) (any, error) { return s.acquisition(ctx, q) })
	case path == "/v1/forecast":
		return get(forecastParams(), func(q query) (any, error) { return s.revenueForecast(ctx, q) })
	case path == "/v1/dimensions":
		return get(nil, func(query) (any, error) { return s.dimensions(ctx) })
	case strings.HasPrefix(path, "/v1/dimensions/") && strings.HasSuffix(path, "/values"):
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/dimensions/"), "/values")
		return get(valuesParams(), func(q query) (any, error) {
			in, err := decodeValues(name, q)
			if err != nil {
				return nil, err
			}
			return s.dimensionValues(ctx, in)
		})
	case path == "/v1/uploads":
		switch method {
		case http.MethodPost:
			if err := checkRawQuery(req.RawQueryString); err != nil {
				return nil, err
			}
			if _, err := newQuery(q, nil); err != nil {
				return nil, err
			}
			in, err := decodeUploadRequest(req)
			if err != nil {
				return nil, err
			}
			return s.createUpload(ctx, in)
		case http.MethodGet:
			return shared(uploadListParams(), func(q query) (any, error) {
				if _, ok := q["key"]; !ok {
					in, err := decodeUploadListing(q)
					if err != nil {
						return nil, err
					}
					return s.listUploads(ctx, q, in)
				}
				in, err := decodeUploadLookup(q)
				if err != nil {
					return nil, err
				}
				return s.latestUpload(ctx, in)
			})
		}
		return nil, &Error{Status: http.StatusMethodNotAllowed, Detail: "Use GET (list uploads, or find the upload of a key) or POST (get an upload URL)."}
	case path == "/v1/datasets":
		return shared(nil, func(query) (any, error) { return s.datasetList(ctx, requests) })
	case strings.HasPrefix(path, "/v1/uploads/"):
		return shared(nil, func(query) (any, error) { return s.uploadStatus(ctx, strings.TrimPrefix(path, "/v1/uploads/")) })
	}
	return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No route %s %s; see /v1/openapi.json.", method, truncate(path))}
}

func allow(method, want string) error {
	if method != want {
		return &Error{Status: http.StatusMethodNotAllowed, Detail: fmt.Sprintf("Use %s.", want)}
	}
	return nil
}

func (s *Service) summary(ctx context.Context) (any, error) {
	var sum json.RawMessage
	if err := s.r.GetSummary(ctx, &sum); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Status: http.StatusNotFound, Detail: "No summary yet: recompute has not run."}
		}
		return nil, err
	}
	return rawJSON(sum), nil
}

// truncate shortens user input quoted in a detail.
func truncate(s string) string {
	if len(s) > 40 {
		for i := 40; i > 0; i-- {
			if s[i]&0xC0 != 0x80 { // rune boundary
				return s[:i] + "…"
			}
		}
	}
	return s
}
