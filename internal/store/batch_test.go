package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// errRefused is the failure fakeBatchDB returns from its failing call.
var errRefused = errors.New("refused")

// fakeBatchDB answers BatchWriteItem only, as a DynamoDB under load
// would: with unproc, a request's second half comes back unprocessed
// when none of its items was sent before, and call number failAt (1-based,
// 0 never) fails. It records every item written, how many requests were
// in flight at most, and the largest request. Only the batch writer's
// scheduling is under test here; the emulator tests cover the real API.
type fakeBatchDB struct {
	DB      // nil: any other call panics
	failAt  int64
	unproc  bool
	always  bool // every request leaves its last item unprocessed
	delay   time.Duration
	calls   atomic.Int64
	flying  atomic.Int64
	maxFly  atomic.Int64
	mu      sync.Mutex
	written map[string]int
	seen    map[string]bool
	largest int
	sizes   []int    // each request's item count, in order
	order   []string // sort keys, in the order requests named them
}

func (f *fakeBatchDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	n := f.calls.Add(1)
	fly := f.flying.Add(1)
	defer f.flying.Add(-1)
	for {
		m := f.maxFly.Load()
		if fly <= m || f.maxFly.CompareAndSwap(m, fly) {
			break
		}
	}
	if n == f.failAt {
		return nil, errRefused // at once, while the others are in flight
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	reqs := in.RequestItems["t"]
	f.mu.Lock()
	defer f.mu.Unlock()
	f.largest = max(f.largest, len(reqs))
	f.sizes = append(f.sizes, len(reqs))
	for _, r := range reqs {
		f.order = append(f.order, attrS(r.PutRequest.Item, "sk"))
	}
	done := reqs
	var left []types.WriteRequest
	first := attrS(reqs[0].PutRequest.Item, "sk")
	switch {
	case f.always:
		done, left = reqs[:len(reqs)-1], reqs[len(reqs)-1:]
	case f.unproc && !f.seen[first] && len(reqs) > 1:
		done, left = reqs[:len(reqs)/2], reqs[len(reqs)/2:]
	}
	for _, r := range reqs {
		f.seen[attrS(r.PutRequest.Item, "sk")] = true
	}
	for _, r := range done {
		f.written[attrS(r.PutRequest.Item, "sk")]++
	}
	out := &dynamodb.BatchWriteItemOutput{}
	if len(left) > 0 {
		out.UnprocessedItems = map[string][]types.WriteRequest{"t": left}
	}
	return out, nil
}

// puts returns n put requests of distinct items, each with a binary
// value of size bytes.
func puts(n, size int) []types.WriteRequest {
	reqs := make([]types.WriteRequest, n)
	for i := range reqs {
		item := key("P", fmt.Sprintf("%05d", i))
		item["v"] = &types.AttributeValueMemberB{Value: make([]byte, size)}
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	return reqs
}

func TestBatchWriteConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name     string
		db       *fakeBatchDB
		items    int
		size     int
		writers  int
		canceled bool
		wantErr  error
		// atMostCalls bounds the requests sent (0: no bound checked).
		atMostCalls int64
	}{
		{name: "every item once, unprocessed items retried", db: &fakeBatchDB{unproc: true, delay: time.Millisecond},
			items: 1000, size: 10, writers: 4},
		{name: "one writer", db: &fakeBatchDB{unproc: true}, items: 260, size: 10, writers: 1},
		{name: "large items split by size", db: &fakeBatchDB{}, items: 60, size: 1 << 20, writers: 4},
		{name: "an error stops the batches not yet sent", db: &fakeBatchDB{failAt: 3, delay: 2 * time.Millisecond},
			items: 1000, size: 10, writers: 4, wantErr: errRefused, atMostCalls: 3 + 3},
		{name: "items left unprocessed after every retry", db: &fakeBatchDB{always: true}, items: 100, size: 10, writers: 4,
			wantErr: ErrUnprocessed},
		{name: "the caller's context ends", db: &fakeBatchDB{}, items: 100, size: 10, writers: 4, canceled: true,
			wantErr: context.Canceled, atMostCalls: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.db.written, tc.db.seen = map[string]int{}, map[string]bool{}
			s := &Store{db: tc.db, table: "t", retries: 3, backoff: time.Microsecond, writers: tc.writers}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.canceled {
				cancel()
			}
			err := s.batchWrite(ctx, puts(tc.items, tc.size))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				if tc.atMostCalls > 0 && tc.db.calls.Load() > tc.atMostCalls {
					t.Fatalf("%d requests sent after a failure, want at most %d", tc.db.calls.Load(), tc.atMostCalls)
				}
				if tc.canceled && tc.db.calls.Load() > int64(tc.writers) {
					t.Fatalf("%d requests sent on an ended context", tc.db.calls.Load())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.db.written) != tc.items {
				t.Fatalf("%d distinct items written, want %d", len(tc.db.written), tc.items)
			}
			for sk, n := range tc.db.written {
				if n != 1 {
					t.Fatalf("item %s written %d times", sk, n)
				}
			}
			if tc.db.largest > batchLimit {
				t.Fatalf("a request of %d items, over the limit of %d", tc.db.largest, batchLimit)
			}
			if tc.size*tc.db.largest > batchBytes {
				t.Fatalf("a request of %d items of %d bytes, over %d bytes", tc.db.largest, tc.size, batchBytes)
			}
			if got := tc.db.maxFly.Load(); got > int64(tc.writers) || tc.writers > 1 && tc.items > 4*batchLimit && got < 2 {
				t.Fatalf("%d requests in flight at most, want 2 to %d", got, tc.writers)
			}
		})
	}
}

func TestBatchesKeepOrderAndLimits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reqs  []types.WriteRequest
		sizes []int
	}{
		{"none", nil, nil},
		{"one short batch", puts(3, 1), []int{3}},
		{"by count", puts(60, 1), []int{25, 25, 10}},
		{"by size", puts(20, 3<<20), []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{"an item over the budget alone", puts(2, 9<<20), []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := &fakeBatchDB{written: map[string]int{}, seen: map[string]bool{}}
			s := &Store{db: db, table: "t", retries: 3, backoff: time.Microsecond, writers: 1}
			if err := s.batchWrite(context.Background(), tc.reqs); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(db.sizes) != fmt.Sprint(tc.sizes) {
				t.Fatalf("batch sizes %v, want %v", db.sizes, tc.sizes)
			}
			for i := 1; i < len(db.order); i++ {
				if strings.Compare(db.order[i-1], db.order[i]) >= 0 {
					t.Fatalf("order changed at %d: %s then %s", i, db.order[i-1], db.order[i])
				}
			}
		})
	}
}

func TestWriteStreamStopsOnProducerError(t *testing.T) {
	errProduce := errors.New("cannot encode")
	db := &fakeBatchDB{written: map[string]int{}, seen: map[string]bool{}}
	s := &Store{db: db, table: "t", retries: 3, backoff: time.Microsecond, writers: 4}
	reqs := puts(100, 1)
	err := s.writeStream(context.Background(), func(put func(types.WriteRequest) error) error {
		for i, r := range reqs {
			if i == 60 {
				return errProduce
			}
			if err := put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, errProduce) {
		t.Fatalf("error %v, want the producer's", err)
	}
	if len(db.written) > 50 {
		t.Fatalf("%d items written after the producer failed at the 61st; at most the two full batches before it may be", len(db.written))
	}
}
