package tabular

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams one worksheet's rows with excelize's Rows iterator,
// reading raw cell values: numbers as stored (rounded to Excel's 15
// significant digits when used as amounts), dates as serial days.
//
// Memory: excelize opens the workbook from a file path; its shared strings
// and small parts are held in memory and a worksheet over 16 MB is unzipped
// to a temporary file and streamed. A workbook arriving as a stream is
// first copied to a temporary file (see spool).
type xlsxSource struct {
	file   *excelize.File
	rows   *excelize.Rows
	row    int
	tmp    string
	fields [][]byte
	width  int // cells in the first row read (the header)
	d1904  bool
	blank  int64
	closed bool
}

func openXLSX(r io.Reader, br *bufio.Reader, compressed bool, opt *Options, f *Layout) (source, error) {
	s := &xlsxSource{}
	path := ""
	if file, ok := r.(*os.File); ok && !compressed {
		if fi, err := os.Stat(file.Name()); err == nil && fi.Mode().IsRegular() {
			path = file.Name()
		}
	}
	if path == "" {
		tmp, _, err := spool(br, opt)
		if err != nil {
			return nil, err
		}
		tmp.Close()
		path, s.tmp = tmp.Name(), tmp.Name()
	}
	xf, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: opt.maxDecompressed(), TmpDir: opt.TempDir})
	if err != nil {
		s.close()
		return nil, fmt.Errorf("%w: not a readable XLSX workbook: %v", ErrUnreadable, err)
	}
	s.file = xf
	sheets := xf.GetSheetList()
	sheet := opt.Sheet
	switch {
	case len(sheets) == 0:
		s.close()
		return nil, fmt.Errorf("%w: the workbook has no worksheet", ErrUnreadable)
	case sheet == "":
		sheet = sheets[0]
	default:
		found := false
		for _, name := range sheets {
			if strings.EqualFold(name, sheet) {
				sheet, found = name, true
				break
			}
		}
		if !found {
			s.close()
			return nil, fmt.Errorf("%w: no worksheet %q (the workbook has %s)", ErrUnreadable, opt.Sheet, strings.Join(sheets, ", "))
		}
	}
	f.Sheet = sheet
	if props, err := xf.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		s.d1904 = *props.Date1904
	}
	if s.rows, err = xf.Rows(sheet); err != nil {
		s.close()
		return nil, fmt.Errorf("%w: worksheet %q: %v", ErrUnreadable, sheet, err)
	}
	return s, nil
}

func (s *xlsxSource) next() (Record, error) {
	for s.rows.Next() {
		s.row++
		cols, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Record{}, fmt.Errorf("%w: worksheet row %d: %v", ErrUnreadable, s.row, err)
		}
		empty := true
		for _, c := range cols {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			s.blank++
			continue
		}
		s.fields = s.fields[:0]
		for _, c := range cols {
			s.fields = append(s.fields, []byte(c))
		}
		// A row ends at its last non-empty cell: pad it to the header's
		// width (the first row read).
		if s.width == 0 {
			s.width = len(s.fields)
		}
		for len(s.fields) < s.width {
			s.fields = append(s.fields, nil)
		}
		return Record{Fields: s.fields, Line: s.row}, nil
	}
	if err := s.rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return Record{}, fmt.Errorf("%w: worksheet has more rows than Excel allows", ErrUnreadable)
		}
		return Record{}, fmt.Errorf("%w: worksheet: %v", ErrUnreadable, err)
	}
	return Record{}, io.EOF
}

func (s *xlsxSource) typed() bool       { return true }
func (s *xlsxSource) date1904() bool    { return s.d1904 }
func (s *xlsxSource) blankLines() int64 { return s.blank }

func (s *xlsxSource) close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.rows != nil {
		errs = append(errs, s.rows.Close())
	}
	if s.file != nil {
		errs = append(errs, s.file.Close())
	}
	if s.tmp != "" {
		errs = append(errs, os.Remove(s.tmp))
	}
	return errors.Join(errs...)
}
