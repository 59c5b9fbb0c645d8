package api

import (
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestHandlerRequiresJWTClaims proves the handler's own check: whatever
// API Gateway does, a request without validated JWT claims gets 401 on
// every route but health, the OpenAPI document and OPTIONS, and reads
// nothing.
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
			resp := e.do(request(c.method, c.target, false))
			e.problemOf(resp, 401, "bearer token")
			if resp.Headers["WWW-Authenticate"] == "" {
				t.Fatal("no WWW-Authenticate header")
			}
		})
		t.Run("empty claims "+c.method+" "+c.target, func(t *testing.T) {
			req := request(c.method, c.target, false)
			req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{}}}
			e.problemOf(e.do(req), 401, "bearer token")
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
