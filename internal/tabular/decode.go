package tabular

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// SniffSize is how many bytes of a file are examined to detect compression,
// encoding and delimiter. It holds many rows of any reasonable export and
// stays cheap.
const SniffSize = 64 << 10

// Encodings reported in Layout.Encoding.
const (
	encUTF8         = "utf-8"
	encUTF8BOM      = "utf-8-bom"
	encUTF16LE      = "utf-16le"
	encUTF16BE      = "utf-16be"
	encUTF16LENoBOM = "utf-16le (no BOM)"
	encUTF16BENoBOM = "utf-16be (no BOM)"
	encWindows1252  = "windows-1252"
)

// File kinds reported in Layout.Kind.
const (
	kindCSV     = "csv"
	kindXLSX    = "xlsx"
	kindParquet = "parquet"
)

// Defaults of the decompression guard (see Options).
const (
	defaultMaxDecompressed = 32 << 30
	defaultMaxRatio        = 200
	// ratioFloor is how much must be decompressed before the ratio is
	// checked, so that small, very repetitive files are never refused.
	ratioFloor = 64 << 20
	// defaultMaxSpool bounds the temporary copy of an XLSX or Parquet file
	// that arrives as a plain stream.
	defaultMaxSpool = 8 << 30
)

// Magic numbers of the formats recognised by content.
const (
	magicGzip    = "\x1f\x8b"
	magicZip     = "PK\x03\x04"
	magicParquet = "PAR1"
	magicOLE     = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
)

// openInput detects what r holds from its first bytes (never from the name)
// and returns a record source for it: gzip is undone (once, with the bomb
// guard), XLSX and Parquet get random access, text is decoded to UTF-8 and
// its delimiter sniffed. What was detected is recorded in f.
func openInput(r io.Reader, opt *Options, f *Layout) (source, error) {
	br := bufio.NewReaderSize(r, SniffSize)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read start of file: %w", err)
	}
	compressed := false
	if bytes.HasPrefix(head, []byte(magicGzip)) {
		g, err := newGunzip(br, opt)
		if err != nil {
			return nil, err
		}
		f.Compression = "gzip"
		compressed = true
		br = bufio.NewReaderSize(g, SniffSize)
		if head, err = br.Peek(8); err != nil && err != io.EOF {
			return nil, readErr(err)
		}
		if bytes.HasPrefix(head, []byte(magicGzip)) {
			return nil, fmt.Errorf("%w: gzip inside gzip: compress the file once", ErrUnreadable)
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte(magicZip)):
		f.Kind = kindXLSX
		return openXLSX(r, br, compressed, opt, f)
	case bytes.HasPrefix(head, []byte(magicParquet)):
		f.Kind = kindParquet
		return openParquet(r, br, compressed, opt, f)
	case bytes.HasPrefix(head, []byte(magicOLE)):
		return nil, fmt.Errorf("%w: legacy Excel (.xls) or encrypted workbook: save it as .xlsx or CSV", ErrUnreadable)
	}
	f.Kind = kindCSV
	text, err := decodeText(br, f)
	if err != nil {
		return nil, err
	}
	tb := newLineBuffer(text)
	th, err := tb.Peek(SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, readErr(err)
	}
	if len(bytes.TrimSpace(th)) == 0 {
		if len(th) == 0 {
			return nil, fmt.Errorf("%w: empty file", ErrUnreadable)
		}
		return nil, fmt.Errorf("%w: the file holds only whitespace", ErrUnreadable)
	}
	if tb.ends.lone > 0 && !tb.ends.sawLF {
		f.LineEnd = "CR" // classic Mac OS: a lone CR ends each line
	}
	delim := opt.delimiter()
	if delim < 0 {
		delim = int(sniffDelimiter(th))
	}
	f.Delimiter = delimName(byte(delim))
	return &textSource{tr: newTextReader(tb, byte(delim))}, nil
}

// decodeText turns br into UTF-8 without a byte order mark, recording the
// encoding it found in f. Text is UTF-8 when the sniffed window is valid
// UTF-8; otherwise it is read as Windows-1252, the encoding of Excel
// exports on Windows (Latin-1 is the same for printable text). UTF-16 is
// recognised by its byte order mark, or without one by the zero bytes that
// ASCII text leaves in every other position.
func decodeText(br *bufio.Reader, f *Layout) (io.Reader, error) {
	head, err := br.Peek(SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, readErr(err)
	}
	var text io.Reader
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		f.Encoding = encUTF8BOM
		if _, err := br.Discard(3); err != nil {
			return nil, readErr(err)
		}
		text = br
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		f.Encoding = encUTF16LE
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		f.Encoding = encUTF16BE
		text = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	default:
		switch utf16Guess(head) {
		case 'L':
			f.Encoding = encUTF16LENoBOM
			return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), nil
		case 'B':
			f.Encoding = encUTF16BENoBOM
			return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), nil
		}
		if err := checkBinary(head); err != nil {
			return nil, err
		}
		if validUTF8Prefix(head) {
			f.Encoding = encUTF8
			text = br
		} else {
			f.Encoding = encWindows1252
			text = transform.NewReader(br, charmap.Windows1252.NewDecoder())
		}
	}
	return text, nil
}

