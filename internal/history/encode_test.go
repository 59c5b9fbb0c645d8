package history

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// encoded is what encoding/json's Encoder writes for p: the reference
// appendPurchase must equal byte for byte.
func encoded(t *testing.T, p Purchase) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAppendPurchaseMatchesEncodingJSON(t *testing.T) {
	day, err := period.ParseDate("2024-02-29")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    Purchase
	}{
		{"plain", Purchase{Customer: "C-1", Day: day, Orders: 2, Lines: 3, Revenue: "10.50"}},
		{"every field", Purchase{Customer: "C-2", Day: day, Orders: 1, Lines: 1, Revenue: "-3", Cost: "1.25",
			Attrs: map[dimension.Dimension]string{dimension.Segment: "Consumer", dimension.Country: "France", dimension.Channel: "Web"},
			Name:  "Ada Lovelace"}},
		{"quotes, backslashes and HTML", Purchase{Customer: `a"b\c`, Day: day, Revenue: "0", Name: "<Tom & Jerry>"}},
		{"control characters", Purchase{Customer: "tab\there\nnew\x01\x7f", Day: day, Revenue: "1"}},
		{"unicode and invalid UTF-8", Purchase{Customer: "Zoë \u2028 日本", Day: day, Revenue: "1", Name: "bad \xff\xfe byte",
			Attrs: map[dimension.Dimension]string{dimension.Region: "Île-de-France"}}},
		{"empty attributes", Purchase{Customer: "x", Day: day, Revenue: "1", Attrs: map[dimension.Dimension]string{}}},
		{"zero day", Purchase{Customer: "x", Revenue: "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := appendPurchase(nil, tc.p), encoded(t, tc.p); !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzAppendPurchase checks appendPurchase against encoding/json on any
// strings.
func FuzzAppendPurchase(f *testing.F) {
	f.Add("C-1", "10.50", "", "Consumer", "", int64(1), int64(2), int32(738945))
	f.Add(`"\`, "-0.5", "1", "<&>", "\xff", int64(-1), int64(0), int32(0))
	f.Fuzz(func(t *testing.T, customer, revenue, cost, segment, name string, orders, lines int64, day int32) {
		p := Purchase{Customer: customer, Day: period.Date(day), Orders: orders, Lines: lines, Revenue: revenue, Cost: cost, Name: name}
		if segment != "" {
			p.Attrs = map[dimension.Dimension]string{dimension.Segment: segment, dimension.Total: name}
		}
		if got, want := appendPurchase(nil, p), encoded(t, p); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
