package devstack

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// notifier sits in front of the S3 emulator and turns every successful
// object write or delete into the S3 event notification AWS would send,
// with a per-server increasing sequencer as S3 gives per key.
type notifier struct {
	next http.Handler
	seq  atomic.Uint64
	mu   sync.Mutex
	sink func(events.S3Event)
}

func newNotifier(next http.Handler) *notifier { return &notifier{next: next} }

// subscribe sets the function that receives events; nil drops them.
func (n *notifier) subscribe(sink func(events.S3Event)) {
	n.mu.Lock()
	n.sink = sink
	n.mu.Unlock()
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (n *notifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A browser that uploads through a presigned URL reads the new
	// version id from the response, as the bucket's CORS rule in
	// template.yaml allows; gofakes3 exposes headers only on preflight.
	w.Header().Set("Access-Control-Expose-Headers", "ETag, x-amz-version-id")
	name := eventName(r)
	if name == "" {
		n.next.ServeHTTP(w, r)
		return
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	n.next.ServeHTTP(rec, r)
	if rec.status >= 300 {
		return
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || key == "" {
		return
	}
	h := rec.Header()
	if name == "ObjectRemoved:Delete" && h.Get("x-amz-delete-marker") == "true" {
		name = "ObjectRemoved:DeleteMarkerCreated"
	}
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1",
		EventSource:  "aws:s3",
		AWSRegion:    "us-east-1",
		EventTime:    time.Now().UTC(),
		EventName:    name,
		S3: events.S3Entity{
			SchemaVersion: "1.0",
			Bucket:        events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
			Object: events.S3Object{
				Key:       url.QueryEscape(key),
				ETag:      strings.Trim(h.Get("ETag"), `"`),
				VersionID: h.Get("x-amz-version-id"),
				Sequencer: fmt.Sprintf("%016X", n.seq.Add(1)),
			},
		},
	}}}
	n.mu.Lock()
	sink := n.sink
	n.mu.Unlock()
	if sink != nil {
		sink(ev)
	}
}

// eventName says which notification a request would cause if it succeeds,
// or "" for requests that change no object (reads, multipart parts).
func eventName(r *http.Request) string {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPut:
		if q.Has("partNumber") || q.Has("uploadId") || q.Has("versioning") || q.Has("cors") ||
			q.Has("tagging") || q.Has("acl") || strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 {
			return ""
		}
		if r.Header.Get("x-amz-copy-source") != "" {
			return "ObjectCreated:Copy"
		}
		return "ObjectCreated:Put"
	case http.MethodPost:
		if q.Has("uploadId") {
			return "ObjectCreated:CompleteMultipartUpload"
		}
	case http.MethodDelete:
		if q.Has("uploadId") || strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 {
			return ""
		}
		return "ObjectRemoved:Delete"
	}
	return ""
}
