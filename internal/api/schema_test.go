package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// spec is openapi.json loaded by kin-openapi, which validates OpenAPI 3.1
// documents with a JSON Schema 2020-12 validator, plus a router that maps a
// request to its documented operation.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

// loadSpec loads and validates openapi.json; an invalid document fails the
// test before any response is checked against it.
func loadSpec(t testing.TB) *spec {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	// NewRouter validates the document first.
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return &spec{doc: doc, router: router}
}

// schemaOptions are the validation options of every check: kin-openapi leaves
// the uri format unchecked unless told how, and the document promises
// absolute URLs (presigned uploads, rejects files).
func schemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.EnableJSONSchema2020(),
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			u, err := url.Parse(s)
			if err == nil && (u.Scheme == "" || u.Host == "") {
				err = fmt.Errorf("%q is not an absolute URI", s)
			}
			return err
		})),
	}
}

// validate checks a response (status, content type, body) against the
// operation the document lists for method and path. It returns the
// operation's path template, or "" for responses the document does not
// cover: preflights, and unknown routes or methods answered with 401, 404
// or 405.
func (s *spec) validate(method, path string, status int, contentType, body string) (string, error) {
	if method == http.MethodOptions {
		return "", nil // preflights: 204 without a body, answered for every path
	}
	req := httptest.NewRequest(method, path, nil)
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		var unrouted *routers.RouteError // no such path, or no such method on it
		if errors.As(err, &unrouted) && (status == 401 || status == 404 || status == 405) {
			return "", nil
		}
		return "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status == http.StatusNoContent {
		return route.Path, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {contentType}},
		Body:                   io.NopCloser(strings.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: schemaOptions(),
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return route.Path, fmt.Errorf("%s %s %d does not match the document: %w", method, route.Path, status, err)
	}
	return route.Path, nil
}

// check is validate for tests: a response that does not match fails t.
func (s *spec) check(t testing.TB, method, path string, status int, contentType, body string) string {
	t.Helper()
	tmpl, err := s.validate(method, path, status, contentType, body)
	if err != nil {
		t.Fatalf("%v\nbody: %.600s", err, body)
	}
	return tmpl
}

