package devstack

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/awsconf"
)

// TestPresignCheckerRefusesWhatS3Refuses presigns requests with the SDK,
// as the API does, and sends them through the checker in front of a
// handler that accepts everything: only requests that match what was
// signed reach it.
func TestPresignCheckerRefusesWhatS3Refuses(t *testing.T) {
	ctx := context.Background()
	reached := 0
	var checker *presignChecker
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { checker.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	clients, err := awsconf.Load(ctx, awsconf.Endpoints{S3: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	checker = newPresignChecker(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		_, _ = io.Copy(io.Discard, r.Body)
	}), clients.Config.Credentials)

	body := []byte("date,sales\n2024-01-01,10\n")
	presignPut := func(t *testing.T, p *s3.PresignClient, key string) string {
		t.Helper()
		req, err := p.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(key),
			ContentType: aws.String("text/csv"), ContentLength: aws.Int64(int64(len(body)))}, s3.WithPresignExpires(15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(req.URL, "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost") {
			t.Fatalf("content-length is not signed: %s", req.URL)
		}
		return req.URL
	}
	other := s3.NewPresignClient(s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("intruder", "secret", "")}))
	cases := []struct {
		name        string
		url         func(t *testing.T) string
		method      string
		contentType string
		body        []byte
		now         time.Duration // how long after signing the request arrives
		code        string        // "" for accepted
	}{
		{name: "as signed", url: func(t *testing.T) string { return presignPut(t, clients.Presign, "transactions/a.csv") }, body: body},
		{name: "key with spaces and accents", url: func(t *testing.T) string {
			return presignPut(t, clients.Presign, "transactions/2024-01-01/ab-Ventes été.csv")
		}, body: body},
		{name: "larger body", url: func(t *testing.T) string { return presignPut(t, clients.Presign, "transactions/a.csv") },
			body: bytes.Repeat([]byte("x"), 1<<20), code: "SignatureDoesNotMatch"},
		{name: "one byte short", url: func(t *testing.T) string { return presignPut(t, clients.Presign, "transactions/a.csv") },
			body: body[1:], code: "SignatureDoesNotMatch"},
		{name: "other content type", url: func(t *testing.T) string { return presignPut(t, clients.Presign, "transactions/a.csv") },
			contentType: "application/octet-stream", body: body, code: "SignatureDoesNotMatch"},
		{name: "other key", url: func(t *testing.T) string {
			return strings.Replace(presignPut(t, clients.Presign, "transactions/a.csv"), "/a.csv", "/b.csv", 1)
		}, body: body, code: "SignatureDoesNotMatch"},
		{name: "expired", url: func(t *testing.T) string { return presignPut(t, clients.Presign, "transactions/a.csv") },
			body: body, now: 16 * time.Minute, code: "AccessDenied"},
		{name: "unknown access key", url: func(t *testing.T) string { return presignPut(t, other, "transactions/a.csv") },
			body: body, code: "InvalidAccessKeyId"},
		{name: "presigned GET", method: http.MethodGet, url: func(t *testing.T) string {
			req, err := clients.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("rejects/x.csv")})
			if err != nil {
				t.Fatal(err)
			}
			return req.URL
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checker.now = func() time.Time { return time.Now().Add(c.now) }
			method, ct := http.MethodPut, "text/csv"
			if c.method != "" {
				method, ct = c.method, ""
			}
			if c.contentType != "" {
				ct = c.contentType
			}
			req, err := http.NewRequestWithContext(ctx, method, c.url(t), bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			before := reached
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if c.code == "" {
				if resp.StatusCode != 200 || reached != before+1 {
					t.Fatalf("status %d, reached %d: %s", resp.StatusCode, reached-before, out)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(out), "<Code>"+c.code+"</Code>") || reached != before {
				t.Fatalf("status %d, reached %d, want 403 %s: %s", resp.StatusCode, reached-before, c.code, out)
			}
		})
	}
	t.Run("CORS preflights pass", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx, http.MethodOptions, presignPut(t, clients.Presign, "transactions/a.csv"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "http://127.0.0.1:8080")
		req.Header.Set("Access-Control-Request-Method", http.MethodPut)
		before := reached
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || reached != before+1 {
			t.Fatalf("preflight: %d, reached %d", resp.StatusCode, reached-before)
		}
	})
	t.Run("requests signed in the header pass", func(t *testing.T) {
		before := reached
		if _, err := clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("transactions/sdk.csv"),
			Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		if reached != before+1 {
			t.Fatal("the SDK's request did not reach the emulator")
		}
	})
}
