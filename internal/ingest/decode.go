package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a file is examined to detect compression,
// encoding and delimiter. It is large enough to hold many rows of any
// reasonable export, small enough to stay cheap.
const sniffSize = 64 << 10

// Encodings reported in Format.Encoding.
const (
	encUTF8       = "utf-8"
	encUTF8BOM    = "utf-8-bom"
	encUTF16LE    = "utf-16le"
	encUTF16BE    = "utf-16be"
	encWindows125 = "windows-1252"
)

// decodeStream undoes gzip and turns the text into UTF-8, recording what it
// found in f. The returned reader yields UTF-8 without a byte order mark.
func decodeStream(r io.Reader, f *Format) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read start of file: %w", err)
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip header: %v", ErrUnreadable, err)
		}
		f.Compression = "gzip"
		br = bufio.NewReaderSize(zr, sniffSize)
	}
	head, err = br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		f.Encoding = encUTF8BOM
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}
		return br, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		f.Encoding = encUTF16LE
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		f.Encoding = encUTF16BE
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, fmt.Errorf("%w: binary content (NUL bytes) in the first %d bytes", ErrUnreadable, len(head))
	}
	if validUTF8Prefix(head) {
		f.Encoding = encUTF8
		return br, nil
	}
	// Text that is not UTF-8 is overwhelmingly Windows-1252 in sales
	// exports (Excel on Windows); Latin-1 is a subset for printable text.
	f.Encoding = encWindows125
	return transform.NewReader(br, charmap.Windows1252.NewDecoder()), nil
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

// sniffDelimiter picks the delimiter that splits the first lines into the
// most consistent number of fields, counting only outside quotes.
func sniffDelimiter(head []byte) rune {
	best, bestScore := ',', -1
	for _, d := range []rune{',', ';', '\t', '|'} {
		counts := fieldCounts(head, byte(d), 20)
		if len(counts) == 0 || counts[0] == 0 {
			continue
		}
		score := 0
		for _, c := range counts {
			if c == counts[0] {
				score += c
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// fieldCounts counts delimiters per record in up to n records of head.
func fieldCounts(head []byte, delim byte, n int) []int {
	var counts []int
	inQuote, c := false, 0
	for i := 0; i < len(head) && len(counts) < n; i++ {
		switch ch := head[i]; {
		case ch == '"':
			inQuote = !inQuote
		case inQuote:
		case ch == delim:
			c++
		case ch == '\n':
			counts = append(counts, c)
			c = 0
		}
	}
	return counts
}
