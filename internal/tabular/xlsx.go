package tabular

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams one worksheet's rows with excelize's Rows iterator,
// reading raw cell values: numbers as stored (rounded to Excel's 15
// significant digits when used as amounts), dates as serial days.
//
// Memory: excelize opens the workbook from a file path; it holds the small
// parts in memory and parses some whole (workbook, styles, theme,
// calculation chain), and unzips worksheets and the shared strings over
// xlsxInMemory to temporary files, which it streams (keeping an index
// entry per shared string). A workbook arriving as a stream is first
// copied to a temporary file (see spool). Since a few kilobytes of zip can
// expand into gigabytes of any of these, checkWorkbook bounds each of them
// before excelize sees the file.
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
	if err := checkWorkbook(path, opt); err != nil {
		s.close()
		return nil, err
	}
	xf, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: opt.maxDecompressed(),
		UnzipXMLSizeLimit: min(xlsxInMemory, opt.maxDecompressed()), TmpDir: opt.TempDir})
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

// Limits of a workbook's parts, checked by checkWorkbook. The costs quoted
// are what excelize was measured to take.
const (
	// xlsxInMemory is the size up to which excelize keeps a worksheet or
	// the shared strings in memory (a parsed shared string table costs
	// about 27 times its XML); larger ones it unzips to temporary files.
	xlsxInMemory = 1 << 20
	// maxXLSXParts bounds the parts of a workbook.
	maxXLSXParts = 10000
	// maxXLSXHeld bounds the bytes of the parts excelize holds in memory:
	// all but the worksheets and shared strings over xlsxInMemory.
	maxXLSXHeld = 128 << 20
	// maxXLSXTags bounds the tags of the XML parts other than worksheets
	// and shared strings (workbook, styles, theme, calculation chain...),
	// some of which excelize parses whole, at up to 300 bytes a tag.
	maxXLSXTags = 512 << 10
	// maxSharedStrings bounds the shared string table, indexed at about
	// 100 bytes a string.
	maxSharedStrings = 2 << 20
	// maxXLSXElement bounds one tag, text, cell or shared string, each of
	// which excelize decodes whole.
	maxXLSXElement = 4 << 20
)

// checkWorkbook refuses, with an error wrapping ErrUnreadable, a workbook
// whose reading would take memory beyond the limits above or expand beyond
// opt's decompression limits: it reads the zip's directory, then streams
// the worksheets, shared strings and other XML parts once, counting what
// excelize would hold. archive/zip fails a part that expands past its
// declared size, so declared sizes bound the real ones.
func checkWorkbook(path string, opt *Options) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%w: not a readable XLSX workbook: %v", ErrUnreadable, err)
	}
	defer zr.Close()
	if len(zr.File) > maxXLSXParts {
		return fmt.Errorf("%w: the workbook has %d parts, more than %d", ErrUnreadable, len(zr.File), maxXLSXParts)
	}
	if !slices.ContainsFunc(zr.File, func(f *zip.File) bool { return strings.HasPrefix(strings.ToLower(f.Name), "xl/") }) {
		return fmt.Errorf("%w: a zip archive but not an XLSX workbook (no xl/ folder): save the sheet as .xlsx or CSV", ErrUnreadable)
	}
	var total, held uint64
	tags := 0
	for _, f := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		size := f.UncompressedSize64
		if total += size; total > uint64(opt.maxDecompressed()) {
			return fmt.Errorf("%w: the workbook expands to more than %d bytes (decompression limit)", ErrUnreadable, opt.maxDecompressed())
		}
		if size > ratioFloor && size > uint64(opt.maxRatio())*max(f.CompressedSize64, 1) {
			return fmt.Errorf("%w: workbook part %s expands more than %d:1 (%d bytes from %d): refused as a decompression bomb",
				ErrUnreadable, f.Name, opt.maxRatio(), size, f.CompressedSize64)
		}
		sheet, strs := strings.HasPrefix(name, "xl/worksheets/sheet"), name == "xl/sharedstrings.xml"
		if !(sheet || strs) || size <= xlsxInMemory {
			if held += size; held > maxXLSXHeld {
				return fmt.Errorf("%w: the workbook's parts other than its sheets take more than %d MiB (images, pivot caches?): save the sheet as CSV",
					ErrUnreadable, maxXLSXHeld>>20)
			}
		}
		var sc partScan
		switch {
		case sheet:
			sc = &sheetScan{}
		case strs:
			sc = &stringsScan{}
		case strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels"):
			sc = &tagCount{n: &tags}
		default:
			continue // images and other binary parts are only held
		}
		if err := scanPart(f, sc); err != nil {
			return fmt.Errorf("%w: workbook part %s: %v", ErrUnreadable, f.Name, err)
		}
	}
	return nil
}

