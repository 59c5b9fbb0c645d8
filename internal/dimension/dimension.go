// Package dimension names the dimensions that sales are broken down by and
// resolves the spellings users and files give them.
package dimension

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Dimension is a canonical dimension such as "segment" or "region".
type Dimension string

// The dimensions salesseg aggregates. Total is the single-value dimension that
// carries the grand total, so shares and KPIs come from the same items.
const (
	Total    Dimension = "total"
	Segment  Dimension = "segment"
	Industry Dimension = "industry"
	Size     Dimension = "size"
	Region   Dimension = "region"
	Country  Dimension = "country"
	Category Dimension = "category"
	Channel  Dimension = "channel"
	// Product, Owner and Manager come from deal files (CRM pipelines) and
	// their lookup files: the product sold, the sales agent who owns the
	// deal, and that agent's manager.
	Product Dimension = "product"
	Owner   Dimension = "owner"
	Manager Dimension = "manager"
)

// TotalValue is the only value of the Total dimension.
const TotalValue = "all"

// Blank is the value recorded for a row whose dimension cell is empty, so
// that every dimension's values add up to the total.
const Blank = "(blank)"

// ErrUnknown is returned (wrapped) by Parse for a name that is no dimension.
var ErrUnknown = errors.New("unknown dimension")

// All returns every dimension in a stable order, Total first.
func All() []Dimension {
	return []Dimension{Total, Segment, Industry, Size, Region, Country, Category, Channel, Product, Owner, Manager}
}

// Normalize folds a header or parameter to the form synonyms are matched in:
// lower case with spaces, underscores, hyphens and dots removed, so that
// "Customer Segment", "customer_segment" and "CustomerSegment" compare equal.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '_', '-', '.', '\t', '/':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Synonym returns the dimension a column header or query parameter names, and
// false when it names none. Matching ignores case and separators.
func Synonym(name string) (Dimension, bool) {
	switch Normalize(name) {
	case "total", "all":
		return Total, true
	case "segment", "customersegment", "segmentname", "market", "marketsegment":
		return Segment, true
	case "industry", "sector", "vertical":
		return Industry, true
	case "size", "sizeband", "companysize", "customersize":
		return Size, true
	case "region", "salesregion", "territory":
		return Region, true
	case "country", "countryname", "countryregion", "nation":
		return Country, true
	case "category", "productline", "productcategory", "line", "productfamily":
		return Category, true
	case "channel", "saleschannel", "distributionchannel":
		return Channel, true
	case "product", "dealproduct":
		return Product, true
	case "owner", "salesagent", "agent", "dealowner", "opportunityowner", "salesrep", "salesperson", "accountexecutive":
		return Owner, true
	case "manager", "salesmanager", "teammanager":
		return Manager, true
	}
	return "", false
}

// Parse resolves a user-supplied dimension name. The error wraps ErrUnknown
// and lists the accepted names.
func Parse(name string) (Dimension, error) {
	if d, ok := Synonym(name); ok {
		return d, nil
	}
	names := make([]string, 0, len(All()))
	for _, d := range All() {
		names = append(names, string(d))
	}
	return "", fmt.Errorf("%w %q: use one of %s", ErrUnknown, name, strings.Join(names, ", "))
}

// crossSep joins the two dimensions of a crossed dimension, and valueSep
// their values. valueSep is U+241F (SYMBOL FOR UNIT SEPARATOR): printable,
// and absent from real segment names.
const (
	crossSep = "*"
	valueSep = "\u241f"
)

// Cross returns the crossed dimension of a and b (e.g. industry × category),
// in the canonical order of All so that Cross(a, b) == Cross(b, a).
func Cross(a, b Dimension) Dimension {
	ia, ib := index(a), index(b)
	if ia > ib {
		a, b = b, a
	}
	return a + crossSep + b
}

// Split returns the two dimensions of a crossed dimension, and ok false for
// a single dimension.
func Split(d Dimension) (a, b Dimension, ok bool) {
	x, y, ok := strings.Cut(string(d), crossSep)
	return Dimension(x), Dimension(y), ok
}

// JoinValues returns the value of a crossed dimension from the values of
// its two dimensions, given in the crossed dimension's order.
func JoinValues(a, b string) string { return a + valueSep + b }

// SplitValues undoes JoinValues.
func SplitValues(v string) (a, b string) {
	a, b, _ = strings.Cut(v, valueSep)
	return a, b
}

func index(d Dimension) int {
	for i, x := range All() {
		if x == d {
			return i
		}
	}
	return len(All())
}

// SizeBands returns the names of the default size bands, smallest first:
// the bands an employee count or annual revenue is put in (see the
// parser's DefaultEmployeeBands and DefaultRevenueBands), and the order
// the values of Size are listed in.
func SizeBands() []string { return []string{"Micro", "Small", "Medium", "Large", "Enterprise"} }

// CompareValues orders two values of dimension d as they are listed: for
// Size the bands of SizeBands first, smallest first, then other values;
// within the rest, and for every other dimension, by string; Blank (the
// unassigned value) always last. It returns -1, 0 or +1 like cmp.Compare.
func CompareValues(d Dimension, a, b string) int {
	rank := func(v string) int {
		if v == Blank {
			return 2 << 10
		}
		if d == Size {
			if i := slices.Index(SizeBands(), v); i >= 0 {
				return i
			}
		}
		return 1 << 10
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}
