package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/devstack/emutest"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newStack starts fresh emulators and returns them with a store and an
// ingest service (reject threshold 50%) on them.
func newStack(t *testing.T) (*devstack.Emulators, *store.Store, *ingest.Service) {
	t.Helper()
	emu := emutest.Start(t)
	st := store.New(emu.Clients.DynamoDB, emu.Table)
	return emu, st, ingest.New(emu.Clients.S3, st, quiet, ingest.ServiceOptions{MaxRejectRate: 0.5})
}

// upload puts a file and returns the S3 event AWS would send for it.
func upload(t testing.TB, emu *devstack.Emulators, key string, body []byte, seq int) events.S3Event {
	t.Helper()
	out, err := emu.Clients.S3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(emu.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	return s3Event("ObjectCreated:Put", emu.Bucket, key, aws.ToString(out.VersionId), seq)
}

func s3Event(name, bucket, key, version string, seq int) events.S3Event {
	return events.S3Event{Records: []events.S3EventRecord{{EventName: name, S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: bucket},
		Object: events.S3Object{Key: strings.ReplaceAll(key, " ", "+"), VersionID: version, Sequencer: fmt.Sprintf("%X", seq)},
	}}}}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// revenue returns all-time revenue per value of a dimension, as the API
// would sum it, with two decimals.
func revenue(t *testing.T, st *store.Store, d dimension.Dimension) map[string]string {
	t.Helper()
	out := map[string]string{}
	for v, s := range emutest.RevenueByValue(t, st, d, "0000-00", "9999-12") {
		out[v] = s.Trim(2).Pad(2).String()
	}
	return out
}

func sameMap(a, b map[string]string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

var smallWant = map[string]string{"Consumer": "81.00", "Corporate": "1250.00", "Home Office": "49.99"}

func TestIngestCountsEveryRowOrRejectsIt(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	ev := upload(t, emu, "transactions/small file.csv", readFile(t, "testdata/small.csv"), 1)
	if err := svc.HandleS3(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := revenue(t, st, dimension.Segment); !sameMap(got, smallWant) {
		t.Fatalf("revenue by segment %v, want %v", got, smallWant)
	}
	if got := revenue(t, st, dimension.Region); !sameMap(got, map[string]string{"East": "101.00", "West": "1230.00", "South": "49.99"}) {
		t.Fatalf("revenue by region %v", got)
	}
	id := ingest.FileID(emu.Bucket, "transactions/small file.csv", ev.Records[0].S3.Object.VersionID)
	up, err := st.GetUpload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != store.StatusPartiallySucceeded || up.Rows != 7 || up.Accepted != 5 || up.Rejected != 2 {
		t.Fatalf("upload status %+v", up)
	}
	obj, err := emu.Clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(up.RejectsKey)})
	if err != nil {
		t.Fatalf("rejects file %q: %v", up.RejectsKey, err)
	}
	rej, _ := io.ReadAll(obj.Body)
	for _, want := range []string{"6,Order Date,not a date,not a date", "7,Sales,abc,not a number"} {
		if !strings.Contains(string(rej), want) {
			t.Errorf("rejects file lacks %q:\n%s", want, rej)
		}
	}
}

func TestDuplicateEventsCountOnce(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	ev := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small.csv"), 1)
	for i := range 3 {
		if err := svc.HandleS3(ctx, ev); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, smallWant) {
			t.Fatalf("after delivery %d: %v, want %v", i+1, got, smallWant)
		}
	}
}

