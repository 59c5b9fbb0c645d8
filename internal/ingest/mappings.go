package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

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
// A mapping file is JSON:
//
//	{"columns": {"amount": "Net Sales", "segment": "Customer Type", "date": "#1"},
//	 "date_order": "DMY", "decimal_separator": ",", "delimiter": ";",
//	 "sheet": "Sales", "no_header": false,
//	 "values": {"country": {"Philipines": "Philippines"}}, "keep_spelling": false}
//
// columns maps canonical fields (date, customer_id, order_id, amount,
// quantity, unit_price, cost, profit, employees, annual_revenue) and
// dimensions (segment, industry, size, region, country, category,
// channel) to headers, or to "#N" for the Nth column; "" unmaps one.
// values respells dimension values (dimension → as written → as stored)
// on top of the built-in spelling rules, which keep_spelling switches off
// (see package spelling); the upload's format lists every value respelled.
const (
	ConfigMapping  = "config/mapping.json"
	ConfigMappings = "config/mappings/"
)

// mappingFile is the JSON form of a mapping file.
type mappingFile struct {
	Columns          map[string]string            `json:"columns"`
	DateOrder        string                       `json:"date_order"`
	DecimalSeparator string                       `json:"decimal_separator"`
	Delimiter        string                       `json:"delimiter"`
	Sheet            string                       `json:"sheet"`
	NoHeader         bool                         `json:"no_header"`
	Values           map[string]map[string]string `json:"values"`
	KeepSpelling     bool                         `json:"keep_spelling"`
}

// ErrBadMappingFile means a mapping file in the bucket does not decode;
// files it applies to fail with this error until it is fixed.
var ErrBadMappingFile = errors.New("mapping file is not valid")

// options returns the parse options for an object: the service's limits,
// then the global mapping file, then the file's own, each field of a later
// one replacing the earlier. Missing mapping files are fine.
func (s *Service) options(ctx context.Context, bucket, key string) (parser.Options, []string, error) {
	opt := parser.Options{Read: tabular.Options{MaxSpoolBytes: s.opts.MaxSpoolBytes, TempDir: s.opts.TempDir}}
	var used []string
	for _, k := range []string{ConfigMapping, ConfigMappings + path.Base(key) + ".json"} {
		m, found, err := s.readMapping(ctx, bucket, k)
		if err != nil {
			return opt, nil, err
		}
		if !found {
			continue
		}
		used = append(used, k)
		if len(m.Columns) > 0 {
			if opt.Mapping == nil {
				opt.Mapping = map[string]string{}
			}
			for f, h := range m.Columns {
				opt.Mapping[f] = h
			}
		}
		for dst, v := range map[*string]string{&opt.DateOrder: m.DateOrder, &opt.DecimalSeparator: m.DecimalSeparator,
			&opt.Read.Delimiter: m.Delimiter, &opt.Read.Sheet: m.Sheet} {
			if v != "" {
				*dst = v
			}
		}
		opt.NoHeader = opt.NoHeader || m.NoHeader
		opt.KeepSpelling = opt.KeepSpelling || m.KeepSpelling
		for d, vals := range m.Values {
			if opt.Values == nil {
				opt.Values = map[string]map[string]string{}
			}
			if opt.Values[d] == nil {
				opt.Values[d] = map[string]string{}
			}
			for from, to := range vals {
				opt.Values[d][from] = to
			}
		}
	}
	return opt, used, nil
}

func (s *Service) readMapping(ctx context.Context, bucket, key string) (mappingFile, bool, error) {
	var m mappingFile
	obj, err := s.blobs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Body.Close()
	dec := json.NewDecoder(io.LimitReader(obj.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, false, fmt.Errorf("%w: %s: %s", ErrBadMappingFile, key, strings.TrimPrefix(err.Error(), "json: "))
	}
	return m, true, nil
}
