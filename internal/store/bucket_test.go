package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
)

// randomBucket is a bucket of n values of kind with measures that use
// every field, negative and 16-digit decimals included.
func randomBucket(t testing.TB, n int, kind string, seed uint64) bucket {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	dec := func() decimal.Decimal {
		scale := rng.IntN(3)
		coef := rng.Int64N(1_000_000_000)
		if rng.IntN(50) == 0 {
			coef = 9_000_000_000_000_000 + rng.Int64N(100) // 16 digits: sums stay within 19
		}
		if rng.IntN(5) == 0 {
			coef = -coef
		}
		d, err := decimal.New(coef, scale)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	b := bucket{}
	for i := range n {
		v := fmt.Sprintf("value %d · ü", i)
		days := []int{0}
		if kind == kindDay {
			days = []int{1 + rng.IntN(31), 1 + rng.IntN(31)}
		}
		for _, d := range days {
			m := aggregate.Measures{Revenue: dec(), Cost: dec(), Units: dec(), Lines: rng.Int64N(1000), Orders: rng.Int64N(1000),
				CostLines: rng.Int64N(3), Won: rng.Int64N(5) - 2, Lost: rng.Int64N(5), Cycled: rng.Int64N(5), CycleDays: rng.Int64N(1 << 40)}
			if rng.IntN(2) == 0 {
				m.WonRevenue = dec()
			}
			if rng.IntN(3) == 0 {
				m.LostValue, m.LostCycled, m.LostCycleDays = dec(), rng.Int64N(4), rng.Int64N(400)
			}
			if err := b.add(v, d, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b
}

func TestPagesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kind      string
		values    int
		wantPages int
	}{
		{"month bucket, one page", kindMonth, 50, 1},
		{"day bucket, one page", kindDay, 50, 1},
		{"month bucket of 40,000 values, split by hash", kindMonth, 40_000, 16},
		{"day bucket of 20,000 values, split by hash", kindDay, 20_000, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := randomBucket(t, tc.values, tc.kind, uint64(tc.values))
			pages := b.pages()
			if len(pages) < tc.wantPages {
				t.Errorf("%d pages, want at least %d", len(pages), tc.wantPages)
			}
			got, neg := bucket{}, bucket{}
			for i, p := range pages {
				if len(p) > pageTarget {
					t.Errorf("page %d has %d bytes, above the %d target", i, len(p), pageTarget)
				}
				if err := got.decodePage(p, tc.kind, false); err != nil {
					t.Fatalf("page %d: %v", i, err)
				}
				if err := neg.decodePage(p, tc.kind, true); err != nil {
					t.Fatalf("page %d negated: %v", i, err)
				}
			}
			if !reflect.DeepEqual(got, b) {
				t.Fatal("decoded pages differ from the bucket")
			}
			if err := neg.merge(b); err != nil {
				t.Fatal(err)
			}
			if neg.prune(); len(neg) != 0 {
				t.Errorf("the negated pages plus the bucket leave %d values, want none", len(neg))
			}
			again := b.pages()
			for i := range pages {
				if !bytes.Equal(pages[i], again[i]) {
					t.Fatalf("page %d differs when the same bucket is encoded again", i)
				}
			}
		})
	}
}

func TestDecodePageRefusesCorruptPages(t *testing.T) {
	good := randomBucket(t, 3, kindDay, 7).pages()[0]
	for _, tc := range []struct {
		name string
		kind string
		page []byte
	}{
		{"cut short", kindDay, good[:len(good)-1]},
		{"value longer than the page", kindDay, []byte{0x7f, 'a'}},
		{"no days", kindDay, []byte{1, 'a', 0}},
		{"day 0 in a day bucket", kindDay, []byte{1, 'a', 1, 0, 0}},
		{"day 5 in a month bucket", kindMonth, []byte{1, 'a', 1, 5, 0}},
		{"too many measures", kindMonth, []byte{1, 'a', 1, 0, 15}},
		{"decimal text that is no number", kindMonth, []byte{1, 'a', 1, 0, 1, decText, 2, 'x', 'y'}},
		{"decimal head with a stray bit", kindMonth, []byte{1, 'a', 1, 0, 1, decText | 2, 1}},
		{"decimal scale 20", kindMonth, []byte{1, 'a', 1, 0, 1, 20, 1}},
		{"decimal coefficient past an int64 without text", kindMonth,
			binary.AppendUvarint([]byte{1, 'a', 1, 0, 1, 0}, 1<<63)},
		{"decimal cut after its head", kindMonth, []byte{1, 'a', 1, 0, 1, 2}},
		{"measures ending in a zero decimal", kindMonth, []byte{1, 'a', 1, 0, 1, 2, 0}},
		{"measures ending in a zero count", kindMonth, []byte{1, 'a', 1, 0, 4, 0, 5, 0, 0, 0, 0}},
		{"day bucket read as month", kindMonth, good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := (bucket{}).decodePage(tc.page, tc.kind, false); err == nil {
				t.Fatal("decoded without an error")
			}
		})
	}
}

