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

// ShardWriter writes purchases grouped by customer shard: each to a
// temporary file of its shard, so memory stays bounded by the buffers
// whatever the history's size. Finish compresses them into one stream
// with its Index. Close removes the temporary files; it is safe to call
// after Finish, and always needed.
type ShardWriter struct {
	n     int
	files []*os.File
	bufs  []*bufio.Writer
	dir   string
	line  []byte
	out   *os.File // the compressed history, once Finish made it
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

// Finish flushes the shards and returns the history, shard 0 first and
// each shard one zstd frame, as a stream that can seek (so an upload can
// retry), its size and its index. The stream reads a temporary file: use
// it before Close.
//
// Shards are compressed by up to GOMAXPROCS workers at once, since the
// frames are independent and this is the last step before the history can
// be put. Each worker compresses into a temporary file of its own (memory
// stays an encoder's per worker, whatever a shard's size) that is copied
// into the history in shard order; a worker starts no shard more than
// 2 × workers ahead of the one being copied, which bounds the files open.
func (w *ShardWriter) Finish() (io.ReadSeeker, int64, Index, error) {
	out, err := os.CreateTemp(w.dir, "history-*.ndjson.zst")
	if err != nil {
		return nil, 0, Index{}, fmt.Errorf("history: %w", err)
	}
	w.out = out
	for s, f := range w.files {
		if f == nil {
			continue
		}
		if err := w.bufs[s].Flush(); err != nil {
			return nil, 0, Index{}, fmt.Errorf("history shard %d: %w", s, err)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), w.n)
	frames := make([]chan frame, w.n)
	for s := range frames {
		frames[s] = make(chan frame, 1)
	}
	ahead := make(chan struct{}, 2*workers)
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			// One frame per shard must not reach back into another
			// shard, and a 1 MB window bounds what a reader of a shard
			// holds whatever its size.
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
				zstd.WithWindowSize(1<<20))
			for {
				select {
				case ahead <- struct{}{}:
				case <-stop:
					return
				}
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
				frames[s] <- w.compress(enc, s)
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
		for _, c := range frames { // frames a failure left uncopied
			select {
			case fr := <-c:
				fr.remove()
			default:
			}
		}
	}()
	x := Index{Shards: w.n, Offsets: make([]int64, w.n+1)}
	for s := range w.n {
		fr := <-frames[s]
		n, err := fr.copyTo(out)
		fr.remove()
		<-ahead
		if err != nil {
			return nil, 0, Index{}, fmt.Errorf("history shard %d: %w", s, err)
		}
		x.Offsets[s+1] = x.Offsets[s] + n
	}
	size := x.Offsets[w.n]
	return io.NewSectionReader(out, 0, size), size, x, nil
}

// frame is one shard compressed into a temporary file (nil for an empty
// shard), or why it could not be.
type frame struct {
	f   *os.File
	err error
}

// copyTo appends the frame to out and returns its size.
func (fr frame) copyTo(out io.Writer) (int64, error) {
	if fr.err != nil || fr.f == nil {
		return 0, fr.err
	}
	if _, err := fr.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(out, fr.f)
}

// remove closes and removes the frame's file, if any.
func (fr frame) remove() {
	if fr.f != nil {
		fr.f.Close()
		os.Remove(fr.f.Name())
	}
}

// compress compresses shard s's temporary file, if it has one, into one
// zstd frame in a new temporary file (none for an empty shard).
func (w *ShardWriter) compress(enc *zstd.Encoder, s int) frame {
	f := w.files[s]
	if f == nil {
		return frame{}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return frame{err: err}
	}
	z, err := os.CreateTemp(w.dir, "history-shard-*.zst")
	if err != nil {
		return frame{err: err}
	}
	fr := frame{f: z}
	enc.Reset(z)
	if _, err := io.Copy(enc, f); err != nil {
		fr.remove()
		return frame{err: err}
	}
	if err := enc.Close(); err != nil {
		fr.remove()
		return frame{err: err}
	}
	return fr
}

// Close removes the temporary files.
func (w *ShardWriter) Close() error {
	var errs []error
	for _, f := range append(w.files, w.out) {
		if f != nil {
			errs = append(errs, f.Close(), os.Remove(f.Name()))
		}
	}
	return errors.Join(errs...)
}
