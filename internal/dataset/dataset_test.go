package dataset

import (
	"errors"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name, key, ds, rel string
		ok                 bool
	}{
		{"top of the bucket", "transactions/a.csv", Default, "transactions/a.csv", true},
		{"named", "datasets/sample/transactions/a.csv", "sample", "transactions/a.csv", true},
		{"nested below", "datasets/crm-2017/config/mappings/x.csv.json", "crm-2017", "config/mappings/x.csv.json", true},
		{"nothing below", "datasets/sample/", "", "", false},
		{"no slash", "datasets/sample", "", "", false},
		{"upper case", "datasets/Sample/transactions/a.csv", "", "", false},
		{"default spelled out", "datasets/default/transactions/a.csv", "", "", false},
		{"empty name", "datasets//transactions/a.csv", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, rel, ok := Of(tt.key)
			if ds != tt.ds || rel != tt.rel || ok != tt.ok {
				t.Fatalf("Of(%q) = %q, %q, %v; want %q, %q, %v", tt.key, ds, rel, ok, tt.ds, tt.rel, tt.ok)
			}
			if ok && Key(ds, rel) != tt.key {
				t.Fatalf("Key(%q, %q) = %q, want %q back", ds, rel, Key(ds, rel), tt.key)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, in string
		valid    bool
	}{
		{"letters", "sample", true},
		{"digits and hyphens", "crm-2017", true},
		{"leading hyphen", "-crm", false},
		{"empty", "", false},
		{"too long", "abcdefghijabcdefghijabcdefghijabcdefghijk", false},
		{"slash", "a/b", false},
		{"space", "a b", false},
		{"upper case", "CRM", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.in)
			if (err == nil) != tt.valid {
				t.Fatalf("Check(%q) = %v, want valid %v", tt.in, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Check(%q) = %v, want ErrInvalid", tt.in, err)
			}
		})
	}
}

func FuzzOf(f *testing.F) {
	for _, k := range []string{"transactions/a.csv", "datasets/x/spend/s.csv", "datasets/", "datasets/a/"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		ds, rel, ok := Of(key)
		if !ok {
			return
		}
		if ds != Default && Check(ds) != nil {
			t.Fatalf("Of(%q) gave invalid dataset %q", key, ds)
		}
		if Key(ds, rel) != key {
			t.Fatalf("Key(Of(%q)) = %q", key, Key(ds, rel))
		}
	})
}
