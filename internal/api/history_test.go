package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/store"
)

// historyEnv is an env whose fake holds twelve uploads of its own, started
// a minute apart from 2026-11-23T10:00:00Z (before the env's clock, noon):
// every fourth failed, upload 5 processing within its deadline, upload 9
// processing past it (so it reads failed), the others succeeded, upload 6
// replacing upload 2. It returns the ids newest first.
func historyEnv(t *testing.T) (*env, []string) {
	e := newEnv(t)
	clear(e.f.uploads)
	var ids []string
	for i := range 12 {
		id := fmt.Sprintf("%024x", 0xa0+i)
		u := store.Upload{ID: id, Key: fmt.Sprintf("transactions/f%02d.csv", i), Version: fmt.Sprintf("v%d", i),
			Status: store.StatusSucceeded, Rows: int64(10 + i), Accepted: int64(10 + i),
			Started: fmt.Sprintf("2026-11-23T10:%02d:00Z", i), Finished: fmt.Sprintf("2026-11-23T10:%02d:30Z", i)}
		switch {
		case i == 5:
			u.Status, u.Finished, u.Deadline = store.StatusProcessing, "", "2026-11-23T13:00:00Z"
		case i == 9:
			u.Status, u.Finished, u.Deadline = store.StatusProcessing, "", "2026-11-23T11:00:00Z"
		case i%4 == 0:
			u.Status, u.Error, u.Accepted, u.Rejected = store.StatusFailed, "bad header", 0, int64(10+i)
		case i == 6:
			u.Replaced = fmt.Sprintf("%024x", 0xa0+2)
		}
		e.f.uploads[id] = u
		ids = append([]string{id}, ids...)
	}
	return e, ids
}

