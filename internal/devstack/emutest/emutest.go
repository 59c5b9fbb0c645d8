// Package emutest starts the local emulators for integration tests. A test
// that cannot start them fails: the emulators are installed by `make deps`,
// so their absence is a broken set-up, never a reason to skip.
package emutest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/store"
)

// Start starts fresh emulators, so every test has its own empty bucket and
// table; they are stopped when the test ends.
func Start(t testing.TB) *devstack.Emulators {
	t.Helper()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	emu, err := devstack.Start(context.Background(), devstack.Options{Root: root, Bucket: "test-bucket", Table: "test-table"})
	if err != nil {
		t.Fatalf("start emulators: %v", err)
	}
	t.Cleanup(emu.Close)
	return emu
}

// Fresh gives a test its own empty bucket and table on emulators already
// running (see Start), much faster than starting new ones.
func Fresh(t testing.TB, emu *devstack.Emulators) *devstack.Emulators {
	t.Helper()
	h := sha256.Sum256([]byte(t.Name()))
	name := "t-" + hex.EncodeToString(h[:10])
	f, err := emu.Fresh(context.Background(), name, name)
	if err != nil {
		t.Fatalf("fresh table: %v", err)
	}
	return f
}

// RevenueByValue sums a store query's revenue by dimension value, as the
// API would, for month periods from through to; the test fails on any
// error.
func RevenueByValue(t testing.TB, st *store.Store, d dimension.Dimension, from, to string) map[string]decimal.Decimal {
	t.Helper()
	rows, _, err := st.Query(context.Background(), d, aggregate.Month, from, to)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]decimal.Decimal{}
	for _, r := range rows {
		s, err := money.Add(sums[r.Value], r.Revenue)
		if err != nil {
			t.Fatal(err)
		}
		sums[r.Value] = s
	}
	return sums
}