func TestNewVersionReplacesAndDeleteRetracts(t *testing.T) {
	ctx := context.Background()
	v2Want := map[string]string{"Consumer": "999.00"}
	t.Run("in order", func(t *testing.T) {
		emu, st, svc := newStack(t)
		ev1 := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small.csv"), 1)
		ev2 := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small_v2.csv"), 2)
		for _, ev := range []events.S3Event{ev1, ev2} {
			if err := svc.HandleS3(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, v2Want) {
			t.Fatalf("got %v, want %v", got, v2Want)
		}
		if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:Delete", emu.Bucket, "transactions/a.csv", "", 3)); err != nil {
			t.Fatal(err)
		}
		if got := revenue(t, st, dimension.Segment); len(got) != 0 {
			t.Fatalf("deleted object still counts: %v", got)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		emu, st, svc := newStack(t)
		ev1 := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small.csv"), 1)
		ev2 := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small_v2.csv"), 2)
		del := s3Event("ObjectRemoved:Delete", emu.Bucket, "transactions/a.csv", "", 3)
		// The delete arrives first, then the two puts in reverse: the
		// delete is the newest event, so nothing may count.
		for _, ev := range []events.S3Event{ev2, del, ev1} {
			if err := svc.HandleS3(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		if got := revenue(t, st, dimension.Segment); len(got) != 0 {
			t.Fatalf("got %v after a newer delete", got)
		}
	})
	t.Run("older version late", func(t *testing.T) {
		emu, st, svc := newStack(t)
		ev1 := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small.csv"), 1)
		ev2 := upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small_v2.csv"), 2)
		for _, ev := range []events.S3Event{ev2, ev1} {
			if err := svc.HandleS3(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, v2Want) {
			t.Fatalf("got %v, want %v", got, v2Want)
		}
		// The late version's upload says why it does not count.
		up, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, "transactions/a.csv", ev1.Records[0].S3.Object.VersionID))
		if err != nil || up.Status != store.StatusSuperseded || up.Finished == "" {
			t.Fatalf("late upload %+v, %v", up, err)
		}
	})
}

// crashAtEveryCall runs a scenario once per DynamoDB call that handling
// its event makes: prepare sets up the table cleanly and returns the event,
// whose handling then fails at call N (before or after the call applies,
// as a crash or a lost response would); the event is retried twice, as
// Lambda would, and check must find the table as a clean run leaves it.
func crashAtEveryCall(t *testing.T, prepare func(t *testing.T, emu *devstack.Emulators, svc *ingest.Service) events.S3Event,
	check func(t *testing.T, emu *devstack.Emulators, st *store.Store)) {
	ctx := context.Background()
	shared := emutest.Start(t)
	for _, after := range []bool{false, true} {
		for n := int64(1); ; n++ {
			name := fmt.Sprintf("fail call %d before applying", n)
			if after {
				name = fmt.Sprintf("fail call %d after applying", n)
			}
			reached := false
			t.Run(name, func(t *testing.T) {
				emu := emutest.Fresh(t, shared)
				clean := store.New(emu.Clients.DynamoDB, emu.Table)
				ev := prepare(t, emu, ingest.New(emu.Clients.S3, clean, quiet, ingest.ServiceOptions{MaxRejectRate: 0.5}))
				fdb := &emutest.FaultyDB{DB: emu.Clients.DynamoDB, FailAt: n, After: after}
				err := ingest.New(emu.Clients.S3, store.New(fdb, emu.Table), quiet, ingest.ServiceOptions{MaxRejectRate: 0.5}).HandleS3(ctx, ev)
				reached = fdb.Calls.Load() >= n
				if fdb.Injected.Load() && err == nil {
					t.Fatalf("injected failure at call %d was swallowed", n)
				}
				if err != nil && !errors.Is(err, emutest.ErrInjected) {
					t.Fatalf("unexpected error: %v", err)
				}
				retry := ingest.New(emu.Clients.S3, clean, quiet, ingest.ServiceOptions{MaxRejectRate: 0.5})
				if err := retry.HandleS3(ctx, ev); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if err := retry.HandleS3(ctx, ev); err != nil {
					t.Fatalf("second retry: %v", err)
				}
				check(t, emu, clean)
			})
			if !reached || t.Failed() {
				break
			}
		}
	}
}

// TestVersionDeletesFollowS3 deletes versions of an object in a
// versioned bucket as S3 reports them (ObjectRemoved:Delete with the
// deleted version's id, ObjectRemoved:DeleteMarkerCreated for a plain
// delete): only the current version ever counts.
func TestVersionDeletesFollowS3(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	const key = "transactions/a.csv"
	v3 := []byte("Order Date,Customer ID,Segment,Sales\n2024-01-02,C1,Corporate,7.00\n")
	var evs []events.S3Event
	for i, body := range [][]byte{readFile(t, "testdata/small.csv"), readFile(t, "testdata/small_v2.csv"), v3} {
		evs = append(evs, upload(t, emu, key, body, i+1))
		if err := svc.HandleS3(ctx, evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	version := func(i int) string { return evs[i].Records[0].S3.Object.VersionID }
	del := func(version string, seq int) {
		t.Helper()
		out, err := emu.Clients.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
			VersionId: aws.String(version)})
		if err != nil {
			t.Fatal(err)
		}
		name := "ObjectRemoved:Delete"
		if version == "" {
			version, name = aws.ToString(out.VersionId), "ObjectRemoved:DeleteMarkerCreated"
		}
		if err := svc.HandleS3(ctx, s3Event(name, emu.Bucket, key, version, seq)); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		version string // "" deletes without a version: a delete marker
		want    map[string]string
	}{
		{"a non-current version: nothing changes", version(0), map[string]string{"Corporate": "7.00"}},
		{"the current version: the previous one counts", version(2), map[string]string{"Consumer": "999.00"}},
		{"a delete marker: nothing counts", "", map[string]string{}},
	}
	marker := ""
	for i, step := range steps {
		del(step.version, 10+i)
		if got := revenue(t, st, dimension.Segment); !sameMap(got, step.want) {
			t.Fatalf("after deleting %s: %v, want %v", step.name, got, step.want)
		}
		if step.version == "" {
			versions, err := emu.Clients.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(emu.Bucket), Prefix: aws.String(key)})
			if err != nil || len(versions.DeleteMarkers) != 1 {
				t.Fatalf("delete markers %+v, %v", versions, err)
			}
			marker = aws.ToString(versions.DeleteMarkers[0].VersionId)
		}
	}
	// Deleting the delete marker brings the object back.
	del(marker, 20)
	if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{"Consumer": "999.00"}) {
		t.Fatalf("after deleting the delete marker: %v", got)
	}
	// A version delete older than what is live changes nothing.
	if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:Delete", emu.Bucket, key, version(1), 15)); err != nil {
		t.Fatal(err)
	}
	if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{"Consumer": "999.00"}) {
		t.Fatalf("after a stale version delete: %v", got)
	}
}

