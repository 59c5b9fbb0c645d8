package parser

import (
	"fmt"
	"strings"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/tabular"
)

// Options adjust how ParseWith reads a file. The zero value detects
// everything and is what Parse uses.
type Options struct {
	// Mapping overrides the synonym table: canonical field ("date",
	// "customer_id", "order_id", "amount", "quantity", "unit_price",
	// "cost", "profit", "employees", "annual_revenue") or dimension
	// ("segment", "industry", "size", "region", "country", "category",
	// "channel") → header, matched exactly, then ignoring case and
	// separators, or "#N" for the Nth column. An empty header unmaps the
	// field. A column named here is used for nothing else.
	Mapping map[string]string
	// NoHeader says the first row is data; columns are then named "#1",
	// "#2", ... and must be mapped with Mapping.
	NoHeader bool
	// Read says how the file is read: the XLSX sheet, a forced delimiter,
	// the limits that guard against decompression bombs and huge spools.
	Read tabular.Options
	// DateOrder forces the order of numeric dates such as 3/4/2024: "MDY"
	// or "DMY"; "" decides it from the column.
	DateOrder string
	// DecimalSeparator forces "." or "," for every numeric column; ""
	// decides it per column from its values.
	DecimalSeparator string
	// EmployeeBands and RevenueBands turn an employee count or an annual
	// revenue into the size dimension (when the file has no size column),
	// ascending by Min; nil uses DefaultEmployeeBands and
	// DefaultRevenueBands. An employee count wins over a revenue.
	EmployeeBands []Band
	RevenueBands  []Band
	// Customers enriches rows with attributes their file lacks: customer
	// id → dimension → value (as ParseCustomers returns). A dimension the
	// file has a column for is never overridden.
	Customers map[string]map[dimension.Dimension]string
	// Lookups enrich rows by the value of one of their dimensions, keyed
	// by that dimension (as ParseLookup returns them): a products table
	// adds the category of each product and prices open deals without a
	// value, a teams table the manager and region of each sales agent.
	// A row's key value matches a lookup key written with other case or
	// spacing ("GTXPro" and "GTX Pro"), and is stored as the lookup
	// spells it. A dimension the file has a column for, or that
	// Customers gives, is never overridden.
	Lookups map[dimension.Dimension]*Table
	// Values respells dimension values: dimension name → value as
	// written → value to store. It wins over the built-in rules of
	// package spelling (spacing, lower case, country names and codes),
	// which KeepSpelling switches off.
	Values       map[string]map[string]string
	KeepSpelling bool
	// cellCache overrides the size of the cell cache (see cellCache), so
	// that tests roll up small files many times.
	cellCache int
	// inMemory keeps the purchase history and the log of orders' runs in
	// memory instead of spill files (see spill.go), so that tests compare
	// the two.
	inMemory bool
	// spillDir is where spill files go, "" for Read.TempDir (the
	// system's temporary directory when that is ""); spillPart, when not 0, is how many runs of the purchase
	// history finish sorts at a time (see historySpill).
	spillDir  string
	spillPart int
}

// validate checks the options; errors wrap ErrBadOptions.
func (o *Options) validate() error {
	switch strings.ToUpper(strings.NewReplacer("/", "", "-", "", " ", "").Replace(o.DateOrder)) {
	case "":
	case "MDY", "MDYYYY":
		o.DateOrder = notation.OrderMDY
	case "DMY", "DMYYYY":
		o.DateOrder = notation.OrderDMY
	case notation.OrderMDY, notation.OrderDMY:
	default:
		return fmt.Errorf("%w: date order %q: use MDY or DMY", ErrBadOptions, o.DateOrder)
	}
	switch o.DecimalSeparator {
	case "", ".", ",":
	default:
		return fmt.Errorf("%w: decimal separator %q: use . or ,", ErrBadOptions, o.DecimalSeparator)
	}
	for _, bands := range [][]Band{o.EmployeeBands, o.RevenueBands} {
		for i := range bands {
			if bands[i].Name == "" || (i > 0 && bands[i].Min <= bands[i-1].Min) {
				return fmt.Errorf("%w: size bands must be named and ascending by Min", ErrBadOptions)
			}
		}
	}
	for name, m := range o.Values {
		d, err := dimension.Parse(name)
		if err != nil {
			return fmt.Errorf("%w: values: %w", ErrBadOptions, err)
		}
		if string(d) != name {
			// Stored under the canonical name so lookups by dimension find it.
			return fmt.Errorf("%w: values: name the dimension %q as %q", ErrBadOptions, name, d)
		}
		for from, to := range m {
			if from == "" || to == "" || !validText([]byte(to)) || strings.TrimSpace(to) != to {
				return fmt.Errorf("%w: values of %s: %q → %q: both must be non-empty text without leading or trailing spaces or formulas", ErrBadOptions, name, from, to)
			}
		}
	}
	return o.Read.Validate()
}

func (o *Options) employeeBands() []Band {
	if o.EmployeeBands != nil {
		return o.EmployeeBands
	}
	return DefaultEmployeeBands()
}

func (o *Options) revenueBands() []Band {
	if o.RevenueBands != nil {
		return o.RevenueBands
	}
	return DefaultRevenueBands()
}
