package tabular

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
// swallowed the rest of the file. A field longer than MaxFieldBytes only
// rejects its row.
const (
	maxRecordBytes = 16 << 20
	// MaxFieldBytes is the longest field a reader of rows should accept;
	// the reader itself returns longer ones, so that only their row is
	// rejected.
	MaxFieldBytes = 1 << 20
	// MaxColumns is the widest row accepted: a row with more fields makes
	// the whole file unreadable (it is a transposed report, a wrong
	// delimiter or an attack, not a transaction list). Readers stop
	// splitting a row as soon as it passes the limit, so a line of
	// millions of delimiters costs no more memory than the line itself.
	MaxColumns = 4096
)

// tooWide is the error for a row with more than MaxColumns fields.
func tooWide(line int) error {
	return fmt.Errorf("%w: line %d has more than %d columns", ErrUnreadable, line, MaxColumns)
}

// ErrMalformedQuote marks a record whose quoting is broken only locally
// (text after a closing quote); the record is rejected, not the file.
var ErrMalformedQuote = errors.New(`text after a closing quote: quote the whole field and double embedded quotes ("")`)

// textReader splits UTF-8 delimited text into records. It implements the
// RFC 4180 quoting rules, with three tolerances found in real exports:
// spaces around a quoted field, a bare quote inside an unquoted field (kept
// literally), and LF, CRLF or lone CR line ends (see lineEnds). With delim
// 0 fields are separated by runs of spaces and tabs (whitespace-aligned
// text such as CDNOW_master.txt).
//
// Records are returned as byte slices into internal buffers, valid until
// the next call; the fast path (see fastNext) copies only fields with
// doubled quotes.
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

// newTextReader returns a reader of the text r with fields separated by
// delim (0: whitespace). r is read through a lineBuffer (made here unless r
// is one).
func newTextReader(r io.Reader, delim byte) *textReader {
	lb, ok := r.(*lineBuffer)
	if !ok {
		lb = newLineBuffer(r)
	}
	return &textReader{br: lb.Reader, delim: delim}
}

// lineBuffer is buffered text in which every lone CR (one not followed by
// LF) has become LF; ends counts what was found.
type lineBuffer struct {
	*bufio.Reader
	ends *lineEnds
}

func newLineBuffer(r io.Reader) *lineBuffer {
	ends := &lineEnds{br: bufio.NewReader(r)} // r itself when already buffered
	return &lineBuffer{Reader: bufio.NewReaderSize(ends, 256<<10), ends: ends}
}

// lineEnds turns every lone CR into LF, as Excel does on import: a lone CR
// ends a row, whether the whole file uses them (classic Mac OS) or one
// slipped between LF or CRLF lines, where it would otherwise merge two rows
// into one. Inside a quoted field it becomes a line break like any other,
// which the reader keeps as LF.
type lineEnds struct {
	br    *bufio.Reader
	lone  int64 // lone CRs turned into LF
	sawLF bool  // an LF was read (a lone CR's LF does not count)
}

