package ingest_test

import (
	"context"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/store"
)

// TestDatasetsNeverMix ingests the same files into the default dataset
// and the dataset "sample", with a customers file in the sample only: the
// sample's firmographics must not enrich the default dataset's sales,
// each dataset counts its own files once, and deleting the sample's sales
// leaves the default dataset's as they were.
func TestDatasetsNeverMix(t *testing.T) {
	ctx := context.Background()
	emu, st, svc := newStack(t)
	sample := st.Dataset("sample")
	evs := []struct {
		key  string
		file string
	}{
		{"transactions/sales.csv", "testdata/no_attributes.csv"},
		{"datasets/sample/customers/accounts.csv", "testdata/accounts.csv"},
		{"datasets/sample/transactions/sales.csv", "testdata/no_attributes.csv"},
		{"datasets/Not-Valid/transactions/sales.csv", "testdata/no_attributes.csv"},
	}
	for i, e := range evs {
		if err := svc.HandleS3(ctx, upload(t, emu, e.key, readFile(t, e.file), i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := revenue(t, st, dimension.Industry), map[string]string{dimension.Blank: "155.00"}; !sameMap(got, want) {
		t.Errorf("default dataset by industry %v, want %v: the sample's customers must not enrich it", got, want)
	}
	if got, want := revenue(t, sample, dimension.Industry), map[string]string{"Retail": "100.00", "Software": "50.00", dimension.Blank: "5.00"}; !sameMap(got, want) {
		t.Errorf("sample by industry %v, want %v", got, want)
	}
	names, err := st.Datasets(ctx)
	if err != nil || len(names) != 2 || names[1] != "sample" {
		t.Errorf("datasets %v (%v), want default and sample: a key with an invalid name belongs to none", names, err)
	}
	if err := svc.HandleS3(ctx, s3Event("ObjectRemoved:DeleteMarkerCreated", emu.Bucket, "datasets/sample/transactions/sales.csv", "", 9)); err != nil {
		t.Fatal(err)
	}
	if got := revenue(t, sample, dimension.Total); len(got) != 0 && !sameMap(got, map[string]string{dimension.TotalValue: "0.00"}) {
		t.Errorf("sample total after the delete %v, want nothing", got)
	}
	if got, want := revenue(t, st, dimension.Total), map[string]string{dimension.TotalValue: "155.00"}; !sameMap(got, want) {
		t.Errorf("default total after the sample's delete %v, want %v", got, want)
	}
	live, err := sample.LiveObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := live["datasets/sample/customers/accounts.csv"]; e.File == "" || e.File == store.Tombstone {
		t.Errorf("sample's customers file not live: %+v", live)
	}
}
