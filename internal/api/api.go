// Package api answers salesseg's HTTP API: API Gateway HTTP API (payload
// format 2.0) events in, JSON out. Errors are application/problem+json
// (RFC 9457) with a detail a user can act on; internal error text is logged,
// never returned.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/segment"
	"github.com/salesseg/salesseg/internal/store"
)

// Reader is what the API reads from the table.
type Reader interface {
	Query(ctx context.Context, d segment.Dimension, g aggregate.Grain, from, to string) ([]store.Row, int, error)
	GetUpload(ctx context.Context, id string) (store.Upload, error)
	GetSummary(ctx context.Context, dst any) error
}

// Service routes and answers API requests.
type Service struct {
	r   Reader
	log *slog.Logger
}

// New returns a Service reading from r.
func New(r Reader, log *slog.Logger) *Service { return &Service{r: r, log: log} }

// problem is an RFC 9457 problem detail, the body of every error response.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// Error is an error a caller caused, with the status and detail to report.
type Error struct {
	Status int
	Detail string
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Detail) }

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...)}
}

// Handle answers one request. It never returns an error to Lambda: failures
// become problem responses, so API Gateway never shows a bare 500.
func (s *Service) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method, path := req.RequestContext.HTTP.Method, req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	body, err := s.route(ctx, method, path, req.QueryStringParameters)
	status := http.StatusOK
	if err != nil {
		return s.fail(ctx, method, path, err), nil
	}
	if method == http.MethodOptions {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent}, nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return s.fail(ctx, method, path, err), nil
	}
	s.log.InfoContext(ctx, "request", "method", method, "path", path, "status", status)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(data),
		Headers: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}}, nil
}

func (s *Service) fail(ctx context.Context, method, path string, err error) events.APIGatewayV2HTTPResponse {
	p := problem{Type: "about:blank", Status: http.StatusInternalServerError,
		Detail: "The request could not be completed; it has been logged."}
	var ae *Error
	switch {
	case errors.As(err, &ae):
		p.Status, p.Detail = ae.Status, ae.Detail
	case errors.Is(err, store.ErrNotFound):
		p.Status, p.Detail = http.StatusNotFound, "No such resource."
	default:
		s.log.ErrorContext(ctx, "request failed", "method", method, "path", path, "error", err)
	}
	p.Title = http.StatusText(p.Status)
	s.log.InfoContext(ctx, "request", "method", method, "path", path, "status", p.Status)
	data, _ := json.Marshal(p)
	return events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Body: string(data),
		Headers: map[string]string{"Content-Type": "application/problem+json", "Cache-Control": "no-store"}}
}

var uploadPath = regexp.MustCompile(`^/v1/uploads/([0-9a-f]{24})$`)

func (s *Service) route(ctx context.Context, method, path string, q map[string]string) (any, error) {
	if method == http.MethodOptions {
		return nil, nil
	}
	switch {
	case path == "/v1/health":
		return map[string]string{"status": "ok"}, allow(method, http.MethodGet)
	case path == "/v1/segments":
		if err := allow(method, http.MethodGet); err != nil {
			return nil, err
		}
		return s.segments(ctx, q)
	case path == "/v1/summary":
		if err := allow(method, http.MethodGet); err != nil {
			return nil, err
		}
		var sum json.RawMessage
		if err := s.r.GetSummary(ctx, &sum); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, &Error{Status: http.StatusNotFound, Detail: "No summary yet: recompute has not run."}
			}
			return nil, err
		}
		return sum, nil
	case strings.HasPrefix(path, "/v1/uploads/"):
		if err := allow(method, http.MethodGet); err != nil {
			return nil, err
		}
		m := uploadPath.FindStringSubmatch(path)
		if m == nil {
			return nil, &Error{Status: http.StatusNotFound, Detail: "Upload ids are 24 lower-case hexadecimal characters."}
		}
		u, err := s.r.GetUpload(ctx, m[1])
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No upload with id %s.", m[1])}
		}
		return u, err
	}
	return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No route %s %s.", method, path)}
}

func allow(method, want string) error {
	if method != want {
		return &Error{Status: http.StatusMethodNotAllowed, Detail: fmt.Sprintf("Use %s.", want)}
	}
	return nil
}

var monthRE = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])$`)

// Segment is one dimension value's figures in a breakdown.
type Segment struct {
	Value         string `json:"value"`
	Revenue       string `json:"revenue"`
	Share         string `json:"share"`
	Orders        int64  `json:"orders"`
	Lines         int64  `json:"lines"`
	AvgOrderValue string `json:"avg_order_value,omitempty"`
}

// Breakdown is the body of GET /v1/segments.
type Breakdown struct {
	Dimension string    `json:"dimension"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Revenue   string    `json:"revenue"`
	Orders    int64     `json:"orders"`
	Lines     int64     `json:"lines"`
	Segments  []Segment `json:"segments"`
}

func (s *Service) segments(ctx context.Context, q map[string]string) (*Breakdown, error) {
	name, ok := q["dimension"]
	if !ok || name == "" {
		return nil, badRequest("Parameter dimension is required, e.g. dimension=segment.")
	}
	if len(name) > 64 {
		return nil, badRequest("Parameter dimension is too long.")
	}
	dim, err := segment.Parse(name)
	if err != nil {
		return nil, badRequest("Parameter dimension: %v.", err)
	}
	from, to := q["from"], q["to"]
	for _, p := range [][2]string{{"from", from}, {"to", to}} {
		if p[1] != "" && !monthRE.MatchString(p[1]) {
			return nil, badRequest("Parameter %s must be a month as YYYY-MM, got %q.", p[0], truncate(p[1]))
		}
	}
	lo, hi := from, to
	if lo == "" {
		lo = "0000-00"
	}
	if hi == "" {
		hi = "9999-12"
	}
	if lo > hi {
		return nil, badRequest("Parameter from (%s) is after to (%s).", from, to)
	}
	rows, _, err := s.r.Query(ctx, dim, aggregate.Month, lo, hi)
	if err != nil {
		return nil, err
	}
	byValue := map[string]*aggregate.Measures{}
	var total aggregate.Measures
	for _, r := range rows {
		m, ok := byValue[r.Value]
		if !ok {
			m = &aggregate.Measures{}
			byValue[r.Value] = m
		}
		if err := m.Add(r.Measures); err != nil {
			return nil, err
		}
		if err := total.Add(r.Measures); err != nil {
			return nil, err
		}
	}
	out := &Breakdown{Dimension: string(dim), From: from, To: to, Revenue: total.Revenue.String(),
		Orders: total.Orders, Lines: total.Lines, Segments: []Segment{}}
	for v, m := range byValue {
		seg := Segment{Value: v, Revenue: m.Revenue.String(), Share: ratio(m.Revenue, total.Revenue), Orders: m.Orders, Lines: m.Lines}
		if m.Orders > 0 {
			seg.AvgOrderValue = ratio(m.Revenue, decimal.MustNew(m.Orders, 0))
		}
		out.Segments = append(out.Segments, seg)
	}
	sort.Slice(out.Segments, func(i, j int) bool {
		a, b := byValue[out.Segments[i].Value].Revenue, byValue[out.Segments[j].Value].Revenue
		if c := a.Cmp(b); c != 0 {
			return c > 0
		}
		return out.Segments[i].Value < out.Segments[j].Value
	})
	return out, nil
}

// ratio divides and rounds to 4 places for display; "" when undefined.
func ratio(a, b decimal.Decimal) string {
	if b.IsZero() {
		return ""
	}
	q, err := a.Quo(b)
	if err != nil {
		return ""
	}
	return q.Round(4).String()
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