// partScan is told of every tag of a part: its local name (without a
// namespace prefix), whether it is an end tag, and its offset.
type partScan interface {
	tag(name []byte, end bool, off int64) error
	done(off int64) error
}

// scanPart streams a part's XML and reports its tags to sc. It needs no
// XML parser: the markup cannot hide a '<' (attributes and text escape
// it), and what a comment or CDATA section holds is at worst counted as
// more tags. Any run between two tags longer than maxXLSXElement is an
// error.
func scanPart(f *zip.File, sc partScan) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var off, last int64
	for {
		b, err := br.ReadSlice('<')
		off += int64(len(b))
		if err == bufio.ErrBufferFull {
			if off-last > maxXLSXElement {
				return fmt.Errorf("text or tag at byte %d is longer than %d MiB", last, maxXLSXElement>>20)
			}
			continue
		}
		if err == io.EOF {
			return sc.done(off)
		}
		if err != nil {
			return err
		}
		if off-last > maxXLSXElement {
			return fmt.Errorf("text or tag at byte %d is longer than %d MiB", last, maxXLSXElement>>20)
		}
		last = off - 1
		head, _ := br.Peek(64) // a shorter name is whole at the end of the part
		end := len(head) > 0 && head[0] == '/'
		if end {
			head = head[1:]
		}
		n := 0
		for n < len(head) && !isNameEnd(head[n]) {
			n++
		}
		name := head[:n]
		if i := bytes.LastIndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		if err := sc.tag(name, end, last); err != nil {
			return err
		}
	}
}

func isNameEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>'
}

// sheetScan bounds a worksheet's rows: at most MaxColumns cells, each at
// most maxXLSXElement bytes, and at most maxRecordBytes a row.
type sheetScan struct {
	rows, cells   int
	rowAt, cellAt int64
	inRow, inCell bool
}

func (s *sheetScan) tag(name []byte, end bool, off int64) error {
	switch {
	case string(name) == "c" && !end:
		if err := s.endCell(off); err != nil {
			return err
		}
		if s.cells++; s.cells > MaxColumns {
			return fmt.Errorf("row %d has more than %d cells", s.rows, MaxColumns)
		}
		s.inCell, s.cellAt = true, off
	case string(name) == "row" && !end:
		if err := s.endRow(off); err != nil {
			return err
		}
		s.rows++
		s.inRow, s.rowAt, s.cells = true, off, 0
	case string(name) == "row" || string(name) == "sheetData":
		return s.endRow(off)
	}
	return nil
}

func (s *sheetScan) endCell(off int64) error {
	if s.inCell && off-s.cellAt > maxXLSXElement {
		return fmt.Errorf("a cell of row %d is larger than %d MiB", s.rows, maxXLSXElement>>20)
	}
	s.inCell = false
	return nil
}

func (s *sheetScan) endRow(off int64) error {
	if err := s.endCell(off); err != nil {
		return err
	}
	if s.inRow && off-s.rowAt > maxRecordBytes {
		return fmt.Errorf("row %d is larger than %d MiB", s.rows, maxRecordBytes>>20)
	}
	s.inRow = false
	return nil
}

func (s *sheetScan) done(off int64) error { return s.endRow(off) }

// stringsScan bounds the shared strings: at most maxSharedStrings, each
// at most maxXLSXElement bytes.
type stringsScan struct {
	n    int
	at   int64
	open bool
}

func (s *stringsScan) tag(name []byte, end bool, off int64) error {
	if string(name) != "si" && string(name) != "sst" {
		return nil
	}
	if s.open && off-s.at > maxXLSXElement {
		return fmt.Errorf("shared string %d is larger than %d MiB", s.n, maxXLSXElement>>20)
	}
	s.open = false
	if string(name) == "si" && !end {
		if s.n++; s.n > maxSharedStrings {
			return fmt.Errorf("more than %d shared strings", maxSharedStrings)
		}
		s.open, s.at = true, off
	}
	return nil
}

func (s *stringsScan) done(off int64) error { return s.tag([]byte("sst"), true, off) }

// tagCount counts the tags of the other XML parts, all parts together.
type tagCount struct{ n *int }

func (c *tagCount) tag([]byte, bool, int64) error {
	if *c.n++; *c.n > maxXLSXTags {
		return fmt.Errorf("the workbook's parts other than its sheets have more than %d XML tags", maxXLSXTags)
	}
	return nil
}

func (c *tagCount) done(int64) error { return nil }
