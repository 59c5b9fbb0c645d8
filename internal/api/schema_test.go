package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// This file is a validator for the subset of JSON Schema 2020-12 that
// openapi.json uses. Keywords outside the subset are an error, so the
// document cannot silently rely on something the validator ignores.

// spec is the parsed OpenAPI document.
type spec struct {
	doc map[string]any
}

func loadSpec(t testing.TB) *spec {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return &spec{doc: doc}
}

// resolve follows a local JSON pointer such as #/components/schemas/Window.
func (s *spec) resolve(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("only local $refs are supported: %s", ref)
	}
	var cur any = s.doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %s: %s is not an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %s: no %s", ref, part)
		}
	}
	return cur, nil
}

// deref resolves v if it is a {"$ref": ...} object.
func (s *spec) deref(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object: %v", v)
	}
	if r, ok := m["$ref"].(string); ok {
		target, err := s.resolve(r)
		if err != nil {
			return nil, err
		}
		return s.deref(target)
	}
	return m, nil
}

var annotations = map[string]bool{"description": true, "title": true, "default": true, "examples": true}

// validate checks value (decoded with UseNumber) against schema and
// returns every violation, each with its JSON path.
func (s *spec) validate(schema any, value any, path string) []string {
	sch, ok := schema.(map[string]any)
	if !ok {
		return []string{path + ": schema is not an object"}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	keys := make([]string, 0, len(sch))
	for k := range sch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kw := sch[k]
		switch k {
		case "$ref":
			target, err := s.resolve(kw.(string))
			if err != nil {
				fail("%v", err)
				continue
			}
			errs = append(errs, s.validate(target, value, path)...)
		case "type":
			if !typeMatches(kw, value) {
				fail("type %v, got %s", kw, jsonType(value))
			}
		case "properties":
			obj, ok := value.(map[string]any)
			if !ok {
				continue
			}
			props := kw.(map[string]any)
			pnames := make([]string, 0, len(props))
			for p := range props {
				pnames = append(pnames, p)
			}
			sort.Strings(pnames)
			for _, p := range pnames {
				if v, ok := obj[p]; ok {
					errs = append(errs, s.validate(props[p], v, path+"."+p)...)
				}
			}
		case "required":
			obj, ok := value.(map[string]any)
			if !ok {
				continue
			}
			for _, r := range kw.([]any) {
				if _, ok := obj[r.(string)]; !ok {
					fail("missing required property %s", r)
				}
			}
		case "additionalProperties":
			obj, ok := value.(map[string]any)
			if !ok {
				continue
			}
			props, _ := sch["properties"].(map[string]any)
			for name, v := range obj {
				if _, declared := props[name]; declared {
					continue
				}
				switch ap := kw.(type) {
				case bool:
					if !ap {
						fail("property %s is not in the schema", name)
					}
				default:
					errs = append(errs, s.validate(ap, v, path+"."+name)...)
				}
			}
		case "items":
			arr, ok := value.([]any)
			if !ok {
				continue
			}
			for i, v := range arr {
				errs = append(errs, s.validate(kw, v, fmt.Sprintf("%s[%d]", path, i))...)
			}
		case "minItems", "maxItems":
			arr, ok := value.([]any)
			if !ok {
				continue
			}
			n := int(kw.(float64))
			if (k == "minItems" && len(arr) < n) || (k == "maxItems" && len(arr) > n) {
				fail("%s %d, got %d items", k, n, len(arr))
			}
		case "enum":
			found := false
			for _, e := range kw.([]any) {
				if fmt.Sprint(e) == fmt.Sprint(value) {
					found = true
				}
			}
			if !found {
				fail("%v is not one of %v", value, kw)
			}
		case "pattern":
			str, ok := value.(string)
			if !ok {
				continue
			}
			if !regexp.MustCompile(kw.(string)).MatchString(str) {
				fail("%q does not match %s", str, kw)
			}
		case "minLength", "maxLength":
			str, ok := value.(string)
			if !ok {
				continue
			}
			n := int(kw.(float64))
			l := len([]rune(str))
			if (k == "minLength" && l < n) || (k == "maxLength" && l > n) {
				fail("%s %d, got length %d", k, n, l)
			}
		case "minimum", "maximum":
			num, ok := value.(json.Number)
			if !ok {
				continue
			}
			f, _ := num.Float64()
			lim := kw.(float64)
			if (k == "minimum" && f < lim) || (k == "maximum" && f > lim) {
				fail("%s %v, got %v", k, lim, f)
			}
		case "format":
			str, ok := value.(string)
			if !ok {
				continue
			}
			if err := checkFormat(kw.(string), str); err != nil {
				fail("format %s: %v", kw, err)
			}
		case "oneOf":
			matches := 0
			var sub []string
			for _, alt := range kw.([]any) {
				e := s.validate(alt, value, path)
				if len(e) == 0 {
					matches++
				}
				sub = append(sub, e...)
			}
			if matches != 1 {
				fail("matches %d of the oneOf alternatives, want exactly 1: %v", matches, sub)
			}
		default:
			if !annotations[k] {
				fail("schema keyword %q is outside the validator's subset", k)
			}
		}
	}
	return errs
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(kw any, v any) bool {
	var types []string
	switch t := kw.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	got := jsonType(v)
	for _, t := range types {
		if t == got || (t == "number" && got == "integer") {
			return true
		}
	}
	return false
}

func checkFormat(format, s string) error {
	switch format {
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err
	case "date-time":
		_, err := time.Parse(time.RFC3339, s)
		return err
	case "uri":
		u, err := url.Parse(s)
		if err == nil && (u.Scheme == "" || u.Host == "") {
			err = fmt.Errorf("%q is not an absolute URI", s)
		}
		return err
	}
	return fmt.Errorf("unknown format %s", format)
}

// decode parses a JSON document keeping numbers exact.
func decodeJSON(t testing.TB, body string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("response is not JSON: %v: %.200s", err, body)
	}
	return v
}

