package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"

	"github.com/salesseg/salesseg/internal/shard"
)

// A history object holds its purchases grouped by customer shard (see
// package shard), shard 0 first, each shard one zstd frame, and an index
// object beside it gives where each shard's frame starts, so that a
// recompute worker reads one shard of every live file with ranged GETs.
// Histories without an index, or indexed for another shard count, are
// read whole and filtered. Compression matters because a history is
// nearly as large as the file it comes from (every line repeats its
// attributes) and ingestion puts it before a file can count: 8–9× fewer
// bytes to send and store on the high-cardinality benchmark files, for a
// fraction of the time sending them took.

// Index locates the shards of a history object: shard s's lines are the
// bytes [Offsets[s], Offsets[s+1]) of the object, as stored (compressed:
// Read decompresses them).
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

// ShardWriter writes purchases grouped by customer shard. Each shard's
// lines gather in a small buffer of their own; a full buffer is appended,
// as a chunk, to one temporary file that all shards share, so memory
// stays bounded by the buffers whatever the history's size, and a history
// takes a handful of temporary files, not two per shard (creating and
// removing 512 files took about 0.13 s of an upload). Finish compresses
// them into one stream with its Index. Close removes the temporary files;
// it is safe to call after Finish, and always needed.
type ShardWriter struct {
	n   int
	dir string
	// bufs holds each shard's lines not yet in a chunk; chunks, where
	// each shard's chunks are in the spill file, in order.
	bufs   [][]byte
	chunks [][]chunk
	spill  *os.File
	sw     *bufio.Writer // spill's buffer
	size   int64         // spill's length, buffered bytes included
	line   []byte
	// scratch holds the files Finish's workers compress into; out the
	// compressed history, once Finish made it.
	scratch []*os.File
	out     *os.File
}

// chunk is a stretch of the spill file.
type chunk struct{ off, n int64 }

// shardBuffer is each shard's buffer: 256 shards take 1 MB. spillBuffer
// is the spill file's write buffer.
const (
	shardBuffer = 4 << 10
	spillBuffer = 64 << 10
)

// NewShardWriter returns a ShardWriter for n shards (n must pass
// shard.Check) keeping its temporary files in dir ("" for the default).
func NewShardWriter(dir string, n int) (*ShardWriter, error) {
	if err := shard.Check(n); err != nil {
		return nil, err
	}
	return &ShardWriter{n: n, dir: dir, bufs: make([][]byte, n), chunks: make([][]chunk, n)}, nil
}

// Write encodes one purchase into its customer's shard.
func (w *ShardWriter) Write(p Purchase) error {
	s := shard.Of(p.Customer, w.n)
	w.line = appendPurchase(w.line[:0], p)
	if len(w.bufs[s])+len(w.line) > shardBuffer {
		if err := w.flushShard(s); err != nil {
			return err
		}
		if len(w.line) > shardBuffer { // a line longer than a buffer is a chunk alone
			return w.appendChunk(s, w.line)
		}
	}
	if w.bufs[s] == nil {
		w.bufs[s] = make([]byte, 0, shardBuffer)
	}
	w.bufs[s] = append(w.bufs[s], w.line...)
	return nil
}

// flushShard appends shard s's buffered lines to the spill file.
func (w *ShardWriter) flushShard(s int) error {
	if len(w.bufs[s]) == 0 {
		return nil
	}
	err := w.appendChunk(s, w.bufs[s])
	w.bufs[s] = w.bufs[s][:0]
	return err
}

// appendChunk appends b to the spill file as shard s's next chunk.
func (w *ShardWriter) appendChunk(s int, b []byte) error {
	if w.spill == nil {
		f, err := os.CreateTemp(w.dir, "history-shards-*.ndjson")
		if err != nil {
			return fmt.Errorf("history shards: %w", err)
		}
		w.spill, w.sw = f, bufio.NewWriterSize(f, spillBuffer)
	}
	if _, err := w.sw.Write(b); err != nil {
		return fmt.Errorf("history shard %d: %w", s, err)
	}
	w.chunks[s] = append(w.chunks[s], chunk{off: w.size, n: int64(len(b))})
	w.size += int64(len(b))
	return nil
}

