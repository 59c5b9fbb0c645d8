package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Limits of the delimited-text reader. A record (one row, possibly spread
// over several lines by quoted newlines) longer than maxRecordBytes makes
// the whole file unreadable: it is almost always an unbalanced quote that
// swallowed the rest of the file. A field longer than maxFieldBytes only
// rejects its row.
const (
	maxRecordBytes = 16 << 20
	maxFieldBytes  = 1 << 20
	// MaxColumns is the widest header accepted; wider files are rejected as
	// unreadable (they are transposed reports or a wrong delimiter, not
	// transaction lists).
	MaxColumns = 4096
)

// errMalformedQuote marks a record whose quoting is broken only locally
// (text after a closing quote); the record is rejected, not the file.
var errMalformedQuote = errors.New(`text after a closing quote: quote the whole field and double embedded quotes ("")`)

// textReader splits UTF-8 delimited text into records. It implements the
// RFC 4180 quoting rules, with three tolerances found in real exports:
// spaces around a quoted field, a bare quote inside an unquoted field (kept
// literally), and CRLF or LF line ends. With delim 0 fields are separated by
// runs of spaces and tabs (whitespace-aligned text such as CDNOW_master.txt).
//
// Records are returned as byte slices into internal buffers, valid until
// the next call; the fast path (a line without quotes) copies nothing.
type textReader struct {
	br     *bufio.Reader
	delim  byte // 0: whitespace-separated
	line   int  // physical lines consumed so far
	long   []byte
	fields [][]byte
	buf    []byte
	ends   []int
	// quoteErr is set when the last record had a local quoting error, with
	// the 0-based index of the field concerned.
	quoteErr   bool
	quoteField int
	blankLines int64
	eof        bool
}

func newTextReader(r io.Reader, delim byte) *textReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 256<<10 {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	return &textReader{br: br, delim: delim}
}

// readLine returns the next physical line without its line end, or io.EOF
// when the input is exhausted. The slice is valid until the next call.
func (t *textReader) readLine() ([]byte, error) {
	if t.eof {
		return nil, io.EOF
	}
	b, err := t.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		t.long = append(t.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(t.long) > maxRecordBytes {
				return nil, fmt.Errorf("%w: line %d is longer than %d MiB", ErrUnreadable, t.line+1, maxRecordBytes>>20)
			}
			b, err = t.br.ReadSlice('\n')
			t.long = append(t.long, b...)
		}
		b = t.long
	}
	if err == io.EOF {
		t.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	} else if err != nil {
		return nil, readErr(err)
	}
	t.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

// readErr adds context to an error from the reader underneath. It stays
// ErrUnreadable when the file's content caused it (a corrupt gzip stream);
// any other failure (the network, the disk) is left unclassified, so a
// caller can retry it.
func readErr(err error) error {
	if errors.Is(err, ErrUnreadable) {
		return err
	}
	return fmt.Errorf("read: %w", err)
}

// blank reports whether a line holds nothing but spaces, tabs and
// delimiters: such lines (Excel's trailing ",,,,") are not rows.
func (t *textReader) blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && (c != t.delim || c == 0) {
			return false
		}
	}
	return true
}

// next returns the next record and the line it starts on, skipping blank
// lines. It returns io.EOF after the last record and an error wrapping
// ErrUnreadable when the text cannot be split (a quote never closed, a
// record over maxRecordBytes, a failing decoder underneath).
func (t *textReader) next() ([][]byte, int, error) {
	t.quoteErr = false
	for {
		line, err := t.readLine()
		if err != nil {
			return nil, 0, err
		}
		if t.blank(line) {
			t.blankLines++
			continue
		}
		start := t.line
		if t.delim != 0 {
			var ok bool
			if t.fields, ok = splitByte(t.fields[:0], line, t.delim); ok {
				return t.fields, start, nil
			}
		} else if bytes.IndexByte(line, '"') < 0 {
			t.fields = splitSpace(t.fields[:0], line)
			return t.fields, start, nil
		}
		if err := t.quoted(line, start); err != nil {
			return nil, 0, err
		}
		return t.fields, start, nil
	}
}

// splitByte splits a line without quotes at every d. ok is false, and
// dst's contents undefined, when the line has a quote.
//
// Fields are short (ten bytes or so), so it tests eight bytes at a time
// for d and '"' rather than calling bytes.IndexByte per field, whose
// set-up costs more than such a field's scan.
func splitByte(dst [][]byte, line []byte, d byte) (fields [][]byte, ok bool) {
	const (
		ones = 0x0101010101010101
		low7 = 0x7f7f7f7f7f7f7f7f
	)
	delims, quotes := uint64(d)*ones, uint64('"')*ones
	// zeros has the high bit set in exactly the zero bytes of x (no carry
	// crosses bytes, unlike the shorter (x-ones)&^x trick).
	zeros := func(x uint64) uint64 { return ^((x&low7 + low7) | x | low7) }
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		if zeros(w^quotes) != 0 {
			return dst, false
		}
		for m := zeros(w ^ delims); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			dst = append(dst, line[start:j:j])
			start = j + 1
		}
	}
	for ; i < len(line); i++ {
		switch line[i] {
		case '"':
			return dst, false
		case d:
			dst = append(dst, line[start:i:i])
			start = i + 1
		}
	}
	return append(dst, line[start:]), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func splitSpace(dst [][]byte, line []byte) [][]byte {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return dst
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		dst = append(dst, line[i:j:j])
		i = j
	}
}

