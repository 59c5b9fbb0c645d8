package devstack

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []events.S3Event
	busy    bool
	kick    chan struct{}
	trigger chan struct{}
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

func (d *Dispatcher) enqueue(ev events.S3Event) {
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
		d.invoke(ctx, "ingest", d.ingest, ev)
		select {
		case d.trigger <- struct{}{}:
		default:
		}
	}
}

func (d *Dispatcher) invoke(ctx context.Context, name string, h Invoker, ev any) {
	payload, err := json.Marshal(ev)
	if err != nil {
		d.log.ErrorContext(ctx, "encode event", "function", name, "error", err)
		return
	}
	for attempt := 0; attempt <= asyncRetries; attempt++ {
		if _, err = h.Invoke(ctx, payload); err == nil {
			return
		}
		d.log.WarnContext(ctx, "invocation failed", "function", name, "attempt", attempt+1, "error", err)
	}
	d.log.ErrorContext(ctx, "invocation failed after retries", "function", name, "error", err)
}

// RunRecompute invokes recompute now with a scheduled event.
func (d *Dispatcher) RunRecompute(ctx context.Context) {
	d.invoke(ctx, "recompute", d.recompute, events.EventBridgeEvent{
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
