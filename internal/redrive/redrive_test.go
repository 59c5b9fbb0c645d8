package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// memQueue is an in-memory queue with SQS's visibility rules: a received
// message is hidden until deleted or released, and Receive returns at most
// batch visible messages.
type memQueue struct {
	msgs      []Message
	hidden    map[string]bool
	batch     int
	deleted   []string
	failRecv  error
	failDel   map[string]bool
	receipts  int
	redeliver bool // hand back messages already received, as SQS may
}

func newMemQueue(bodies ...string) *memQueue {
	q := &memQueue{hidden: map[string]bool{}, batch: 2, failDel: map[string]bool{}}
	for i, b := range bodies {
		q.msgs = append(q.msgs, Message{ID: fmt.Sprintf("m%d", i), Body: []byte(b)})
	}
	return q
}

func (q *memQueue) Receive(_ context.Context, _ time.Duration) ([]Message, error) {
	if q.failRecv != nil {
		return nil, q.failRecv
	}
	var out []Message
	for _, m := range q.msgs {
		if len(out) == q.batch {
			break
		}
		if q.hidden[m.ID] && !q.redeliver {
			continue
		}
		q.hidden[m.ID] = true
		q.receipts++
		m.Receipt = fmt.Sprintf("r%d", q.receipts)
		out = append(out, m)
	}
	return out, nil
}

func (q *memQueue) Delete(_ context.Context, m Message) error {
	if q.failDel[m.ID] {
		return errors.New("delete refused")
	}
	q.msgs = slices.DeleteFunc(q.msgs, func(x Message) bool { return x.ID == m.ID })
	q.deleted = append(q.deleted, m.ID)
	return nil
}

func (q *memQueue) Release(_ context.Context, m Message) error {
	delete(q.hidden, m.ID)
	return nil
}

