// Package redrive replays ingest events that failed after Lambda's retries.
//
// When an asynchronous invocation of the ingest function still fails after
// Lambda's retries, Lambda sends an invocation record (the original event,
// the condition and the last error) to the function's on-failure
// destination, an SQS queue. Once the cause is fixed, a Redriver reads
// those records, invokes the function again with each original event and
// deletes a record only after its invocation succeeded, so a record is
// never lost; ingest is idempotent per object version, so a record replayed
// twice (a duplicate message, or two redrives at once) never counts a file
// twice.
package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Record is the invocation record Lambda sends to an on-failure
// destination after an asynchronous invocation failed for good.
type Record struct {
	Version         string          `json:"version"`
	Timestamp       time.Time       `json:"timestamp"`
	RequestContext  RequestContext  `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext ResponseContext `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload,omitempty"`
}

// RequestContext says which invocation failed and why it was given up:
// Condition is RetriesExhausted or EventAgeExceeded.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the last attempt's outcome: FunctionError is
// "Unhandled" when the function returned an error or crashed.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// FunctionError is the error payload a Go Lambda handler's failure
// produces, as Lambda puts it in responsePayload.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// NewRecord builds the record Lambda would send after attempts invocations
// of function with payload failed, the last one with err; the local stack
// uses it to fill its failure queue as Lambda fills the deployed one.
func NewRecord(function string, payload []byte, attempts int, err error, at time.Time) ([]byte, error) {
	// Lambda names the error by its type without the package or pointer.
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	resp, merr := json.Marshal(FunctionError{Message: err.Error(), Type: t.Name()})
	if merr != nil {
		return nil, fmt.Errorf("encode failure record: %w", merr)
	}
	rec := Record{
		Version:   "1.0",
		Timestamp: at.UTC(),
		RequestContext: RequestContext{
			RequestID: fmt.Sprintf("local-%d", at.UnixNano()), FunctionArn: function,
			Condition: "RetriesExhausted", ApproximateInvokeCount: attempts,
		},
		RequestPayload:  payload,
		ResponseContext: ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		ResponsePayload: resp,
	}
	b, merr := json.Marshal(rec)
	if merr != nil {
		return nil, fmt.Errorf("encode failure record: %w", merr)
	}
	return b, nil
}

// ErrNotRecord means a queue message is not a Lambda invocation record
// with a request payload; such messages are left in the queue untouched.
var ErrNotRecord = errors.New("not a Lambda invocation record")

// Decode reads a queue message body as an invocation record. It returns an
// error wrapping ErrNotRecord when the body is not one.
func Decode(body []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(body, &r); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrNotRecord, err)
	}
	if len(r.RequestPayload) == 0 || string(r.RequestPayload) == "null" || r.RequestContext.FunctionArn == "" {
		return Record{}, fmt.Errorf("%w: no requestPayload or functionArn", ErrNotRecord)
	}
	return r, nil
}

// Objects names the S3 objects the record's event was about, as
// "key@version" (or the key alone when the event has no version), so a
// report says which uploads were replayed; it is empty for other events.
func (r Record) Objects() []string {
	var ev events.S3Event
	if json.Unmarshal(r.RequestPayload, &ev) != nil {
		return nil
	}
	var out []string
	for _, rec := range ev.Records {
		name := rec.S3.Object.URLDecodedKey
		if name == "" {
			name = rec.S3.Object.Key
		}
		if rec.S3.Object.VersionID != "" {
			name += "@" + rec.S3.Object.VersionID
		}
		out = append(out, name)
	}
	return out
}

// Message is one message received from a queue; Receipt identifies this
// receipt of it for Delete and Release.
type Message struct {
	ID      string
	Receipt string
	Body    []byte
}

// Queue is the failure queue: Receive returns up to a batch of messages,
// hidden from other readers for hide; Delete removes one for good; Release
// makes one visible again at once.
type Queue interface {
	Receive(ctx context.Context, hide time.Duration) ([]Message, error)
	Delete(ctx context.Context, m Message) error
	Release(ctx context.Context, m Message) error
}

// Invoker invokes the ingest function synchronously with an event and
// returns its error, if any.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Redriver replays a failure queue's records through an Invoker.
type Redriver struct {
	queue   Queue
	invoker Invoker
	log     *slog.Logger
	// hide keeps a message being replayed from other readers for longer
	// than an ingest can run (its 900 s timeout), so two redrives at once
	// do not replay the same message together.
	hide time.Duration
}

