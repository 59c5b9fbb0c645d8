package awsconf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// recordingClient keeps the request it was asked to send.
type recordingClient struct{ got *http.Request }

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	c.got = r
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

// sdkRequest builds an HTTP request with a body as the SDK builds it.
func sdkRequest(t *testing.T, payload []byte) *http.Request {
	t.Helper()
	sr := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	sr.Method = http.MethodPost
	sr.URL.Scheme, sr.URL.Host = "http", "127.0.0.1"
	sr, err := sr.SetStream(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	sr.ContentLength = int64(len(payload))
	return sr.Build(context.Background())
}

// TestReadOnlyBodiesEndCleanAfterClose replays what net/http's connection
// writer does once the SDK has closed a request body it already sent:
// copy what is left of it to io.Discard. The SDK's own body fails that
// copy (which is why the connection was closed under its response);
// the body readOnlyBodies passes on must end it cleanly. Should the SDK's
// case start passing, the SDK has fixed its body and readOnlyBodies can
// go.
func TestReadOnlyBodiesEndCleanAfterClose(t *testing.T) {
	payload := []byte(`{"TableName":"t"}`)
	for _, tc := range []struct {
		name    string
		wrap    bool
		wantErr bool
	}{
		{name: "sdk body as built", wrap: false, wantErr: true},
		{name: "through readOnlyBodies", wrap: true, wantErr: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sdkRequest(t, payload)
			orig := r.Body
			body := r.Body
			if tc.wrap {
				rec := &recordingClient{}
				if _, err := (readOnlyBodies{next: rec}).Do(r); err != nil {
					t.Fatal(err)
				}
				if r.Body != orig {
					t.Fatal("Do changed the caller's request")
				}
				body = rec.got.Body
				if _, ok := body.(io.WriterTo); ok {
					t.Fatal("the body sent still has WriteTo")
				}
			}
			got, err := io.ReadAll(io.LimitReader(body, int64(len(payload))))
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("read %q, %v; want %q", got, err, payload)
			}
			if err := orig.Close(); err != nil { // as the SDK does when the response arrives
				t.Fatal(err)
			}
			_, err = io.Copy(io.Discard, body)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("copy after close: %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(err, io.EOF) {
				t.Fatalf("copy after close: %v, want io.EOF", err)
			}
		})
	}
}

// TestReadOnlyBodiesWithoutBody passes a request without a body, or with
// http.NoBody (which net/http sends as a length of zero only when it sees
// it as such), as it is.
func TestReadOnlyBodiesWithoutBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{name: "nil", body: nil},
		{name: "http.NoBody", body: http.NoBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingClient{}
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (readOnlyBodies{next: rec}).Do(r); err != nil {
				t.Fatal(err)
			}
			if rec.got != r {
				t.Fatal("the request was copied")
			}
		})
	}
}

// TestLoadKeepsSDKHTTPClient checks that the clients Load builds wrap the
// HTTP client the SDK set up for them (so its timeouts stay) rather than
// one the SDK would leave unconfigured.
func TestLoadKeepsSDKHTTPClient(t *testing.T) {
	c, err := Load(context.Background(), Endpoints{S3: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	for name, hc := range map[string]any{"s3": c.S3.Options().HTTPClient, "dynamodb": c.DynamoDB.Options().HTTPClient} {
		w, ok := hc.(readOnlyBodies)
		if !ok {
			t.Fatalf("%s: HTTP client %T, want readOnlyBodies", name, hc)
		}
		if _, ok := w.next.(*awshttp.BuildableClient); !ok {
			t.Fatalf("%s: wraps %T, want the SDK's *awshttp.BuildableClient", name, w.next)
		}
	}
	if _, ok := c.Config.HTTPClient.(readOnlyBodies); ok {
		t.Fatal("Config.HTTPClient is wrapped: clients built from it would lose the SDK's set-up")
	}
}