func (q *memQueue) visible() []string {
	var ids []string
	for _, m := range q.msgs {
		if !q.hidden[m.ID] {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// objInvoker fails the events whose payload is in fail and records the
// payloads it was given.
type objInvoker struct {
	fail  map[string]bool
	calls []string
}

func (f *objInvoker) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	f.calls = append(f.calls, string(payload))
	if f.fail[string(payload)] {
		return nil, errors.New("still broken")
	}
	return []byte("null"), nil
}

func record(t *testing.T, key string) string {
	t.Helper()
	payload := fmt.Sprintf(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":%q,"versionId":"v1"}}}]}`, key)
	b, err := NewRecord("arn:aws:lambda:us-east-1:1:function:ingest", []byte(payload), 3, fmt.Errorf("write: %w", io.ErrUnexpectedEOF), time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func payloadOf(t *testing.T, body string) string {
	t.Helper()
	r, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return string(r.RequestPayload)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ids(outs []Outcome) []string {
	var s []string
	for _, o := range outs {
		s = append(s, o.MessageID)
	}
	slices.Sort(s)
	return s
}

func TestRun(t *testing.T) {
	tests := []struct {
		name         string
		bodies       []string // built from keys: "key" makes a record, "!text" a raw body
		failKeys     []string
		failDelete   []string
		opts         Options
		redeliver    bool
		wantRedriven []string
		wantFailed   []string
		wantSkipped  []string
		wantPending  []string
		wantLeft     []string // visible in the queue after the run
	}{
		{name: "all replayed and deleted", bodies: []string{"a.csv", "b.csv", "c.csv"},
			wantRedriven: []string{"m0", "m1", "m2"}},
		{name: "a failed replay stays", bodies: []string{"a.csv", "b.csv", "c.csv"}, failKeys: []string{"b.csv"},
			wantRedriven: []string{"m0", "m2"}, wantFailed: []string{"m1"}, wantLeft: []string{"m1"}},
		{name: "other messages are skipped and kept", bodies: []string{"!hello", "a.csv", `!{"requestPayload":null}`},
			wantRedriven: []string{"m1"}, wantSkipped: []string{"m0", "m2"}, wantLeft: []string{"m0", "m2"}},
		{name: "dry run replays and deletes nothing", bodies: []string{"a.csv", "b.csv", "c.csv"}, opts: Options{DryRun: true},
			wantPending: []string{"m0", "m1", "m2"}, wantLeft: []string{"m0", "m1", "m2"}},
		{name: "max stops early and leaves the rest", bodies: []string{"a.csv", "b.csv", "c.csv"}, opts: Options{Max: 2},
			wantRedriven: []string{"m0", "m1"}, wantLeft: []string{"m2"}},
		{name: "a replayed record that cannot be deleted is failed and kept", bodies: []string{"a.csv", "b.csv"}, failDelete: []string{"m0"},
			wantRedriven: []string{"m1"}, wantFailed: []string{"m0"}, wantLeft: []string{"m0"}},
		{name: "messages handed back again are replayed once", bodies: []string{"a.csv", "b.csv"}, failKeys: []string{"a.csv", "b.csv"}, redeliver: true,
			wantFailed: []string{"m0", "m1"}, wantLeft: []string{"m0", "m1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bodies []string
			for _, b := range tt.bodies {
				if b[0] == '!' {
					bodies = append(bodies, b[1:])
				} else {
					bodies = append(bodies, record(t, b))
				}
			}
			q := newMemQueue(bodies...)
			q.redeliver = tt.redeliver
			for _, id := range tt.failDelete {
				q.failDel[id] = true
			}
			inv := &objInvoker{fail: map[string]bool{}}
			for _, k := range tt.failKeys {
				inv.fail[payloadOf(t, record(t, k))] = true
			}
			rep, err := New(q, inv, quiet()).Run(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{
				{"redriven", ids(rep.Redriven), tt.wantRedriven},
				{"failed", ids(rep.Failed), tt.wantFailed},
				{"skipped", ids(rep.Skipped), tt.wantSkipped},
				{"pending", ids(rep.Pending), tt.wantPending},
				{"left in the queue", q.visible(), tt.wantLeft},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if tt.opts.DryRun && len(inv.calls) > 0 {
				t.Errorf("dry run invoked the function %d times", len(inv.calls))
			}
			if n := len(inv.calls); n != len(tt.wantRedriven)+len(tt.wantFailed) {
				t.Errorf("invoked %d times, want one per record replayed (%d)", n, len(tt.wantRedriven)+len(tt.wantFailed))
			}
		})
	}
}

func TestRunReceiveError(t *testing.T) {
	q := newMemQueue(record(t, "a.csv"))
	q.failRecv = errors.New("access denied")
	_, err := New(q, &objInvoker{}, quiet()).Run(context.Background(), Options{})
	if err == nil || !errors.Is(err, q.failRecv) {
		t.Fatalf("err = %v, want the queue's error", err)
	}
}

func TestRecord(t *testing.T) {
	body := record(t, "transactions/2026/a b.csv")
	r, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Objects(); !slices.Equal(got, []string{"transactions/2026/a b.csv@v1"}) {
		t.Errorf("Objects() = %v", got)
	}
	if r.RequestContext.Condition != "RetriesExhausted" || r.RequestContext.ApproximateInvokeCount != 3 {
		t.Errorf("request context = %+v", r.RequestContext)
	}
	if r.ResponseContext.FunctionError != "Unhandled" {
		t.Errorf("function error = %q", r.ResponseContext.FunctionError)
	}
	var fe FunctionError
	if err := json.Unmarshal(r.ResponsePayload, &fe); err != nil || fe.Message != "write: unexpected EOF" || fe.Type != "wrapError" {
		t.Errorf("response payload = %s (%v), want the error message and its type as Lambda names it", r.ResponsePayload, err)
	}
	for _, bad := range []string{"", "{", "[]", `{"requestPayload":{"a":1}}`, `{"requestContext":{"functionArn":"x"}}`} {
		if _, err := Decode([]byte(bad)); !errors.Is(err, ErrNotRecord) {
			t.Errorf("Decode(%q) = %v, want ErrNotRecord", bad, err)
		}
	}
}
