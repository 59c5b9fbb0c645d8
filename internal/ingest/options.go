package ingest

import (
	"fmt"
	"strings"

	"github.com/salesseg/salesseg/internal/segment"
)

// Options adjust how ParseWith reads a file. The zero value detects
// everything and is what Parse uses.
type Options struct {
	// Mapping overrides the synonym table: canonical field ("date",
	// "customer_id", "order_id", "amount", "quantity", "unit_price",
	// "cost", "profit", "employees", "annual_revenue") or dimension
	// ("segment", "industry", "size", "region", "country", "category",
	// "channel") → header, matched exactly, then ignoring case and
	// separators, or "#N" for the Nth column. An empty header unmaps the
	// field. A column named here is used for nothing else.
	Mapping map[string]string
	// NoHeader says the first row is data; columns are then named "#1",
	// "#2", ... and must be mapped with Mapping.
	NoHeader bool
	// Sheet is the XLSX worksheet to read; "" reads the first.
	Sheet string
	// Delimiter forces the delimiter: ",", ";", "tab", "|" or
	// "whitespace"; "" sniffs it.
	Delimiter string
	// DateOrder forces the order of numeric dates such as 3/4/2024: "MDY"
	// or "DMY"; "" decides it from the column.
	DateOrder string
	// DecimalSeparator forces "." or "," for every numeric column; ""
	// decides it per column from its values.
	DecimalSeparator string
	// EmployeeBands and RevenueBands turn an employee count or an annual
	// revenue into the size dimension (when the file has no size column),
	// ascending by Min; nil uses DefaultEmployeeBands and
	// DefaultRevenueBands. An employee count wins over a revenue.
	EmployeeBands []Band
	RevenueBands  []Band
	// Customers enriches rows with attributes their file lacks: customer
	// id → dimension → value (as ParseCustomers returns). A dimension the
	// file has a column for is never overridden.
	Customers map[string]map[segment.Dimension]string
	// MaxDecompressedBytes caps what a gzip file may expand to (default
	// 32 GiB); MaxCompressionRatio caps its expansion ratio once 64 MiB are
	// out (default 200:1). Beyond either the file is refused as a
	// decompression bomb.
	MaxDecompressedBytes int64
	MaxCompressionRatio  int64
	// MaxSpoolBytes caps the temporary copy made of an XLSX or Parquet
	// stream (default 8 GiB), in TempDir ("" is the system's).
	MaxSpoolBytes int64
	TempDir       string
}

// validate checks the options; errors wrap ErrBadOptions.
func (o *Options) validate() error {
	switch strings.ToUpper(strings.NewReplacer("/", "", "-", "", " ", "").Replace(o.DateOrder)) {
	case "":
	case "MDY", "MDYYYY":
		o.DateOrder = orderMDY
	case "DMY", "DMYYYY":
		o.DateOrder = orderDMY
	case orderMDY, orderDMY:
	default:
		return fmt.Errorf("%w: date order %q: use MDY or DMY", ErrBadOptions, o.DateOrder)
	}
	switch o.DecimalSeparator {
	case "", ".", ",":
	default:
		return fmt.Errorf("%w: decimal separator %q: use . or ,", ErrBadOptions, o.DecimalSeparator)
	}
	if o.delimiter() == -2 {
		return fmt.Errorf("%w: delimiter %q: use , ; tab | or whitespace", ErrBadOptions, o.Delimiter)
	}
	for _, bands := range [][]Band{o.EmployeeBands, o.RevenueBands} {
		for i := range bands {
			if bands[i].Name == "" || (i > 0 && bands[i].Min <= bands[i-1].Min) {
				return fmt.Errorf("%w: size bands must be named and ascending by Min", ErrBadOptions)
			}
		}
	}
	if o.MaxDecompressedBytes < 0 || o.MaxCompressionRatio < 0 || o.MaxSpoolBytes < 0 {
		return fmt.Errorf("%w: negative limit", ErrBadOptions)
	}
	return nil
}

// delimiter returns the forced delimiter byte (0 for whitespace), -1 to
// sniff, -2 when invalid.
func (o *Options) delimiter() int {
	switch strings.ToLower(o.Delimiter) {
	case "":
		return -1
	case ",", ";", "|":
		return int(o.Delimiter[0])
	case "\t", "tab":
		return '\t'
	case "whitespace", " ":
		return 0
	}
	return -2
}

func (o *Options) maxDecompressed() int64 {
	if o.MaxDecompressedBytes > 0 {
		return o.MaxDecompressedBytes
	}
	return defaultMaxDecompressed
}

func (o *Options) maxRatio() int64 {
	if o.MaxCompressionRatio > 0 {
		return o.MaxCompressionRatio
	}
	return defaultMaxRatio
}

func (o *Options) maxSpool() int64 {
	if o.MaxSpoolBytes > 0 {
		return o.MaxSpoolBytes
	}
	return defaultMaxSpool
}

func (o *Options) employeeBands() []Band {
	if o.EmployeeBands != nil {
		return o.EmployeeBands
	}
	return DefaultEmployeeBands()
}

func (o *Options) revenueBands() []Band {
	if o.RevenueBands != nil {
		return o.RevenueBands
	}
	return DefaultRevenueBands()
}
