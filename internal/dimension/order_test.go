package dimension

import (
	"slices"
	"testing"
)

func TestCompareValues(t *testing.T) {
	cases := []struct {
		name string
		dim  Dimension
		in   []string
		want []string
	}{
		{"size bands smallest first, others after, blank last", Size, []string{Blank, "SMB", "Enterprise", "Micro", "Large", "Agency", "Small", "Medium"},
			[]string{"Micro", "Small", "Medium", "Large", "Enterprise", "Agency", "SMB", Blank}},
		{"other dimensions alphabetically, blank last", Segment, []string{"Small", Blank, "Consumer", "Micro"}, []string{"Consumer", "Micro", "Small", Blank}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := slices.Clone(c.in)
			slices.SortFunc(got, func(a, b string) int { return CompareValues(c.dim, a, b) })
			if !slices.Equal(got, c.want) {
				t.Fatalf("sorted %q, want %q", got, c.want)
			}
		})
	}
}