// Finish flushes the shards and returns the history, shard 0 first and
// each shard one zstd frame, as a stream that can seek (so an upload can
// retry), its size and its index. The stream reads a temporary file: use
// it before Close.
//
// Shards are compressed by up to GOMAXPROCS workers at once, since the
// frames are independent and this is the last step before the history can
// be put. Each worker appends its frames to a temporary file of its own
// (memory stays an encoder's per worker, whatever a shard's size), from
// which they are copied into the history in shard order.
func (w *ShardWriter) Finish() (io.ReadSeeker, int64, Index, error) {
	for s := range w.n {
		if err := w.flushShard(s); err != nil {
			return nil, 0, Index{}, err
		}
		w.bufs[s] = nil
	}
	if w.sw != nil {
		if err := w.sw.Flush(); err != nil {
			return nil, 0, Index{}, fmt.Errorf("history shards: %w", err)
		}
	}
	out, err := os.CreateTemp(w.dir, "history-*.ndjson.zst")
	if err != nil {
		return nil, 0, Index{}, fmt.Errorf("history: %w", err)
	}
	w.out = out
	workers := min(runtime.GOMAXPROCS(0), w.n)
	w.scratch = make([]*os.File, workers)
	frames := make([]chan frame, w.n)
	for s := range frames {
		frames[s] = make(chan frame, 1)
	}
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			// One frame per shard must not reach back into another
			// shard, and a 1 MB window bounds what a reader of a shard
			// holds whatever its size.
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
				zstd.WithWindowSize(1<<20))
			z := &frameFile{dir: w.dir}
			defer func() { w.scratch[k] = z.f }()
			for {
				s := int(next.Add(1) - 1)
				select {
				case <-stop: // the writer gave up: compress no more
					return
				default:
				}
				if s >= w.n {
					return
				}
				if err != nil {
					frames[s] <- frame{err: err}
					continue
				}
				frames[s] <- w.compress(enc, z, s)
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	x := Index{Shards: w.n, Offsets: make([]int64, w.n+1)}
	for s := range w.n {
		fr := <-frames[s]
		n, err := fr.copyTo(out)
		if err != nil {
			return nil, 0, Index{}, fmt.Errorf("history shard %d: %w", s, err)
		}
		x.Offsets[s+1] = x.Offsets[s] + n
	}
	size := x.Offsets[w.n]
	return io.NewSectionReader(out, 0, size), size, x, nil
}

// frameFile is a worker's scratch file, created at its first frame, and
// its length.
type frameFile struct {
	dir  string
	f    *os.File
	size int64
}

// Write appends to the scratch file.
func (z *frameFile) Write(p []byte) (int, error) {
	if z.f == nil {
		f, err := os.CreateTemp(z.dir, "history-frames-*.zst")
		if err != nil {
			return 0, err
		}
		z.f = f
	}
	n, err := z.f.Write(p)
	z.size += int64(n)
	return n, err
}

// frame is one shard compressed into a stretch of a worker's scratch
// file (empty for an empty shard), or why it could not be.
type frame struct {
	r   *io.SectionReader
	err error
}

// copyTo appends the frame to out and returns its size.
func (fr frame) copyTo(out io.Writer) (int64, error) {
	if fr.err != nil || fr.r == nil {
		return 0, fr.err
	}
	return io.Copy(out, fr.r)
}

// compress compresses shard s's chunks, if it has any, into one zstd
// frame appended to z.
func (w *ShardWriter) compress(enc *zstd.Encoder, z *frameFile, s int) frame {
	if len(w.chunks[s]) == 0 {
		return frame{}
	}
	from := z.size
	enc.Reset(z)
	// One reader, and one ReadFrom, for all chunks: the encoder ends its
	// block at every ReadFrom, and a block per chunk compresses worse.
	// The struct hides the multi-reader's WriteTo, which would copy
	// chunk by chunk.
	chunks := make([]io.Reader, len(w.chunks[s]))
	for i, c := range w.chunks[s] {
		chunks[i] = io.NewSectionReader(w.spill, c.off, c.n)
	}
	if _, err := io.Copy(enc, struct{ io.Reader }{io.MultiReader(chunks...)}); err != nil {
		return frame{err: err}
	}
	if err := enc.Close(); err != nil {
		return frame{err: err}
	}
	return frame{r: io.NewSectionReader(z.f, from, z.size-from)}
}

// Close removes the temporary files.
func (w *ShardWriter) Close() error {
	var errs []error
	for _, f := range append(w.scratch, w.spill, w.out) {
		if f != nil {
			errs = append(errs, f.Close(), os.Remove(f.Name()))
		}
	}
	return errors.Join(errs...)
}
