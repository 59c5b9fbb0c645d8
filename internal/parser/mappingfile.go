package parser

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MappingFile is the JSON form of a mapping file, with which users
// override what parsing detects:
//
//	{"columns": {"amount": "Net Sales", "segment": "Customer Type", "date": "#1"},
//	 "date_order": "DMY", "decimal_separator": ",", "delimiter": ";",
//	 "sheet": "Sales", "no_header": false,
//	 "values": {"country": {"Philipines": "Philippines"}}, "keep_spelling": false,
//	 "apply_to_uploaded": false}
//
// columns maps canonical fields (date, customer_id, order_id, amount,
// quantity, unit_price, cost, profit, employees, annual_revenue) and
// dimensions (segment, industry, size, region, country, category,
// channel) to headers, or to "#N" for the Nth column; "" unmaps one.
// values respells dimension values (dimension → as written → as stored)
// on top of the built-in spelling rules, which keep_spelling switches off
// (see package spelling); the format lists every value respelled.
type MappingFile struct {
	Columns          map[string]string            `json:"columns"`
	DateOrder        string                       `json:"date_order"`
	DecimalSeparator string                       `json:"decimal_separator"`
	Delimiter        string                       `json:"delimiter"`
	Sheet            string                       `json:"sheet"`
	NoHeader         bool                         `json:"no_header"`
	Values           map[string]map[string]string `json:"values"`
	KeepSpelling     bool                         `json:"keep_spelling"`
	// ApplyToUploaded asks ingestion to re-read the files already
	// uploaded under this version of the mapping file; without it the
	// version applies to new uploads only. Parsing ignores it.
	ApplyToUploaded bool `json:"apply_to_uploaded"`
}

// ErrBadMappingFile means a mapping file does not decode.
var ErrBadMappingFile = errors.New("mapping file is not valid")

// maxMappingBytes bounds what a mapping file may hold.
const maxMappingBytes = 1 << 20

// ReadMappingFile decodes the mapping file name from r. Unknown fields
// are errors, so a misspelt setting is not silently ignored; errors wrap
// ErrBadMappingFile and name the file. Whether the settings are valid is
// checked when the options are used (ErrBadOptions).
func ReadMappingFile(r io.Reader, name string) (MappingFile, error) {
	var m MappingFile
	dec := json.NewDecoder(io.LimitReader(r, maxMappingBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return MappingFile{}, fmt.Errorf("%w: %s: %s", ErrBadMappingFile, name, strings.TrimPrefix(err.Error(), "json: "))
	}
	return m, nil
}

// Apply lays m over opt: each setting m makes replaces opt's, and
// columns and values are merged entry by entry, so a file's own mapping
// can refine a global one.
func (m MappingFile) Apply(opt *Options) {
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

// Check reports whether m's settings are valid, as parsing a file under m
// alone would find them; errors wrap ErrBadOptions.
func (m MappingFile) Check() error {
	var opt Options
	m.Apply(&opt)
	return opt.validate()
}
