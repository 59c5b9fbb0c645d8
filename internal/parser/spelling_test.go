package parser

import (
	"errors"
	"maps"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
)

// TestSpelling checks that values meaning the same thing merge, that each
// merge is reported, and that a mapping can override or switch it off.
func TestSpelling(t *testing.T) {
	const file = "date,country,industry,amount\n" +
		"2024-01-01,USA,retail,1\n" +
		"2024-01-02,United States,Retail,2\n" +
		"2024-01-03,us,  retail ,4\n" +
		"2024-01-04,EIRE,Consumer   Goods,8\n" +
		"2024-01-05,Philipines,consumer goods,16\n"
	tests := []struct {
		name       string
		opt        Options
		country    map[string]string
		industry   map[string]string
		normalized map[string]map[string]string
	}{
		{name: "built-in rules",
			country:  map[string]string{"United States": "7", "Ireland": "8", "Philipines": "16"},
			industry: map[string]string{"Retail": "7", "Consumer Goods": "24"},
			normalized: map[string]map[string]string{
				"country":  {"USA": "United States", "us": "United States", "EIRE": "Ireland"},
				"industry": {"retail": "Retail", "Consumer   Goods": "Consumer Goods", "consumer goods": "Consumer Goods"},
			}},
		{name: "a mapping respells on top",
			opt:      Options{Values: map[string]map[string]string{"country": {"Philipines": "Philippines", "EIRE": "Republic of Ireland"}}},
			country:  map[string]string{"United States": "7", "Republic of Ireland": "8", "Philippines": "16"},
			industry: map[string]string{"Retail": "7", "Consumer Goods": "24"},
			normalized: map[string]map[string]string{
				"country":  {"USA": "United States", "us": "United States", "EIRE": "Republic of Ireland", "Philipines": "Philippines"},
				"industry": {"retail": "Retail", "Consumer   Goods": "Consumer Goods", "consumer goods": "Consumer Goods"},
			}},
		{name: "keep spelling",
			opt:      Options{KeepSpelling: true, Values: map[string]map[string]string{"industry": {"retail": "Retail"}}},
			country:  map[string]string{"USA": "1", "United States": "2", "us": "4", "EIRE": "8", "Philipines": "16"},
			industry: map[string]string{"Retail": "7", "Consumer   Goods": "8", "consumer goods": "16"},
			normalized: map[string]map[string]string{
				"industry": {"retail": "Retail"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := mustParse(t, file, tt.opt)
			if got := revenueBy(res, dimension.Country); !maps.Equal(got, tt.country) {
				t.Errorf("countries %v, want %v", got, tt.country)
			}
			if got := revenueBy(res, dimension.Industry); !maps.Equal(got, tt.industry) {
				t.Errorf("industries %v, want %v", got, tt.industry)
			}
			if got := res.Format.Normalized; !maps.EqualFunc(got, tt.normalized, maps.Equal) {
				t.Errorf("normalized %v, want %v", got, tt.normalized)
			}
		})
	}
}

func TestSpellingOptionsValidated(t *testing.T) {
	for _, values := range []map[string]map[string]string{
		{"planet": {"a": "b"}},
		{"Customer Segment": {"a": "b"}},
		{"country": {"a": ""}},
		{"country": {"a": " b"}},
		{"country": {"a": "=HYPERLINK(1)"}},
	} {
		_, _, err := parseText(t, "date,amount\n2024-01-01,1\n", Options{Values: values})
		if !errors.Is(err, ErrBadOptions) {
			t.Errorf("values %v: err %v, want ErrBadOptions", values, err)
		}
	}
}

// TestSpellingDoesNotDependOnRowOrder checks that a respelling gives the
// same values and report whichever spelling comes first, and that a
// mapping of a stored name catches every spelling the rules store so.
func TestSpellingDoesNotDependOnRowOrder(t *testing.T) {
	opt := Options{Values: map[string]map[string]string{"country": {"United States": "USA"}}}
	rows := []string{"2024-01-01,USA,1\n", "2024-01-02,US,2\n", "2024-01-03,United States,4\n", "2024-01-04,NA,8\n"}
	want := map[string]string{"USA": "7", "NA": "8"}
	wantRenamed := map[string]string{"US": "USA", "United States": "USA"}
	for _, order := range [][]int{{0, 1, 2, 3}, {1, 0, 3, 2}, {2, 3, 1, 0}} {
		file := "date,country,amount\n"
		for _, i := range order {
			file += rows[i]
		}
		res, _ := mustParse(t, file, opt)
		if got := revenueBy(res, dimension.Country); !maps.Equal(got, want) {
			t.Errorf("order %v: countries %v, want %v", order, got, want)
		}
		if got := res.Format.Normalized["country"]; !maps.Equal(got, wantRenamed) {
			t.Errorf("order %v: respelled %v, want %v", order, got, wantRenamed)
		}
	}
}
