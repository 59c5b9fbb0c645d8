package ingest

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

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
// (package dataset). Their JSON form is parser.MappingFile. A file is read under the mapping
// files current when it is ingested, and its upload's format records
// which versions those were (mapping_files, mapping_versions); re-reading
// it when a customers, products or teams file changes keeps those
// versions. A new version of a mapping file applies to new uploads, and
// to the transactions files already uploaded only when it says
// "apply_to_uploaded": true (see reapply.go).
const (
	ConfigMapping  = history.MappingKey
	ConfigMappings = history.MappingsPrefix
)

// mappingPins says which version of each mapping file re-reading a file
// uses: a mapping file missing from it is not read, "" reads its current
// version. A nil mappingPins reads the current version of each.
type mappingPins map[string]string

// mappingKeys returns the mapping files that apply to an object, in its
// dataset, the global one first.
func mappingKeys(key string) []string {
	ds, _, _ := dataset.Of(key)
	return []string{dataset.Key(ds, ConfigMapping), dataset.Key(ds, ConfigMappings+path.Base(key)+".json")}
}

// options returns the parse options for an object: the service's limits,
// then the global mapping file, then the file's own, each field of a later
// one replacing the earlier, in the versions pins names; and the version
// read of each mapping file found ("" in a bucket without versions).
// Missing mapping files are fine; one that does not decode, or a pinned
// version that is gone, fails with parser.ErrBadMappingFile, and so do the
// files it applies to until it is fixed.
func (s *Service) options(ctx context.Context, bucket, key string, pins mappingPins) (parser.Options, map[string]string, error) {
	opt := parser.Options{Read: tabular.Options{MaxSpoolBytes: s.opts.MaxSpoolBytes, TempDir: s.opts.TempDir}}
	read := map[string]string{}
	for _, k := range mappingKeys(key) {
		version, pinned := pins[k]
		if pins != nil && !pinned {
			continue
		}
		m, v, found, err := s.readMapping(ctx, bucket, k, version)
		if err != nil {
			return opt, nil, err
		}
		if !found {
			if version != "" {
				return opt, nil, fmt.Errorf("%w: %s: version %s, which the file was read under, is gone: upload the file again",
					parser.ErrBadMappingFile, k, version)
			}
			continue
		}
		read[k] = v
		m.Apply(&opt)
	}
	return opt, read, nil
}

// readMapping decodes a version of the mapping file key ("" for the
// current one) and returns the version read; found is false when there is
// no such object or version.
func (s *Service) readMapping(ctx context.Context, bucket, key, version string) (m parser.MappingFile, read string, found bool, err error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	obj, err := s.blobs.GetObject(ctx, in)
	var nsk *s3types.NoSuchKey
	var api smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &api) && api.ErrorCode() == "NoSuchVersion" {
		return parser.MappingFile{}, "", false, nil
	}
	if err != nil {
		return parser.MappingFile{}, "", false, fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Body.Close()
	m, err = parser.ReadMappingFile(obj.Body, key)
	return m, aws.ToString(obj.VersionId), err == nil, err
}
