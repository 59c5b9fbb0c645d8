package ingest

import (
	"fmt"
	"sync"
)

// Reading (decompression, decoding, splitting) runs on its own goroutine,
// ahead of validation and aggregation, handing over batches of records.
// Memory: at most asyncDepth+3 batches of batchRecords rows in flight.
const (
	batchRecords = 512
	asyncDepth   = 4
)

// batch is a run of records copied out of the reader's buffers.
type batch struct {
	recs   []record
	nf     []int // fields per record
	ends   []int // end offset in buf of every field
	buf    []byte
	fields [][]byte
	err    error // set on the last batch: io.EOF or the read error
}

func (b *batch) reset() {
	b.recs, b.nf, b.ends, b.buf, b.fields, b.err = b.recs[:0], b.nf[:0], b.ends[:0], b.buf[:0], b.fields[:0], nil
}

// add copies rec into the batch.
func (b *batch) add(rec record) {
	for _, f := range rec.fields {
		b.buf = append(b.buf, f...)
		b.ends = append(b.ends, len(b.buf))
	}
	b.nf = append(b.nf, len(rec.fields))
	rec.fields = nil
	b.recs = append(b.recs, rec)
}

// seal points the records' fields into the final buffer.
func (b *batch) seal() {
	start := 0
	for _, e := range b.ends {
		b.fields = append(b.fields, b.buf[start:e:e])
		start = e
	}
	k := 0
	for i, n := range b.nf {
		b.recs[i].fields = b.fields[k : k+n : k+n]
		k += n
	}
}

// asyncSource reads another source on a goroutine. It owns the inner
// source from creation; close stops the goroutine and closes it.
type asyncSource struct {
	inner recordSource
	ch    chan *batch
	free  chan *batch
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	cur   *batch
	i     int
	err   error
}

func newAsyncSource(inner recordSource) *asyncSource {
	s := &asyncSource{inner: inner, ch: make(chan *batch, asyncDepth), free: make(chan *batch, asyncDepth+2),
		done: make(chan struct{})}
	s.wg.Add(1)
	go s.run()
	return s
}

func (s *asyncSource) run() {
	defer s.wg.Done()
	defer close(s.ch)
	for {
		var b *batch
		select {
		case b = <-s.free:
			b.reset()
		default:
			b = &batch{}
		}
		for len(b.recs) < batchRecords {
			rec, err := s.inner.next()
			if err != nil {
				b.err = err
				break
			}
			b.add(rec)
		}
		b.seal()
		select {
		case s.ch <- b:
		case <-s.done:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// next returns the next record; it stays valid until the next call.
func (s *asyncSource) next() (record, error) {
	for s.cur == nil || s.i == len(s.cur.recs) {
		if s.err != nil {
			return record{}, s.err
		}
		if s.cur != nil {
			select {
			case s.free <- s.cur:
			default:
			}
			s.cur = nil
		}
		b, ok := <-s.ch
		if !ok {
			return record{}, fmt.Errorf("%w: reader stopped", ErrUnreadable)
		}
		s.cur, s.i, s.err = b, 0, b.err
	}
	rec := s.cur.recs[s.i]
	s.i++
	return rec, nil
}

func (s *asyncSource) typed() bool    { return s.inner.typed() }
func (s *asyncSource) date1904() bool { return s.inner.date1904() }

// blankLines is only meaningful once next returned io.EOF.
func (s *asyncSource) blankLines() int64 { s.stop(); return s.inner.blankLines() }

// stop ends the reading goroutine and waits for it.
func (s *asyncSource) stop() {
	s.once.Do(func() { close(s.done) })
	s.wg.Wait()
}

func (s *asyncSource) close() error {
	s.stop()
	return s.inner.close()
}
