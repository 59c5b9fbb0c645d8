package tabular

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/salesseg/salesseg/internal/period"
)

// parquetSource reads a Parquet file's rows generically by column name:
// the first record is the column names (dotted paths for nested fields),
// then one record per row with every value rendered as text:
//
//   - strings and enums as written;
//   - integers in decimal; DECIMAL (on INT32, INT64 or byte arrays) exactly
//     at its scale;
//   - floats in the shortest decimal that reads back as the same float
//     (strconv 'f', -1): exact for what the float holds, so only float
//     columns can carry binary rounding (0.1 + 0.2 style) into amounts;
//   - DATE as YYYY-MM-DD; TIMESTAMP and legacy INT96 as the UTC date (the
//     local date for timestamps not adjusted to UTC);
//   - booleans as true/false; nulls as empty.
//
// Repeated columns (lists) are read as their first value.
//
// Memory: parquet-go reads the footer, then one page per column at a time
// within a row group, plus a buffer of parquetBatch rows.
type parquetSource struct {
	file   *parquet.File
	closer io.Closer
	tmp    string
	cols   []parquetColumn
	groups []parquet.RowGroup
	group  int
	rows   parquet.Rows
	buf    []parquet.Row
	n, i   int
	row    int
	header bool
	fields [][]byte
	text   []byte
	ends   []int
	vals   []int // per column, the index of its first value in the row
}

// parquetColumn says how to render one leaf column.
type parquetColumn struct {
	name     string
	kind     parquet.Kind
	decimal  bool
	scale    int
	date     bool
	stamp    time.Duration // unit of a TIMESTAMP, 0 if none
	utc      bool
	unsigned bool
}

const parquetBatch = 256

func openParquet(r io.Reader, br *bufio.Reader, compressed bool, opt *Options, f *Layout) (src source, err error) {
	s := &parquetSource{}
	defer func() {
		if p := recover(); p != nil {
			s.close()
			src, err = nil, fmt.Errorf("%w: corrupt Parquet file: %v", ErrUnreadable, p)
		}
	}()
	ra, size, ok := randomAccess(r)
	if !ok || compressed {
		tmp, n, err := spool(br, opt)
		if err != nil {
			return nil, err
		}
		ra, size, s.tmp, s.closer = tmp, n, tmp.Name(), tmp
	}
	pf, err := parquet.OpenFile(ra, size)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("%w: not a readable Parquet file: %v", ErrUnreadable, err)
	}
	s.file = pf
	schema := pf.Schema()
	for _, path := range schema.Columns() {
		leaf, ok := schema.Lookup(path...)
		if !ok {
			continue
		}
		for len(s.cols) <= leaf.ColumnIndex {
			s.cols = append(s.cols, parquetColumn{})
		}
		s.cols[leaf.ColumnIndex] = describeParquetColumn(strings.Join(path, "."), leaf.Node.Type())
	}
	if len(s.cols) == 0 {
		s.close()
		return nil, fmt.Errorf("%w: the Parquet file has no columns", ErrUnreadable)
	}
	s.groups = pf.RowGroups()
	s.buf = make([]parquet.Row, parquetBatch)
	return s, nil
}

func describeParquetColumn(name string, t parquet.Type) parquetColumn {
	c := parquetColumn{name: name, kind: t.Kind()}
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.DecimalType:
			c.decimal, c.scale = true, int(v.Scale)
		case *format.DateType:
			c.date = true
		case *format.TimestampType:
			c.utc = v.IsAdjustedToUTC
			if v.Unit.Value != nil {
				c.stamp = v.Unit.Value.Duration()
			}
		case *format.IntType:
			c.unsigned = !v.IsSigned
		}
	}
	return c
}

// next returns the header, then the rows; corrupt pages (even ones that
// make parquet-go panic) are errors wrapping ErrUnreadable.
func (s *parquetSource) next() (rec Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = Record{}, fmt.Errorf("%w: corrupt Parquet data near row %d: %v", ErrUnreadable, s.row+1, p)
		}
	}()
	if !s.header {
		s.header = true
		s.fields = s.fields[:0]
		for _, c := range s.cols {
			s.fields = append(s.fields, []byte(c.name))
		}
		return Record{Fields: s.fields, Line: 1}, nil
	}
	for s.i == s.n {
		if err := s.fill(); err != nil {
			return Record{}, err
		}
	}
	row := s.buf[s.i]
	s.i++
	s.row++
	s.text, s.ends = s.text[:0], s.ends[:0]
	if len(s.vals) != len(s.cols) {
		s.vals = make([]int, len(s.cols))
	}
	vals := s.vals
	for i := range vals {
		vals[i] = -1
	}
	for j, v := range row {
		if c := v.Column(); c >= 0 && c < len(s.cols) && vals[c] < 0 {
			vals[c] = j
		}
	}
	for c := range s.cols {
		if vals[c] >= 0 {
			s.text = s.cols[c].appendValue(s.text, row[vals[c]])
		}
		s.ends = append(s.ends, len(s.text))
	}
	s.fields = s.fields[:0]
	start := 0
	for _, e := range s.ends {
		s.fields = append(s.fields, s.text[start:e:e])
		start = e
	}
	return Record{Fields: s.fields, Line: s.row + 1}, nil
}

