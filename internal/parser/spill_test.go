package parser

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/history"
)

// spillTestFile writes a file that exercises what the spilled purchase
// history and order log must get right: customers with names (sometimes
// blank), the same day written ISO and month first for one customer,
// orders that come back in later runs, lines without an order id, returns,
// lines without a cost, and day-first dates that the month-first order
// rejects.
func spillTestFile(rows int) string {
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	b.WriteString("Order ID,Date,Customer,Customer Name,Segment,Region,Sales,Cost\n")
	for i := range rows {
		order := fmt.Sprint("O", i/3)
		switch r.IntN(40) {
		case 0:
			order = fmt.Sprint("O", r.IntN(i/3+1)) // an order that comes back
		case 1:
			order = "" // an order of its own
		}
		month, day := 1+i*12/rows, 1+r.IntN(28)
		date := fmt.Sprintf("%d/%d/2022", month, day)
		switch r.IntN(6) {
		case 0:
			date = fmt.Sprintf("2022-%02d-%02d", month, day)
		case 1:
			if i%101 == 0 {
				date = fmt.Sprintf("%d/%d/2022", 13+r.IntN(15), month) // day first: rejected
			}
		}
		cust := r.IntN(120)
		name := fmt.Sprint("Name ", cust, " v", r.IntN(3))
		if r.IntN(4) == 0 {
			name = ""
		}
		sales := fmt.Sprintf("%d.%02d", r.IntN(500), r.IntN(100))
		if r.IntN(30) == 0 {
			sales = "-" + sales
		}
		cost := fmt.Sprint(r.IntN(40))
		if r.IntN(10) == 0 {
			cost = ""
		}
		fmt.Fprintf(&b, "%s,%s,C%d,%s,S%d,R%d,%s,%s\n", order, date, cust, name, r.IntN(4), r.IntN(5), sales, cost)
	}
	return b.String()
}

// parseOutputs is everything a parse gives that ingestion writes.
type parseOutputs struct {
	res       *Result
	rejects   []string
	purchases []string
}

