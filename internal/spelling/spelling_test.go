package spelling

import "testing"

func TestCountries(t *testing.T) {
	c := NewCountries()
	tests := []struct {
		in, want string
		country  bool
	}{
		{"USA", "United States", true},
		{"US", "United States", true},
		{"U.S.A.", "United States", true},
		{"united states", "United States", true},
		{"United  States", "United States", true},
		{"United States of America", "United States", true},
		{"EIRE", "Ireland", true},
		{"IRL", "Ireland", true},
		{"RSA", "South Africa", true},
		{"UK", "United Kingdom", true},
		{"GB", "United Kingdom", true},
		{"Great Britain", "United Kingdom", true},
		{"Holland", "Netherlands", true},
		{"Czechia", "Czech Republic", true},
		{"CZE", "Czech Republic", true},
		{"Korea", "South Korea", true},
		{"HKG", "Hong Kong", true},
		{"Bosnia and Herzegovina", "Bosnia & Herzegovina", true},
		{"Saint Lucia", "St. Lucia", true},
		{"germany", "Germany", true},
		{"Deutschland", "Germany", true},
		{"Channel Islands", "Channel Islands", false},
		{"unspecified", "Unspecified", false},
		{"European Community", "European Community", false},
		{"Philipines", "Philipines", false}, // a misspelling stays: users map it
		{"NA", "NA", false},                 // a missing value, not Namibia
		{"in", "in", false},                 // words are not codes
		{"No", "No", false},
		{"can", "Can", false},
		{"usa", "United States", true},
		{"IND", "India", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := c.Name(tt.in)
			if got != tt.want || ok != tt.country {
				t.Errorf("Name(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.country)
			}
		})
	}
}

func TestTidy(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lower case gets capitals", "consumer goods", "Consumer Goods"},
		{"hyphen and slash start words", "e-commerce/web", "E-Commerce/Web"},
		{"capitals are kept", "EMEA", "EMEA"},
		{"mixed case is kept", "iPhone", "iPhone"},
		{"inner spaces collapse", "Home   Office", "Home Office"},
		{"tabs collapse", "Home\tOffice", "Home Office"},
		{"accents", "électronique", "Électronique"},
		{"digits only", "2024", "2024"},
		{"digit first", "2nd tier", "2nd Tier"},
		{"short codes are kept", "eu", "eu"},
		{"one letter is kept", "x", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tidy(tt.in); got != tt.want {
				t.Errorf("Tidy(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func BenchmarkNewCountries(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewCountries()
	}
}
