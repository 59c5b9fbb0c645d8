package api

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/salesseg/salesseg/internal/devstack"
)

// child returns the value node of key in a mapping node, or nil.
func child(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// isRef reports whether n is SAM's `!Ref name`.
func isRef(n *yaml.Node, name string) bool { return n != nil && n.Tag == "!Ref" && n.Value == name }

// TestTemplateProtectsTheAPI parses template.yaml and checks that the HTTP
// API's default authorizer is the JWT authorizer with the stack's issuer
// and audience, that exactly the health, OpenAPI and preflight routes opt
// out of it, and that the handler and the local gateway treat the same
// routes as public.
func TestTemplateProtectsTheAPI(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	top := doc.Content[0]
	resources := child(top, "Resources")
	api := child(resources, "HttpApi")
	if got := child(api, "Type"); got == nil || got.Value != "AWS::Serverless::HttpApi" {
		t.Fatal("no AWS::Serverless::HttpApi named HttpApi")
	}
	auth := child(api, "Properties", "Auth")
	if def := child(auth, "DefaultAuthorizer"); def == nil || def.Value != "JwtAuthorizer" {
		t.Fatalf("default authorizer is not JwtAuthorizer")
	}
	jwt := child(auth, "Authorizers", "JwtAuthorizer")
	if src := child(jwt, "IdentitySource"); src == nil || src.Value != "$request.header.Authorization" {
		t.Fatal("JWT authorizer does not read the Authorization header")
	}
	if !isRef(child(jwt, "JwtConfiguration", "issuer"), "JwtIssuer") {
		t.Fatal("issuer is not !Ref JwtIssuer")
	}
	aud := child(jwt, "JwtConfiguration", "audience")
	if aud == nil || len(aud.Content) != 1 || !isRef(aud.Content[0], "JwtAudience") {
		t.Fatal("audience is not [!Ref JwtAudience]")
	}
	for _, p := range []string{"JwtIssuer", "JwtAudience", "AllowedOrigin"} {
		if child(top, "Parameters", p) == nil {
			t.Fatalf("parameter %s missing", p)
		}
	}
	cors := child(api, "Properties", "CorsConfiguration")
	if o := child(cors, "AllowOrigins"); o == nil || len(o.Content) != 1 || !isRef(o.Content[0], "AllowedOrigin") {
		t.Fatal("CORS origins are not [!Ref AllowedOrigin]")
	}
	if h := child(cors, "AllowHeaders"); h == nil || !strings.Contains(strings.ToLower(nodeValues(h)), "authorization") {
		t.Fatal("CORS does not allow the authorization header")
	}

	var open, closed []string
	for i := 0; i+1 < len(resources.Content); i += 2 {
		fn := resources.Content[i+1]
		for j, evs := 0, child(fn, "Properties", "Events"); evs != nil && j+1 < len(evs.Content); j += 2 {
			ev := evs.Content[j+1]
			if child(ev, "Type").Value != "HttpApi" {
				continue
			}
			props := child(ev, "Properties")
			if !isRef(child(props, "ApiId"), "HttpApi") {
				t.Errorf("%s: route not on HttpApi", evs.Content[j].Value)
			}
			route := child(props, "Method").Value + " " + child(props, "Path").Value
			switch a := child(props, "Auth", "Authorizer"); {
			case a == nil || a.Value == "JwtAuthorizer":
				closed = append(closed, route)
			case a.Value == "NONE":
				open = append(open, route)
			default:
				t.Errorf("%s: unexpected authorizer %s", route, a.Value)
			}
		}
	}
	sort.Strings(open)
	if got := strings.Join(open, ", "); got != "GET /v1/health, GET /v1/openapi.json, OPTIONS /v1/{proxy+}" {
		t.Fatalf("unauthenticated routes: %s", got)
	}
	if len(closed) == 0 {
		t.Fatal("no authenticated route")
	}
	t.Run("handler and local gateway agree", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			public       bool
		}{
			{http.MethodGet, "/v1/health", true},
			{http.MethodGet, "/v1/openapi.json", true},
			{http.MethodOptions, "/v1/segments", true},
			{http.MethodPost, "/v1/health", false},
			{http.MethodGet, "/v1/segments", false},
			{http.MethodPost, "/v1/uploads", false},
			{http.MethodGet, "/v1/summary", false},
		} {
			if public(c.method, c.path) != c.public || devstack.PublicRoute(c.method, c.path) != c.public {
				t.Errorf("%s %s: handler public=%v, gateway public=%v, template public=%v", c.method, c.path,
					public(c.method, c.path), devstack.PublicRoute(c.method, c.path), c.public)
			}
		}
	})
}

func nodeValues(n *yaml.Node) string {
	var out []string
	for _, c := range n.Content {
		out = append(out, c.Value)
	}
	return strings.Join(out, ",")
}
