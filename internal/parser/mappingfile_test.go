package parser

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestMappingFileLayers(t *testing.T) {
	global, err := ReadMappingFile(strings.NewReader(`{"columns": {"amount": "Net", "date": "Day"}, "date_order": "DMY",
		"values": {"country": {"Holland": "Netherlands", "EIRE": "Ireland"}}}`), "config/mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	own, err := ReadMappingFile(strings.NewReader(`{"columns": {"amount": "Gross"}, "keep_spelling": true,
		"values": {"country": {"EIRE": "Republic of Ireland"}}}`), "config/mappings/x.csv.json")
	if err != nil {
		t.Fatal(err)
	}
	var opt Options
	global.Apply(&opt)
	own.Apply(&opt)
	if want := map[string]string{"amount": "Gross", "date": "Day"}; !maps.Equal(opt.Mapping, want) {
		t.Errorf("columns %v, want %v", opt.Mapping, want)
	}
	if want := map[string]string{"Holland": "Netherlands", "EIRE": "Republic of Ireland"}; !maps.Equal(opt.Values["country"], want) {
		t.Errorf("values %v, want %v", opt.Values["country"], want)
	}
	if opt.DateOrder != "DMY" || !opt.KeepSpelling {
		t.Errorf("date order %q keep spelling %v", opt.DateOrder, opt.KeepSpelling)
	}
}

func TestMappingFileErrors(t *testing.T) {
	for name, body := range map[string]string{
		"unknown setting": `{"colums": {"amount": "Net"}}`,
		"wrong type":      `{"no_header": "yes"}`,
		"not JSON":        `amount=Net`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadMappingFile(strings.NewReader(body), "config/mapping.json")
			if !errors.Is(err, ErrBadMappingFile) || !strings.Contains(err.Error(), "config/mapping.json") {
				t.Errorf("err %v, want ErrBadMappingFile naming the file", err)
			}
		})
	}
}

func TestMappingFileCheck(t *testing.T) {
	cases := []struct {
		name, body string
		wantErr    string // "" for a valid mapping
	}{
		{"valid, re-applied", `{"columns": {"amount": "Importe"}, "date_order": "DMY", "apply_to_uploaded": true}`, ""},
		{"bad date order", `{"date_order": "YMD"}`, "date order"},
		{"bad decimal separator", `{"decimal_separator": ";"}`, "decimal separator"},
		{"bad delimiter", `{"delimiter": "x"}`, "delimiter"},
		{"unknown dimension", `{"values": {"colour": {"rd": "Red"}}}`, "colour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ReadMappingFile(strings.NewReader(c.body), "config/mapping.json")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Check()
			if c.wantErr == "" {
				if err != nil || !m.ApplyToUploaded {
					t.Fatalf("check %v, apply to uploaded %v", err, m.ApplyToUploaded)
				}
				return
			}
			if !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("check %v, want ErrBadOptions about %s", err, c.wantErr)
			}
		})
	}
}