// TestCrashAtEveryWriteBoundaryThenRetry replaces a first version by a
// second, failing each DynamoDB call of the second ingest in turn: every
// run must end with exactly the second version's totals.
func TestCrashAtEveryWriteBoundaryThenRetry(t *testing.T) {
	var ev2 events.S3Event
	crashAtEveryCall(t, func(t *testing.T, emu *devstack.Emulators, svc *ingest.Service) events.S3Event {
		if err := svc.HandleS3(context.Background(), upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small.csv"), 1)); err != nil {
			t.Fatal(err)
		}
		ev2 = upload(t, emu, "transactions/a.csv", readFile(t, "testdata/small_v2.csv"), 2)
		return ev2
	}, func(t *testing.T, emu *devstack.Emulators, st *store.Store) {
		if got, want := revenue(t, st, dimension.Segment), map[string]string{"Consumer": "999.00"}; !sameMap(got, want) {
			t.Fatalf("after a failure and retries: %v, want %v", got, want)
		}
		up, err := st.GetUpload(context.Background(), ingest.FileID(emu.Bucket, "transactions/a.csv", ev2.Records[0].S3.Object.VersionID))
		if err != nil || up.Status != store.StatusSucceeded {
			t.Fatalf("upload %+v, %v", up, err)
		}
	})
}

// TestCrashWhileRederiving fails each DynamoDB call of a customers
// upload that re-derives an earlier sales file: every run must end with
// the sales counted once, enriched, and the derived upload finished.
func TestCrashWhileRederiving(t *testing.T) {
	crashAtEveryCall(t, func(t *testing.T, emu *devstack.Emulators, svc *ingest.Service) events.S3Event {
		if err := svc.HandleS3(context.Background(), upload(t, emu, "transactions/sales.csv", readFile(t, "testdata/no_attributes.csv"), 1)); err != nil {
			t.Fatal(err)
		}
		return upload(t, emu, "customers/accounts.csv", readFile(t, "testdata/accounts.csv"), 2)
	}, func(t *testing.T, emu *devstack.Emulators, st *store.Store) {
		ctx := context.Background()
		if got, want := revenue(t, st, dimension.Industry), map[string]string{"Retail": "100.00", "Software": "50.00", dimension.Blank: "5.00"}; !sameMap(got, want) {
			t.Fatalf("revenue by industry %v, want %v", got, want)
		}
		if got := revenue(t, st, dimension.Total); !sameMap(got, map[string]string{dimension.TotalValue: "155.00"}) {
			t.Fatalf("total %v", got)
		}
		e, _, err := st.Object(ctx, "transactions/sales.csv")
		if err != nil {
			t.Fatal(err)
		}
		if up, err := st.GetUpload(ctx, e.File); err != nil || up.Status != store.StatusSucceeded {
			t.Fatalf("derived upload %+v, %v", up, err)
		}
	})
}

