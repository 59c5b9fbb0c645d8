package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/store"
)

// clock is a settable time for leases and grace periods.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

// model is the expected state: each object's live delta.
type model map[string]aggregate.Delta

// want sums the live deltas of a dimension by period and value at a grain.
func (m model) want(t *testing.T, d dimension.Dimension, g aggregate.Grain) map[string]string {
	t.Helper()
	sums := map[string]decimal.Decimal{}
	for _, delta := range m {
		for k, ms := range delta {
			if k.Dim != d || k.Grain != g {
				continue
			}
			s, err := money.Add(sums[k.Period+" "+k.Value], ms.Revenue)
			if err != nil {
				t.Fatal(err)
			}
			sums[k.Period+" "+k.Value] = s
		}
	}
	out := map[string]string{}
	for k, s := range sums {
		if !s.IsZero() {
			out[k] = s.Trim(0).String()
		}
	}
	return out
}

// got reads the same sums back through the store.
func got(t *testing.T, s *store.Store, d dimension.Dimension, g aggregate.Grain) map[string]string {
	t.Helper()
	from, to := "0000-00", "9999-12"
	if g == aggregate.Day {
		from, to = "0000-00-00", "9999-12-31"
	}
	rows, _, err := s.Query(context.Background(), d, g, from, to)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Period+" "+r.Value] = r.Revenue.Trim(0).String()
	}
	return out
}