// quoted splits a record that contains a quote, reading further lines while
// a quoted field spans line ends. Field contents are copied to t.buf.
func (t *textReader) quoted(line []byte, start int) error {
	t.buf, t.ends = t.buf[:0], t.ends[:0]
	pos := 0
	ws := t.delim == 0
	for field := 0; ; field++ {
		if ws {
			for pos < len(line) && isSpace(line[pos]) {
				pos++
			}
			if pos == len(line) {
				break
			}
		}
		// Spaces before an opening quote are allowed and dropped.
		q := pos
		for q < len(line) && isSpace(line[q]) && line[q] != t.delim {
			q++
		}
		if q < len(line) && line[q] == '"' {
			pos = q + 1
			for {
				i := bytes.IndexByte(line[pos:], '"')
				if i >= 0 {
					t.buf = append(t.buf, line[pos:pos+i]...)
					pos += i + 1
					if pos < len(line) && line[pos] == '"' {
						t.buf = append(t.buf, '"')
						pos++
						continue
					}
					break
				}
				t.buf = append(t.buf, line[pos:]...)
				t.buf = append(t.buf, '\n')
				if len(t.buf) > maxRecordBytes {
					return fmt.Errorf("%w: quoted field starting on line %d runs past %d MiB (unbalanced quote?)", ErrUnreadable, start, maxRecordBytes>>20)
				}
				var err error
				line, err = t.readLine()
				if err == io.EOF {
					return fmt.Errorf("%w: quoted field starting on line %d is never closed (unbalanced quote)", ErrUnreadable, start)
				}
				if err != nil {
					return err
				}
				pos = 0
			}
			// Spaces after the closing quote are allowed and dropped.
			for pos < len(line) && isSpace(line[pos]) && line[pos] != t.delim {
				pos++
			}
			if pos < len(line) && !ws && line[pos] != t.delim {
				if !t.quoteErr {
					t.quoteErr, t.quoteField = true, field
				}
				i := bytes.IndexByte(line[pos:], t.delim)
				if i < 0 {
					i = len(line) - pos
				}
				t.buf = append(t.buf, line[pos:pos+i]...)
				pos += i
			}
		} else {
			var i int
			if ws {
				i = pos
				for i < len(line) && !isSpace(line[i]) {
					i++
				}
				i -= pos
			} else if i = bytes.IndexByte(line[pos:], t.delim); i < 0 {
				i = len(line) - pos
			}
			t.buf = append(t.buf, line[pos:pos+i]...)
			pos += i
		}
		t.ends = append(t.ends, len(t.buf))
		if pos >= len(line) {
			break
		}
		if !ws {
			pos++ // the delimiter
			if pos == len(line) {
				t.ends = append(t.ends, len(t.buf)) // trailing empty field
				break
			}
		}
	}
	t.fields = t.fields[:0]
	prev := 0
	for _, e := range t.ends {
		t.fields = append(t.fields, t.buf[prev:e:e])
		prev = e
	}
	return nil
}

// candidateDelims are the delimiters the sniffer chooses from.
const candidateDelims = ",;\t|"

// sniffDelimiter picks the delimiter that splits the first records of head
// into the most consistent number of fields (more than one), counting only
// outside quotes. When none does, text whose lines split consistently on
// runs of spaces is whitespace-separated (0); otherwise ',' is returned and
// the file is read as a single column.
func sniffDelimiter(head []byte) byte {
	best, bestScore := byte(','), 0.0
	for i := range len(candidateDelims) {
		d := candidateDelims[i]
		if s := delimScore(head, d); s > bestScore {
			best, bestScore = d, s
		}
	}
	if bestScore > 0 {
		return best
	}
	if delimScore(head, 0) > 0 {
		return 0
	}
	return ','
}

// delimScore rates how well d splits the complete records of head: the most
// common field count, if above one, weighted by the share of records that
// have it. Records are read with the real reader so quotes count.
func delimScore(head []byte, d byte) float64 {
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	tr := newTextReader(bytes.NewReader(head), d)
	counts := map[int]int{}
	n := 0
	for n < 100 {
		rec, _, err := tr.next()
		if err != nil {
			break
		}
		counts[len(rec)]++
		n++
	}
	mode, modeN := 0, 0
	for c, k := range counts {
		if k > modeN || (k == modeN && c > mode) {
			mode, modeN = c, k
		}
	}
	if mode < 2 || n == 0 {
		return 0
	}
	share := float64(modeN) / float64(n)
	if share < 0.6 {
		return 0
	}
	return share * float64(min(mode, 64))
}

// delimName renders a delimiter for Format.Delimiter.
func delimName(d byte) string {
	switch d {
	case 0:
		return "whitespace"
	case '\t':
		return "tab"
	}
	return string(d)
}
