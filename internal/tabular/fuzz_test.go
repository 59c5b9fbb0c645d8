package tabular

import (
	"encoding/csv"
	"io"
	"reflect"
	"strings"
	"testing"
)

// FuzzTextReader compares the reader with encoding/csv on every input both
// accept without ambiguity: the same records, fields and starting lines.
func FuzzTextReader(f *testing.F) {
	for _, s := range []string{
		"Order Date,Order ID,Sales\n1/15/2024,O1,100.10\n2/3/2024,O2,\"1,250.00\"\n",
		"Date,Note,Amount\n2024-01-01,\"multi\nline\",1\n",
		"date,amount\n\"2024-01-01\"x,1\n,\n",
		"a,b\n\n\n c , d \n",
	} {
		f.Add(s)
	}
	f.Add("a,\"b\nc\",d\n\"\"\"\",x\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '\r') || len(s) > 1<<16 {
			return
		}
		cr := csv.NewReader(strings.NewReader(s))
		cr.FieldsPerRecord = -1
		var want []tokRecord
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // encoding/csv refuses it; ours may be lenient
			}
			blank := true
			for _, f := range rec {
				if strings.Trim(f, " \t") != "" {
					blank = false
				}
			}
			if blank {
				return // a blank record: skipped by ours, ambiguous to compare
			}
			line, _ := cr.FieldPos(0)
			want = append(want, tokRecord{Line: line, Fields: append([]string(nil), rec...)})
		}
		got, err := tokenize(t, s, ',')
		if err != nil {
			t.Fatalf("encoding/csv reads %q, ours fails: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("input %q\n got %+v\nwant %+v", s, got, want)
		}
	})
}
