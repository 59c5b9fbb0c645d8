package tabular

import "testing"

func TestAppendScaled(t *testing.T) {
	cases := []struct {
		raw   []byte
		scale int
		want  string
	}{
		{[]byte{0x01, 0xE2, 0x40}, 2, "1234.56"},
		{[]byte{0xFF}, 2, "-0.01"},
		{[]byte{0x00}, 3, "0.000"},
		{[]byte{0x7F}, 0, "127"},
		{[]byte{0x80}, 1, "-12.8"},
	}
	for _, c := range cases {
		if got := string(appendScaled(nil, twosComplement(c.raw), c.scale)); got != c.want {
			t.Errorf("appendScaled(%x, %d) = %s, want %s", c.raw, c.scale, got, c.want)
		}
	}
}
