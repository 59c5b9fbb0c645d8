package api

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/history"
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
	top := loadTemplate(t)
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

// loadTemplate parses template.yaml into its top mapping node.
func loadTemplate(t *testing.T) *yaml.Node {
	t.Helper()
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
	return doc.Content[0]
}

// resourcesOf returns the template's resources of type typ by logical id.
func resourcesOf(top *yaml.Node, typ string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	res := child(top, "Resources")
	for i := 0; i+1 < len(res.Content); i += 2 {
		if ty := child(res.Content[i+1], "Type"); ty != nil && ty.Value == typ {
			out[res.Content[i].Value] = res.Content[i+1]
		}
	}
	return out
}

// TestTemplateOperations checks what keeps the deployment observable and
// bounded: tracing, reserved concurrency on every function, the API's S3
// permissions limited to what it presigns, an alarm on every function's
// errors, throttles and near-timeout runs, on the ingest failure queue and
// on API 5xx answers, all notifying the alarm topic, and lifecycle rules
// that expire rejects and overwritten curated objects but never live
// curated ones.
func TestTemplateOperations(t *testing.T) {
	top := loadTemplate(t)
	if tr := child(top, "Globals", "Function", "Tracing"); tr == nil || tr.Value != "Active" {
		t.Error("functions are not traced with X-Ray (Globals.Function.Tracing: Active)")
	}
	functions := resourcesOf(top, "AWS::Serverless::Function")
	if len(functions) != 3 {
		t.Fatalf("%d functions", len(functions))
	}

	t.Run("reserved concurrency", func(t *testing.T) {
		for name, fn := range functions {
			rc := child(fn, "Properties", "ReservedConcurrentExecutions")
			if rc == nil || rc.Tag != "!If" || len(rc.Content) != 3 || !isRef(rc.Content[2], "AWS::NoValue") || rc.Content[1].Tag != "!Ref" {
				t.Errorf("%s: ReservedConcurrentExecutions is not !If [condition, !Ref parameter, !Ref AWS::NoValue]", name)
				continue
			}
			param := child(top, "Parameters", rc.Content[1].Value)
			if d := child(param, "Default"); d == nil || d.Value == "0" || d.Value == "" {
				t.Errorf("%s: parameter %s has no reservation by default", name, rc.Content[1].Value)
			}
			if child(top, "Conditions", rc.Content[0].Value) == nil {
				t.Errorf("%s: no condition %s", name, rc.Content[0].Value)
			}
		}
	})

	t.Run("the API may only put uploads, read rejects and deals and list versions and deals", func(t *testing.T) {
		// Listing versions reads keys and version ids, never contents.
		puts := []string{"/" + history.MappingKey, "/" + dataset.Prefix + "*"}
		for _, p := range history.Prefixes() {
			puts = append(puts, "/"+p+"*")
		}
		allowed := map[string][]string{"s3:PutObject": puts, "s3:GetObject": {"/rejects/*", "/curated/deals/*"},
			"s3:ListBucketVersions": {"${AWS::Region}"}, "s3:ListBucket": {"${AWS::Region}"}}
		seen := map[string]bool{}
		for _, pol := range child(functions["ApiFunction"], "Properties", "Policies").Content {
			for _, st := range child(pol, "Statement").Content {
				actions := child(st, "Action")
				list := []*yaml.Node{actions}
				if actions.Kind == yaml.SequenceNode {
					list = actions.Content
				}
				res := child(st, "Resource")
				resources := []*yaml.Node{res}
				if res.Kind == yaml.SequenceNode {
					resources = res.Content
				}
				for _, a := range list {
					if !strings.HasPrefix(a.Value, "s3:") {
						continue
					}
					suffixes, ok := allowed[a.Value]
					if !ok {
						t.Errorf("the API may %s", a.Value)
						continue
					}
					for _, r := range resources {
						if !slices.ContainsFunc(suffixes, func(suffix string) bool { return strings.HasSuffix(r.Value, suffix) }) {
							t.Errorf("the API may %s on %s", a.Value, r.Value)
						}
					}
					seen[a.Value] = true
				}
			}
		}
		if len(seen) != len(allowed) {
			t.Errorf("the API may only %v of %v", seen, allowed)
		}
	})

	alarms := resourcesOf(top, "AWS::CloudWatch::Alarm")
	// find returns the alarms on metric ns/metric whose dimension name is
	// the node want (compared as YAML: tag and value).
	find := func(ns, metric, dim string, want *yaml.Node) []*yaml.Node {
		var out []*yaml.Node
		for _, a := range alarms {
			p := child(a, "Properties")
			if child(p, "Namespace").Value != ns || child(p, "MetricName").Value != metric {
				continue
			}
			for _, d := range child(p, "Dimensions").Content {
				if v := child(d, "Value"); child(d, "Name").Value == dim && v.Tag == want.Tag && v.Value == want.Value {
					out = append(out, a)
				}
			}
		}
		return out
	}
	notifies := func(t *testing.T, what string, as []*yaml.Node) {
		t.Helper()
		if len(as) != 1 {
			t.Errorf("%s: %d alarms, want 1", what, len(as))
			return
		}
		acts := child(as[0], "Properties", "AlarmActions")
		if acts == nil || len(acts.Content) != 1 || !isRef(acts.Content[0], "AlarmTopic") {
			t.Errorf("%s: the alarm does not notify AlarmTopic", what)
		}
	}
	t.Run("function alarms", func(t *testing.T) {
		for name, fn := range functions {
			ref := &yaml.Node{Tag: "!Ref", Value: name}
			notifies(t, name+" errors", find("AWS/Lambda", "Errors", "FunctionName", ref))
			notifies(t, name+" throttles", find("AWS/Lambda", "Throttles", "FunctionName", ref))
			dur := find("AWS/Lambda", "Duration", "FunctionName", ref)
			notifies(t, name+" duration", dur)
			if len(dur) != 1 {
				continue
			}
			timeout, err1 := strconv.Atoi(child(fn, "Properties", "Timeout").Value)
			threshold, err2 := strconv.Atoi(child(dur[0], "Properties", "Threshold").Value)
			if err1 != nil || err2 != nil || threshold != timeout*800 || child(dur[0], "Properties", "Statistic").Value != "Maximum" {
				t.Errorf("%s: duration alarm at %d ms (%v %v), want the maximum above 80%% of the %d s timeout", name, threshold, err1, err2, timeout)
			}
		}
	})
	t.Run("failure queue and API alarms", func(t *testing.T) {
		dest := child(functions["IngestFunction"], "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")
		if dest == nil || dest.Tag != "!GetAtt" || dest.Value != "IngestFailureQueue.Arn" {
			t.Fatal("failed ingest events do not go to IngestFailureQueue")
		}
		notifies(t, "failure queue", find("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
			&yaml.Node{Tag: "!GetAtt", Value: "IngestFailureQueue.QueueName"}))
		notifies(t, "API 5xx", find("AWS/ApiGateway", "5xx", "ApiId", &yaml.Node{Tag: "!Ref", Value: "HttpApi"}))
		topics := resourcesOf(top, "AWS::SNS::Topic")
		subs := resourcesOf(top, "AWS::SNS::Subscription")
		if topics["AlarmTopic"] == nil || len(subs) != 1 {
			t.Fatal("no alarm topic with an e-mail subscription")
		}
		for _, sub := range subs {
			if c := child(sub, "Condition"); c == nil || child(top, "Conditions", c.Value) == nil ||
				!isRef(child(sub, "Properties", "Endpoint"), "AlarmEmail") {
				t.Error("the e-mail subscription is not optional on AlarmEmail")
			}
		}
	})
	t.Run("lifecycle", func(t *testing.T) {
		rules := child(resourcesOf(top, "AWS::S3::Bucket")["SalesBucket"], "Properties", "LifecycleConfiguration", "Rules")
		var rejects, curated bool
		for _, r := range rules.Content {
			prefix := ""
			if p := child(r, "Prefix"); p != nil {
				prefix = p.Value
			}
			expires := child(r, "ExpirationInDays") != nil || child(r, "ExpirationDate") != nil
			switch {
			case expires && (prefix == "" || strings.HasPrefix("curated/", prefix) || strings.HasPrefix(prefix, "curated/")):
				t.Errorf("rule %s expires live curated/ objects", child(r, "Id").Value)
			case prefix == "rejects/" && expires:
				rejects = true
			case prefix == "curated/" && child(r, "NoncurrentVersionExpiration") != nil:
				curated = true
			}
		}
		if !rejects || !curated {
			t.Errorf("rejects expire: %v, overwritten curated versions expire: %v", rejects, curated)
		}
	})
}

