package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/salesseg/salesseg/internal/shard"
)

// A history object holds its purchases grouped by customer shard (see
// package shard), shard 0 first, and an index object beside it gives
// where each shard's lines start, so that a recompute worker reads one
// shard of every live file with ranged GETs. Histories without an index,
// or indexed for another shard count, are read whole and filtered.

// Index locates the shards of a history object: shard s's lines are the
// bytes [Offsets[s], Offsets[s+1]).
type Index struct {
	Shards  int     `json:"shards"`
	Offsets []int64 `json:"offsets"`
	// Version is the S3 version of the history object the offsets are
	// of ("" in a bucket without versioning): a reader asks for that
	// version, so an index never describes another attempt's history.
	Version string `json:"version,omitempty"`
}

// IndexKey is where ingestion keeps the shard index of a file version's
// history.
func IndexKey(file string) string { return "curated/" + file + ".history.index.json" }

// Range returns the byte range of shard s, and false when it is empty.
func (x Index) Range(s int) (from, to int64, ok bool) {
	from, to = x.Offsets[s], x.Offsets[s+1]
	return from, to, to > from
}

// ReadIndex decodes an index and checks it: a valid shard count, one
// offset more than shards, starting at 0 and never decreasing. Errors wrap
// ErrCorrupt.
func ReadIndex(r io.Reader) (Index, error) {
	var x Index
	if err := json.NewDecoder(r).Decode(&x); err != nil {
		return Index{}, fmt.Errorf("%w: history index: %v", ErrCorrupt, err)
	}
	if err := shard.Check(x.Shards); err != nil {
		return Index{}, fmt.Errorf("%w: history index: %v", ErrCorrupt, err)
	}
	if len(x.Offsets) != x.Shards+1 || x.Offsets[0] != 0 {
		return Index{}, fmt.Errorf("%w: history index of %d shards has %d offsets", ErrCorrupt, x.Shards, len(x.Offsets))
	}
	for s := 1; s < len(x.Offsets); s++ {
		if x.Offsets[s] < x.Offsets[s-1] {
			return Index{}, fmt.Errorf("%w: history index offsets decrease at shard %d", ErrCorrupt, s)
		}
	}
	return x, nil
}

// ShardWriter writes purchases grouped by customer shard: each to a
// temporary file of its shard, so memory stays bounded by the buffers
// whatever the history's size. Finish returns them as one stream with
// its Index. Close removes the temporary files; it is safe to call after
// Finish, and always needed.
type ShardWriter struct {
	n     int
	files []*os.File
	bufs  []*bufio.Writer
	dir   string
	line  []byte
}

// shardBuffer is each shard file's write buffer: 256 shards take 1 MB.
const shardBuffer = 4 << 10

// NewShardWriter returns a ShardWriter for n shards (n must pass
// shard.Check) keeping its temporary files in dir ("" for the default).
func NewShardWriter(dir string, n int) (*ShardWriter, error) {
	if err := shard.Check(n); err != nil {
		return nil, err
	}
	return &ShardWriter{n: n, dir: dir, files: make([]*os.File, n), bufs: make([]*bufio.Writer, n)}, nil
}

// Write encodes one purchase into its customer's shard.
func (w *ShardWriter) Write(p Purchase) error {
	s := shard.Of(p.Customer, w.n)
	if w.files[s] == nil {
		f, err := os.CreateTemp(w.dir, "history-shard-*.ndjson")
		if err != nil {
			return fmt.Errorf("history shard %d: %w", s, err)
		}
		w.files[s] = f
		w.bufs[s] = bufio.NewWriterSize(f, shardBuffer)
	}
	w.line = appendPurchase(w.line[:0], p)
	_, err := w.bufs[s].Write(w.line)
	return err
}

// Finish flushes the shards and returns the history, shard 0 first, as a
// stream that can seek (so an upload can retry), its size and its index.
// The stream reads the temporary files: use it before Close.
func (w *ShardWriter) Finish() (io.ReadSeeker, int64, Index, error) {
	x := Index{Shards: w.n, Offsets: make([]int64, w.n+1)}
	var parts []section
	for s, f := range w.files {
		x.Offsets[s+1] = x.Offsets[s]
		if f == nil {
			continue
		}
		if err := w.bufs[s].Flush(); err != nil {
			return nil, 0, Index{}, fmt.Errorf("history shard %d: %w", s, err)
		}
		size, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, 0, Index{}, fmt.Errorf("history shard %d: %w", s, err)
		}
		x.Offsets[s+1] += size
		parts = append(parts, section{f, size})
	}
	total := x.Offsets[w.n]
	return &sections{parts: parts, size: total}, total, x, nil
}

// Close removes the temporary files.
func (w *ShardWriter) Close() error {
	var errs []error
	for _, f := range w.files {
		if f != nil {
			errs = append(errs, f.Close(), os.Remove(f.Name()))
		}
	}
	return errors.Join(errs...)
}

// section is the first size bytes of a file.
type section struct {
	f    *os.File
	size int64
}

// sections reads sections one after another, and seeks across them.
type sections struct {
	parts []section
	size  int64
	off   int64
}

func (r *sections) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	start := int64(0)
	for _, s := range r.parts {
		if r.off < start+s.size {
			want := min(int64(len(p)), start+s.size-r.off)
			n, err := s.f.ReadAt(p[:want], r.off-start)
			r.off += int64(n)
			if err == io.EOF && int64(n) == want {
				err = nil
			}
			return n, err
		}
		start += s.size
	}
	return 0, io.EOF
}

func (r *sections) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("history: seek whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("history: seek to %d", offset)
	}
	r.off = offset
	return offset, nil
}
