package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// builtAssets lists what index.html references: the hashed script and
// stylesheet Vite emitted.
func builtAssets(t *testing.T) []string {
	t.Helper()
	index, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, m := range regexp.MustCompile(`(?:src|href)="/([^"]+)"`).FindAllStringSubmatch(string(index), -1) {
		refs = append(refs, m[1])
	}
	if len(refs) < 2 {
		t.Fatalf("index.html references %v; want at least a script and a stylesheet", refs)
	}
	return refs
}

func TestEmbeddedBuildIsComplete(t *testing.T) {
	for _, ref := range builtAssets(t) {
		if _, err := fs.Stat(Assets(), ref); err != nil {
			t.Errorf("index.html references %s, which is not in the build: %v", ref, err)
		}
	}
}

func TestContentTypesAndCaching(t *testing.T) {
	h := Handler()
	cases := map[string]struct{ ctype, cache string }{
		"/":            {"text/html; charset=utf-8", "no-cache"},
		"/index.html":  {"text/html; charset=utf-8", "no-cache"},
		"/favicon.svg": {"image/svg+xml", "no-cache"},
	}
	for _, ref := range builtAssets(t) {
		if strings.HasPrefix(ref, "assets/") {
			cases["/"+ref] = struct{ ctype, cache string }{ContentType(ref), "public, max-age=31536000, immutable"}
		}
	}
	sawJS, sawCSS := false, false
	for target, want := range cases {
		t.Run(target, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != want.ctype {
				t.Errorf("Content-Type %q, want %q", got, want.ctype)
			}
			if got := rec.Header().Get("Cache-Control"); got != want.cache {
				t.Errorf("Cache-Control %q, want %q", got, want.cache)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if rec.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
		sawJS = sawJS || strings.HasSuffix(target, ".js")
		sawCSS = sawCSS || strings.HasSuffix(target, ".css")
	}
	if !sawJS || !sawCSS {
		t.Fatalf("the build has no hashed script or stylesheet: %v", cases)
	}
	if ContentType("a.js") != "text/javascript; charset=utf-8" || ContentType("a.css") != "text/css; charset=utf-8" {
		t.Error("script or stylesheet type wrong")
	}
}

func TestIndexSecurityHeaders(t *testing.T) {
	rec := get(t, Handler(), http.MethodGet, "/")
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Error("index.html must not leak its address (which may carry a token) as a referrer")
	}
	if !strings.Contains(rec.Body.String(), `<div id="upload-status"`) {
		t.Error("index.html is not the dashboard")
	}
}

func TestSinglePageFallback(t *testing.T) {
	h := Handler()
	index := get(t, h, http.MethodGet, "/").Body.String()
	for _, target := range []string{"/segments", "/some/deep/route", "/trends?dimension=region", "/%E4%B8%AD"} {
		rec := get(t, h, http.MethodGet, target)
		if rec.Code != http.StatusOK || rec.Body.String() != index {
			t.Errorf("GET %s: status %d, body is index.html: %v", target, rec.Code, rec.Body.String() == index)
		}
		if rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: fallback Cache-Control %q", target, rec.Header().Get("Cache-Control"))
		}
	}
}

func TestNotFoundAndNoListing(t *testing.T) {
	h := Handler()
	for _, target := range []string{"/assets", "/assets/", "/assets/missing-0000.js", "/missing.js", "/favicon.ico",
		"/sources.sha256", "/dist/index.html.map", "/assets/../../dashboard.go"} {
		rec := get(t, h, http.MethodGet, target)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, rec.Code)
		}
		if body := rec.Body.String(); strings.Contains(body, "<a href") || strings.Contains(body, "<!doctype") {
			t.Errorf("GET %s answered with a listing or a page: %.80q", target, body)
		}
	}
}

func TestMethods(t *testing.T) {
	h := Handler()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		rec := get(t, h, m, "/")
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d, Allow %q", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	rec := get(t, h, http.MethodHead, "/")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: status %d, %d body bytes, length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestGzipAndConditionalRequests(t *testing.T) {
	h := Handler()
	var script string
	for _, ref := range builtAssets(t) {
		if strings.HasSuffix(ref, ".js") {
			script = "/" + ref
		}
	}
	plain := get(t, h, http.MethodGet, script)
	zipped := get(t, h, http.MethodGet, script, "Accept-Encoding", "br, gzip;q=0.8")
	if zipped.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding: %q with gzip accepted, %q without", zipped.Header().Get("Content-Encoding"), plain.Header().Get("Content-Encoding"))
	}
	if !strings.Contains(zipped.Header().Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	t.Logf("%s: %d bytes, %d gzipped", script, plain.Body.Len(), zipped.Body.Len())
	if zipped.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzip %d bytes, plain %d", zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatalf("gzip variant does not decompress to the file (%v)", err)
	}
	if refused := get(t, h, http.MethodGet, script, "Accept-Encoding", "gzip;q=0, *"); refused.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 must refuse gzip")
	}
	for _, r := range []*httptest.ResponseRecorder{plain, zipped} {
		etag := r.Header().Get("ETag")
		again := get(t, h, http.MethodGet, script, "If-None-Match", etag, "Accept-Encoding", r.Header().Get("Content-Encoding"))
		if again.Code != http.StatusNotModified {
			t.Errorf("If-None-Match %s: status %d, want 304", etag, again.Code)
		}
	}
	if plain.Header().Get("ETag") == zipped.Header().Get("ETag") {
		t.Error("the two encodings share an ETag")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip": true, "gzip;q=0": false, "gzip; q=0.000": false,
		"gzip;q=0.5": true, "*": true, "*;q=0": false, "br": false, "gzip;q=0, *": false, "identity, *;q=0.1": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestNewNeedsIndex(t *testing.T) {
	if _, err := New(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}); err == nil {
		t.Fatal("New accepted a build without index.html")
	}
	s, err := New(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}, "robots.txt": {Data: []byte("User-agent: *")}})
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(t, s, http.MethodGet, "/robots.txt"); rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("robots.txt: %q", rec.Header().Get("Content-Type"))
	}
}

// TestSourcesMatchBuild recomputes the hash of web/'s sources as
// web/vite.config.ts does and compares it with the one the embedded build
// recorded: a source changed without `make web` fails here, even without npm.
func TestSourcesMatchBuild(t *testing.T) {
	web := filepath.Join("..", "..", "web")
	if _, err := os.Stat(filepath.Join(web, "package.json")); err != nil {
		t.Skipf("no web/ sources next to this package: %v", err)
	}
	var files []string
	files = append(files, "index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")
	for _, dir := range []string{"src", "public"} {
		err := filepath.WalkDir(filepath.Join(web, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(web, p)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(web, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%s\x00%s\n", f, hex.EncodeToString(sum[:]))
	}
	want := hex.EncodeToString(h.Sum(nil))
	got, err := fs.ReadFile(Assets(), SourcesFile)
	if err != nil {
		t.Fatalf("the build has no %s: rebuild with `make web`", SourcesFile)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("internal/dashboard/dist was built from other sources than web/ holds now: run `make web` and commit the result")
	}
}
