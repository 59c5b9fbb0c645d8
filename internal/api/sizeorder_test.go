package api

import (
	"slices"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
)

// TestSizeValuesInBandOrder checks that the size dimension's values are
// listed smallest band first, other values after them alphabetically and
// the unassigned value last, page after page.
func TestSizeValuesInBandOrder(t *testing.T) {
	f := newFake()
	var sales []sale
	for i, size := range []string{"Large", "Enterprise", "Micro", "Small", "Medium", "SMB", "Agency", ""} {
		sales = append(sales, sale{"2024-01-0" + string(rune('1'+i)), "10", "", map[dimension.Dimension]string{dimension.Size: size}})
	}
	f.ingest(t, sales)
	e := &env{t: t, f: f, svc: New(f, fakePresigner{}, nil, Options{Bucket: "b", Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}),
		spec: loadSpec(t), seen: map[string]bool{}}
	want := []string{"Micro", "Small", "Medium", "Large", "Enterprise", "Agency", "SMB", dimension.Blank}
	var got []string
	for next := ""; ; {
		var v ValueList
		e.get("/v1/dimensions/size/values?limit=3"+next, 200, &v)
		for _, x := range v.Values {
			got = append(got, x.Value)
		}
		if v.NextCursor == nil {
			break
		}
		next = "&cursor=" + *v.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("size values %q, want %q", got, want)
	}
}
