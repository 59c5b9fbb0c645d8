package parser

import (
	"fmt"
	"io"
	"sync"

	"github.com/salesseg/salesseg/internal/tabular"
)

// The pipeline runs stage 1 — reading (decompression, decoding,
// splitting), validation and parsing of every row — on its own goroutine,
// ahead of stage 2, aggregation, on the caller's. Batches of parsed rows
// travel between them. Memory: at most pipelineDepth+2 batches of
// batchRows rows in flight.
const (
	batchRows     = 512
	pipelineDepth = 32
)

// parsedBatch is a run of parsed rows; err ends the stream (io.EOF or a
// file error).
type parsedBatch struct {
	rows []parsedRow
	err  error
}

type stagePipe struct {
	src  *tabular.Reader
	acc  *accumulator
	ch   chan *parsedBatch
	free chan *parsedBatch
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// startPipeline starts stage 1 over src: it first reads up to
// sampleRecords rows to decide the decimal notation, then parses every row
// (first included, if not nil) in order.
func startPipeline(src *tabular.Reader, acc *accumulator, first *tabular.Record, semicolon bool) *stagePipe {
	p := &stagePipe{src: src, acc: acc, ch: make(chan *parsedBatch, pipelineDepth),
		free: make(chan *parsedBatch, pipelineDepth+2), done: make(chan struct{})}
	p.wg.Add(1)
	go p.run(first, semicolon)
	return p
}

func (p *stagePipe) run(first *tabular.Record, semicolon bool) {
	defer p.wg.Done()
	defer close(p.ch)
	defer func() {
		// A bug must not take the process down from a goroutine the
		// caller cannot recover: report it as this file's error.
		if v := recover(); v != nil {
			select {
			case p.ch <- &parsedBatch{err: fmt.Errorf("ingest: internal error while reading rows: %v", v)}:
			case <-p.done:
			}
		}
	}()
	var sample []tabular.Record
	if first != nil {
		sample = append(sample, *first)
	}
	var err error
	size := 0
	for len(sample) < sampleRecords && size < sampleBytes {
		var rec tabular.Record
		if rec, err = p.src.Next(); err != nil {
			break
		}
		sample = append(sample, rec.Clone())
		for _, f := range rec.Fields {
			size += len(f)
		}
	}
	p.acc.decideNotation(sample, p.src.Typed(), semicolon)
	b := p.batch()
	send := func() bool {
		select {
		case p.ch <- b:
			b = p.batch()
			return true
		case <-p.done:
			return false
		}
	}
	add := func(rec tabular.Record) bool {
		b.rows = b.rows[:len(b.rows)+1]
		p.acc.parseRow(rec, &b.rows[len(b.rows)-1])
		return len(b.rows) < batchRows || send()
	}
	for _, rec := range sample {
		if !add(rec) {
			return
		}
	}
	sample = nil
	for err == nil {
		var rec tabular.Record
		if rec, err = p.src.Next(); err == nil && !add(rec) {
			return
		}
	}
	b.err = err
	send()
}

// batch returns an empty batch, reusing a consumed one when possible.
func (p *stagePipe) batch() *parsedBatch {
	select {
	case b := <-p.free:
		b.rows, b.err = b.rows[:0], nil
		return b
	default:
		return &parsedBatch{rows: make([]parsedRow, 0, batchRows)}
	}
}

// next returns the next batch; the previous one must no longer be used.
func (p *stagePipe) next(prev *parsedBatch) (*parsedBatch, error) {
	if prev != nil {
		select {
		case p.free <- prev:
		default:
		}
	}
	b, ok := <-p.ch
	if !ok {
		return nil, fmt.Errorf("%w: reader stopped", ErrUnreadable)
	}
	return b, nil
}

// stop ends stage 1 and waits for it; after stop the accumulator's stage 1
// state may be read.
func (p *stagePipe) stop() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

// drive consumes the pipeline: counts rows, writes rejects, aggregates.
func (p *stagePipe) drive(res *Result, rejects RejectWriter) error {
	var b *parsedBatch
	for {
		var err error
		if b, err = p.next(b); err != nil {
			return err
		}
		if err := p.acc.maybeRoll(); err != nil {
			return err
		}
		p.acc.prepare(b.rows)
		for i := range b.rows {
			r := &b.rows[i]
			res.Rows++
			if r.rowErr != nil {
				res.Rejected++
				if err := rejects.Reject(r.rowErr); err != nil {
					return fmt.Errorf("write reject: %w", err)
				}
				continue
			}
			if r.noAccount {
				res.Format.DealsWithoutAccount++
			}
			if r.open {
				res.Accepted++
				res.Format.OpenDeals++
				p.acc.keepDeal(r)
				continue
			}
			if err := p.acc.aggregate(r); err != nil {
				return err
			}
			if r.deal != 0 {
				p.acc.keepDeal(r)
			}
			res.Accepted++
		}
		if b.err == io.EOF {
			return nil
		}
		if b.err != nil {
			return b.err
		}
	}
}