// fill reads the next rows into s.buf, moving through the row groups.
func (s *parquetSource) fill() error {
	for {
		if s.rows == nil {
			if s.group == len(s.groups) {
				return io.EOF
			}
			s.rows = s.groups[s.group].Rows()
			s.group++
		}
		n, err := s.rows.ReadRows(s.buf)
		s.n, s.i = n, 0
		if err != nil && err != io.EOF {
			return fmt.Errorf("%w: Parquet row group %d: %v", ErrUnreadable, s.group, err)
		}
		if err == io.EOF {
			if cerr := s.rows.Close(); cerr != nil {
				return fmt.Errorf("%w: Parquet row group %d: %v", ErrUnreadable, s.group, cerr)
			}
			s.rows = nil
		}
		if n > 0 {
			return nil
		}
	}
}

// appendValue renders one value as text.
func (c *parquetColumn) appendValue(b []byte, v parquet.Value) []byte {
	if v.IsNull() {
		return b
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.AppendBool(b, v.Boolean())
	case parquet.Int32, parquet.Int64:
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		switch {
		case c.decimal:
			return appendScaled(b, big.NewInt(n), c.scale)
		case c.date:
			y, m, d := period.Civil(int(n))
			return append(b, period.DayKey(y, m, d)...)
		case c.stamp > 0:
			return appendStampDate(b, n, c.stamp)
		case c.unsigned && v.Kind() == parquet.Int32:
			return strconv.AppendUint(b, uint64(uint32(n)), 10)
		case c.unsigned:
			return strconv.AppendUint(b, uint64(n), 10)
		}
		return strconv.AppendInt(b, n, 10)
	case parquet.Int96:
		i96 := v.Int96()
		nanos := int64(uint64(i96[1])<<32 | uint64(i96[0]))
		days := int64(i96[2]) - 2440588 // Julian day of 1970-01-01
		return appendStampDate(b, days*int64(24*time.Hour)+nanos, time.Nanosecond)
	case parquet.Float:
		return strconv.AppendFloat(b, float64(v.Float()), 'f', -1, 32)
	case parquet.Double:
		return strconv.AppendFloat(b, v.Double(), 'f', -1, 64)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		raw := v.ByteArray()
		if c.decimal {
			return appendScaled(b, twosComplement(raw), c.scale)
		}
		return append(b, raw...)
	}
	return append(b, v.String()...)
}

// appendStampDate renders the date of a timestamp n × unit since the epoch.
func appendStampDate(b []byte, n int64, unit time.Duration) []byte {
	perDay := int64(24 * time.Hour / unit)
	days := n / perDay
	if n%perDay < 0 {
		days--
	}
	y, m, d := period.Civil(int(days))
	return append(b, period.DayKey(y, m, d)...)
}

// twosComplement reads a big-endian two's complement integer.
func twosComplement(raw []byte) *big.Int {
	n := new(big.Int).SetBytes(raw)
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(raw)*8)))
	}
	return n
}

// appendScaled renders unscaled × 10^-scale exactly.
func appendScaled(b []byte, unscaled *big.Int, scale int) []byte {
	digits := unscaled.Text(10)
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	if neg {
		b = append(b, '-')
	}
	if scale <= 0 {
		b = append(b, digits...)
		for range -scale {
			b = append(b, '0')
		}
		return b
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	b = append(b, digits[:len(digits)-scale]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-scale:]...)
}

func (s *parquetSource) typed() bool       { return true }
func (s *parquetSource) date1904() bool    { return false }
func (s *parquetSource) blankLines() int64 { return 0 }

func (s *parquetSource) close() error {
	var errs []error
	if s.rows != nil {
		errs = append(errs, s.rows.Close())
		s.rows = nil
	}
	if s.closer != nil {
		errs = append(errs, s.closer.Close())
		s.closer = nil
	}
	if s.tmp != "" {
		errs = append(errs, os.Remove(s.tmp))
		s.tmp = ""
	}
	return errors.Join(errs...)
}