func TestDecimalsRoundTrip(t *testing.T) {
	for _, text := range []string{
		"0", "0.00", "1", "-1", "12.50", "-0.000000000000000001", "0.0000000000000000001",
		"9223372036854775807", "-9223372036854775807", "922337203685477580.7",
		"9223372036854775808", "-9999999999999999999", "9.999999999999999999", "-0.9999999999999999999",
	} {
		t.Run(text, func(t *testing.T) {
			d := decimal.MustParse(text)
			enc := appendDecimal([]byte{0xEE}, d)
			if enc[0] != 0xEE {
				t.Fatal("appendDecimal overwrote what was before it")
			}
			r := pageReader{b: enc, off: 1}
			got, err := r.decimal()
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != d.String() || got.Scale() != d.Scale() {
				t.Errorf("decoded %s (scale %d), want %s (scale %d)", got, got.Scale(), d, d.Scale())
			}
			if r.off != len(enc) {
				t.Errorf("read %d of %d bytes", r.off-1, len(enc)-1)
			}
			if text := d.Coef() > math.MaxInt64; text != (enc[1] == decText) {
				t.Errorf("encoded as text: %v, want %v for coefficient %d", !text, text, d.Coef())
			}
		})
	}
}

// FuzzDecodePage checks that no page, however corrupt, panics the
// decoder, and that a page it accepts encodes back to the same values.
func FuzzDecodePage(f *testing.F) {
	f.Add(randomBucket(f, 3, kindDay, 1).pages()[0], true)
	f.Add(randomBucket(f, 3, kindMonth, 2).pages()[0], false)
	f.Fuzz(func(t *testing.T, page []byte, day bool) {
		kind := kindMonth
		if day {
			kind = kindDay
		}
		b := bucket{}
		if err := b.decodePage(page, kind, false); err != nil {
			return
		}
		again := bucket{}
		for _, p := range b.pages() {
			if err := again.decodePage(p, kind, false); err != nil {
				t.Fatalf("re-encoded page: %v", err)
			}
		}
		if !reflect.DeepEqual(again, b) {
			t.Fatal("re-encoded page decodes differently")
		}
	})
}

// TestDeltaPagesMatchBuckets encodes a delta's buckets straight from its
// keys, as PutFragments does, and compares them with the pages of the
// same buckets built value by value: same bytes, month and day keys each
// in their bucket, large buckets split alike.
func TestDeltaPagesMatchBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := aggregate.Delta{}
	want := map[bucketID]bucket{}
	add := func(k aggregate.Key, id bucketID, day int, m aggregate.Measures) {
		if err := d.Add(k, m); err != nil {
			t.Fatal(err)
		}
		if want[id] == nil {
			want[id] = bucket{}
		}
		if err := want[id].add(k.Value, day, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, dim := range []dimension.Dimension{dimension.Segment, dimension.Country} {
		values := 30
		if dim == dimension.Country {
			values = 9000 // a day bucket of several pages
		}
		for i := range values {
			v := fmt.Sprintf("%s %d", dim, i)
			for _, month := range []string{"2024-01", "2024-02"} {
				m := aggregate.Measures{Revenue: decimal.MustNew(rng.Int64N(1e9), 2), Units: decimal.MustNew(rng.Int64N(9), 0),
					Lines: 1 + rng.Int64N(9), Orders: 1}
				add(aggregate.Key{Dim: dim, Value: v, Grain: aggregate.Month, Period: month}, bucketID{string(dim), kindMonth, month}, 0, m)
				for _, day := range []int{1 + rng.IntN(29), 1 + rng.IntN(29)} { // 2024-02 has 29 days
					k := aggregate.Key{Dim: dim, Value: v, Grain: aggregate.Day, Period: fmt.Sprintf("%s-%02d", month, day)}
					if _, dup := d[k]; dup {
						continue
					}
					add(k, bucketID{string(dim), kindDay, month}, day, m)
				}
			}
		}
	}
	got, err := deltaEntries(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got), len(want))
	}
	split := false
	for id, b := range want {
		es, err := mergeEntries(got[id])
		if err != nil {
			t.Fatal(err)
		}
		pages, wantPages := encodePages(es), b.pages()
		split = split || len(pages) > 1
		if len(pages) != len(wantPages) {
			t.Fatalf("bucket %v: %d pages, want %d", id, len(pages), len(wantPages))
		}
		for i := range pages {
			if !bytes.Equal(pages[i], wantPages[i]) {
				t.Fatalf("bucket %v page %d differs", id, i)
			}
		}
	}
	if !split {
		t.Fatal("no bucket was split into pages: the case does not test splitting")
	}
}

