package aggregate

import (
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
)

// complete adds the keys of every Copy to d, as a reader of a file's
// stored keys derives them.
func complete(d Delta) Delta {
	has := map[dimension.Dimension]bool{}
	for k := range d {
		has[k.Dim] = true
	}
	add := Delta{}
	for _, c := range Copies(func(d dimension.Dimension) bool { return has[d] }) {
		for k, m := range d {
			if k.Dim == c.From && (!c.MonthOnly || k.Grain == Month) {
				add[Key{Dim: c.Dim, Value: c.Value(k.Value), Grain: k.Grain, Period: k.Period}] = m
			}
		}
	}
	for k, m := range add {
		d[k] = m
	}
	return d
}

func TestCopies(t *testing.T) {
	m := func(rev string, orders int64) *Measures {
		return &Measures{Revenue: decimal.MustParse(rev), Lines: orders, Orders: orders}
	}
	// A file with a region column only: two segments in one month.
	d := Delta{
		{dimension.Total, dimension.TotalValue, Month, "2024-01"}:  m("30", 3),
		{dimension.Total, dimension.TotalValue, Day, "2024-01-05"}: m("30", 3),
		{dimension.Region, "A", Month, "2024-01"}:                  m("10", 1),
		{dimension.Region, "B", Month, "2024-01"}:                  m("20", 2),
		{dimension.Region, "A", Day, "2024-01-05"}:                 m("10", 1),
		{dimension.Region, "B", Day, "2024-01-05"}:                 m("20", 2),
	}
	complete(d)
	for _, dim := range dimension.All() {
		for _, g := range []Grain{Day, Month} {
			var sum Measures
			n := 0
			for k, x := range d {
				if k.Dim == dim && k.Grain == g {
					n++
					if err := sum.Add(*x); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n == 0 || sum.Revenue.Cmp(decimal.MustParse("30")) != 0 || sum.Orders != 3 {
				t.Errorf("%s %s: %d keys summing %s, %d orders; want the total 30, 3 orders", dim, g, n, sum.Revenue, sum.Orders)
			}
		}
	}
	for _, tc := range []struct {
		name string
		key  Key
		rev  string
	}{
		{"missing dimension is blank", Key{dimension.Industry, dimension.Blank, Day, "2024-01-05"}, "30"},
		{"present first, missing second", Key{dimension.Cross(dimension.Region, dimension.Channel), dimension.JoinValues("B", dimension.Blank), Month, "2024-01"}, "20"},
		{"missing first, present second", Key{dimension.Cross(dimension.Segment, dimension.Region), dimension.JoinValues(dimension.Blank, "A"), Month, "2024-01"}, "10"},
		{"both missing", Key{dimension.Cross(dimension.Segment, dimension.Channel), dimension.JoinValues(dimension.Blank, dimension.Blank), Month, "2024-01"}, "30"},
		{"no pair day keys", Key{dimension.Cross(dimension.Region, dimension.Channel), dimension.JoinValues("A", dimension.Blank), Day, "2024-01-05"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := d[tc.key]
			if tc.rev == "" {
				if ok {
					t.Fatalf("unexpected key %v", tc.key)
				}
				return
			}
			if !ok || got.Revenue.Cmp(decimal.MustParse(tc.rev)) != 0 {
				t.Fatalf("key %v: %v %v, want revenue %s", tc.key, got, ok, tc.rev)
			}
		})
	}
	empty := Delta{}
	if len(complete(empty)) != 0 {
		t.Error("an empty delta stays empty")
	}
}
