package devstack

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// presignChecker sits in front of the S3 emulator and checks presigned
// requests (Signature Version 4 in the query string) as S3 does, because
// gofakes3 checks no signature at all: the request must not have expired,
// and the signature recomputed from the request as it arrived, over the
// headers the URL says were signed, must match. So locally, as on AWS, a
// presigned PUT signed for a Content-Length of 10 refuses a body of 1 MB.
// Requests signed in the Authorization header (the SDK clients') and CORS
// preflights pass unchecked.
type presignChecker struct {
	next   http.Handler
	creds  aws.CredentialsProvider
	signer *v4.Signer
	now    func() time.Time
}

func newPresignChecker(next http.Handler, creds aws.CredentialsProvider) *presignChecker {
	return &presignChecker{next: next, creds: creds, now: time.Now, signer: v4.NewSigner(func(o *v4.SignerOptions) {
		// S3 signs the path as sent, without escaping it a second time,
		// and the check must keep signed headers where they arrived.
		o.DisableURIPathEscaping = true
		o.DisableHeaderHoisting = true
	})}
}

// presignedDateFormat is the form of X-Amz-Date.
const presignedDateFormat = "20060102T150405Z"

func (p *presignChecker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// A browser's CORS preflight carries the URL but no signed request:
	// S3 answers it from the bucket's CORS rules alone.
	if !q.Has("X-Amz-Signature") || r.Method == http.MethodOptions {
		p.next.ServeHTTP(w, r)
		return
	}
	if code, msg := p.check(r, q); code != "" {
		if r.Header.Get("Origin") != "" {
			// The emulator's CORS is open (gofakes3.WithInsecureCORS), and
			// a browser can only read an error that carries it.
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
		return
	}
	p.next.ServeHTTP(w, r)
}

// check returns S3's error code and message for a presigned request it
// would refuse, or "" for one it accepts.
func (p *presignChecker) check(r *http.Request, q url.Values) (code, msg string) {
	const mismatch = "SignatureDoesNotMatch"
	const mismatchMsg = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	signed, err := time.Parse(presignedDateFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 1 || expires > 7*24*3600 {
		return "AuthorizationQueryParametersError", "X-Amz-Expires must be a number of seconds from 1 to 604800"
	}
	if p.now().After(signed.Add(time.Duration(expires) * time.Second)) {
		return "AccessDenied", "Request has expired"
	}
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	creds, err := p.creds.Retrieve(r.Context())
	if err != nil {
		return "InternalError", "no credentials to check the signature with"
	}
	if len(scope) != 5 || scope[0] != creds.AccessKeyID {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	// Rebuild the request from what arrived: the path as sent, the query
	// without the signature, and only the headers the URL says it signed.
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	got := q.Get("X-Amz-Signature")
	q.Del("X-Amz-Signature")
	re, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+r.Host+"/?"+q.Encode(), nil)
	if err != nil {
		return mismatch, mismatchMsg
	}
	re.URL.Opaque = "//" + r.Host + rawPath
	signedHeaders := q.Get("X-Amz-SignedHeaders")
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host":
		case "content-length":
			re.ContentLength = r.ContentLength
		default:
			if vs := r.Header.Values(h); len(vs) > 0 {
				re.Header[http.CanonicalHeaderKey(h)] = vs
			}
		}
	}
	again, _, err := p.signer.PresignHTTP(r.Context(), creds, re, "UNSIGNED-PAYLOAD", scope[3], scope[2], signed)
	if err != nil {
		return mismatch, mismatchMsg
	}
	u, err := url.Parse(again)
	if err != nil {
		return mismatch, mismatchMsg
	}
	want := u.Query()
	if want.Get("X-Amz-SignedHeaders") != signedHeaders ||
		subtle.ConstantTimeCompare([]byte(want.Get("X-Amz-Signature")), []byte(got)) != 1 {
		return mismatch, mismatchMsg
	}
	return "", ""
}