// TestValidatorCatchesViolations shows that the response check is not
// vacuous: real responses pass, and each one broken in a single place must
// be rejected with an error that names what is wrong.
func TestValidatorCatchesViolations(t *testing.T) {
	e := newEnv(t)
	withSnapshot(e)
	upload := request(http.MethodPost, "/v1/uploads", true)
	upload.Body = `{"file_name":"a.csv","size":1}`
	real := map[string]events.APIGatewayV2HTTPRequest{
		"health":         request(http.MethodGet, "/v1/health", true),
		"segments":       request(http.MethodGet, "/v1/segments?dimension=segment&period=2024", true),
		"problem":        request(http.MethodGet, "/v1/segments", true),
		"upload":         upload,
		"history":        request(http.MethodGet, "/v1/uploads", true),
		"reconciliation": request(http.MethodGet, "/v1/reconciliation", true),
	}
	// at and keyword locate a schema violation (at is the JSON pointer into
	// the body, "" for its root); mentions is text the error must contain.
	cases := []struct {
		name        string
		request     string
		status      int    // 0 keeps the real one
		contentType string // "" keeps the real one
		mutate      func(body map[string]any)
		at, keyword string
		mentions    string
	}{
		{name: "real health", request: "health"},
		{name: "real breakdown", request: "segments"},
		{name: "real problem", request: "problem"},
		{name: "real upload ticket", request: "upload"},
		{name: "real upload history", request: "history"},
		{name: "real reconciliation", request: "reconciliation"},
		{name: "history entry with a string for a count", request: "history", mutate: func(b map[string]any) {
			b["uploads"].([]any)[0].(map[string]any)["rows"] = "10"
		}, keyword: "oneOf", mentions: "rows"},
		{name: "report count as a string", request: "reconciliation", mutate: func(b map[string]any) { b["objects"] = "7" }, at: "/objects", keyword: "type"},
		{name: "report list null", request: "reconciliation", mutate: func(b map[string]any) { b["stuck"] = nil }, at: "/stuck", keyword: "nullable"},
		{name: "number for a string", request: "health", mutate: func(b map[string]any) { b["status"] = 7 }, at: "/status", keyword: "type"},
		{name: "missing required field", request: "health", mutate: func(b map[string]any) { delete(b, "status") }, keyword: "required", mentions: "'status'"},
		{name: "value outside the enum", request: "health", mutate: func(b map[string]any) { b["status"] = "fine" }, at: "/status", keyword: "enum"},
		{name: "undocumented status", request: "health", status: http.StatusTeapot, mentions: "status is not supported"},
		{name: "undocumented content type", request: "health", contentType: "text/plain", mentions: `unexpected value: "text/plain"`},
		{name: "problem without detail", request: "problem", mutate: func(b map[string]any) { delete(b, "detail") }, keyword: "required", mentions: "'detail'"},
		{name: "number for a decimal string", request: "segments", mutate: func(b map[string]any) { b["revenue"] = 12.5 }, at: "/revenue", keyword: "type"},
		{name: "exponent in a decimal string", request: "segments", mutate: func(b map[string]any) { b["revenue"] = "1e5" }, at: "/revenue", keyword: "pattern"},
		{name: "property outside the schema", request: "segments", mutate: func(b map[string]any) { b["period"].(map[string]any)["x"] = 1 }, at: "/period", keyword: "properties", mentions: `"x"`},
		{name: "unknown grain", request: "segments", mutate: func(b map[string]any) { b["period"].(map[string]any)["grain"] = "decade" }, at: "/period/grain", keyword: "enum"},
		{name: "impossible date", request: "segments", mutate: func(b map[string]any) { b["period"].(map[string]any)["from"] = "2024-13-01" }, at: "/period/from", keyword: "format"},
		{name: "null where not nullable", request: "segments", mutate: func(b map[string]any) { b["segments"] = nil }, at: "/segments", keyword: "nullable"},
		{name: "relative upload URL", request: "upload", mutate: func(b map[string]any) { b["url"] = "/up" }, at: "/url", keyword: "format", mentions: "not an absolute URI"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := real[c.request]
			resp, err := e.svc.Handle(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			status, contentType, body := resp.StatusCode, resp.Headers["Content-Type"], resp.Body
			if c.status != 0 {
				status = c.status
			}
			if c.contentType != "" {
				contentType = c.contentType
			}
			if c.mutate != nil {
				var doc map[string]any
				if err := json.Unmarshal([]byte(body), &doc); err != nil {
					t.Fatal(err)
				}
				c.mutate(doc)
				b, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			_, err = e.spec.validate(req.RequestContext.HTTP.Method, req.RawPath, status, contentType, body)
			valid := c.keyword == "" && c.mentions == ""
			if valid != (err == nil) {
				t.Fatalf("error %v, want one: %t\nbody: %.600s", err, !valid, body)
			}
			if valid {
				return
			}
			if !strings.Contains(err.Error(), c.mentions) {
				t.Errorf("error %v, want it to mention %q", err, c.mentions)
			}
			var se *openapi3.SchemaError
			if c.keyword == "" {
				if errors.As(err, &se) {
					t.Errorf("schema error %v, want a status or content type error", err)
				}
				return
			}
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a schema error", err)
			}
			if at := strings.Join(append([]string{""}, se.JSONPointer()...), "/"); at != c.at || se.SchemaField != c.keyword {
				t.Errorf("violation of %q at %q, want %q at %q: %v", se.SchemaField, at, c.keyword, c.at, err)
			}
		})
	}
}

// TestOpenAPIDocument checks what kin-openapi's validation of the document
// leaves to the project: version 3.1, and every operation has a unique id
// and a 200 response.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	if s.doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %v", s.doc.OpenAPI)
	}
	ids := map[string]bool{}
	for p, item := range s.doc.Paths.Map() {
		for m, op := range item.Operations() {
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: missing or duplicate operationId %q", m, p, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Responses.Status(200) == nil {
				t.Errorf("%s %s: no 200 response", m, p)
			}
		}
	}
	if len(ids) < 10 {
		t.Errorf("only %d operations", len(ids))
	}
}
