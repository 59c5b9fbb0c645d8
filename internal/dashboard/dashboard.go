// Package dashboard serves salesseg's single-page dashboard: the files that
// web/ builds (npm run build) into dist/, embedded in the binary so the
// local stack needs no separate web server.
//
// The handler serves each file with its content type, a strong ETag, a
// gzip variant for text when the client accepts it, and cache headers
// that fit Vite's output: files under assets/ have content hashes in
// their names and are cached for a year as immutable; index.html (and
// everything else) must be revalidated, so a new build shows at once.
// Paths that name no file and have no file extension get index.html
// (single-page-app fallback); directories are never listed.
//
// dist/ is committed. `make test` rebuilds it from web/ and fails if the
// result differs, and TestSourcesMatchBuild checks the hash of web/'s
// sources that the build records in dist/sources.sha256.
package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// Assets returns the embedded build output, rooted at the dist directory.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at compile time; Sub cannot fail
	}
	return sub
}

// SourcesFile is the file in which the build records the hash of web/'s
// sources. It is not served.
const SourcesFile = "sources.sha256"

// ContentSecurityPolicy is sent with index.html. Scripts and styles come
// only from the dashboard's own origin; the page may connect to its own
// origin (the API), to https origins (a presigned S3 upload URL on AWS) and
// to loopback (the local S3 emulator).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self' https: http://127.0.0.1:* http://localhost:*; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Cache-Control values.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// contentTypes fixes the types of what Vite emits, so the answer does not
// depend on the machine's mime.types.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".webp":        "image/webp",
	".woff2":       "font/woff2",
	".wasm":        "application/wasm",
}

// ContentType returns the Content-Type for a file name.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// asset is one file, loaded once.
type asset struct {
	name   string
	body   []byte
	gz     []byte // nil when not worth compressing
	ctype  string
	etag   string
	cache  string
	isHTML bool
}

// Server serves a built dashboard. Create it with New or Handler.
type Server struct {
	files map[string]*asset // by slash path without leading slash
	dirs  map[string]bool
	index *asset
}

// embedded is the Server for the embedded build, made once.
var embedded = sync.OnceValues(func() (*Server, error) { return New(Assets()) })

// Handler returns a handler serving the embedded dashboard. It panics if
// the embedded build has no index.html, which TestEmbeddedBuildIsComplete
// rules out.
func Handler() http.Handler {
	s, err := embedded()
	if err != nil {
		panic(fmt.Sprintf("dashboard: embedded build is unusable: %v", err))
	}
	return s
}

// New loads every file of fsys (a Vite build output with index.html at its
// root) into memory and returns a Server for them.
func New(fsys fs.FS) (*Server, error) {
	s := &Server{files: map[string]*asset{}, dirs: map[string]bool{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			s.dirs[p] = true
			return nil
		}
		if p == SourcesFile || !d.Type().IsRegular() {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		a, err := newAsset(p, body)
		if err != nil {
			return err
		}
		s.files[p] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.index = s.files["index.html"]; s.index == nil {
		return nil, errors.New("no index.html at the root of the build")
	}
	return s, nil
}

func newAsset(name string, body []byte) (*asset, error) {
	sum := sha256.Sum256(body)
	a := &asset{name: name, body: body, ctype: ContentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, cache: cacheRevalidate}
	a.isHTML = strings.HasPrefix(a.ctype, "text/html")
	if strings.HasPrefix(name, "assets/") {
		a.cache = cacheImmutable // Vite puts a content hash in these names
	}
	if compressible(a.ctype) && len(body) > 512 {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(body); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if buf.Len() < len(body)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a, nil
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "image/svg") ||
		strings.HasPrefix(ctype, "application/json") || strings.HasPrefix(ctype, "application/manifest")
}

// ServeHTTP answers GET and HEAD with a file, index.html for extensionless
// paths that name no file, and 404 for anything else, directories included.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a := s.lookup(r.URL.Path)
	if a == nil {
		h.Set("Cache-Control", cacheRevalidate)
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	s.serve(w, r, a)
}

// lookup maps a request path to the asset to serve, or nil for 404.
func (s *Server) lookup(urlPath string) *asset {
	p := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if p == "" || p == "index.html" {
		return s.index
	}
	if a, ok := s.files[p]; ok {
		return a
	}
	if s.dirs[p] || strings.HasSuffix(urlPath, "/") && s.dirs[strings.TrimSuffix(p, "/")] {
		return nil // no directory listings
	}
	if p == "assets" || strings.HasPrefix(p, "assets/") || path.Ext(p) != "" {
		return nil // a missing file must not come back as HTML
	}
	return s.index
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", a.cache)
	if a.isHTML {
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
	}
	body, etag := a.body, a.etag
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: an
// explicit gzip entry decides, else a "*" entry does.
func acceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		allowed := !zeroQ(params)
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			return allowed
		case "*":
			star = allowed
		}
	}
	return star
}

// zeroQ reports whether a coding's parameters say q=0.
func zeroQ(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			v = strings.TrimSpace(v)
			return strings.TrimRight(strings.TrimPrefix(v, "0."), "0") == "" && strings.HasPrefix(v, "0")
		}
	}
	return false
}