// New returns a Redriver reading q and invoking inv.
func New(q Queue, inv Invoker, log *slog.Logger) *Redriver {
	return &Redriver{queue: q, invoker: inv, log: log, hide: 16 * time.Minute}
}

// Options choose what a run does: DryRun lists the records without
// replaying or deleting any; Max, when positive, stops after that many
// records.
type Options struct {
	DryRun bool
	Max    int
}

// Report says what a run did with each message it received: in a dry
// run every record is Pending, otherwise Redriven or Failed; messages that
// are not invocation records are Skipped.
type Report struct {
	DryRun   bool      `json:"dry_run"`
	Pending  []Outcome `json:"pending"`
	Redriven []Outcome `json:"redriven"`
	Failed   []Outcome `json:"failed"`
	Skipped  []Outcome `json:"skipped"`
}

// Outcome is one message's result: the objects its event named, when the
// original invocation failed and why, and, for a failed replay or a
// skipped message, the reason.
type Outcome struct {
	MessageID     string    `json:"message_id"`
	Objects       []string  `json:"objects"`
	FailedAt      time.Time `json:"failed_at,omitzero"`
	OriginalError string    `json:"original_error,omitempty"`
	Error         string    `json:"error,omitempty"`
}

// Run receives messages until the queue has none left to give, replays
// each record and deletes it once its replay succeeded. Messages it could
// not replay, and every message in a dry run, are released for the next
// run before Run returns. Run returns an error only when the queue itself
// fails; a failed replay is reported, not returned.
func (r *Redriver) Run(ctx context.Context, o Options) (Report, error) {
	rep := Report{DryRun: o.DryRun, Pending: []Outcome{}, Redriven: []Outcome{}, Failed: []Outcome{}, Skipped: []Outcome{}}
	var held []Message
	defer func() {
		// Release with a context of its own: an interrupted run must
		// still hand back what it holds, or it stays hidden for hide.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, m := range held {
			if err := r.queue.Release(rctx, m); err != nil {
				r.log.WarnContext(rctx, "release message", "message_id", m.ID, "error", err)
			}
		}
	}()
	seen := map[string]bool{}
	for o.Max <= 0 || len(seen) < o.Max {
		batch, err := r.queue.Receive(ctx, r.hide)
		if err != nil {
			return rep, fmt.Errorf("receive from failure queue: %w", err)
		}
		fresh := 0
		for _, m := range batch {
			if seen[m.ID] || (o.Max > 0 && len(seen) >= o.Max) {
				held = append(held, m)
				continue
			}
			seen[m.ID] = true
			fresh++
			out, keep := r.one(ctx, m, o.DryRun, &rep)
			if keep {
				held = append(held, m)
			}
			r.log.InfoContext(ctx, "redrive message", "message_id", m.ID, "objects", out.Objects, "error", out.Error)
		}
		if fresh == 0 {
			break
		}
	}
	r.log.InfoContext(ctx, "redrive", "dry_run", o.DryRun, "pending", len(rep.Pending), "redriven", len(rep.Redriven), "failed", len(rep.Failed), "skipped", len(rep.Skipped))
	return rep, ctx.Err()
}

// one handles a message and reports whether the queue keeps it.
func (r *Redriver) one(ctx context.Context, m Message, dry bool, rep *Report) (Outcome, bool) {
	out := Outcome{MessageID: m.ID}
	rec, err := Decode(m.Body)
	if err != nil {
		out.Error = err.Error()
		rep.Skipped = append(rep.Skipped, out)
		return out, true
	}
	out.Objects, out.FailedAt = rec.Objects(), rec.Timestamp
	var fe FunctionError
	if json.Unmarshal(rec.ResponsePayload, &fe) == nil {
		out.OriginalError = fe.Error()
	}
	if dry {
		rep.Pending = append(rep.Pending, out)
		return out, true
	}
	if _, err := r.invoker.Invoke(ctx, rec.RequestPayload); err != nil {
		out.Error = err.Error()
		rep.Failed = append(rep.Failed, out)
		return out, true
	}
	if err := r.queue.Delete(ctx, m); err != nil {
		// The replay counted; the record stays and a later redrive
		// replays it again, which ingest recognises as done.
		out.Error = "replayed, but not deleted from the queue: " + err.Error()
		rep.Failed = append(rep.Failed, out)
		return out, true
	}
	rep.Redriven = append(rep.Redriven, out)
	return out, false
}