func TestUploadHistory(t *testing.T) {
	e, want := historyEnv(t)
	entryIDs := func(l UploadList) []string {
		var out []string
		for _, u := range l.Uploads {
			out = append(out, u.ID)
		}
		return out
	}
	t.Run("newest first with the default limit", func(t *testing.T) {
		var l UploadList
		resp := e.get("/v1/uploads", 200, &l)
		if !slices.Equal(entryIDs(l), want) || l.NextCursor != nil {
			t.Fatalf("ids %v, want %v; next %v", entryIDs(l), want, l.NextCursor)
		}
		if resp.Headers[DBRequestsHeader] != "1" {
			t.Errorf("%s DynamoDB requests, want 1", resp.Headers[DBRequestsHeader])
		}
		first := l.Uploads[len(l.Uploads)-1]
		if first.Key != "transactions/f00.csv" || str(first.Version) != "v0" || first.Status != store.StatusFailed ||
			first.Rejected != 10 || str(first.Error) != "bad header" || first.StartedAt != "2026-11-23T10:00:00Z" ||
			str(first.FinishedAt) != "2026-11-23T10:00:30Z" || first.StatusURL != "/v1/uploads/"+first.ID {
			t.Errorf("oldest entry %+v", first)
		}
		if r := l.Uploads[5]; r.Rows != 16 || r.Accepted != 16 || str(r.Replaced) != want[9] {
			t.Errorf("upload 6 %+v, want it to name %s as replaced", r, want[9])
		}
		if l.Uploads[2].Status != store.StatusFailed || l.Uploads[6].Status != store.StatusProcessing || l.Uploads[6].FinishedAt != nil {
			t.Errorf("past its deadline %s, within it %s", l.Uploads[2].Status, l.Uploads[6].Status)
		}
	})
	t.Run("pages join without gaps or duplicates", func(t *testing.T) {
		var got []string
		target := "/v1/uploads?limit=5"
		for pages := 1; ; pages++ {
			var l UploadList
			e.get(target, 200, &l)
			got = append(got, entryIDs(l)...)
			if l.NextCursor == nil {
				if pages != 3 {
					t.Errorf("%d pages of 5 for 12 uploads", pages)
				}
				break
			}
			target = "/v1/uploads?limit=5&cursor=" + url.QueryEscape(*l.NextCursor)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
	})
	t.Run("status filter as uploads read now", func(t *testing.T) {
		cases := []struct {
			status string
			want   []int // upload numbers, newest first
		}{
			{"failed", []int{9, 8, 4, 0}},
			{"processing", []int{5}},
			{"succeeded,processing", []int{11, 10, 7, 6, 5, 3, 2, 1}},
			{"superseded", nil},
		}
		for _, c := range cases {
			t.Run(c.status, func(t *testing.T) {
				var wantIDs []string
				for _, n := range c.want {
					wantIDs = append(wantIDs, want[11-n])
				}
				var l UploadList
				e.get("/v1/uploads?status="+c.status, 200, &l)
				if !slices.Equal(entryIDs(l), wantIDs) {
					t.Fatalf("ids %v, want %v", entryIDs(l), wantIDs)
				}
				for _, u := range l.Uploads {
					if !strings.Contains(c.status, u.Status) {
						t.Errorf("%s listed as %s", u.ID, u.Status)
					}
				}
			})
		}
	})
	t.Run("a cursor is for its own filter only", func(t *testing.T) {
		var l UploadList
		e.get("/v1/uploads?limit=1&status=failed", 200, &l)
		if l.NextCursor == nil {
			t.Fatal("no cursor")
		}
		e.problemOf(e.do(request(http.MethodGet, "/v1/uploads?cursor="+url.QueryEscape(*l.NextCursor), true)), 400, "not valid for this query")
		var next UploadList
		e.get("/v1/uploads?limit=1&status=failed&cursor="+url.QueryEscape(*l.NextCursor), 200, &next)
		if len(next.Uploads) != 1 || next.Uploads[0].ID != want[3] {
			t.Fatalf("second failed upload %v, want %s", entryIDs(next), want[3])
		}
	})
	cases := []struct{ name, target, detail string }{
		{"limit too large", "/v1/uploads?limit=201", "from 1 to 200"},
		{"limit zero", "/v1/uploads?limit=0", "from 1 to 200"},
		{"unknown status", "/v1/uploads?status=failed,lost", `got "lost"`},
		{"empty status", "/v1/uploads?status=", "one or more of"},
		{"version without key", "/v1/uploads?version=v1", "needs key"},
		{"limit with key", "/v1/uploads?key=transactions/a.csv&limit=5", "without key"},
		{"forged cursor", "/v1/uploads?cursor=" + encodeCursor(query{}, []string{"x"}), "not valid"},
		{"garbage cursor", "/v1/uploads?cursor=%21%21", "not valid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.f.readCount()
			e.problemOf(e.do(request(http.MethodGet, c.target, true)), 400, c.detail)
			if e.f.readCount() != before {
				t.Error("a rejected request read the table")
			}
		})
	}
	t.Run("key still finds one upload", func(t *testing.T) {
		e.f.objects["transactions/f03.csv"] = store.Entry{Sequencer: "3", File: want[8]}
		resp := e.get("/v1/uploads?key=transactions/f03.csv", 200, nil)
		var u Upload
		if err := jsonUnmarshal(resp.Body, &u); err != nil || u.ID != want[8] || !strings.Contains(resp.Body, `"format":null`) ||
			strings.Contains(resp.Body, `"uploads"`) {
			t.Fatalf("%v: %s", err, resp.Body)
		}
	})
}

