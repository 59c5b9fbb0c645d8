package devstack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/redrive"
)

// asyncRetries is how often Lambda retries a failed asynchronous
// invocation (S3 and EventBridge invoke asynchronously).
const asyncRetries = 2

// Dispatcher delivers S3 events to the ingest handler one at a time, in the
// order they happened, retrying failures as Lambda's asynchronous
// invocation does, and runs recompute on a schedule and shortly after
// ingests.
type Dispatcher struct {
	ingest, recompute Invoker
	log               *slog.Logger
	debounce          time.Duration

	mu       sync.Mutex
	cond     *sync.Cond
	failures FailureSink
	queue    []events.S3Event
	busy     bool
	kick     chan struct{}
	trigger  chan struct{}
}

// Dispatch subscribes to the emulated bucket's events and starts delivering
// them until ctx ends. Recompute runs every interval and debounce after the
// last ingest.
func (e *Emulators) Dispatch(ctx context.Context, ingest, recompute Invoker, log *slog.Logger, interval, debounce time.Duration) *Dispatcher {
	d := &Dispatcher{ingest: ingest, recompute: recompute, log: log, debounce: debounce,
		kick: make(chan struct{}, 1), trigger: make(chan struct{}, 1)}
	d.cond = sync.NewCond(&d.mu)
	e.notify.subscribe(d.enqueue)
	go d.deliver(ctx)
	go d.schedule(ctx, interval)
	return d
}

// FailureSink receives the invocation record of an ingest event that still
// failed after the retries, as the deployed function's on-failure
// destination (an SQS queue) does.
type FailureSink interface {
	Send(ctx context.Context, body []byte) error
}

// OnFailure sends the record of every ingest event that fails after the
// retries to sink, from where `salesseg redrive` replays it; without a
// sink such an event is only logged.
func (d *Dispatcher) OnFailure(sink FailureSink) {
	d.mu.Lock()
	d.failures = sink
	d.mu.Unlock()
}

// localIngestArn names the local ingest function in failure records.
const localIngestArn = "arn:aws:lambda:us-east-1:000000000000:function:salesseg-local-ingest"

// notified says whether an object key is under a prefix whose events
// invoke ingest, or matches the mapping files' filter, as template.yaml's
// notification filters say; ingest's own curated/ and rejects/ outputs
// invoke nothing, as in AWS.
func notified(ev events.S3Event) bool {
	for _, r := range ev.Records {
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			continue
		}
		if slices.ContainsFunc(history.Watched(), func(p string) bool { return strings.HasPrefix(key, p) }) ||
			strings.HasPrefix(key, history.MappingsNotifyPrefix) && strings.HasSuffix(key, history.MappingsNotifySuffix) {
			return true
		}
	}
	return false
}

func (d *Dispatcher) enqueue(ev events.S3Event) {
	if !notified(ev) {
		return
	}
	d.mu.Lock()
	d.queue = append(d.queue, ev)
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Idle waits until every event delivered so far has been handled.
func (d *Dispatcher) Idle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		d.cond.Broadcast()
		d.mu.Unlock()
	})
	defer stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.queue) > 0 || d.busy {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.cond.Wait()
	}
	return nil
}

func (d *Dispatcher) deliver(ctx context.Context) {
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			d.busy = false
			d.cond.Broadcast()
			d.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-d.kick:
				continue
			}
		}
		ev := d.queue[0]
		d.queue = d.queue[1:]
		d.busy = true
		d.mu.Unlock()
		if payload, err := d.invoke(ctx, "ingest", d.ingest, ev); err != nil {
			d.fail(ctx, payload, err)
		}
		select {
		case d.trigger <- struct{}{}:
		default:
		}
	}
}

// invoke delivers ev to h with Lambda's retries and returns the payload
// and the last error when every attempt failed.
func (d *Dispatcher) invoke(ctx context.Context, name string, h Invoker, ev any) ([]byte, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		d.log.ErrorContext(ctx, "encode event", "function", name, "error", err)
		return nil, nil
	}
	for attempt := 0; attempt <= asyncRetries; attempt++ {
		if _, err = h.Invoke(ctx, payload); err == nil {
			return payload, nil
		}
		d.log.WarnContext(ctx, "invocation failed", "function", name, "attempt", attempt+1, "error", err)
	}
	d.log.ErrorContext(ctx, "invocation failed after retries", "function", name, "error", err)
	return payload, err
}

// fail hands a failed ingest event to the failure sink, if there is one.
func (d *Dispatcher) fail(ctx context.Context, payload []byte, err error) {
	d.mu.Lock()
	sink := d.failures
	d.mu.Unlock()
	if sink == nil || ctx.Err() != nil {
		return
	}
	rec, rerr := redrive.NewRecord(localIngestArn, payload, asyncRetries+1, err, time.Now())
	if rerr == nil {
		rerr = sink.Send(ctx, rec)
	}
	if rerr != nil {
		d.log.ErrorContext(ctx, "send to failure queue", "error", rerr)
	}
}

// RunRecompute invokes recompute now with a scheduled event.
func (d *Dispatcher) RunRecompute(ctx context.Context) {
	_, _ = d.invoke(ctx, "recompute", d.recompute, events.EventBridgeEvent{
		Version: "0", ID: time.Now().Format(time.RFC3339Nano), DetailType: "Scheduled Event", Source: "aws.events",
		AccountID: "000000000000", Time: time.Now().UTC(), Region: "us-east-1", Detail: json.RawMessage("{}"),
	})
}

func (d *Dispatcher) schedule(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			d.RunRecompute(ctx)
		case <-d.trigger:
			debounce = time.After(d.debounce)
		case <-debounce:
			debounce = nil
			d.RunRecompute(ctx)
		}
	}
}