func parseAll(t *testing.T, file string, opt Options) parseOutputs {
	t.Helper()
	res, rej, err := parseText(t, file, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	out := parseOutputs{res: res}
	for _, e := range rej {
		out.rejects = append(out.rejects, e.Error())
	}
	slices.Sort(out.rejects)
	if err := res.Purchases(func(p history.Purchase) error {
		out.purchases = append(out.purchases, fmt.Sprint(p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(out.purchases) != res.PurchaseCount() {
		t.Fatalf("%d purchases, PurchaseCount %d", len(out.purchases), res.PurchaseCount())
	}
	return out
}

// TestSpillMatchesMemory parses files with the purchase history and the
// orders' runs spilled to disk (the default), in one partition and in
// many, and held in memory, and expects the same outputs: counts, format,
// rejects, every key's measures and every purchase, in order.
func TestSpillMatchesMemory(t *testing.T) {
	var hc strings.Builder
	w := bufio.NewWriter(&hc)
	writeHighcard(w, 2<<20, 4000)
	w.Flush()
	files := []struct {
		name string
		text string
	}{
		{"names, two spellings of a day, returning orders", spillTestFile(12000)},
		{"high cardinality", hc.String()},
	}
	for _, path := range []string{"../../../shared/data/sample_superstore_cp1252.csv", "../../../shared/data/uci_online_retail_random_sample_2709.csv"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, struct {
			name string
			text string
		}{path, string(b)})
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			want := parseAll(t, f.text, Options{inMemory: true})
			if len(want.purchases) == 0 {
				t.Fatal("no purchases")
			}
			for _, sc := range []struct {
				name string
				opt  Options
			}{{"spilled", Options{}}, {"spilled, partitions of 5 runs", Options{spillPart: 5}},
				{"spilled, partitions of 5 runs, cache of 64 cells", Options{spillPart: 5, cellCache: 64}}} {
				opt := sc.name
				got := parseAll(t, f.text, sc.opt)
				g, w := got.res, want.res
				if g.Rows != w.Rows || g.Accepted != w.Accepted || g.Rejected != w.Rejected || g.NoCustomer != w.NoCustomer {
					t.Errorf("%s: rows %d/%d/%d/%d, want %d/%d/%d/%d", opt, g.Rows, g.Accepted, g.Rejected, g.NoCustomer,
						w.Rows, w.Accepted, w.Rejected, w.NoCustomer)
				}
				if !reflect.DeepEqual(g.Format, w.Format) {
					t.Errorf("%s: format %+v, want %+v", opt, g.Format, w.Format)
				}
				if !slices.Equal(got.rejects, want.rejects) {
					t.Errorf("%s: %d rejects differ from the %d in memory", opt, len(got.rejects), len(want.rejects))
				}
				if len(g.Delta) != len(w.Delta) {
					t.Errorf("%s: %d keys, want %d", opt, len(g.Delta), len(w.Delta))
				}
				for k, m := range w.Delta {
					if gm := g.Delta[k]; gm == nil || *gm != *m {
						t.Errorf("%s: %v: %+v, want %+v", opt, k, gm, m)
						break
					}
				}
				if !slices.Equal(got.purchases, want.purchases) {
					for i := range min(len(got.purchases), len(want.purchases)) {
						if got.purchases[i] != want.purchases[i] {
							t.Errorf("%s: purchase %d: %s, want %s", opt, i, got.purchases[i], want.purchases[i])
							break
						}
					}
					t.Errorf("%s: %d purchases differ from the %d in memory", opt, len(got.purchases), len(want.purchases))
				}
			}
		})
	}
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// failingRejects fails on its first reject.
type failingRejects struct{}

var errRejectsFull = errors.New("rejects full")

func (failingRejects) Reject(*RowError) error { return errRejectsFull }

// TestSpillFilesRemoved checks that spill files never stay in their
// directory and that their descriptors are closed by Close, and by Parse
// itself when it fails: after a reject writer's error and after a sum
// overflow at the end of the file.
func TestSpillFilesRemoved(t *testing.T) {
	file := spillTestFile(3000)
	cases := []struct {
		name    string
		text    string
		rejects RejectWriter
		wantErr bool
	}{
		{"parsed, then closed", file, &rejectList{}, false},
		{"rejects fail", file, failingRejects{}, true},
		{"sum overflows", "Date,Customer,Sales\n2024-01-01,C1,999999999999999.9999\n2024-01-02,C1,999999999999999.9999\n" +
			"2024-01-01,C1,999999999999999.9999\n2024-01-01,C1,999999999999999.9999\n", &rejectList{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			before := openFiles(t)
			res, err := ParseWith(strings.NewReader(c.text), "spill.csv", c.rejects, Options{spillDir: dir, spillPart: 5})
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			entries, derr := os.ReadDir(dir)
			if derr != nil || len(entries) != 0 {
				t.Fatalf("spill directory holds %d files (%v)", len(entries), derr)
			}
			if err == nil {
				if n := openFiles(t); n <= before {
					t.Fatalf("%d descriptors open after the parse, %d before: the history is not spilled", n, before)
				}
				if res.PurchaseCount() == 0 {
					t.Fatal("no purchases")
				}
				if err := res.Close(); err != nil {
					t.Fatal(err)
				}
				if err := res.Close(); err != nil {
					t.Fatalf("second Close: %v", err)
				}
				if err := res.Purchases(func(history.Purchase) error { return nil }); !errors.Is(err, ErrClosed) {
					t.Fatalf("Purchases after Close: %v, want ErrClosed", err)
				}
			}
			if n := openFiles(t); n != before {
				t.Fatalf("%d descriptors open, %d before the parse", n, before)
			}
		})
	}
}