// TestTemplateNotifiesEveryUploadPrefix checks that the ingest function's
// S3 notifications cover exactly the upload prefixes ingestion handles
// (history.Prefixes) and the mapping files (history.MappingOf), for
// created and removed objects alike, so that a new
// kind of file is never uploaded into a prefix nothing listens to, and the
// reconciliation's listing is allowed on each of them.
func TestTemplateNotifiesEveryUploadPrefix(t *testing.T) {
	top := loadTemplate(t)
	fn := child(top, "Resources", "IngestFunction")
	got := map[string][]string{}
	var mappings []string
	for evs, j := child(fn, "Properties", "Events"), 0; evs != nil && j+1 < len(evs.Content); j += 2 {
		props := child(evs.Content[j+1], "Properties")
		rules := child(props, "Filter", "S3Key", "Rules")
		filter := map[string]string{}
		for _, r := range rules.Content {
			filter[child(r, "Name").Value] = child(r, "Value").Value
		}
		switch {
		case len(rules.Content) == 2 && filter["prefix"] == history.MappingsNotifyPrefix && filter["suffix"] == history.MappingsNotifySuffix:
			mappings = append(mappings, child(props, "Events").Value)
		case len(rules.Content) == 1 && filter["prefix"] != "":
			got[filter["prefix"]] = append(got[filter["prefix"]], child(props, "Events").Value)
		default:
			t.Fatalf("event %s: want one prefix rule, or the mapping files' prefix and suffix", evs.Content[j].Value)
		}
	}
	sort.Strings(mappings)
	if strings.Join(mappings, ",") != "s3:ObjectCreated:*,s3:ObjectRemoved:*" {
		t.Errorf("mapping files: events %v, want created and removed", mappings)
	}
	var listed []string
	for _, s := range child(top, "Resources", "RecomputeFunction", "Properties", "Policies").Content {
		for _, st := range child(s, "Statement").Content {
			if child(st, "Sid").Value == "ListInputVersions" {
				for _, p := range child(st, "Condition", "StringLike", "s3:prefix").Content {
					listed = append(listed, strings.TrimSuffix(p.Value, "*"))
				}
			}
		}
	}
	want := history.Watched()
	if len(got) != len(want) {
		t.Fatalf("notified prefixes %v, want %v", got, want)
	}
	for _, p := range want {
		evs := got[p]
		sort.Strings(evs)
		if strings.Join(evs, ",") != "s3:ObjectCreated:*,s3:ObjectRemoved:*" {
			t.Errorf("prefix %s: events %v, want created and removed", p, evs)
		}
	}
	sort.Strings(listed)
	sort.Strings(want)
	if strings.Join(listed, ",") != strings.Join(want, ",") {
		t.Errorf("reconciliation may list %v, want %v", listed, want)
	}
}
