// Package versions finds the live version of each object of a versioned
// bucket: what counts for a key is its current version, unless a delete
// marker is on top. Ingest asks it when a version is deleted, and
// recompute when it reconciles the files that count with the bucket; it
// is a package of its own so that recompute need not link ingest and its
// file parsers for it.
package versions

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Lister lists object versions; *s3.Client implements it.
type Lister interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// Live returns the current version id of every object under
// prefix that has one, by key; objects with a delete marker on top are
// left out. The current version is the one S3 flags latest, or else (an
// emulator that does not flag it) the newest one. Errors are S3's,
// wrapped.
func Live(ctx context.Context, s3c Lister, bucket, prefix string) (map[string]string, error) {
	type version struct {
		id     string
		marker bool
		latest bool
		at     time.Time
	}
	byKey := map[string][]version{}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	for {
		out, err := s3c.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", prefix, err)
		}
		for _, v := range out.Versions {
			k := aws.ToString(v.Key)
			byKey[k] = append(byKey[k], version{aws.ToString(v.VersionId), false, aws.ToBool(v.IsLatest), aws.ToTime(v.LastModified)})
		}
		for _, m := range out.DeleteMarkers {
			k := aws.ToString(m.Key)
			byKey[k] = append(byKey[k], version{aws.ToString(m.VersionId), true, aws.ToBool(m.IsLatest), aws.ToTime(m.LastModified)})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	live := make(map[string]string, len(byKey))
	for k, all := range byKey {
		var cur *version
		for i := range all {
			v := &all[i]
			if v.latest {
				cur = v
				break
			}
			if cur == nil || v.at.After(cur.at) {
				cur = v
			}
		}
		if !cur.marker {
			live[k] = cur.id
		}
	}
	return live, nil
}