func TestReconciliationRoute(t *testing.T) {
	e := newEnv(t)
	t.Run("before the first run", func(t *testing.T) {
		var r Reconciliation
		e.get("/v1/reconciliation", 200, &r)
		if r.CheckedAt != nil || r.Objects != nil || r.Clean != nil || r.NeverIngested == nil || len(r.NeverIngested)+len(r.StaleVersion)+len(r.Gone)+len(r.Stuck) != 0 {
			t.Fatalf("%+v", r)
		}
	})
	up := func(n int) string { return fmt.Sprintf("%024x", n) }
	e.f.reconciliation = `{"checked_at":"2026-11-23T11:00:00Z","objects":7,
		"never_ingested":[{"key":"transactions/lost.csv","version":"v9","upload":"` + up(1) + `"}],
		"stale_version":[
			{"key":"transactions/a.csv","current_version":"v2","current_status":"","counted_version":"v1","counted_upload":"` + up(2) + `"},
			{"key":"transactions/b.csv","current_version":"v5","current_status":"failed","counted_version":"v4","counted_upload":"` + up(3) + `"},
			{"key":"transactions/c.csv","current_version":"v7","current_status":"processing","counted_version":"","counted_upload":"` + up(4) + `"}],
		"gone":[{"key":"transactions/old.csv","version":"","upload":"` + up(5) + `"}],
		"stuck":[{"upload":"` + up(6) + `","key":"transactions/d.csv","version":"v3","started_at":"2026-11-23T10:00:00Z","deadline_at":"2026-11-23T10:55:00Z"}]}`
	var r Reconciliation
	e.get("/v1/reconciliation", 200, &r)
	if str(r.CheckedAt) != "2026-11-23T11:00:00Z" || r.Objects == nil || *r.Objects != 7 || r.Clean == nil || *r.Clean {
		t.Fatalf("header %v %v %v", str(r.CheckedAt), r.Objects, r.Clean)
	}
	if len(r.NeverIngested) != 1 || len(r.StaleVersion) != 3 || len(r.Gone) != 1 || len(r.Stuck) != 1 {
		t.Fatalf("%+v", r)
	}
	checks := []struct {
		name, reason string
		want         []string
	}{
		{"never ingested", r.NeverIngested[0].Reason, []string{"Never ingested", "v9", "never received its event"}},
		{"stale, event lost", r.StaleVersion[0].Reason, []string{"stale version", "count version v1", "current version v2", "never received its event"}},
		{"stale, failed", r.StaleVersion[1].Reason, []string{"count version v4", "v5", "failed"}},
		{"stale, processing", r.StaleVersion[2].Reason, []string{"count an older version", "v7", "still processing"}},
		{"gone", r.Gone[0].Reason, []string{"no longer holds", up(5)}},
		{"stuck", r.Stuck[0].Reason, []string{"2026-11-23T10:55:00Z", "marked failed"}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for _, w := range c.want {
				if !strings.Contains(c.reason, w) {
					t.Errorf("reason %q lacks %q", c.reason, w)
				}
			}
		})
	}
	if s := r.StaleVersion[0]; s.CurrentStatus != nil || str(s.CountedVersion) != "v1" || s.CountedUploadID != up(2) {
		t.Errorf("lost event %+v", s)
	}
	if s := r.StaleVersion[2]; str(s.CurrentStatus) != "processing" || s.CountedVersion != nil {
		t.Errorf("processing %+v", s)
	}
	if g := r.Gone[0]; g.Version != nil || g.UploadID != up(5) {
		t.Errorf("gone %+v", g)
	}
	if s := r.Stuck[0]; s.StatusURL != "/v1/uploads/"+up(6) || str(s.Version) != "v3" || s.StartedAt != "2026-11-23T10:00:00Z" {
		t.Errorf("stuck %+v", s)
	}
	t.Run("a clean report", func(t *testing.T) {
		e.f.reconciliation = `{"checked_at":"2026-11-23T12:00:00Z","objects":3,"never_ingested":[],"stale_version":[],"gone":[],"stuck":[]}`
		var r Reconciliation
		e.get("/v1/reconciliation", 200, &r)
		if r.Clean == nil || !*r.Clean || *r.Objects != 3 {
			t.Fatalf("%+v", r)
		}
	})
	e.problemOf(e.do(request(http.MethodGet, "/v1/reconciliation?full=1", true)), 400, "no parameters")
	e.problemOf(e.do(request(http.MethodPost, "/v1/reconciliation", true)), 405, "Use GET")
}
