package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/store"
)

// TestListUploadsNewestFirst writes uploads through every path that
// writes a status (processing then final, a duplicated processing event
// after success, a retry that starts later, an expiry past the deadline)
// and lists them from the index on the emulator: each upload once, newest
// first, pages that join without a gap or a duplicate, and a status
// filter that keeps paging past uploads it skips.
func TestListUploadsNewestFirst(t *testing.T) {
	ctx := t.Context()
	emu := emutest.Start(t)
	s := store.New(emu.Clients.DynamoDB, emu.Table)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(minutes int) string { return base.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339) }
	put := func(u store.Upload) {
		t.Helper()
		if err := s.PutUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// Twenty uploads a minute apart; every fifth failed, the others
	// succeeded after a processing status; two share a start second.
	var want []string // newest first
	for i := range 20 {
		id := fmt.Sprintf("%024x", i+1)
		started := at(i)
		if i == 7 {
			started = at(6) // same second as upload 6; the id orders them
		}
		u := store.Upload{ID: id, Key: fmt.Sprintf("transactions/f%02d.csv", i), Version: "v1", Status: store.StatusProcessing, Started: started}
		put(u)
		u.Status, u.Finished, u.Rows, u.Accepted = store.StatusSucceeded, started, 3, 3
		if i%5 == 0 {
			u.Status, u.Error = store.StatusFailed, "unreadable"
		}
		put(u)
		if i%5 != 0 {
			u.Status = store.StatusProcessing // a duplicated event: refused
			put(u)
		}
		want = append([]string{id}, want...)
	}
	// A retry of the oldest upload starts after every other one.
	retried := store.Upload{ID: fmt.Sprintf("%024x", 1), Key: "transactions/f00.csv", Version: "v1", Status: store.StatusSucceeded,
		Started: at(30), Finished: at(31)}
	put(retried)
	want = append([]string{retried.ID}, want[:len(want)-1]...)
	// One upload dies processing and is expired past its deadline.
	dead := store.Upload{ID: fmt.Sprintf("%024x", 99), Key: "transactions/dead.csv", Version: "v1", Status: store.StatusProcessing,
		Started: at(40), Deadline: base.Add(45 * time.Minute).Format(store.DeadlineFormat)}
	put(dead)
	if expired, err := s.ExpireOverdue(ctx, base.Add(time.Hour)); err != nil || len(expired) != 1 {
		t.Fatalf("expired %v: %v", expired, err)
	}
	want = append([]string{dead.ID}, want...)
	// The oldest upload lost to a newer version.
	stale := store.Upload{ID: fmt.Sprintf("%024x", 100), Key: "transactions/f03.csv", Version: "v0", Status: store.StatusSuperseded,
		Started: at(-10), Finished: at(-10)}
	put(stale)
	want = append(want, stale.ID)

	list := func(q store.UploadQuery) ([]store.Upload, []int) {
		t.Helper()
		var all []store.Upload
		var sizes []int
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("paging does not end")
			}
			p, n, err := s.ListUploads(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if n < 1 {
				t.Fatalf("%d requests counted", n)
			}
			all = append(all, p.Uploads...)
			sizes = append(sizes, len(p.Uploads))
			if p.Next == "" {
				return all, sizes
			}
			q.After = p.Next
		}
	}
	ids := func(us []store.Upload) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}

	t.Run("every upload once, newest first, in pages of 7", func(t *testing.T) {
		got, sizes := list(store.UploadQuery{Limit: 7})
		if !slices.Equal(ids(got), want) {
			t.Fatalf("order\n got %v\nwant %v", ids(got), want)
		}
		if !slices.Equal(sizes, []int{7, 7, 7, 1}) {
			t.Errorf("page sizes %v, want 7, 7, 7, 1 (22 uploads, no empty last page)", sizes)
		}
		if got[0].Status != store.StatusFailed || got[0].Finished == "" {
			t.Errorf("the expired upload lists as %+v", got[0])
		}
		if got[1].Started != at(30) || got[1].Status != store.StatusSucceeded {
			t.Errorf("the retried upload lists as %+v", got[1])
		}
	})
	t.Run("status filter", func(t *testing.T) {
		got, _ := list(store.UploadQuery{Limit: 2, Statuses: []string{store.StatusFailed}})
		wantFailed := []string{dead.ID}
		for _, i := range []int{15, 10, 5} {
			wantFailed = append(wantFailed, fmt.Sprintf("%024x", i+1))
		}
		if !slices.Equal(ids(got), wantFailed) {
			t.Fatalf("failed uploads %v, want %v", ids(got), wantFailed)
		}
	})
	t.Run("a sparse filter stops after a bounded read and goes on", func(t *testing.T) {
		// Eight Query pages of two items each reach the 16th newest
		// upload: the one superseded upload, the oldest, comes later.
		q := store.UploadQuery{Limit: 1, Statuses: []string{store.StatusSuperseded}}
		first, n, err := s.ListUploads(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if n != 8 || len(first.Uploads) != 0 || first.Next == "" {
			t.Fatalf("first page: %d requests, %d uploads, next %q", n, len(first.Uploads), first.Next)
		}
		q.After = first.Next
		got, _ := list(q)
		if !slices.Equal(ids(got), []string{stale.ID}) {
			t.Fatalf("after the bounded read: %v", ids(got))
		}
	})
}
