package ingest_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/store"
)

// liveSpend returns the curated spend of the version of key that counts,
// and false when none does.
func liveSpend(t *testing.T, st *store.Store, s3c *s3.Client, bucket, key string) ([]history.Spend, bool) {
	t.Helper()
	ctx := context.Background()
	live, err := st.LiveObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := live[key]
	if !ok {
		return nil, false
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(history.SpendKey(e.File))})
	if err != nil {
		t.Fatalf("curated spend of %s: %v", e.File, err)
	}
	defer obj.Body.Close()
	var out []history.Spend
	if err := history.ReadSpend(obj.Body, func(s history.Spend) error { out = append(out, s); return nil }); err != nil {
		t.Fatal(err)
	}
	return out, true
}

// TestSpendFiles uploads a spend file with a bad row, replaces it, deletes
// the new version and then the object: the upload gets the usual status
// and rejects file, the curated spend of the version S3 says is current is
// what counts, and the sales aggregates never change.
func TestSpendFiles(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	if err := svc.HandleS3(ctx, upload(t, emu, "transactions/small.csv", readFile(t, "testdata/small.csv"), 1)); err != nil {
		t.Fatal(err)
	}
	const key = "spend/2024.csv"
	v1 := upload(t, emu, key, []byte("Month,Segment,Spend\n2024-01,consumer,100.50\n2024-01,Consumer,20\n2024-02,,abc\n2024-Q1,Corporate,300\n"), 2)
	if err := svc.HandleS3(ctx, v1); err != nil {
		t.Fatal(err)
	}
	up, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, key, v1.Records[0].S3.Object.VersionID))
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != store.StatusPartiallySucceeded || up.Rows != 4 || up.Accepted != 3 || up.Rejected != 1 {
		t.Fatalf("spend upload %+v", up)
	}
	obj, err := emu.Clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(up.RejectsKey)})
	if err != nil {
		t.Fatalf("rejects file %q: %v", up.RejectsKey, err)
	}
	rej, _ := io.ReadAll(obj.Body)
	if !strings.Contains(string(rej), "4,Spend,abc,not a number") {
		t.Errorf("rejects file lacks the bad amount:\n%s", rej)
	}
	first := "[{2024-01 120.50 Consumer } {2024-Q1 300 Corporate }]"
	check := func(step, want string) {
		t.Helper()
		got, ok := liveSpend(t, st, emu.Clients.S3, emu.Bucket, key)
		if want == "" {
			if ok {
				t.Fatalf("%s: spend %v still counts", step, got)
			}
		} else if fmt.Sprint(got) != want {
			t.Fatalf("%s: live spend %v, want %s", step, got, want)
		}
		if got := revenue(t, st, dimension.Segment); !sameMap(got, smallWant) {
			t.Fatalf("%s: a spend file changed the sales: %v", step, got)
		}
	}
	check("first version", first)

	v2 := upload(t, emu, key, []byte("date,cost,channel\n2024-03-05,9.99,Search\n"), 3)
	if err := svc.HandleS3(ctx, v2); err != nil {
		t.Fatal(err)
	}
	up2, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, key, v2.Records[0].S3.Object.VersionID))
	if err != nil || up2.Status != store.StatusSucceeded || up2.Replaced != up.ID {
		t.Fatalf("replacing upload %+v (%v), want succeeded replacing %s", up2, err, up.ID)
	}
	check("replaced", "[{2024-03-05 9.99  Search}]")

	// An unreadable version fails and leaves the current spend counting.
	bad := upload(t, emu, key, []byte("Segment,Notes\nA,x\n"), 4)
	if err := svc.HandleS3(ctx, bad); err != nil {
		t.Fatal(err)
	}
	up3, err := st.GetUpload(ctx, ingest.FileID(emu.Bucket, key, bad.Records[0].S3.Object.VersionID))
	if err != nil || up3.Status != store.StatusFailed || !strings.Contains(up3.Error, "period") {
		t.Fatalf("unreadable spend upload %+v (%v), want failed naming the period column", up3, err)
	}
	check("after a failed version", "[{2024-03-05 9.99  Search}]")

	// Deleting the current versions makes the first one count again.
	for _, v := range []string{bad.Records[0].S3.Object.VersionID, v2.Records[0].S3.Object.VersionID} {
		if _, err := emu.Clients.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key), VersionId: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:Delete", emu.Bucket, key, v2.Records[0].S3.Object.VersionID, 5)); err != nil {
		t.Fatal(err)
	}
	check("current version deleted", first)

	// A delete marker retracts the file.
	if _, err := emu.Clients.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(emu.Bucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:DeleteMarkerCreated", emu.Bucket, key, "", 6)); err != nil {
		t.Fatal(err)
	}
	check("deleted", "")
}
