package analytics

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFigureJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"ratio", Ratio(0.49144254278728605), `"0.4914"`},
		{"ratio above one", Ratio(2.5), `"2.5000"`},
		{"tiny negative ratio is zero", Ratio(-0.00001), `"0.0000"`},
		{"negative ratio", Ratio(-0.25), `"-0.2500"`},
		{"amount", Amount(21487.243), `"21487.24"`},
		{"halves round to even, as money does", Amount(0.125), `"0.12"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil || string(b) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tt.want)
			}
		})
	}
	t.Run("NaN fails", func(t *testing.T) {
		if _, err := json.Marshal(Ratio(math.NaN())); err == nil {
			t.Fatal("NaN encoded")
		}
	})
	t.Run("reads both forms", func(t *testing.T) {
		var r struct{ A, B Ratio }
		if err := json.Unmarshal([]byte(`{"A":"0.4914","B":0.25}`), &r); err != nil || r.A != 0.4914 || r.B != 0.25 {
			t.Fatalf("%+v %v", r, err)
		}
		var bad Amount
		if err := json.Unmarshal([]byte(`"12,5"`), &bad); err == nil {
			t.Fatal("12,5 read as a decimal")
		}
	})
}
