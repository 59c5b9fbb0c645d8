package parser

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// Spilling.
//
// What grows with rows rather than keys — the purchase history's runs of
// lines (see historySpill) and the log of orders' runs (see orderSpill) —
// is written to temporary files as the file is read, instead of being held
// in memory, and read back once when the file ends. A spill file is
// unlinked as soon as it is created: it lives as long as its descriptor,
// so that a crash or a forgotten Close leaves nothing on disk; Close (of
// the Result, or of the parse on an error) closes the descriptors.

// spillRecSize is the size of the records of most spill files.
const spillRecSize = 64

// spillFile is an append-only file of fixed-size records.
type spillFile struct {
	f    *os.File
	w    *bufio.Writer
	size int // of a record
	n    int // records written
}

// newSpillFile creates a spill file of records of size bytes in dir (""
// for the system's temporary directory) and unlinks it.
func newSpillFile(dir, pattern string, size int) (*spillFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("spill file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spill file: %w", err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 1<<16), size: size}, nil
}

// put appends a record, the first size bytes of rec.
func (s *spillFile) put(rec []byte) error {
	s.n++
	if _, err := s.w.Write(rec[:s.size]); err != nil {
		return fmt.Errorf("spill file: %w", err)
	}
	return nil
}

// flush writes out what put buffered.
func (s *spillFile) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spill file: %w", err)
	}
	return nil
}

// each flushes the file and calls fn with every record, in order; fn must
// not keep rec. Its error is the first of reading and fn.
func (s *spillFile) each(fn func(rec []byte) error) error {
	if err := s.flush(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, int64(s.n)*int64(s.size)), 1<<16)
	rec := make([]byte, s.size)
	for range s.n {
		if _, err := io.ReadFull(r, rec); err != nil {
			return fmt.Errorf("spill file: read back: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// close closes the file (already unlinked); a nil file is a no-op.
func (s *spillFile) close() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f, s.w = nil, nil
	return err
}
