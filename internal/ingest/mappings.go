package ingest

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/tabular"
)

// Mapping files let users override what ingestion detects. They live in
// the bucket, so they can be changed without a deployment:
//
//	config/mapping.json               applies to every file
//	config/mappings/<file name>.json  applies to one file name (e.g.
//	                                  config/mappings/sales.csv.json for
//	                                  transactions/2024/sales.csv) and wins
//
// A dataset other than the default has its own, under datasets/<name>/
// (package dataset). Their JSON form is parser.MappingFile.
const (
	ConfigMapping  = history.MappingKey
	ConfigMappings = history.MappingsPrefix
)

// options returns the parse options for an object: the service's limits,
// then the global mapping file, then the file's own, each field of a later
// one replacing the earlier. Missing mapping files are fine; one that does
// not decode fails with parser.ErrBadMappingFile, and so do the files it
// applies to until it is fixed.
func (s *Service) options(ctx context.Context, bucket, key string) (parser.Options, []string, error) {
	opt := parser.Options{Read: tabular.Options{MaxSpoolBytes: s.opts.MaxSpoolBytes, TempDir: s.opts.TempDir}}
	var used []string
	for _, k := range []string{dataset.Key(s.dataset, ConfigMapping), dataset.Key(s.dataset, ConfigMappings+path.Base(key)+".json")} {
		m, found, err := s.readMapping(ctx, bucket, k)
		if err != nil {
			return opt, nil, err
		}
		if !found {
			continue
		}
		used = append(used, k)
		m.Apply(&opt)
	}
	return opt, used, nil
}

func (s *Service) readMapping(ctx context.Context, bucket, key string) (parser.MappingFile, bool, error) {
	obj, err := s.blobs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return parser.MappingFile{}, false, nil
	}
	if err != nil {
		return parser.MappingFile{}, false, fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Body.Close()
	m, err := parser.ReadMappingFile(obj.Body, key)
	return m, err == nil, err
}
