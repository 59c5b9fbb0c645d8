// Package spelling makes dimension values that mean the same thing read
// the same, so that "USA", "U.S.A." and "United States", or "retail" and
// "Retail", land in one segment instead of splitting its revenue.
//
// Two rules apply to every value of a dimension, and a third to countries:
//
//   - Spacing: runs of spaces and tabs inside a value become one space.
//   - Case: a value written entirely in lower case, with at least three
//     letters, gets a capital at the start of each word ("consumer goods" →
//     "Consumer Goods"). Values with any capital are kept as written:
//     "EMEA", "SMB" and "iPhone" are deliberate, and so are one- and
//     two-letter codes ("x", "eu").
//   - Countries: ISO 3166-1 alpha-2 and alpha-3 codes written in capitals
//     (not "NA", the usual mark of a missing value), English names in any
//     case and spacing, and common alternatives ("EIRE", "RSA", "UAE",
//     "Holland", "Great Britain", "Czechia", "U.S.A.") become the
//     country's English short name from the Unicode CLDR, as
//     golang.org/x/text ships it ("United States", "Ireland"), with a few
//     of CLDR's longer forms shortened ("Hong Kong", not "Hong Kong SAR
//     China").
//
// Nothing here fails: a value no rule applies to is returned unchanged.
// Callers report every change, and users can override or switch it off
// (see parser.Options).
package spelling

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Countries maps country codes and names to one English name per country.
type Countries struct {
	names map[string]string // folded name or alias → canonical name
	// codes holds ISO alpha-2 and alpha-3 codes, matched only as
	// written in capitals: in lower case "in", "it", "no" and "can" are
	// words, and "NA" is the usual mark of a missing value, not Namibia.
	codes map[string]string
}

// builtCountries is the index, built on first use (about 3 ms) and never
// changed after, so that parsing many small files pays for it once.
var builtCountries = sync.OnceValue(NewCountries)

// Country returns the canonical name of the country v names and true, or
// Tidy(v) and false; it uses one index shared by the process.
func Country(v string) (string, bool) { return builtCountries().Name(v) }

// shorter replaces CLDR English names that are longer than users write.
var shorter = map[string]string{
	"HK": "Hong Kong",
	"MO": "Macao",
	"MM": "Myanmar",
	"CZ": "Czech Republic", // CLDR's "Czechia" is rarer in business data
}

// aliases are spellings in common use that neither ISO codes nor CLDR's
// English names cover, folded, by ISO 3166-1 alpha-2 code.
var aliases = map[string]string{
	"eire": "IE", "rsa": "ZA", "uae": "AE", "holland": "NL", "the netherlands": "NL",
	"uk": "GB", "u.k.": "GB", "usa": "US", "u.s.a.": "US", "u.s.": "US", "great britain": "GB", "britain": "GB", "united states of america": "US",
	"czechia": "CZ", "russian federation": "RU", "korea": "KR", "republic of korea": "KR",
	"viet nam": "VN", "ivory coast": "CI", "cote d'ivoire": "CI", "burma": "MM", "macau": "MO",
	"turkiye": "TR", "türkiye": "TR", "swaziland": "SZ", "eswatini": "SZ", "north macedonia": "MK",
	"cabo verde": "CV", "brasil": "BR", "deutschland": "DE", "españa": "ES", "espana": "ES",
	"the bahamas": "BS", "the gambia": "GM", "hong kong sar": "HK", "palestine": "PS",
}

// NewCountries builds the index of every country CLDR knows: its alpha-2
// and alpha-3 codes, its English name and the aliases above.
func NewCountries() *Countries {
	c := &Countries{names: map[string]string{}, codes: map[string]string{}}
	canonical := func(r language.Region) string {
		if s, ok := shorter[r.String()]; ok {
			return s
		}
		return display.English.Regions().Name(r)
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			r, err := language.ParseRegion(string([]rune{a, b}))
			if err != nil || !r.IsCountry() || r.ISO3() == "ZZZ" {
				continue
			}
			r = r.Canonicalize() // UK → GB
			name := canonical(r)
			if name == "" || name == "Unknown Region" {
				continue
			}
			if code := string([]rune{a, b}); code != "NA" {
				c.codes[code] = name
			}
			c.codes[r.ISO3()] = name
			c.names[fold(name)] = name
			c.names[fold(display.English.Regions().Name(r))] = name
		}
	}
	for alias, code := range aliases {
		r := language.MustParseRegion(code)
		c.names[fold(alias)] = canonical(r)
	}
	return c
}

// Name returns the country's canonical name and true when v names a
// country, else Tidy(v) and false.
func (c *Countries) Name(v string) (string, bool) {
	if name, ok := c.codes[v]; ok {
		return name, true
	}
	if name, ok := c.names[fold(v)]; ok {
		return name, true
	}
	return Tidy(v), false
}

// fold is the form spellings are compared in: lower case, "&" as "and",
// without dots or apostrophe variants, single spaces, "saint" as "st".
func fold(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.NewReplacer("&", " and ", ".", "", "’", "'", "saint ", "st ").Replace(v)
	return strings.Join(strings.Fields(v), " ")
}

// Tidy applies the spacing and case rules to v.
func Tidy(v string) string {
	if strings.Contains(v, "  ") || strings.Contains(v, "\t") {
		v = collapse(v)
	}
	if !allLower(v) {
		return v
	}
	b := make([]byte, 0, len(v))
	start := true
	for _, r := range v {
		if start && unicode.IsLower(r) {
			r = unicode.ToUpper(r)
		}
		start = r == ' ' || r == '-' || r == '/'
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// collapse turns every run of spaces and tabs into one space.
func collapse(v string) string {
	var b strings.Builder
	space := false
	for _, r := range v {
		if r == ' ' || r == '\t' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// allLower reports whether v has three or more lower-case letters and no
// upper-case or title-case one.
func allLower(v string) bool {
	lower := 0
	for _, r := range v {
		if unicode.IsUpper(r) || unicode.IsTitle(r) {
			return false
		}
		if unicode.IsLower(r) {
			lower++
		}
	}
	return lower >= 3
}
