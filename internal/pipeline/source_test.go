package pipeline

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/salesseg/salesseg/internal/store"
)

// fakeObjects is a bucket listed one key per page, so that every listing
// pages; the real S3 path is tested against the emulators in the API's
// TestPipelineRoute.
type fakeObjects struct {
	listed []string         // keys in listing order
	sizes  map[string]int64 // the sizes the listing gives
	bodies map[string]string
	gets   int
}

func (f *fakeObjects) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	i := 0
	if in.ContinuationToken != nil {
		for i < len(f.listed) && f.listed[i] != *in.ContinuationToken {
			i++
		}
	}
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(i+1 < len(f.listed))}
	if i < len(f.listed) {
		k := f.listed[i]
		out.Contents = []s3types.Object{{Key: aws.String(k), Size: aws.Int64(f.sizes[k])}}
		if i+1 < len(f.listed) {
			out.NextContinuationToken = aws.String(f.listed[i+1])
		}
	}
	return out, nil
}

func (f *fakeObjects) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.gets++
	body, ok := f.bodies[*in.Key]
	if !ok {
		return nil, &s3types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader([]byte(body)))}, nil
}

type fakeManifest map[string]store.Entry

func (m fakeManifest) LiveObjects(context.Context) (map[string]store.Entry, error) { return m, nil }

func TestSourceReadsLiveDealFilesOnly(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, id := range []string{"a", "b"} {
		if err := w.Write(Deal{ID: id, Stage: "Proposal", Outcome: Open}); err != nil {
			t.Fatal(err)
		}
	}
	deals := buf.String()
	n64 := int64(len(deals))
	objs := &fakeObjects{listed: []string{Key("gone"), Key("live"), Key("old"), Key("sales")},
		sizes:  map[string]int64{Key("gone"): n64, Key("live"): n64, Key("old"): n64, Key("sales"): 0},
		bodies: map[string]string{Key("live"): deals, Key("old"): deals, Key("sales"): ""}}
	live := fakeManifest{"transactions/crm.csv": {File: "live"}, "transactions/sales.csv": {File: "sales"},
		"transactions/retracted.csv": {File: "gone"}, "customers/a.csv": {File: "accounts"}}
	var ids []string
	n, err := NewSource(objs, live, "bucket").Each(context.Background(), func(d Deal) error { ids = append(ids, d.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	// The replaced version (old) is not live, the sales file's object is
	// empty and never read, the retracted one vanished after the listing.
	if n != 1 || len(ids) != 2 || objs.gets != 2 {
		t.Fatalf("%d files, deals %v, %d reads; want 1 file, a and b, 2 reads (live and the vanished one)", n, ids, objs.gets)
	}
}