// fileDelta is a file's delta: revenue per (day, segment), with day and
// month keys, as ingestion writes them; with derived set, also the month
// keys a reader derives for the region column the file lacks (Blank)
// and for the segment × region pair (the segment, Blank).
func fileDelta(t *testing.T, rows map[string]string, derived bool) aggregate.Delta {
	t.Helper()
	d := aggregate.Delta{}
	for k, rev := range rows {
		day, value, _ := strings.Cut(k, " ")
		m := aggregate.Measures{Revenue: decimal.MustParse(rev), Lines: 1, Orders: 1}
		keys := []aggregate.Key{
			{Dim: dimension.Segment, Value: value, Grain: aggregate.Day, Period: day},
			{Dim: dimension.Segment, Value: value, Grain: aggregate.Month, Period: day[:7]},
			{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Month, Period: day[:7]},
		}
		if derived {
			keys = append(keys,
				aggregate.Key{Dim: dimension.Region, Value: dimension.Blank, Grain: aggregate.Month, Period: day[:7]},
				aggregate.Key{Dim: dimension.Cross(dimension.Segment, dimension.Region), Value: dimension.JoinValues(value, dimension.Blank),
					Grain: aggregate.Month, Period: day[:7]})
		}
		for _, key := range keys {
			if err := d.Add(key, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	return d
}

// check compares the store with the model at both grains.
func check(t *testing.T, s *store.Store, m model, when string) {
	t.Helper()
	for _, c := range []struct {
		d dimension.Dimension
		g aggregate.Grain
	}{{dimension.Segment, aggregate.Day}, {dimension.Segment, aggregate.Month}, {dimension.Total, aggregate.Month},
		{dimension.Region, aggregate.Month}, {dimension.Region, aggregate.Day}, {dimension.Cross(dimension.Segment, dimension.Region), aggregate.Month}} {
		if g, w := got(t, s, c.d, c.g), m.want(t, c.d, c.g); !maps.Equal(g, w) {
			t.Fatalf("%s: %s %s = %v, want %v", when, c.d, c.g, g, w)
		}
	}
}

// history is a run of commits that replaces, deletes and re-creates
// objects, for the compaction tests.
type step struct {
	object, file string
	rows         map[string]string // nil deletes the object
}

var history = []step{
	{"transactions/a.csv", "a1", map[string]string{"2024-01-05 Consumer": "10.50", "2024-02-01 Corporate": "3"}},
	{"transactions/b.csv", "b1", map[string]string{"2024-01-05 Consumer": "1.25", "2024-01-31 Consumer": "2"}},
	{"transactions/a.csv", "a2", map[string]string{"2024-01-06 Consumer": "7", "2024-03-10 Home": "100.01"}},
	{"transactions/b.csv", "", nil},
	{"transactions/c.csv", "c1", map[string]string{"2023-12-31 Home": "0.99"}},
	{"transactions/b.csv", "b2", map[string]string{"2024-02-29 Corporate": "5"}},
	{"transactions/a.csv", "a3", map[string]string{"2024-01-05 Consumer": "-4", "2024-02-01 Corporate": "4"}},
}

// apply commits one step and records it in the model.
func apply(t *testing.T, s *store.Store, m model, i int, st step) {
	t.Helper()
	ctx := context.Background()
	seq := fmt.Sprintf("%04d", i+1)
	if st.rows == nil {
		if _, err := s.Commit(ctx, st.object, seq, store.Tombstone); err != nil {
			t.Fatal(err)
		}
		delete(m, st.object)
		return
	}
	if err := s.PutFragments(ctx, st.object, st.file, fileDelta(t, st.rows, false)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, st.object, seq, st.file); err != nil {
		t.Fatal(err)
	}
	m[st.object] = fileDelta(t, st.rows, true)
}

// compactAll compacts until nothing is pending.
func compactAll(t *testing.T, s *store.Store) {
	t.Helper()
	for range 10 {
		c, err := s.Compact(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending == 0 {
			return
		}
	}
	t.Fatal("files still pending after 10 compactions")
}

// TestCompactionNeverChangesAnAnswer compacts after every step, after
// every other step and only at the end: every answer must equal the
// model's before and after each compaction, and a compacted table must
// answer from the base alone.
func TestCompactionNeverChangesAnAnswer(t *testing.T) {
	for _, every := range []int{1, 2, len(history)} {
		t.Run(fmt.Sprintf("compact every %d", every), func(t *testing.T) {
			emu := emutest.Start(t)
			s := store.New(emu.Clients.DynamoDB, emu.Table)
			m := model{}
			for i, st := range history {
				apply(t, s, m, i, st)
				check(t, s, m, fmt.Sprintf("after step %d", i+1))
				if (i+1)%every == 0 {
					compactAll(t, s)
					check(t, s, m, fmt.Sprintf("after compacting step %d", i+1))
				}
			}
			compactAll(t, s)
			check(t, s, m, "at the end")
			if _, n, err := s.Query(context.Background(), dimension.Segment, aggregate.Month, "2023-01", "2024-12"); err != nil || n != 2 {
				t.Fatalf("%d requests, %v: a compacted table answers with the view and one base query", n, err)
			}
		})
	}
}

// countItems counts the table's items whose partition key starts with
// prefix, with a Scan (tests only: the store never scans).
func countItems(t *testing.T, emu *devstack.Emulators, prefix string) int {
	t.Helper()
	n := 0
	p := dynamodb.NewScanPaginator(emu.Clients.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(emu.Table)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range out.Items {
			if pk, ok := item["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, prefix) {
				n++
			}
		}
	}
	return n
}

// TestGarbageIsCollectedAfterGrace replaces one object many times with
// compactions between: once the grace period has passed, the table holds
// one base generation and the live file's fragments, not one per version.
func TestGarbageIsCollectedAfterGrace(t *testing.T) {
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	clk := newClock()
	s.SetClock(clk.now)
	m := model{}
	for i := range 20 {
		apply(t, s, m, i, step{"transactions/a.csv", fmt.Sprintf("v%02d", i), map[string]string{"2024-01-05 Consumer": fmt.Sprint(i + 1)}})
		compactAll(t, s)
		clk.advance(time.Minute)
	}
	check(t, s, m, "after 20 versions")
	clk.advance(store.Grace)
	compactAll(t, s)
	check(t, s, m, "after collecting")
	// The live version's fragments (kept to subtract it later): its
	// object item and three buckets, the other dimensions and pairs being
	// derived. Base: the 57 buckets of one generation, one month: those
	// three and the derived ones (9 dimensions and 45 pairs by month).
	if f, b := countItems(t, emu, "F#"), countItems(t, emu, "B#"); f != 4 || b != 57 {
		t.Fatalf("%d fragment and %d base items left, want 4 and 57", f, b)
	}
}

// TestCompactionCrashAtEveryCall kills a compaction at each of its
// DynamoDB calls, before or after the call applies: answers stay exact
// while it lies dead, and once its lease has run out the next compaction
// finishes the work, still exact, leaving nothing pending.
func TestCompactionCrashAtEveryCall(t *testing.T) {
	ctx := context.Background()
	shared := emutest.Start(t)
	for _, after := range []bool{false, true} {
		for n := int64(1); ; n++ {
			reached := false
			t.Run(fmt.Sprintf("call %d after=%v", n, after), func(t *testing.T) {
				emu := emutest.Fresh(t, shared)
				clean := store.New(emu.Clients.DynamoDB, emu.Table)
				clk := newClock()
				clean.SetClock(clk.now)
				m := model{}
				for i, st := range history[:3] {
					apply(t, clean, m, i, st)
				}
				compactAll(t, clean)
				for i, st := range history[3:] {
					apply(t, clean, m, 3+i, st)
				}
				fdb := &emutest.FaultyDB{DB: emu.Clients.DynamoDB, FailAt: n, After: after, Dead: true}
				dying := store.New(fdb, emu.Table)
				dying.SetClock(clk.now)
				_, err := dying.Compact(ctx)
				reached = fdb.Calls.Load() >= n
				if fdb.Injected.Load() && !errors.Is(err, emutest.ErrInjected) {
					t.Fatalf("injected failure at call %d: err %v", n, err)
				}
				check(t, clean, m, "while the compaction lies dead")
				clk.advance(11 * time.Minute) // past the lease
				compactAll(t, clean)
				check(t, clean, m, "after the next compaction")
				clk.advance(store.Grace)
				compactAll(t, clean)
				check(t, clean, m, "after collecting")
			})
			if !reached {
				break
			}
		}
	}
}

// TestReadsDuringOverwritesAndCompaction overwrites and deletes one object
// again and again, compacting between, while readers query: every answer
// must be the total of exactly one version plus the untouched object,
// never a mix of versions or a half-replaced state.
func TestReadsDuringOverwritesAndCompaction(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	m := model{}
	apply(t, s, m, 0, step{"transactions/fixed.csv", "fixed", map[string]string{"2024-01-02 Consumer": "0.5"}})
	// Version k has 1001×k revenue: k on one day and segment, 1000×k on
	// another, so a total mixing versions j and k (j + 1000k) or holding
	// half a version is never 0.5 + 1001×n.
	valid := func(total decimal.Decimal) bool {
		n, err := total.Sub(decimal.MustParse("0.5"))
		if err != nil || n.Sign() < 0 {
			return false
		}
		q, r, err := n.QuoRem(decimal.MustNew(1001, 0))
		return err == nil && r.IsZero() && q.IsInt()
	}
	var done atomic.Bool
	var reads, bad atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !done.Load() {
				rows, _, err := s.Query(ctx, dimension.Total, aggregate.Month, "2024-01", "2024-01")
				if err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
				if len(rows) != 1 || !valid(rows[0].Revenue) {
					bad.Add(1)
					t.Errorf("inconsistent answer %+v", rows)
				}
			}
		})
	}
	seq := 1
	for k := 1; reads.Load() < 3000 && k < 500; k++ {
		rows := map[string]string{"2024-01-05 Consumer": fmt.Sprint(k), "2024-01-20 Corporate": fmt.Sprint(1000 * k)}
		apply(t, s, m, seq, step{"transactions/moving.csv", fmt.Sprintf("moving%d", k), rows})
		seq++
		if k%3 == 0 {
			apply(t, s, m, seq, step{"transactions/moving.csv", "", nil})
			apply(t, s, m, seq+1, step{"transactions/moving.csv", fmt.Sprintf("moving%d-again", k), rows})
			seq += 2
		}
		if k%2 == 0 {
			if _, err := s.Compact(ctx); err != nil && !errors.Is(err, store.ErrBusy) {
				t.Fatal(err)
			}
		}
	}
	done.Store(true)
	wg.Wait()
	if reads.Load() < 3000 || bad.Load() != 0 {
		t.Fatalf("%d reads, %d inconsistent", reads.Load(), bad.Load())
	}
	check(t, s, m, "at the end")
	t.Logf("%d reads, none inconsistent", reads.Load())
}

// replayingDB applies the first UpdateItem that takes the compaction
// lease twice and answers with the second outcome, as when the SDK
// retries a call whose answer was lost after the server applied it.
type replayingDB struct {
	store.DB
	replayed atomic.Bool
}

func (r *replayingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if strings.Contains(aws.ToString(in.ConditionExpression), "#l < :now") && r.replayed.CompareAndSwap(false, true) {
		if _, err := r.DB.UpdateItem(ctx, in, o...); err != nil {
			return nil, err
		}
	}
	return r.DB.UpdateItem(ctx, in, o...)
}

// TestCompactionLeaseSurvivesARetriedCall: a retried lease call must find
// its own lease and go on, not report another compaction busy while the
// lease it took blocks every compaction until it runs out.
func TestCompactionLeaseSurvivesARetriedCall(t *testing.T) {
	emu := emutest.Start(t)
	s := store.New(&replayingDB{DB: emu.Clients.DynamoDB}, emu.Table)
	m := model{}
	apply(t, s, m, 0, step{"transactions/a.csv", "v00", map[string]string{"2024-01-05 Consumer": "10"}})
	c, err := s.Compact(context.Background())
	if err != nil {
		t.Fatalf("compaction after a retried lease call: %v", err)
	}
	if c.Folded != 1 || c.Pending != 0 {
		t.Fatalf("compaction %+v, want the file folded", c)
	}
	apply(t, s, m, 1, step{"transactions/b.csv", "v01", map[string]string{"2024-01-06 Consumer": "5"}})
	if c, err := s.Compact(context.Background()); err != nil || c.Folded != 1 {
		t.Fatalf("the next compaction: %+v, %v (the lease was left held)", c, err)
	}
	check(t, s, m, "after both compactions")
}
