package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/store"
)

// TestDatasetsAreSeparate commits the same object key's data in two
// datasets, compacts one, and checks that neither sees the other's
// aggregates, manifest, snapshot or change mark.
func TestDatasetsAreSeparate(t *testing.T) {
	ctx := context.Background()
	emu := emutest.Start(t)
	def := store.New(emu.Clients.DynamoDB, emu.Table)
	sample := def.Dataset("sample")
	for _, c := range []struct {
		s    *store.Store
		key  string
		file string
		rows map[string]string
	}{
		{def, "transactions/a.csv", "f-default", map[string]string{"2024-01 A": "10"}},
		{sample, "datasets/sample/transactions/a.csv", "f-sample", map[string]string{"2024-01 A": "3", "2024-01 B": "4"}},
	} {
		if err := c.s.PutFragments(ctx, c.key, c.file, delta(t, c.rows)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.s.Commit(ctx, c.key, "0001", c.file); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sample.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sample.MarkChanged(ctx, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	t.Run("aggregates", func(t *testing.T) {
		if got, want := totals(t, def, "2024-01", "2024-12"), map[string]string{"A": "10"}; !equal(got, want) {
			t.Errorf("default dataset: %v, want %v", got, want)
		}
		if got, want := totals(t, sample, "2024-01", "2024-12"), map[string]string{"A": "3", "B": "4"}; !equal(got, want) {
			t.Errorf("sample dataset: %v, want %v", got, want)
		}
	})
	t.Run("manifest", func(t *testing.T) {
		for _, c := range []struct {
			s    *store.Store
			want string
		}{{def, "transactions/a.csv"}, {sample, "datasets/sample/transactions/a.csv"}} {
			live, err := c.s.LiveObjects(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != 1 || live[c.want].File == "" {
				t.Errorf("live objects %v, want only %s", live, c.want)
			}
		}
	})
	t.Run("change mark and registry", func(t *testing.T) {
		if at, err := def.LastChange(ctx); err != nil || at != "" {
			t.Errorf("default dataset's last change %q (%v), want none", at, err)
		}
		if at, err := sample.LastChange(ctx); err != nil || at == "" {
			t.Errorf("sample's last change %q (%v), want one", at, err)
		}
		names, err := def.Datasets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{dataset.Default, "sample"}; !slices.Equal(names, want) {
			t.Errorf("datasets %v, want %v", names, want)
		}
	})
	t.Run("snapshot", func(t *testing.T) {
		id := store.SnapshotTime(time.Now())
		if err := sample.PutSnapshotPart(ctx, id, "meta", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := sample.PublishSnapshot(ctx, store.SnapshotInfo{ID: id, Parts: []string{"meta"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := def.LatestSnapshot(ctx); err == nil {
			t.Error("the default dataset sees the sample's snapshot")
		}
		if info, err := sample.LatestSnapshot(ctx); err != nil || info.ID != id {
			t.Errorf("sample's snapshot %v (%v), want %s", info, err, id)
		}
	})
}
