package devstack

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Invoker runs a Lambda handler on a raw JSON payload, as
// lambda.NewHandler(fn) does, so local runs use Lambda's own decoding.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// integrationTimeout is API Gateway HTTP API's maximum integration time.
const integrationTimeout = 30 * time.Second

// Gateway is an http.Handler that does locally what API Gateway's HTTP API
// does: it turns each request into a payload-format-2.0 event, invokes the
// handler and writes its response. Like the JWT authorizer of
// template.yaml, it lets only the public routes through without a token;
// every other request must carry "Authorization: Bearer <dev token>" and
// reaches the handler with JWT claims for the subject LocalSubject.
// Without it the answer is the authorizer's: 401, application/json
// {"message":"Unauthorized"}, and WWW-Authenticate "Bearer" when no token
// was sent or, for a refused one, the challenge with error="invalid_token"
// and an error_description. Every answer carries an apigw-requestid
// header, as API Gateway's do.
type Gateway struct {
	handler Invoker
	token   string
	maxBody int64
	reqID   atomic.Uint64
}

// DefaultDevToken is the bearer token `salesseg local` accepts unless told
// otherwise.
const DefaultDevToken = "dev-token"

// LocalSubject is the JWT subject of requests authenticated with the dev
// token.
const LocalSubject = "local-developer"

// NewGateway returns a Gateway invoking h that accepts the bearer token
// devToken. An empty devToken means DefaultDevToken.
func NewGateway(h Invoker, devToken string) *Gateway {
	if devToken == "" {
		devToken = DefaultDevToken
	}
	return &Gateway{handler: h, token: devToken, maxBody: 10 << 20}
}

// PublicRoute reports whether API Gateway serves a request without
// authorization: the routes with Authorizer NONE in template.yaml (GET
// /v1/health, GET /v1/openapi.json and OPTIONS preflights under /v1/).
func PublicRoute(method, path string) bool {
	switch {
	case method == http.MethodOptions:
		return strings.HasPrefix(path, "/v1/")
	case method == http.MethodGet:
		return path == "/v1/health" || path == "/v1/openapi.json"
	}
	return false
}

// challenge returns "" if r carries the dev token, or else the
// WWW-Authenticate challenge of the JWT authorizer's 401: "Bearer" when
// no token was sent, and for a refused one the form API Gateway uses,
// with error="invalid_token" and a description. The token is compared in
// constant time.
func (g *Gateway) challenge(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "Bearer"
	}
	refused := func(why string) string {
		return fmt.Sprintf(`Bearer scope="" error="invalid_token" error_description=%q`, why)
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return refused("the token is not a bearer token")
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(g.token)) != 1 {
		return refused("the token is not the development token")
	}
	return ""
}

// ServeHTTP answers one request as API Gateway would: 404 outside /v1/,
// the JWT authorizer's 401 without the dev token on a non-public route,
// 413 for a body over 10 MB,
// otherwise the handler's response (a bare 500 if the invocation fails).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := fmt.Sprintf("local-%d", g.reqID.Add(1))
	w.Header().Set("Apigw-Requestid", id)
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		// No route matches outside /v1/, as in template.yaml.
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	public := PublicRoute(r.Method, r.URL.Path)
	if c := g.challenge(r); !public && c != "" {
		w.Header().Set("WWW-Authenticate", c)
		writeMessage(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.maxBody+1))
	if err != nil || int64(len(body)) > g.maxBody {
		// API Gateway refuses a payload over 10 MB itself, with its own
		// JSON message, before any integration runs.
		writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := g.event(r, body, id)
	if !public {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"sub": LocalSubject, "iss": "salesseg-local", "aud": "salesseg-local"},
				Scopes: nil,
			}}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// API Gateway lets an invocation run to its integration timeout (30 s)
	// even when the client hangs up, so a browser that abandons a request
	// must not cancel the handler's DynamoDB calls half-way here either.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), integrationTimeout)
	defer cancel()
	out, err := g.handler.Invoke(ctx, payload)
	if err != nil {
		// API Gateway answers a failed invocation with a bare 500.
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	data := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if data, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeMessage writes API Gateway's own JSON error body.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"message":%q}`, msg)
}

// event builds the payload format 2.0 event of request id: header names
// lower-cased, repeated headers and query parameters joined with commas,
// cookies split out, binary bodies base64-encoded.
func (g *Gateway) event(r *http.Request, body []byte, id string) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.String())
	}
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   "$default",
			AccountID:  "000000000000",
			Stage:      "$default",
			RequestID:  id,
			APIID:      "local",
			DomainName: r.Host,
			Time:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  strings.Split(r.RemoteAddr, ":")[0],
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}
