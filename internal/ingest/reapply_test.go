package ingest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/store"
)

// tipo is a sales file whose segment column ingestion does not detect.
const tipo = "Order Date,Customer ID,Tipo,Sales\n1/15/2024,C1,Empresa,100\n2/15/2024,C2,Particular,50\n3/1/2024,C3,Empresa,5\n"

// mappingReport is the format of a mapping file's upload, as the API
// shows it.
type mappingReport struct {
	FileName        *string `json:"file_name"`
	ApplyToUploaded bool    `json:"apply_to_uploaded"`
	Files           []struct {
		Key            string  `json:"key"`
		Upload         string  `json:"upload"`
		MappingVersion *string `json:"mapping_version"`
		State          string  `json:"state"`
		Reread         *string `json:"reread"`
	} `json:"files"`
	Note string `json:"note"`
}

// handled delivers ev and returns the upload of the version it reports.
func handled(t *testing.T, emu *devstack.Emulators, st *store.Store, svc *ingest.Service, ev events.S3Event) store.Upload {
	t.Helper()
	ctx := context.Background()
	if err := svc.HandleS3(ctx, ev); err != nil {
		t.Fatal(err)
	}
	o := ev.Records[0].S3.Object
	u, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, strings.ReplaceAll(o.Key, "+", " "), o.VersionID))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func reportOf(t *testing.T, u store.Upload) mappingReport {
	t.Helper()
	var r mappingReport
	if err := json.Unmarshal(u.Format, &r); err != nil {
		t.Fatalf("format %s: %v", u.Format, err)
	}
	return r
}