func (l *lineEnds) Read(p []byte) (int, error) {
	n, err := l.br.Read(p)
	b := p[:n]
	if !l.sawLF && bytes.IndexByte(b, '\n') >= 0 {
		l.sawLF = true
	}
	for i := bytes.IndexByte(b, '\r'); i >= 0; {
		lone := false
		if i+1 < len(b) {
			lone = b[i+1] != '\n'
		} else {
			// The CR ends this read: the next byte decides. A failing
			// read underneath is reported by the next call either way.
			next, perr := l.br.Peek(1)
			lone = perr != nil || next[0] != '\n'
		}
		if lone {
			b[i] = '\n'
			l.lone++
		}
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return n, err
}

// readLine returns the next physical line without its line end, or io.EOF
// when the input is exhausted. The slice is valid until the next call.
// With countFields (a line that starts a record, in delimited text) a long
// line that shows MaxColumns delimiters before any quote is not kept: it
// is refused as too wide as soon as it shows anything else, or returned
// empty when it is blank (nothing but delimiters and spaces).
func (t *textReader) readLine(countFields bool) ([]byte, error) {
	if t.eof {
		return nil, io.EOF
	}
	b, err := t.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		t.long = append(t.long[:0], b...)
		countFields = countFields && t.delim != 0
		delims := 0
		for err == bufio.ErrBufferFull {
			if countFields {
				if bytes.IndexByte(b, '"') >= 0 {
					countFields = false // delimiters may be quoted: split it first
				} else if delims += bytes.Count(b, []byte{t.delim}); delims >= MaxColumns {
					return t.wideLine(len(t.long))
				}
			}
			if len(t.long) > maxRecordBytes {
				return nil, fmt.Errorf("%w: line %d is longer than %d MiB", ErrUnreadable, t.line+1, maxRecordBytes>>20)
			}
			b, err = t.br.ReadSlice('\n')
			if cap(t.long)-len(t.long) < len(b) {
				// Doubling, where append grows large slices by a quarter:
				// at most twice the line is ever allocated for it.
				grown := make([]byte, len(t.long), 2*cap(t.long)+len(b))
				copy(grown, t.long)
				t.long = grown
			}
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

// wideLine finishes a line of which n bytes, held in t.long, hold
// MaxColumns delimiters: a row too wide to read unless the whole line is
// blank, which is then returned empty. The rest is read without being
// kept.
func (t *textReader) wideLine(n int) ([]byte, error) {
	if !t.blank(t.long) {
		return nil, tooWide(t.line + 1)
	}
	for {
		b, err := t.br.ReadSlice('\n')
		if n += len(b); n > maxRecordBytes {
			return nil, fmt.Errorf("%w: line %d is longer than %d MiB", ErrUnreadable, t.line+1, maxRecordBytes>>20)
		}
		if err != bufio.ErrBufferFull {
			b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\r'})
		}
		if !t.blank(b) {
			return nil, tooWide(t.line + 1)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			t.eof = true
		default:
			return nil, readErr(err)
		}
		t.line++
		return t.long[:0], nil
	}
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
	if t.delim != 0 {
		if fields, ok := t.fastNext(); ok {
			t.quoteErr = false
			return fields, t.line, nil
		}
	}
	return t.slowNext()
}

// slowNext is next for every record: it reads a physical line and reads
// on while a quoted field spans line ends.
func (t *textReader) slowNext() ([][]byte, int, error) {
	t.quoteErr = false
	for {
		line, err := t.readLine(true)
		if err != nil {
			return nil, 0, err
		}
		if t.blank(line) {
			t.blankLines++
			continue
		}
		start := t.line
		if t.delim == 0 && bytes.IndexByte(line, '"') < 0 {
			var ok bool
			if t.fields, ok = splitSpace(t.fields[:0], line); !ok {
				return nil, 0, tooWide(start)
			}
			return t.fields, start, nil
		}
		if err := t.quoted(line, start); err != nil {
			return nil, 0, err
		}
		return t.fields, start, nil
	}
}

// fastNext splits the next record straight out of the read buffer, in one
// pass that finds delimiters, quotes and the line end together, when the
// record is a whole, non-blank line already in the buffer whose quotes all
// enclose whole fields (with doubled quotes inside). Such fields are
// returned in place, or unescaped into t.buf when they hold a doubled
// quote. Anything else — a line running past the buffer, a quoted line
// end, a bare or stray quote, spaces around quotes — makes ok false with
// nothing consumed, and next takes the general path. Only for delimited
// text.
//
// Fields are short (ten bytes or so), so it tests eight bytes at a time
// rather than calling bytes.IndexByte per field, whose set-up costs more
// than such a field's scan.
func (t *textReader) fastNext() (fields [][]byte, ok bool) {
	if t.eof {
		return nil, false
	}
	b, _ := t.br.Peek(t.br.Buffered()) // never reads: n is what is buffered
	if cap(t.buf) < len(b) {
		// Unescaped fields never outgrow their record, so t.buf never
		// moves under the fields already returned into it.
		t.buf = make([]byte, 0, len(b))
	}
	t.buf = t.buf[:0]
	const (
		ones = 0x0101010101010101
		low7 = 0x7f7f7f7f7f7f7f7f
	)
	delims, quotes, newlines := uint64(t.delim)*ones, uint64('"')*ones, uint64('\n')*ones
	// zeros has the high bit set in exactly the zero bytes of x (no carry
	// crosses bytes, unlike the shorter (x-ones)&^x trick).
	zeros := func(x uint64) uint64 { return ^((x&low7 + low7) | x | low7) }
	d := t.delim
	dst, start := t.fields[:0], 0
	for i := 0; i < len(b); {
		var w uint64
		if i+8 <= len(b) {
			w = binary.LittleEndian.Uint64(b[i:])
		} else {
			var tail [8]byte // zero bytes: never a delimiter here
			copy(tail[:], b[i:])
			w = binary.LittleEndian.Uint64(tail[:])
		}
		// Delimiters are split off in a branch-free loop; quotes and line
		// ends, rarer, end it.
		dm, sm := zeros(w^delims), zeros(w^quotes)|zeros(w^newlines)
		if sm != 0 {
			dm &= sm&-sm - 1 // the delimiters before the first of them
		}
		for ; dm != 0; dm &= dm - 1 {
			j := i + bits.TrailingZeros64(dm)>>3
			dst = append(dst, b[start:j:j])
			start = j + 1
		}
		if len(dst) >= MaxColumns {
			return nil, false // the general path refuses the row
		}
		if sm == 0 {
			i += 8
			continue
		}
		j := i + bits.TrailingZeros64(sm)>>3
		if b[j] == '\n' {
			end := j
			if end > start && b[end-1] == '\r' {
				end--
			}
			if t.blank(b[:end]) {
				return nil, false
			}
			t.fields = append(dst, b[start:end:end])
			t.line++
			t.br.Discard(j + 1)
			return t.fields, true
		}
		// A quote: it must open the field and close it before a delimiter
		// or the line end.
		if j != start {
			return nil, false
		}
		f, after, ok := t.quotedInPlace(b, j+1)
		if !ok {
			return nil, false
		}
		if dst = append(dst, f); len(dst) >= MaxColumns {
			return nil, false
		}
		end := after // the line end, if the record ends here
		if after+1 < len(b) && b[after] == '\r' {
			end++
		}
		switch {
		case after < len(b) && b[after] == d:
			start, i = after+1, after+1
		case end < len(b) && b[end] == '\n':
			t.fields = dst
			t.line++
			t.br.Discard(end + 1)
			return t.fields, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// quotedInPlace reads a quoted field whose content starts at b[p]: it
// returns the content (in place, or unescaped into t.buf when it has
// doubled quotes) and the index after the closing quote. ok is false when
// the field has a line end or does not close within b.
func (t *textReader) quotedInPlace(b []byte, p int) (field []byte, after int, ok bool) {
	begin, escaped := len(t.buf), false
	for {
		k := bytes.IndexByte(b[p:], '"')
		if k < 0 || p+k+1 >= len(b) || bytes.IndexByte(b[p:p+k], '\n') >= 0 {
			return nil, 0, false
		}
		q := p + k // a closing quote, or the first of a doubled one
		if b[q+1] == '"' {
			t.buf, escaped = append(t.buf, b[p:q+1]...), true
			p = q + 2
			continue
		}
		if !escaped {
			return b[p:q:q], q + 1, true
		}
		t.buf = append(t.buf, b[p:q]...)
		return t.buf[begin:len(t.buf):len(t.buf)], q + 1, true
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// splitSpace appends the space-separated fields of line to dst; ok is
// false, and the split stopped, once there are more than MaxColumns.
func splitSpace(dst [][]byte, line []byte) (fields [][]byte, ok bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return dst, true
		}
		if len(dst) == MaxColumns {
			return dst, false
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		dst = append(dst, line[i:j:j])
		i = j
	}
}

// quoted splits a record, reading further lines while a quoted field spans
// line ends. Field contents are copied to t.buf. A record with more than
// MaxColumns fields is an error as soon as the next field would pass it.
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
		if field == MaxColumns {
			return tooWide(start)
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
				line, err = t.readLine(false)
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
				if field+1 == MaxColumns {
					return tooWide(start)
				}
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

// delimName renders a delimiter for Layout.Delimiter.
func delimName(d byte) string {
	switch d {
	case 0:
		return "whitespace"
	case '\t':
		return "tab"
	}
	return string(d)
}
