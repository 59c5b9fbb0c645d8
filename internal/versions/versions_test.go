package versions

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// pages is a Lister that answers from fixed pages, in order, checking
// that each call continues where the previous page ended.
type pages struct {
	out   []*s3.ListObjectVersionsOutput
	calls int
	err   error
}

func (p *pages) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.calls > 0 {
		prev := p.out[p.calls-1]
		if aws.ToString(in.KeyMarker) != aws.ToString(prev.NextKeyMarker) || aws.ToString(in.VersionIdMarker) != aws.ToString(prev.NextVersionIdMarker) {
			return nil, errors.New("markers do not continue the previous page")
		}
	}
	p.calls++
	return p.out[p.calls-1], nil
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func version(key, id string, minute int, latest bool) s3types.ObjectVersion {
	return s3types.ObjectVersion{Key: aws.String(key), VersionId: aws.String(id), IsLatest: aws.Bool(latest),
		LastModified: aws.Time(t0.Add(time.Duration(minute) * time.Minute))}
}

func marker(key, id string, minute int, latest bool) s3types.DeleteMarkerEntry {
	return s3types.DeleteMarkerEntry{Key: aws.String(key), VersionId: aws.String(id), IsLatest: aws.Bool(latest),
		LastModified: aws.Time(t0.Add(time.Duration(minute) * time.Minute))}
}

func TestLive(t *testing.T) {
	tests := []struct {
		name  string
		pages []*s3.ListObjectVersionsOutput
		want  map[string]string
	}{
		{"latest flag wins over time", []*s3.ListObjectVersionsOutput{{Versions: []s3types.ObjectVersion{
			version("a.csv", "v1", 1, true), version("a.csv", "v2", 2, false)}}}, map[string]string{"a.csv": "v1"}},
		{"newest when nothing is flagged", []*s3.ListObjectVersionsOutput{{Versions: []s3types.ObjectVersion{
			version("a.csv", "v1", 1, false), version("a.csv", "v3", 3, false), version("a.csv", "v2", 2, false)}}}, map[string]string{"a.csv": "v3"}},
		{"delete marker on top", []*s3.ListObjectVersionsOutput{{
			Versions:      []s3types.ObjectVersion{version("a.csv", "v1", 1, false), version("b.csv", "w1", 1, true)},
			DeleteMarkers: []s3types.DeleteMarkerEntry{marker("a.csv", "d1", 2, true)}}}, map[string]string{"b.csv": "w1"}},
		{"delete marker under a newer version", []*s3.ListObjectVersionsOutput{{
			Versions:      []s3types.ObjectVersion{version("a.csv", "v2", 3, false)},
			DeleteMarkers: []s3types.DeleteMarkerEntry{marker("a.csv", "d1", 2, false)}}}, map[string]string{"a.csv": "v2"}},
		{"a key's versions over two pages", []*s3.ListObjectVersionsOutput{
			{Versions: []s3types.ObjectVersion{version("a.csv", "v2", 2, false)}, IsTruncated: aws.Bool(true),
				NextKeyMarker: aws.String("a.csv"), NextVersionIdMarker: aws.String("v2")},
			{Versions: []s3types.ObjectVersion{version("a.csv", "v1", 1, false), version("c.csv", "x1", 1, true)}},
		}, map[string]string{"a.csv": "v2", "c.csv": "x1"}},
		{"empty", []*s3.ListObjectVersionsOutput{{}}, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &pages{out: tc.pages}
			got, err := Live(t.Context(), p, "bucket", "transactions/")
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if p.calls != len(tc.pages) {
				t.Errorf("%d calls for %d pages", p.calls, len(tc.pages))
			}
		})
	}
	t.Run("S3 error", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := Live(t.Context(), &pages{err: boom}, "bucket", "transactions/"); !errors.Is(err, boom) {
			t.Fatalf("error %v, want one wrapping S3's", err)
		}
	})
}