// checkBinary refuses content that is not text: NUL bytes, or more than 1%
// control characters other than tab, CR and LF.
func checkBinary(head []byte) error {
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("%w: binary content (NUL byte at offset %d)", ErrUnreadable, i)
	}
	ctl := 0
	for _, c := range head {
		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f') || c == 0x7f {
			ctl++
		}
	}
	if len(head) > 0 && ctl*100 > len(head) {
		return fmt.Errorf("%w: binary content (%d control bytes in the first %d)", ErrUnreadable, ctl, len(head))
	}
	return nil
}

// utf16Guess recognises UTF-16 without a byte order mark: 'L' or 'B' when
// at least 40% of the code units have a zero high byte on one side and
// almost none on the other, 0 otherwise.
func utf16Guess(head []byte) byte {
	n := len(head) / 2
	if n < 2 {
		return 0
	}
	var even, odd int
	for i := 0; i+1 < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	switch {
	case odd*10 >= n*4 && even*20 < n:
		return 'L'
	case even*10 >= n*4 && odd*20 < n:
		return 'B'
	}
	return 0
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a multi-byte
// character cut off at the end of the sniffed window.
func validUTF8Prefix(b []byte) bool {
	for cut := 0; cut < utf8.UTFMax && cut <= len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return cut == 0 || !utf8.FullRune(b[len(b)-cut:])
		}
	}
	return false
}

// countingReader counts the bytes read through it and remembers a read
// failure (other than EOF).
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// gunzip decompresses with a guard against decompression bombs: it fails
// once more than max bytes came out, or once more than ratioFloor bytes
// came out at a ratio above ratio:1. Every failure wraps ErrUnreadable and
// says what happened (corrupt, truncated, bomb).
type gunzip struct {
	zr    *gzip.Reader
	in    *countingReader
	out   int64
	max   int64
	ratio int64
}

func newGunzip(r io.Reader, opt *Options) (*gunzip, error) {
	in := &countingReader{r: r}
	zr, err := gzip.NewReader(in)
	if err != nil {
		if in.err != nil {
			return nil, readErr(in.err)
		}
		return nil, fmt.Errorf("%w: gzip header: %v", ErrUnreadable, err)
	}
	return &gunzip{zr: zr, in: in, max: opt.maxDecompressed(), ratio: opt.maxRatio()}, nil
}

func (g *gunzip) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	g.out += int64(n)
	if g.out > g.max {
		return 0, fmt.Errorf("%w: gzip expands to more than %d bytes (decompression limit)", ErrUnreadable, g.max)
	}
	if g.out > ratioFloor && g.out > g.ratio*g.in.n {
		return 0, fmt.Errorf("%w: gzip expands more than %d:1 (%d bytes from %d): refused as a decompression bomb",
			ErrUnreadable, g.ratio, g.out, g.in.n)
	}
	switch {
	case err == nil || err == io.EOF:
		return n, err
	case g.in.err != nil: // the stream underneath failed, not the data
		return n, readErr(g.in.err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return n, fmt.Errorf("%w: gzip stream is truncated (file cut short?)", ErrUnreadable)
	case errors.Is(err, gzip.ErrHeader):
		return n, fmt.Errorf("%w: bytes after the end of the gzip stream are not gzip (a damaged file appended?)", ErrUnreadable)
	case errors.Is(err, gzip.ErrChecksum):
		return n, fmt.Errorf("%w: gzip checksum does not match: the file is damaged", ErrUnreadable)
	default:
		return n, fmt.Errorf("%w: gzip: %v", ErrUnreadable, err)
	}
}

// randomAccess returns r as an io.ReaderAt with its size when it offers
// both (an *os.File, bytes.Reader, strings.Reader, io.SectionReader), so
// XLSX and Parquet need no copy.
func randomAccess(r io.Reader) (io.ReaderAt, int64, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0, false
	}
	switch s := r.(type) {
	case interface{ Size() int64 }:
		return ra, s.Size(), true
	case interface{ Stat() (fs.FileInfo, error) }:
		fi, err := s.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0, false
		}
		return ra, fi.Size(), true
	}
	return nil, 0, false
}

// spool copies a stream to a temporary file (in opt.TempDir) for formats
// that need random access. The copy is limited to opt.MaxSpoolBytes. The
// caller closes and removes the file.
func spool(r io.Reader, opt *Options) (*os.File, int64, error) {
	tmp, err := os.CreateTemp(opt.TempDir, "salesseg-spool-*")
	if err != nil {
		return nil, 0, fmt.Errorf("%w: no temporary file for an XLSX or Parquet stream: %v", ErrUnreadable, err)
	}
	fail := func(err error) (*os.File, int64, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, 0, err
	}
	limit := opt.maxSpool()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			if n += int64(k); n > limit {
				return fail(fmt.Errorf("%w: file is larger than the %d-byte limit for XLSX and Parquet streams", ErrUnreadable, limit))
			}
			if _, werr := tmp.Write(buf[:k]); werr != nil {
				// Out of temporary space is a property of the file's size:
				// retrying would fail the same way.
				return fail(fmt.Errorf("%w: copy to a temporary file (raise the ephemeral storage or MaxSpoolBytes): %v", ErrUnreadable, werr))
			}
		}
		if rerr == io.EOF {
			return tmp, n, nil
		}
		if rerr != nil {
			return fail(readErr(rerr))
		}
	}
}