// liveUpload returns the upload that counts for key.
func liveUpload(t *testing.T, st *store.Store, key string) store.Upload {
	t.Helper()
	ctx := context.Background()
	e, ok, err := st.Object(ctx, key)
	if err != nil || !ok {
		t.Fatalf("entry of %s: %v %v", key, ok, err)
	}
	u, err := st.GetUpload(ctx, e.File)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestMappingReappliesOnlyWhenAsked uploads a sales file whose segment
// column is not detected, then mapping files that map it: without
// "apply_to_uploaded" nothing changes and the mapping's status lists the
// file as not re-applied; with it, the file is re-read under the mapping,
// once however often the event comes, and the mapping's status lists it.
func TestMappingReappliesOnlyWhenAsked(t *testing.T) {
	emu, st, svc := newStack(t)
	const sales, other = "transactions/sales.csv", "transactions/other.csv"
	handled(t, emu, st, svc, upload(t, emu, sales, []byte(tipo), 1))
	handled(t, emu, st, svc, upload(t, emu, other, []byte("Order Date,Sales\n1/15/2024,7\n"), 1))
	if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{dimension.Blank: "162.00"}) {
		t.Fatalf("before any mapping: %v", got)
	}
	perName := "config/mappings/sales.csv.json"

	t.Run("without apply_to_uploaded nothing changes", func(t *testing.T) {
		u := handled(t, emu, st, svc, upload(t, emu, perName, []byte(`{"columns": {"segment": "Tipo"}}`), 2))
		r := reportOf(t, u)
		if u.Status != store.StatusSucceeded || r.ApplyToUploaded || r.FileName == nil || *r.FileName != "sales.csv" {
			t.Fatalf("mapping upload %+v, report %+v", u, r)
		}
		if len(r.Files) != 1 || r.Files[0].Key != sales || r.Files[0].State != "not_reapplied" || r.Files[0].MappingVersion != nil ||
			r.Files[0].Reread != nil || !strings.Contains(r.Note, "new uploads only") {
			t.Fatalf("report %+v", r)
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{dimension.Blank: "162.00"}) {
			t.Fatalf("a mapping without apply_to_uploaded changed uploaded files: %v", got)
		}
	})

	var ev events.S3Event
	t.Run("a broken mapping fails and changes nothing", func(t *testing.T) {
		u := handled(t, emu, st, svc, upload(t, emu, perName, []byte(`{"columns": {"segment": "Tipo"}, "apply_to_uploaded": true, "date_order": "YMD"}`), 3))
		if u.Status != store.StatusFailed || !strings.Contains(u.Error, perName) || !strings.Contains(u.Error, "date order") {
			t.Fatalf("broken mapping upload %+v", u)
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{dimension.Blank: "162.00"}) {
			t.Fatalf("a broken mapping changed uploaded files: %v", got)
		}
	})

	t.Run("with apply_to_uploaded the file is re-read once", func(t *testing.T) {
		ev = upload(t, emu, perName, []byte(`{"columns": {"segment": "Tipo"}, "apply_to_uploaded": true}`), 4)
		version := ev.Records[0].S3.Object.VersionID
		for i := range 2 {
			u := handled(t, emu, st, svc, ev)
			r := reportOf(t, u)
			if u.Status != store.StatusSucceeded || !r.ApplyToUploaded || len(r.Files) != 1 {
				t.Fatalf("delivery %d: mapping upload %+v, report %+v", i+1, u, r)
			}
			f := r.Files[0]
			if f.Key != sales || f.State != "reapplied" || f.Reread == nil || *f.Reread != f.Upload ||
				f.MappingVersion == nil || *f.MappingVersion != version {
				t.Fatalf("delivery %d: report %+v", i+1, r)
			}
			got := revenue(t, st, dimension.Segment)
			want := map[string]string{"Empresa": "105.00", "Particular": "50.00", dimension.Blank: "7.00"}
			if !sameMap(got, want) {
				t.Fatalf("delivery %d: revenue by segment %v, want %v", i+1, got, want)
			}
			if got := revenue(t, st, dimension.Total); !sameMap(got, map[string]string{dimension.TotalValue: "162.00"}) {
				t.Fatalf("delivery %d: total %v: each file must count once", i+1, got)
			}
		}
		live := liveUpload(t, st, sales)
		if !strings.Contains(string(live.Format), perName) || !strings.Contains(string(live.Format), version) || live.Status != store.StatusSucceeded {
			t.Fatalf("re-read upload %+v does not record the mapping version %s", live, version)
		}
	})

	t.Run("a table change keeps the mapping the file was read under", func(t *testing.T) {
		// A later version without apply_to_uploaded unmaps the column;
		// the customers file then re-derives the sales file, which must
		// keep the version it was read under.
		u := handled(t, emu, st, svc, upload(t, emu, perName, []byte(`{"columns": {"segment": ""}}`), 5))
		if r := reportOf(t, u); len(r.Files) != 1 || r.Files[0].State != "not_reapplied" {
			t.Fatalf("report %+v", r)
		}
		handled(t, emu, st, svc, upload(t, emu, "customers/accounts.csv", readFile(t, "testdata/accounts.csv"), 6))
		if got := revenue(t, st, dimension.Industry); !sameMap(got, map[string]string{"Retail": "100.00", "Software": "50.00", dimension.Blank: "12.00"}) {
			t.Fatalf("the customers file did not re-derive: %v", got)
		}
		got := revenue(t, st, dimension.Segment)
		if want := map[string]string{"Empresa": "105.00", "Particular": "50.00", dimension.Blank: "7.00"}; !sameMap(got, want) {
			t.Fatalf("revenue by segment %v after a table change, want %v", got, want)
		}
	})

	t.Run("a stale event re-reads nothing", func(t *testing.T) {
		// The re-applying version's first delivery is lost and comes
		// after a newer version: it is superseded.
		late := upload(t, emu, perName, []byte(`{"columns": {"segment": "Customer ID"}, "apply_to_uploaded": true}`), 7)
		handled(t, emu, st, svc, upload(t, emu, perName, []byte(`{"columns": {"segment": "Tipo"}}`), 8))
		u := handled(t, emu, st, svc, late)
		if u.Status != store.StatusSuperseded || !strings.Contains(reportOf(t, u).Note, "newer version") {
			t.Fatalf("late mapping upload %+v", u)
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{"Empresa": "105.00", "Particular": "50.00", dimension.Blank: "7.00"}) {
			t.Fatalf("a stale mapping changed uploaded files: %v", got)
		}
	})

	t.Run("a new version of the file wins", func(t *testing.T) {
		handled(t, emu, st, svc, upload(t, emu, sales, []byte("Order Date,Customer ID,Tipo,Sales\n1/15/2024,C1,Empresa,1\n"), 9))
		got := revenue(t, st, dimension.Segment)
		if want := map[string]string{"Empresa": "1.00", dimension.Blank: "7.00"}; !sameMap(got, want) {
			t.Fatalf("revenue by segment %v after a new version, want %v", got, want)
		}
		// The re-applying event once more changes nothing.
		handled(t, emu, st, svc, ev)
		if got2 := revenue(t, st, dimension.Segment); !sameMap(got2, got) {
			t.Fatalf("a duplicate mapping event after a new version: %v", got2)
		}
	})

	t.Run("a global mapping applies to every file", func(t *testing.T) {
		u := handled(t, emu, st, svc, upload(t, emu, "config/mapping.json",
			[]byte(`{"values": {"segment": {"Empresa": "Company"}}, "apply_to_uploaded": true}`), 10))
		r := reportOf(t, u)
		if r.FileName != nil || len(r.Files) != 2 || r.Files[0].Key != other || r.Files[1].Key != sales ||
			r.Files[0].State != "reapplied" || r.Files[1].State != "reapplied" {
			t.Fatalf("report %+v", r)
		}
		// The sales file keeps its own mapping's version, which maps Tipo.
		got := revenue(t, st, dimension.Segment)
		if want := map[string]string{"Company": "1.00", dimension.Blank: "7.00"}; !sameMap(got, want) {
			t.Fatalf("revenue by segment %v, want %v", got, want)
		}
	})
}

// TestCrashWhileReapplying fails each DynamoDB call of a mapping event
// that re-applies to an uploaded file: every run must end with the file
// counted once under the mapping and the mapping's status listing it.
func TestCrashWhileReapplying(t *testing.T) {
	var ev events.S3Event
	crashAtEveryCall(t, func(t *testing.T, emu *devstack.Emulators, svc *ingest.Service) events.S3Event {
		if err := svc.HandleS3(context.Background(), upload(t, emu, "transactions/sales.csv", []byte(tipo), 1)); err != nil {
			t.Fatal(err)
		}
		ev = upload(t, emu, "config/mapping.json", []byte(`{"columns": {"segment": "Tipo"}, "apply_to_uploaded": true}`), 2)
		return ev
	}, func(t *testing.T, emu *devstack.Emulators, st *store.Store) {
		if got, want := revenue(t, st, dimension.Segment), map[string]string{"Empresa": "105.00", "Particular": "50.00"}; !sameMap(got, want) {
			t.Fatalf("revenue by segment %v, want %v", got, want)
		}
		u, err := st.GetUpload(context.Background(), ingest.FileID(emu.Bucket, "config/mapping.json", ev.Records[0].S3.Object.VersionID))
		if err != nil {
			t.Fatal(err)
		}
		if r := reportOf(t, u); u.Status != store.StatusSucceeded || len(r.Files) != 1 || r.Files[0].State != "reapplied" {
			t.Fatalf("mapping upload %+v, report %+v", u, r)
		}
	})
}
