package devstack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// recordingHandler answers 200 and keeps the last event it was invoked with.
type recordingHandler struct {
	last  *events.APIGatewayV2HTTPRequest
	calls int
}

func (h *recordingHandler) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	h.last, h.calls = &ev, h.calls+1
	return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{}`})
}

// TestGatewayAuthorizesLikeTheJWTAuthorizer checks the local gateway
// against the routes of template.yaml: without the dev token only the
// public routes reach the handler; other requests get API Gateway's 401
// and never invoke it; with the token, the handler sees JWT claims.
func TestGatewayAuthorizesLikeTheJWTAuthorizer(t *testing.T) {
	const refused = `Bearer scope="" error="invalid_token" error_description="the token is not the development token"`
	cases := []struct {
		name, method, path, auth string
		status                   int
		claims                   bool
		challenge                string // WWW-Authenticate of a 401
	}{
		{"health is public", "GET", "/v1/health", "", 200, false, ""},
		{"openapi is public", "GET", "/v1/openapi.json", "", 200, false, ""},
		{"preflight is public", "OPTIONS", "/v1/segments", "", 200, false, ""},
		{"no token", "GET", "/v1/segments", "", 401, false, "Bearer"},
		{"wrong token", "GET", "/v1/segments", "Bearer nope", 401, false, refused},
		{"token with another scheme", "GET", "/v1/segments", "Token s3cret", 401, false,
			`Bearer scope="" error="invalid_token" error_description="the token is not a bearer token"`},
		{"token prefix only", "GET", "/v1/segments", "Bearer s3cre", 401, false, refused},
		{"POST to the health path", "POST", "/v1/health", "", 401, false, "Bearer"},
		{"right token", "GET", "/v1/segments", "Bearer s3cret", 200, true, ""},
		{"scheme in lower case", "POST", "/v1/uploads", "bearer s3cret", 200, true, ""},
		{"outside /v1", "GET", "/admin", "Bearer s3cret", 404, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &recordingHandler{}
			g := NewGateway(h, "s3cret")
			req := httptest.NewRequest(c.method, c.path, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			if rec.Header().Get("Apigw-Requestid") == "" {
				t.Fatal("no apigw-requestid header")
			}
			if c.status == http.StatusUnauthorized {
				if h.calls != 0 || rec.Body.String() != `{"message":"Unauthorized"}` || rec.Header().Get("Content-Type") != "application/json" ||
					rec.Header().Get("WWW-Authenticate") != c.challenge {
					t.Fatalf("401 invoked the handler %d times, headers %v, body %s", h.calls, rec.Header(), rec.Body)
				}
				return
			}
			if c.status != 200 {
				return
			}
			got := h.last.RequestContext.Authorizer != nil && h.last.RequestContext.Authorizer.JWT != nil &&
				h.last.RequestContext.Authorizer.JWT.Claims["sub"] == LocalSubject
			if got != c.claims {
				t.Fatalf("claims passed %v, want %v", got, c.claims)
			}
		})
	}
	t.Run("default token", func(t *testing.T) {
		h := &recordingHandler{}
		req := httptest.NewRequest("GET", "/v1/kpis", nil)
		req.Header.Set("Authorization", "Bearer "+DefaultDevToken)
		rec := httptest.NewRecorder()
		NewGateway(h, "").ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