func TestDeltaEntriesRefusesMalformedPeriods(t *testing.T) {
	one := aggregate.Measures{Revenue: decimal.MustParse("1.50"), Lines: 1}
	for _, tc := range []struct {
		name   string
		grain  aggregate.Grain
		period string
	}{
		{"day key with a month", aggregate.Day, "2024-03"},
		{"day key with a slash", aggregate.Day, "2024/03/05"},
		{"day 0", aggregate.Day, "2024-03-00"},
		{"day 32", aggregate.Day, "2024-03-32"},
		{"February 30", aggregate.Day, "2024-02-30"},
		{"month 13", aggregate.Month, "2024-13"},
		{"month key with a date", aggregate.Month, "2024-03-05"},
		{"letters in the year", aggregate.Month, "20x4-03"},
		{"empty", aggregate.Month, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := aggregate.Key{Dim: dimension.Segment, Value: "SMB", Grain: aggregate.Month, Period: "2024-03"}
			bad := aggregate.Key{Dim: dimension.Segment, Value: "SMB", Grain: tc.grain, Period: tc.period}
			_, err := deltaEntries(aggregate.Delta{good: &one, bad: &one})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.period)) {
				t.Fatalf("error %v, want one naming period %q", err, tc.period)
			}
		})
	}
	t.Run("well formed", func(t *testing.T) {
		d := aggregate.Delta{
			{Dim: dimension.Segment, Value: "SMB", Grain: aggregate.Month, Period: "2024-12"}:    &one,
			{Dim: dimension.Segment, Value: "SMB", Grain: aggregate.Day, Period: "2024-12-31"}:   &one,
			{Dim: dimension.Segment, Value: "SMB", Grain: aggregate.Day, Period: "2025-01-01"}:   &one,
			{Dim: dimension.Country, Value: "Peru", Grain: aggregate.Day, Period: "2024-12-31"}:  &one,
			{Dim: dimension.Country, Value: "Chile", Grain: aggregate.Day, Period: "2024-12-31"}: &one,
		}
		got, err := deltaEntries(d)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bucketID]int{
			{"segment", kindMonth, "2024-12"}: 1, {"segment", kindDay, "2024-12"}: 1,
			{"segment", kindDay, "2025-01"}: 1, {"country", kindDay, "2024-12"}: 2,
		}
		for id, n := range want {
			if len(got[id]) != n {
				t.Errorf("bucket %v: %d entries, want %d", id, len(got[id]), n)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d buckets, want %d", len(got), len(want))
		}
		// Each bucket's slice ends where the array's next begins: an
		// append must not overwrite a neighbour.
		es := got[bucketID{"country", kindDay, "2024-12"}]
		if cap(es) != len(es) {
			t.Errorf("bucket slice has capacity %d beyond its %d entries", cap(es), len(es))
		}
	})
}

func TestMergeEntriesSumsTwins(t *testing.T) {
	one := aggregate.Measures{Revenue: decimal.MustParse("1.50"), Lines: 1}
	two := aggregate.Measures{Revenue: decimal.MustParse("2.25"), Lines: 2}
	es, err := mergeEntries([]entry{{"b", 3, &one}, {"a", 1, &one}, {"b", 3, &two}, {"a", 0, &two}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s/%d/%s/%d", e.value, e.day, e.m.Revenue, e.m.Lines))
	}
	if want := "[a/0/2.25/2 a/1/1.50/1 b/3/3.75/3]"; fmt.Sprint(got) != want {
		t.Fatalf("merged %v, want %s", got, want)
	}
	if one.Revenue.String() != "1.50" || two.Lines != 2 {
		t.Fatal("merging changed the measures it summed")
	}
}

func TestItemPages(t *testing.T) {
	big := randomBucket(t, 500, kindDay, 9).pages()[0]
	tiny := []byte{1, 'a', 1, 0, 0}
	c := newCodec()
	bomb := c.enc.EncodeAll(make([]byte, maxPageBytes+1), nil) // a few bytes that decompress past any page
	for _, tc := range []struct {
		name    string
		item    map[string]types.AttributeValue
		page    []byte
		wantErr string
	}{
		{name: "a large page is compressed", page: big},
		{name: "a page compression cannot shrink stays as it is", page: tiny},
		{name: "no page", item: map[string]types.AttributeValue{}, wantErr: "without values"},
		{name: "corrupt compressed page", item: map[string]types.AttributeValue{"z": &types.AttributeValueMemberB{Value: []byte{5, 0xff}}},
			wantErr: "compressed page"},
		{name: "compressed page too large", item: map[string]types.AttributeValue{"z": &types.AttributeValueMemberB{Value: bomb}},
			wantErr: "above"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			item := tc.item
			if item == nil {
				item = map[string]types.AttributeValue{}
				c.setPage(item, tc.page)
				_, compressed := item["z"]
				if want := len(tc.page) > 100; compressed != want || len(item) != 1 {
					t.Fatalf("attributes %v, want compressed %v", slices.Collect(maps.Keys(item)), want)
				}
				if compressed && len(item["z"].(*types.AttributeValueMemberB).Value) >= len(tc.page) {
					t.Fatal("the compressed page is not smaller")
				}
			}
			got, err := c.page(item)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.page) {
				t.Fatalf("page read back differs (%v)", err)
			}
		})
	}
}
