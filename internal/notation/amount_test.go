package notation

import (
	"errors"
	"testing"
)

func TestParseNumber(t *testing.T) {
	cases := []struct {
		name, in string
		comma    bool
		want     string // "" when an error is expected
		wantErr  error
	}{
		{"integer", "1234", false, "1234", nil},
		{"decimal point", "1234.56", false, "1234.56", nil},
		{"scale kept", "12.50", false, "12.50", nil},
		{"scale kept on slow path", "$12.50", false, "12.50", nil},
		{"leading point", ".5", false, "0.5", nil},
		{"trailing point", "12.", false, "12", nil},
		{"minus", "-12.5", false, "-12.5", nil},
		{"plus", "+12.5", false, "12.5", nil},
		{"unicode minus", "\u221212.5", false, "-12.5", nil},
		{"trailing minus (SAP)", "12.5-", false, "-12.5", nil},
		{"parentheses", "(1,234.56)", false, "-1234.56", nil},
		{"parentheses and currency", "($1,234.56)", false, "-1234.56", nil},
		{"minus in parentheses", "(-5)", false, "", errDoubleSign},
		{"unicode minus in parentheses", "(\u22125)", false, "", errDoubleSign},
		{"trailing minus in parentheses", "(5-)", false, "", errDoubleSign},
		{"plus in parentheses", "(+5)", false, "", errDoubleSign},
		{"minus in parentheses after currency", "($-5)", false, "", errDoubleSign},
		{"minus before and after", "-5-", false, "", errDoubleSign},
		{"minus around currency", "-$-5", false, "", errDoubleSign},
		{"thousands comma", "1,234,567.89", false, "1234567.89", nil},
		{"thousands point, decimal comma", "1.234.567,89", true, "1234567.89", nil},
		{"decimal comma", "12,5", true, "12.5", nil},
		{"space thousands", "1 234 567,89", true, "1234567.89", nil},
		{"no-break space thousands", "1\u00a0234,50", true, "1234.50", nil},
		{"narrow no-break space thousands", "1\u202f234,50", true, "1234.50", nil},
		{"apostrophe thousands (Swiss)", "1'234.50", false, "1234.50", nil},
		{"right single quote thousands", "1\u2019234.50", false, "1234.50", nil},
		{"Indian grouping", "1,23,45,678.90", false, "12345678.90", nil},
		{"dollar", "$1,234.56", false, "1234.56", nil},
		{"minus before dollar", "-$1,234.56", false, "-1234.56", nil},
		{"minus after dollar", "$-1,234.56", false, "-1234.56", nil},
		{"euro suffix", "1.234,56 €", true, "1234.56", nil},
		{"euro prefix", "€1.234,56", true, "1234.56", nil},
		{"pound", "£99.99", false, "99.99", nil},
		{"ISO code prefix", "USD 1,000.00", false, "1000.00", nil},
		{"ISO code suffix", "1000.00 EUR", false, "1000.00", nil},
		{"US$", "US$12", false, "12", nil},
		{"CHF", "CHF 1'000.50", false, "1000.50", nil},
		{"kr suffix", "1 000,50 kr", true, "1000.50", nil},
		{"surrounding spaces", "  42  ", false, "42", nil},
		{"exponent", "1.5E+06", false, "1500000", nil},
		{"negative exponent", "125e-2", false, "1.25", nil},
		{"19 digits with scale", "12345678901.23456789", false, "12345678901.23456789", nil},
		{"19 digits below 10^15", "999999999999999.9999", false, "999999999999999.9999", nil},
		{"15 integer digits", "-999999999999999", false, "-999999999999999", nil},
		{"19 integer digits", "1234567890123456789", false, "", ErrAmountRange},
		{"2^63", "9223372036854775808", false, "", ErrAmountRange},
		{"largest 19 digits", "9999999999999999999", false, "", ErrAmountRange},
		{"10^15 on the fast path", "1000000000000000", false, "", ErrAmountRange},
		{"10^15 with decimals", "1000000000000000.00", false, "", ErrAmountRange},
		{"-10^15", "-1000000000000000", false, "", ErrAmountRange},
		{"10^15 grouped", "$1,000,000,000,000,000", false, "", ErrAmountRange},
		{"5e18", "5e18", false, "", ErrAmountRange},
		{"1e15", "1E+15", false, "", ErrAmountRange},
		{"1e14", "1E+14", false, "100000000000000", nil},
		{"trailing zeros beyond 19 digits dropped exactly", "1.00000000000000000000000", false, "1", nil},
		{"leading zeros", "000123.40", false, "123.40", nil},
		{"zero", "0", false, "0", nil},
		{"negative zero", "-0.00", false, "0.00", nil},
		{"20 digits", "12345678901234567890", false, "", errTooManyDigits},
		{"decimal comma in a point column", "12,5", false, "", errGroupingPoint},
		{"decimal point in a comma column", "12.5", true, "", errGroupingComma},
		{"bad grouping", "1,23,4.5", false, "", errGroupingPoint},
		{"two decimal points", "1.2.3", false, "", errGroupingPoint},
		{"letters", "abc", false, "", ErrBadAmount},
		{"letters after digits", "12abc", false, "", ErrBadAmount},
		{"currency code alone", "USD", false, "", ErrBadAmount},
		{"empty", "", false, "", ErrBadAmount},
		{"sign only", "-", false, "", ErrBadAmount},
		{"percent", "12%", false, "", errPercent},
		{"NaN", "NaN", false, "", ErrBadAmount},
		{"Inf", "Inf", false, "", ErrBadAmount},
		{"hex", "0x1A", false, "", ErrBadAmount},
		{"huge exponent", "1e99", false, "", ErrBadAmount},
		{"exponent overflow", "9.99e30", false, "", errTooManyDigits},
		{"thousands after the point", "1.234,5", false, "", errGroupingPoint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseNumber([]byte(c.in), c.comma)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrBadAmount) {
					t.Fatalf("ParseNumber(%q) = %v, %v; want error %v", c.in, d, err, c.wantErr)
				}
				return
			}
			if err != nil || d.String() != c.want {
				t.Fatalf("ParseNumber(%q, comma=%v) = %v, %v; want %s", c.in, c.comma, d, err, c.want)
			}
		})
	}
}

func TestNotationVote(t *testing.T) {
	cases := []struct {
		in   string
		want byte
	}{
		{"1234", 0},
		{"1,234", 0},
		{"1.234", 0},
		{"0,123", ','},
		{"1234,567", ','},
		{"12,5", ','},
		{"12.5", '.'},
		{"1,234.56", '.'},
		{"1.234,56", ','},
		{"1.234.567", ','},
		{"1,234,567", '.'},
		{"$1,234", 0},
		{"€ 12,50", ','},
		{"abc", 0},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := DecimalVote([]byte(c.in)); got != c.want {
				t.Fatalf("DecimalVote(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func BenchmarkParseNumber(b *testing.B) {
	for _, in := range []string{"1234.56", "$1,234.56", "1.234,56 €"} {
		b.Run(in, func(b *testing.B) {
			v := []byte(in)
			comma := in[len(in)-1] == 0x82 || in == "1.234,56 €"
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseNumber(v, comma); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
