package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/devstack"
)

// TestHandlerRequiresJWTClaims proves the handler's own check: whatever
// API Gateway does, a request without validated JWT claims gets the JWT
// authorizer's 401 on every route but health, the OpenAPI document and
// OPTIONS, and reads nothing.
func TestHandlerRequiresJWTClaims(t *testing.T) {
	e := newEnv(t)
	protected := []struct{ method, target string }{
		{http.MethodGet, "/v1/segments?dimension=segment"},
		{http.MethodGet, "/v1/trend?dimension=segment&period=2024"},
		{http.MethodGet, "/v1/kpis"},
		{http.MethodGet, "/v1/dimensions"},
		{http.MethodGet, "/v1/dimensions/segment/values"},
		{http.MethodGet, "/v1/summary"},
		{http.MethodGet, "/v1/uploads/0123456789abcdef01234567"},
		{http.MethodGet, "/v1/uploads?key=transactions/a.csv"},
		{http.MethodPost, "/v1/uploads"},
		{http.MethodPost, "/v1/health"}, // only GET /v1/health is public
		{http.MethodGet, "/v1/nothing"},
	}
	for _, c := range protected {
		t.Run("no claims "+c.method+" "+c.target, func(t *testing.T) {
			e.unauthorized(e.do(request(c.method, c.target, false)))
		})
		t.Run("empty claims "+c.method+" "+c.target, func(t *testing.T) {
			req := request(c.method, c.target, false)
			req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{}}}
			e.unauthorized(e.do(req))
		})
	}
	if n := e.f.readCount(); n != 0 {
		t.Fatalf("unauthenticated requests made %d reads", n)
	}
	public := []struct {
		method, target string
		status         int
	}{
		{http.MethodGet, "/v1/health", 200},
		{http.MethodGet, "/v1/openapi.json", 200},
		{http.MethodOptions, "/v1/segments", 204},
		{http.MethodOptions, "/v1/uploads", 204},
	}
	for _, c := range public {
		t.Run("public "+c.method+" "+c.target, func(t *testing.T) {
			if resp := e.do(request(c.method, c.target, false)); resp.StatusCode != c.status {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
		})
	}
	t.Run("claims admit", func(t *testing.T) {
		e.get("/v1/segments?dimension=segment", 200, nil)
	})
}

// TestUnauthorizedMatchesTheDocument sends requests without a token
// through the local gateway, which answers as API Gateway's JWT
// authorizer does, and straight to the handler, and checks both 401s
// against the OpenAPI document: they are the same, and documented.
func TestUnauthorizedMatchesTheDocument(t *testing.T) {
	e := newEnv(t)
	gw := devstack.NewGateway(lambda.NewHandler(e.svc.Handle), "")
	for _, c := range []struct{ name, auth string }{{"no token", ""}, {"refused token", "Bearer nope"}} {
		t.Run("gateway, "+c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/segments?dimension=segment", nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, req)
			e.spec.check(t, http.MethodGet, "/v1/segments?dimension=segment", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
			if rec.Code != 401 || rec.Body.String() != `{"message":"Unauthorized"}` || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
			}
		})
	}
	t.Run("handler", func(t *testing.T) {
		e.unauthorized(e.do(request(http.MethodPost, "/v1/uploads", false)))
	})
	t.Run("a problem document would not match", func(t *testing.T) {
		if _, err := e.spec.validate(http.MethodGet, "/v1/segments", 401, "application/problem+json",
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"x"}`); err == nil {
			t.Fatal("the document accepts a problem document for 401")
		}
	})
}
