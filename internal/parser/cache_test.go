package parser

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/history"
)

// TestCellCacheSize parses files with a cache of a few cells (rolled up at
// every batch) and with the default one (rolled up once) and expects the
// same result: the same keys and measures, purchases and rejects. The
// month-first file settles its order after 10,000 votes; the rows written
// day first that come before and after are rejected; orders come back in
// later runs.
func TestCellCacheSize(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("Order ID,Date,Customer,Segment,Region,Sales,Cost\n")
	for i := range 16000 {
		order := i / 2
		if r.IntN(50) == 0 {
			order = r.IntN(i/2 + 1) // an order that comes back
		}
		month, day := 1+i*12/16000, 1+r.IntN(28)
		date := fmt.Sprintf("%d/%d/2021", month, day)
		if i%997 == 0 {
			date = fmt.Sprintf("%d/%d/2021", 13+r.IntN(15), month) // day first: rejected
		}
		fmt.Fprintf(&b, "O%d,%s,C%d,S%d,R%d,%d.%02d,%d\n", order, date, r.IntN(300), r.IntN(4), r.IntN(7), r.IntN(900), r.IntN(100), r.IntN(50))
	}
	file := b.String()
	parse := func(cache int) (*Result, rejectList) {
		res, rej, err := parseText(t, file, Options{cellCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return res, rej
	}
	want, wantRej := parse(0)
	got, gotRej := parse(16)
	if want.Rejected != 17 || got.Accepted != want.Accepted || got.Rejected != want.Rejected {
		t.Fatalf("accepted %d, rejected %d; want %d, %d (17 rejected)", got.Accepted, got.Rejected, want.Accepted, want.Rejected)
	}
	lines := func(rej rejectList) []int {
		var l []int
		for _, e := range rej {
			l = append(l, e.Line)
		}
		slices.Sort(l)
		return l
	}
	if !slices.Equal(lines(gotRej), lines(wantRej)) {
		t.Errorf("rejected lines %v, want %v", lines(gotRej), lines(wantRej))
	}
	if len(got.Delta) != len(want.Delta) {
		t.Errorf("%d keys, want %d", len(got.Delta), len(want.Delta))
	}
	for k, w := range want.Delta {
		if g := got.Delta[k]; g == nil || *g != *w {
			t.Errorf("%v: %+v, want %+v", k, g, w)
		}
	}
	purchases := func(res *Result) []string {
		var out []string
		if err := res.Purchases(func(p history.Purchase) error { out = append(out, fmt.Sprint(p)); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if g, w := purchases(got), purchases(want); !slices.Equal(g, w) {
		t.Errorf("%d purchases differ from the %d with the default cache", len(g), len(w))
	}
}