// operation finds the operation of a request path (matching templates such
// as /v1/uploads/{id}) and method.
func (s *spec) operation(method, path string) (string, map[string]any, error) {
	paths := s.doc["paths"].(map[string]any)
	for tmpl, item := range paths {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if !regexp.MustCompile(re).MatchString(path) {
			continue
		}
		op, ok := item.(map[string]any)[strings.ToLower(method)].(map[string]any)
		if !ok {
			return tmpl, nil, fmt.Errorf("%s has no %s operation", tmpl, method)
		}
		return tmpl, op, nil
	}
	return "", nil, fmt.Errorf("no path in the document matches %s", path)
}

// check validates a response (status, content type, body) against the
// document and returns the operation's path template.
func (s *spec) check(t testing.TB, method, path string, status int, contentType, body string) string {
	t.Helper()
	if method == "OPTIONS" {
		return "" // preflights: 204 without a body, answered for every path
	}
	tmpl, op, err := s.operation(method, path)
	if err != nil {
		if status == 401 || status == 404 || status == 405 {
			return "" // unknown routes and methods are not in the document
		}
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if status == 204 {
		return tmpl
	}
	resp, ok := op["responses"].(map[string]any)[fmt.Sprint(status)]
	if !ok {
		t.Fatalf("%s %s answered %d, which the document does not list: %s", method, tmpl, status, body)
	}
	r, err := s.deref(resp)
	if err != nil {
		t.Fatal(err)
	}
	media, ok := r["content"].(map[string]any)[contentType].(map[string]any)
	if !ok {
		t.Fatalf("%s %s %d: content type %q is not in the document", method, tmpl, status, contentType)
	}
	if errs := s.validate(media["schema"], decodeJSON(t, body), "$"); len(errs) > 0 {
		t.Fatalf("%s %s %d does not match the document:\n  %s\nbody: %.600s", method, tmpl, status, strings.Join(errs, "\n  "), body)
	}
	return tmpl
}

func TestValidatorCatchesViolations(t *testing.T) {
	s := loadSpec(t)
	win := map[string]any{"$ref": "#/components/schemas/Window"}
	cases := []struct {
		name, body, want string
	}{
		{"valid", `{"label":"2024","grain":"year","from":"2024-01-01","to":null}`, ""},
		{"missing property", `{"label":"2024","grain":"year","from":"2024-01-01"}`, "missing required property to"},
		{"extra property", `{"label":"2024","grain":"year","from":null,"to":null,"x":1}`, "property x is not in the schema"},
		{"wrong enum", `{"label":"2024","grain":"decade","from":null,"to":null}`, "is not one of"},
		{"bad date", `{"label":"2024","grain":"year","from":"2024-13-01","to":null}`, "format date"},
		{"wrong type", `{"label":7,"grain":"year","from":null,"to":null}`, "type string, got integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := s.validate(win, decodeJSON(t, c.body), "$")
			got := strings.Join(errs, "; ")
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Fatalf("errors %q, want %q", got, c.want)
			}
		})
	}
	t.Run("decimal pattern", func(t *testing.T) {
		if errs := s.validate(map[string]any{"$ref": "#/components/schemas/Change"},
			decodeJSON(t, `{"revenue":"1e5","change":"0","rate":null}`), "$"); len(errs) == 0 {
			t.Fatal("1e5 accepted as a decimal string")
		}
	})
}

// TestOpenAPIDocument checks the document's own shape: version 3.1, every
// $ref resolves, every schema stays in the validator's subset, every
// operation has an id, a 200 (or request body) and problem responses.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	if s.doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", s.doc["openapi"])
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok {
				if _, err := s.resolve(r); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			}
			for k, c := range x {
				walk(c, path+"/"+k)
			}
		case []any:
			for i, c := range x {
				walk(c, fmt.Sprintf("%s/%d", path, i))
			}
		}
	}
	walk(s.doc, "#")
	var keywords func(sch any, path string)
	keywords = func(sch any, path string) {
		m, ok := sch.(map[string]any)
		if !ok {
			t.Errorf("%s: schema is not an object", path)
			return
		}
		for k, v := range m {
			switch k {
			case "$ref", "type", "required", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
				"minItems", "maxItems", "format":
			case "properties":
				for name, sub := range v.(map[string]any) {
					keywords(sub, path+"/properties/"+name)
				}
			case "items":
				keywords(v, path+"/items")
			case "additionalProperties":
				if _, isBool := v.(bool); !isBool {
					keywords(v, path+"/additionalProperties")
				}
			case "oneOf":
				for i, sub := range v.([]any) {
					keywords(sub, fmt.Sprintf("%s/oneOf/%d", path, i))
				}
			default:
				if !annotations[k] {
					t.Errorf("%s: keyword %q is outside the validator's subset", path, k)
				}
			}
		}
	}
	for name, sch := range s.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		keywords(sch, "#/components/schemas/"+name)
	}
	for name, p := range s.doc["components"].(map[string]any)["parameters"].(map[string]any) {
		keywords(p.(map[string]any)["schema"], "#/components/parameters/"+name)
	}
	ids := map[string]bool{}
	for p, item := range s.doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: missing or duplicate operationId %q", m, p, id)
			}
			ids[id] = true
			if _, ok := o["responses"].(map[string]any)["200"]; !ok {
				t.Errorf("%s %s: no 200 response", m, p)
			}
		}
	}
	if len(ids) < 10 {
		t.Errorf("only %d operations", len(ids))
	}
}