func TestUnreadableFileChangesNothing(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, body, wantErr string
	}{
		{"binary", "\x00\x01\x02PK\x03\x04garbage", "binary"},
		{"empty", "", "empty file"},
		{"header only", "Order Date,Sales\n", "no data rows"},
		{"no amount column", "Order Date,Segment\n1/1/2024,A\n", "amount"},
		{"too many rejects", "Order Date,Sales\nx,1\ny,2\n1/1/2024,3\n", "threshold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			emu, st, svc := newStack(t)
			if err := svc.HandleS3(ctx, upload(t, emu, "transactions/good.csv", readFile(t, "testdata/small.csv"), 1)); err != nil {
				t.Fatal(err)
			}
			ev := upload(t, emu, "transactions/good.csv", []byte(c.body), 2)
			if err := svc.HandleS3(ctx, ev); err != nil {
				t.Fatalf("a bad file is not worth retrying, got %v", err)
			}
			if got := revenue(t, st, dimension.Segment); !sameMap(got, smallWant) {
				t.Fatalf("bad version changed aggregates: %v", got)
			}
			up, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, "transactions/good.csv", ev.Records[0].S3.Object.VersionID))
			if err != nil {
				t.Fatal(err)
			}
			if up.Status != store.StatusFailed || !strings.Contains(up.Error, c.wantErr) {
				t.Fatalf("status %q error %q, want failed with %q", up.Status, up.Error, c.wantErr)
			}
		})
	}
}

func TestConcurrentFilesGiveExactTotals(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	body := readFile(t, "testdata/small.csv")
	evs := make([]events.S3Event, 20)
	for i := range evs {
		evs[i] = upload(t, emu, fmt.Sprintf("transactions/f%02d.csv", i), body, 1)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(evs))
	for i, ev := range evs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = svc.HandleS3(ctx, ev) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Consumer": "1620.00", "Corporate": "25000.00", "Home Office": "999.80"}
	if got := revenue(t, st, dimension.Segment); !sameMap(got, want) {
		t.Fatalf("20 concurrent files: %v, want %v", got, want)
	}
}

