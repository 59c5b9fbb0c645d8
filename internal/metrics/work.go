package metrics

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Work measures one unit of work: wall time per named phase, time and
// bytes spent reading its input through Reader, and DynamoDB items
// written under its context (see CountWrites). It is safe for concurrent
// use; the methods of a nil *Work do nothing and report zeros, so code
// can measure whether or not its caller started Work.
type Work struct {
	start     time.Time
	readNanos atomic.Int64
	readBytes atomic.Int64
	items     atomic.Int64

	mu     sync.Mutex
	order  []string
	phases map[string]time.Duration
}

type workKey struct{}

// Start begins measuring work and returns a context carrying it, for
// WorkFrom and CountWrites. Work started under a context that already
// carries some is measured on its own.
func Start(ctx context.Context) (context.Context, *Work) {
	w := &Work{start: time.Now(), phases: map[string]time.Duration{}}
	return context.WithValue(ctx, workKey{}, w), w
}

// WorkFrom returns the Work ctx carries, or nil.
func WorkFrom(ctx context.Context) *Work {
	w, _ := ctx.Value(workKey{}).(*Work)
	return w
}

// Reader returns r counting the bytes read and the time spent blocked in
// its Read calls, which Metrics reports as ReadSeconds and BytesRead.
func (w *Work) Reader(r io.Reader) io.Reader {
	if w == nil {
		return r
	}
	return &timedReader{r: r, w: w}
}

type timedReader struct {
	r io.Reader
	w *Work
}

func (t *timedReader) Read(p []byte) (int, error) {
	start := time.Now()
	n, err := t.r.Read(p)
	t.w.readNanos.Add(int64(time.Since(start)))
	t.w.readBytes.Add(int64(n))
	return n, err
}

// Phase starts timing phase name and returns the function that ends it.
// Time the phase spent reading through Reader counts as reading, not as
// the phase, so a phase that streams its input reports its own work.
// Repeated phases add up.
func (w *Work) Phase(name string) (stop func()) {
	if w == nil {
		return func() {}
	}
	start, read := time.Now(), w.readNanos.Load()
	return func() {
		d := time.Since(start) - time.Duration(w.readNanos.Load()-read)
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.phases[name]; !ok {
			w.order = append(w.order, name)
		}
		w.phases[name] += max(d, 0)
	}
}

// Elapsed returns the time since Start.
func (w *Work) Elapsed() time.Duration {
	if w == nil {
		return 0
	}
	return time.Since(w.start)
}

// Metrics returns ReadSeconds, then <phase>Seconds for each phase in the
// order they first started, then BytesRead and ItemsWritten; nil for a nil
// Work.
func (w *Work) Metrics() []Metric {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := []Metric{Seconds("ReadSeconds", time.Duration(w.readNanos.Load()))}
	for _, p := range w.order {
		out = append(out, Seconds(p+"Seconds", w.phases[p]))
	}
	return append(out, Bytes("BytesRead", w.readBytes.Load()), Count("ItemsWritten", w.items.Load()))
}

// CountWrites makes a DynamoDB client count, into the Work its calls'
// contexts carry, the items each successful write wrote: one per PutItem,
// UpdateItem or DeleteItem, the processed requests of a BatchWriteItem and
// the items of a TransactWriteItems. Use it as a client option:
// dynamodb.NewFromConfig(cfg, metrics.CountWrites).
func CountWrites(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("salesseg.CountWrites",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if w := WorkFrom(ctx); w != nil && err == nil {
					w.items.Add(written(in.Parameters, out.Result))
				}
				return out, md, err
			}), middleware.After)
	})
}

// written is how many items a successful call with input in and output
// out wrote.
func written(in, out any) int64 {
	switch in := in.(type) {
	case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput:
		return 1
	case *dynamodb.TransactWriteItemsInput:
		return int64(len(in.TransactItems))
	case *dynamodb.BatchWriteItemInput:
		n := 0
		for _, reqs := range in.RequestItems {
			n += len(reqs)
		}
		if o, ok := out.(*dynamodb.BatchWriteItemOutput); ok {
			for _, reqs := range o.UnprocessedItems {
				n -= len(reqs)
			}
		}
		return int64(n)
	}
	return 0
}
