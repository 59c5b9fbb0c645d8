package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/store"
)

func TestSnapshotsPublishAtomicallyAndNewestWins(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	if _, err := s.LatestSnapshot(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before any snapshot: %v, want ErrNotFound", err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	older := store.SnapshotInfo{ID: "s1", StartedAt: store.SnapshotTime(t0), ComputedAt: "x", Parts: []string{"tiers"}}
	newer := store.SnapshotInfo{ID: "s2", StartedAt: store.SnapshotTime(t0.Add(time.Nanosecond)), ComputedAt: "y", Parts: []string{"tiers"}}
	for _, info := range []store.SnapshotInfo{older, newer} {
		if err := s.PutSnapshotPart(ctx, info.ID, "tiers", []byte(info.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PublishSnapshot(ctx, newer); err != nil {
		t.Fatal(err)
	}
	t.Run("an older run cannot replace a newer one", func(t *testing.T) {
		if _, err := s.PublishSnapshot(ctx, older); !errors.Is(err, store.ErrStale) {
			t.Fatalf("err = %v, want ErrStale", err)
		}
		latest, err := s.LatestSnapshot(ctx)
		if err != nil || latest.ID != "s2" {
			t.Fatalf("latest %+v %v", latest, err)
		}
	})
	t.Run("parts round-trip", func(t *testing.T) {
		if got, err := s.SnapshotPart(ctx, "s2", "tiers"); err != nil || string(got) != "s2" {
			t.Fatalf("got %q %v", got, err)
		}
		if _, err := s.SnapshotPart(ctx, "s2", "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing part: %v", err)
		}
	})
	t.Run("replaced snapshot is returned and deletable", func(t *testing.T) {
		third := store.SnapshotInfo{ID: "s3", StartedAt: store.SnapshotTime(t0.Add(time.Second)), Parts: []string{}}
		prev, err := s.PublishSnapshot(ctx, third)
		if err != nil || prev.ID != "s2" {
			t.Fatalf("prev %+v %v", prev, err)
		}
		if err := s.DeleteSnapshot(ctx, prev); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SnapshotPart(ctx, "s2", "tiers"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted part still readable: %v", err)
		}
	})
	t.Run("oversized part is refused", func(t *testing.T) {
		// Random-looking text does not compress below the item limit.
		var b strings.Builder
		x := uint64(88172645463325252)
		for b.Len() < 2<<20 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b.WriteByte(byte('a' + x%26))
		}
		if err := s.PutSnapshotPart(ctx, "s4", "big", []byte(b.String())); !errors.Is(err, store.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("a part inflating beyond what readers accept is refused", func(t *testing.T) {
		// Zeros compress a thousandfold, so this fits in one item.
		if err := s.PutSnapshotPart(ctx, "s5", "bomb", make([]byte, 64<<20+1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SnapshotPart(ctx, "s5", "bomb"); !errors.Is(err, store.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
}
