package history

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// TestPurchaseEncoding pins the line format of the curated history files,
// which existing buckets hold: the day is written 2006-01-02.
func TestPurchaseEncoding(t *testing.T) {
	p := Purchase{Customer: "acme", Day: period.NewDate(2024, time.February, 29), Orders: 1, Lines: 2,
		Revenue: "800.00", Cost: "512.5", Attrs: map[dimension.Dimension]string{dimension.Segment: "Corporate"}}
	const line = `{"c":"acme","d":"2024-02-29","o":1,"l":2,"r":"800.00","k":"512.5","a":{"segment":"Corporate"}}` + "\n"
	var buf bytes.Buffer
	if err := NewWriter(&buf).Write(p); err != nil {
		t.Fatal(err)
	}
	if buf.String() != line {
		t.Fatalf("encoded\n%s\nwant\n%s", buf.String(), line)
	}
	var got []Purchase
	if err := Read(strings.NewReader(line), func(p Purchase) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], p) {
		t.Fatalf("decoded %+v, want %+v", got, p)
	}
}

func TestReadRejectsBadLines(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"not a calendar day", `{"c":"acme","d":"2024-02-30","o":1,"l":1,"r":"1"}`},
		{"day in another layout", `{"c":"acme","d":"29/02/2024","o":1,"l":1,"r":"1"}`},
		{"not JSON", `{"c":"acme"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Read(strings.NewReader("{\"c\":\"ok\",\"d\":\"2024-01-01\",\"o\":1,\"l\":1,\"r\":\"1\"}\n"+tc.in), func(Purchase) error { return nil })
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 2") {
				t.Fatalf("Read = %v, want ErrCorrupt on line 2", err)
			}
		})
	}
}

// TestReadRejectsDamagedCompression reads a compressed history cut short
// and one with a flipped byte: both are ErrCorrupt, never a silent short
// read.
func TestReadRejectsDamagedCompression(t *testing.T) {
	w, err := NewShardWriter(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 200 {
		if err := w.Write(Purchase{Customer: fmt.Sprintf("C%d", i), Day: period.Date(700000), Orders: 1, Lines: 1, Revenue: "2"}); err != nil {
			t.Fatal(err)
		}
	}
	body, _, _, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	good, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"cut short", good[:len(good)/2]},
		{"a flipped byte", flipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Read(bytes.NewReader(tc.in), func(Purchase) error { return nil })
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Read = %v, want ErrCorrupt", err)
			}
		})
	}
	t.Run("a failing stream", func(t *testing.T) {
		broken := errors.New("connection reset")
		err := Read(io.MultiReader(bytes.NewReader(good[:len(good)/2]), iotest.ErrReader(broken)), func(Purchase) error { return nil })
		if !errors.Is(err, broken) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("Read = %v, want the stream's error, not ErrCorrupt", err)
		}
	})
}

// TestSpendEncoding pins the line format of the curated spend files and
// checks that a record reads back as written.
func TestSpendEncoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Spend
		line string
	}{
		{"segment and channel", Spend{Period: "2017-03", Amount: "1200.50", Segment: "Consumer", Channel: "Search"},
			`{"p":"2017-03","m":"1200.50","s":"Consumer","ch":"Search"}`},
		{"total only", Spend{Period: "2017-Q1", Amount: "90"}, `{"p":"2017-Q1","m":"90"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSpend(&buf, []Spend{tc.s}); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.line+"\n" {
				t.Fatalf("encoded %s, want %s", buf.String(), tc.line)
			}
			var got []Spend
			if err := ReadSpend(&buf, func(s Spend) error { got = append(got, s); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tc.s {
				t.Fatalf("decoded %+v, want %+v", got, tc.s)
			}
		})
	}
	if err := ReadSpend(strings.NewReader(`{"p":"2017-03","m":"1"}`+"\n"+`{"p":`), func(Spend) error { return nil }); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("ReadSpend of a broken line = %v, want ErrCorrupt on line 2", err)
	}
}

func TestMappingOf(t *testing.T) {
	cases := []struct {
		key, name string
		ok        bool
	}{
		{"config/mapping.json", "", true},
		{"config/mappings/sales.csv.json", "sales.csv", true},
		{"config/mappings/sub/sales.csv.json", "", false},
		{"config/mappings/.json", "", false},
		{"config/mappings/sales.csv", "", false},
		{"config/mapping-old.json", "", false},
		{"transactions/config/mapping.json", "", false},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			name, ok := MappingOf(c.key)
			if name != c.name || ok != c.ok {
				t.Fatalf("MappingOf = %q, %v; want %q, %v", name, ok, c.name, c.ok)
			}
			if ok && (!strings.HasPrefix(c.key, MappingsNotifyPrefix) || !strings.HasSuffix(c.key, MappingsNotifySuffix)) {
				t.Fatalf("the notification filter misses mapping file %s", c.key)
			}
		})
	}
}
