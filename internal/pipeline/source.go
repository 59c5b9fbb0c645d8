package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/salesseg/salesseg/internal/store"
)

// Objects is the part of the S3 API a Source reads; *s3.Client
// implements it.
type Objects interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Manifest says which file version of each object is live; *store.Store
// implements it.
type Manifest interface {
	LiveObjects(ctx context.Context) (map[string]store.Entry, error)
}

// Source reads the deals of the live deal files: one listing of Prefix
// finds every file version that kept deals, the manifest says which of
// them count, and each of those is read whole. A file replaced or deleted
// after the manifest was read may still be read once; a file that became
// live after it is not, so an answer never counts a file twice or half.
type Source struct {
	objs   Objects
	live   Manifest
	bucket string
}

// NewSource returns a Source reading bucket.
func NewSource(objs Objects, live Manifest, bucket string) *Source {
	return &Source{objs: objs, live: live, bucket: bucket}
}

// Each calls fn for every deal of every live deal file, file by file in
// object key order, and returns how many files it read. Errors are S3's
// and the manifest's, wrapped, those of Read (ErrCorrupt), and the first
// error fn returns.
func (s *Source) Each(ctx context.Context, fn func(Deal) error) (int, error) {
	live, err := s.live.LiveObjects(ctx)
	if err != nil {
		return 0, fmt.Errorf("live files: %w", err)
	}
	kept := map[string]bool{}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(Prefix)}
	for {
		out, err := s.objs.ListObjectsV2(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("list %s: %w", Prefix, err)
		}
		for _, o := range out.Contents {
			// Files without deals keep an empty object.
			kept[aws.ToString(o.Key)] = aws.ToInt64(o.Size) > 0
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	var objects []string
	for k, e := range live {
		if kept[Key(e.File)] {
			objects = append(objects, k)
		}
	}
	sort.Strings(objects)
	files := 0
	for _, k := range objects {
		key := Key(live[k].File)
		obj, err := s.objs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			// Gone since the listing: its file was retracted meanwhile.
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("get %s: %w", key, err)
		}
		err = Read(obj.Body, fn)
		obj.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("deals of %s: %w", k, err)
		}
		files++
	}
	return files, nil
}