// TestCustomersFilesEnrichTransactions uploads firmographics before and
// after the sales they describe: either way the aggregates follow the live
// customers files, and deleting the customers file takes its attributes
// back out.
func TestCustomersFilesEnrichTransactions(t *testing.T) {
	ctx := context.Background()
	enriched := map[string]string{"Retail": "100.00", "Software": "50.00", dimension.Blank: "5.00"}
	for _, customersFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("customers first %v", customersFirst), func(t *testing.T) {
			emu, st, svc := newStack(t)
			accounts := upload(t, emu, "customers/accounts.csv", readFile(t, "testdata/accounts.csv"), 2)
			sales := upload(t, emu, "transactions/sales.csv", readFile(t, "testdata/no_attributes.csv"), 1)
			evs := []events.S3Event{accounts, sales}
			if !customersFirst {
				evs = []events.S3Event{sales, accounts}
			}
			for _, ev := range evs {
				if err := svc.HandleS3(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			up, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, "customers/accounts.csv", accounts.Records[0].S3.Object.VersionID))
			if err != nil || up.Status != store.StatusSucceeded || up.Accepted != 3 {
				t.Fatalf("customers upload %+v %v", up, err)
			}
			if got := revenue(t, st, dimension.Industry); !sameMap(got, enriched) {
				t.Fatalf("revenue by industry %v, want %v", got, enriched)
			}
			if got := revenue(t, st, dimension.Country); !sameMap(got, map[string]string{"France": "100.00", "Germany": "50.00", dimension.Blank: "5.00"}) {
				t.Fatalf("revenue by country %v", got)
			}
			if got := revenue(t, st, dimension.Total); !sameMap(got, map[string]string{dimension.TotalValue: "155.00"}) {
				t.Fatalf("total %v: the file must count once", got)
			}
			// A duplicated customers event re-derives nothing new.
			if err := svc.HandleS3(ctx, accounts); err != nil {
				t.Fatal(err)
			}
			if got := revenue(t, st, dimension.Industry); !sameMap(got, enriched) {
				t.Fatalf("after a duplicate event: revenue by industry %v", got)
			}
			// Deleting the customers file takes its attributes out: every
			// line is unassigned again, and still counted.
			if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:Delete", emu.Bucket, "customers/accounts.csv", "", 3)); err != nil {
				t.Fatal(err)
			}
			if got := revenue(t, st, dimension.Industry); !sameMap(got, map[string]string{dimension.Blank: "155.00"}) {
				t.Fatalf("revenue by industry %v after the customers file was deleted", got)
			}
			if got := revenue(t, st, dimension.Total); !sameMap(got, map[string]string{dimension.TotalValue: "155.00"}) {
				t.Fatalf("total %v", got)
			}
			// A new version of the sales file still replaces the derived one.
			if err := svc.HandleS3(ctx, upload(t, emu, "transactions/sales.csv", []byte("Order Date,Customer ID,Sales\n1/15/2024,C1,7\n"), 4)); err != nil {
				t.Fatal(err)
			}
			if got := revenue(t, st, dimension.Total); !sameMap(got, map[string]string{dimension.TotalValue: "7.00"}) {
				t.Fatalf("total %v after a new version", got)
			}
		})
	}
}

func TestMappingFilesInTheBucket(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	put := func(key, body string) {
		t.Helper()
		if _, err := emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key),
			Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	status := func(ev events.S3Event) store.Upload {
		t.Helper()
		if err := svc.HandleS3(ctx, ev); err != nil {
			t.Fatal(err)
		}
		u, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, ev.Records[0].S3.Object.Key, ev.Records[0].S3.Object.VersionID))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	body := readFile(t, "testdata/ventas.csv")
	if u := status(upload(t, emu, "transactions/ventas.csv", body, 1)); u.Status != store.StatusFailed || !strings.Contains(u.Error, "date") {
		t.Fatalf("unmapped Spanish headers: %+v", u)
	}
	t.Run("a broken mapping file fails the upload clearly", func(t *testing.T) {
		put("config/mapping.json", `{"columns": {"date": "Fecha"}, "date_orderr": "DMY"}`)
		u := status(upload(t, emu, "transactions/ventas.csv", body, 2))
		if u.Status != store.StatusFailed || !strings.Contains(u.Error, "config/mapping.json") || !strings.Contains(u.Error, "date_orderr") {
			t.Fatalf("%+v", u)
		}
	})
	put("config/mapping.json", `{"columns": {"date": "Fecha", "customer_id": "Cliente"}, "date_order": "DMY"}`)
	put("config/mappings/ventas.csv.json", `{"columns": {"amount": "Importe", "segment": "Tipo"}, "decimal_separator": ","}`)
	u := status(upload(t, emu, "transactions/ventas.csv", body, 3))
	if u.Status != store.StatusSucceeded || u.Accepted != 2 {
		t.Fatalf("mapped upload %+v", u)
	}
	for _, want := range []string{"config/mapping.json", "config/mappings/ventas.csv.json"} {
		if !strings.Contains(string(u.Format), want) {
			t.Errorf("format %s does not name %s", u.Format, want)
		}
	}
	if got := revenue(t, st, dimension.Segment); !sameMap(got, map[string]string{"Empresa": "1234.50", "Particular": "10.25"}) {
		t.Fatalf("revenue by segment %v", got)
	}
	rows, _, err := st.Query(ctx, dimension.Total, aggregate.Month, "2024-02", "2024-02")
	if err != nil || len(rows) != 1 {
		t.Fatalf("day-first dates must land in February 2024: %v %v", rows, err)
	}
}
