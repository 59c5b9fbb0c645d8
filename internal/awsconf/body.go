package awsconf

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// readOnlyBodies wraps the HTTP client of the S3 and DynamoDB clients,
// which carry nearly all of salesseg's requests: it sends each request
// body through readOnlyBody, so that net/http never sees the body's
// WriteTo. (Clients built elsewhere from Clients.Config, for SQS, Lambda
// and Step Functions, send few requests and keep the SDK's behaviour.)
//
// Why: the SDK closes a request's body as soon as the response headers
// arrive, and its body's WriteTo returns io.EOF once closed, where a
// WriteTo should return nil. net/http's connection writer, after sending
// a body of known length, copies what remains of it to io.Discard to
// check that nothing is left; when the server answered before that check
// (a fast one, like the local emulators, often does), the check reads
// io.EOF as a failed write and closes the connection under the response
// still being read. The SDK then retries the request, so nothing is
// wrong but time: on the local stack about one DynamoDB request in a
// hundred lost its connection, and one in a thousand came back tens of
// milliseconds late, as counted once with a traced dialer (2026-12-06);
// aws/aws-sdk-go-v2 issues 1825 and 2737 report the same error against
// DynamoDB itself. Read on a closed body returns io.EOF, which io.Copy
// takes as the clean end it is.
type readOnlyBodies struct {
	next aws.HTTPClient
}

// Do sends r with its body, if any, stripped of every method but Read and
// Close. It leaves r itself as it was, and an empty body (http.NoBody)
// too, which net/http must recognise to send a length of zero.
func (c readOnlyBodies) Do(r *http.Request) (*http.Response, error) {
	if _, ok := r.Body.(io.WriterTo); ok && r.Body != http.NoBody {
		r2 := *r
		r2.Body = readOnlyBody{r.Body}
		r = &r2
	}
	return c.next.Do(r)
}

// readOnlyBody is a request body with only Read and Close.
type readOnlyBody struct {
	rc io.ReadCloser
}

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }
