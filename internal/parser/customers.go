package parser

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/tabular"
)

// Table is an attribute table read by ParseCustomers or ParseLookup, to
// enrich the rows of files that lack the attributes: a customers file's
// firmographics by customer id (Options.Customers), or a lookup file's
// attributes by the value of one dimension, such as a products file's
// series and list price by product or a teams file's manager and office
// by sales agent (Options.Lookups).
type Table struct {
	// Key is the dimension whose values key a lookup table; "" for a
	// customers table, keyed by customer id.
	Key dimension.Dimension
	// Attrs maps a key to its dimension values; empty values are left
	// out. A lookup's keys are spelled as its key dimension's values are
	// stored.
	Attrs map[string]map[dimension.Dimension]string
	// Prices maps a lookup key to its list price, an exact decimal, for
	// the keys whose row gives one (a products file's sales price); nil
	// for a customers table.
	Prices map[string]string
	// Names maps a customer id to its display name, for the rows of a
	// customers table whose name column (see nameSynonym) is not empty;
	// nil for a lookup table.
	Names    map[string]string
	Rows     int64
	Accepted int64
	Rejected int64
	// Duplicates counts rows whose key came before: the last row of a
	// key wins.
	Duplicates int64
	Format     Format
}

// customerSynonym maps a normalized header of a customers file to what it
// names besides the transaction synonyms, with fieldSynonym's rank: there
// "revenue" and "sales" are the company's annual revenue, and an office
// location is its country.
func customerSynonym(norm string) (target, int, bool) {
	switch norm {
	case "revenue", "sales", "annualrevenue", "revenuemillions", "companyrevenue", "turnover":
		return target{f: fieldAnnualRevenue}, 0, true
	case "officelocation", "headquarters", "hq", "hqcountry", "location", "headquarterscountry":
		return target{dim: dimension.Country}, 0, true
	}
	if f, rank, ok := fieldSynonym(norm); ok {
		switch f {
		case fieldCustomer, fieldEmployees, fieldAnnualRevenue:
			return target{f: f}, rank, true
		}
		return target{}, 0, false
	}
	return target{}, 0, false
}

// lookupSynonym maps a normalized header of a lookup file to what it
// names besides dimensions: only a price, the list price of a products
// file's rows.
func lookupSynonym(norm string) (target, int, bool) {
	if f, rank, ok := fieldSynonym(norm); ok && f == fieldUnitPrice {
		return target{f: f}, rank, true
	}
	return target{}, 0, false
}

// mapTableHeader maps the header of a customers file (key "") or a lookup
// file keyed by dimension key: the key's column is required, and at least
// one attribute (a dimension; for customers also an employee count or an
// annual revenue, which become size bands).
func mapTableHeader(header []string, mapping map[string]string, key dimension.Dimension) (*columnMap, error) {
	ov, err := applyMapping(header, mapping)
	if err != nil {
		return nil, err
	}
	cm, norms, used, fixed, dimCol := ov.cm, ov.norms, ov.used, ov.fixed, ov.dimCol
	// A field's column is its best-ranked synonym, then the leftmost (a
	// customer id before a customer name); a dimension's the leftmost.
	var rank [numFields]int
	for i, norm := range norms {
		if norm == "" || used[i] {
			continue
		}
		synonym := customerSynonym
		if key != "" {
			synonym = lookupSynonym
		}
		t, r, ok := synonym(norm)
		if !ok {
			d, isDim := dimSynonym(header[i])
			if !isDim {
				continue
			}
			t = target{dim: d}
		}
		if fixed[t] {
			continue
		}
		if t.dim != "" {
			if _, taken := dimCol[t.dim]; !taken {
				dimCol[t.dim] = i
			}
		} else if cm.col[t.f] < 0 || r < rank[t.f] {
			cm.col[t.f], rank[t.f] = i, r
		}
	}
	if key == "" && !cm.has(fieldCustomer) {
		return nil, &HeaderError{Column: "customer_id", Err: ErrMissingColumn}
	}
	if key == "" {
		ov.pickName()
	}
	if _, ok := dimCol[key]; key != "" && !ok {
		return nil, &HeaderError{Column: string(key), Err: ErrMissingColumn}
	}
	attrs := 0
	for _, d := range dimension.All() {
		if i, ok := dimCol[d]; ok {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromColumn, col: i})
		} else if d == dimension.Size && cm.has(fieldEmployees) {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromEmployees, col: cm.col[fieldEmployees]})
		} else if d == dimension.Size && cm.has(fieldAnnualRevenue) {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromAnnualRev, col: cm.col[fieldAnnualRevenue]})
		}
		if len(cm.dims) > 0 && cm.dims[len(cm.dims)-1].dim == d && d != key {
			attrs++
		}
	}
	switch {
	case attrs == 0 && key == "":
		return nil, &HeaderError{Column: "a customer attribute (segment, industry, size, employees, revenue, region, country...)",
			Err: ErrMissingColumn}
	case attrs == 0 && !cm.has(fieldUnitPrice):
		return nil, &HeaderError{Column: "an attribute of the " + string(key) + " (a dimension such as category, manager or region, or a price)",
			Err: ErrMissingColumn}
	}
	return cm, nil
}

// ParseCustomers reads a firmographics file (customers/*.csv, or XLSX,
// Parquet; detected like ParseWith) with one row per customer: a customer
// id and attributes — segment, industry (sector), size, region, country
// (office location); an employee count, or else an annual revenue (here
// "revenue" is the company's, not a sale), becomes the size band. Rows
// without a customer id are rejected to rejects.
//
// Memory holds the table. Errors are those of ParseWith: ErrUnreadable, a
// *HeaderError (no customer id or no attribute column), ErrBadOptions; on
// error the result is nil.
func ParseCustomers(r io.Reader, name string, rejects RejectWriter, opt Options) (*Table, error) {
	c, err := parseTable(r, "", rejects, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// ParseLookup reads a lookup file (products/*.csv, teams/*.csv, or XLSX,
// Parquet; detected like ParseWith) with one row per value of dimension
// key: a products file's product with its series (category) and list
// price (sales_price, price), a teams file's sales agent (owner) with
// manager and regional office (region). Rows without a key are rejected
// to rejects; for a key on several rows the last row wins.
//
// Errors are those of ParseCustomers; a key that is dimension.Total wraps
// ErrBadOptions.
func ParseLookup(r io.Reader, name string, key dimension.Dimension, rejects RejectWriter, opt Options) (*Table, error) {
	if key == "" || key == dimension.Total {
		return nil, fmt.Errorf("%s: %w: a lookup is keyed by a dimension other than total", name, ErrBadOptions)
	}
	t, err := parseTable(r, key, rejects, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

func parseTable(r io.Reader, key dimension.Dimension, rejects RejectWriter, opt Options) (*Table, error) {
	opt.Customers, opt.Lookups = nil, nil
	out := &Table{Key: key, Attrs: map[string]map[dimension.Dimension]string{}}
	if key != "" {
		out.Prices = map[string]string{}
	} else {
		out.Names = map[string]string{}
	}
	mapHeader := func(header []string, mapping map[string]string) (*columnMap, error) {
		return mapTableHeader(header, mapping, key)
	}
	a, counts, err := scanTable(r, rejects, &opt, &out.Format, mapHeader,
		func(a *accumulator, rec tabular.Record) *RowError { return a.tableRow(rec, out) })
	if err != nil {
		return nil, err
	}
	out.Rows, out.Accepted, out.Rejected = counts.rows, counts.accepted, counts.rejected
	delete(out.Format.Columns, fieldAmount.String())
	out.Format.Normalized = a.normalized()
	return out, nil
}

// rowCounts are a table's data rows, accepted and rejected.
type rowCounts struct{ rows, accepted, rejected int64 }

// scanTable reads a small table whose rows stand alone (a customers or a
// spend file): it opens r as ParseWith does, maps the header with
// mapHeader (the mapping option applied), decides each numeric column's
// decimal notation on a sample of rows, then hands every data row to row,
// writing the rows it rejects to rejects. It fills in f's layout, columns,
// decimal notations and blank lines, and returns the accumulator the rows
// were read with, for the caller's summary. Errors are ParseWith's: a
// file with no data rows is ErrUnreadable.
func scanTable(r io.Reader, rejects RejectWriter, opt *Options, f *Format,
	mapHeader func(header []string, mapping map[string]string) (*columnMap, error),
	row func(*accumulator, tabular.Record) *RowError) (*accumulator, rowCounts, error) {
	var n rowCounts
	if err := opt.validate(); err != nil {
		return nil, n, err
	}
	src, err := tabular.Open(r, opt.Read, &f.Layout)
	if err != nil {
		return nil, n, err
	}
	defer src.Close()
	rec, err := src.Next()
	if err == io.EOF {
		return nil, n, fmt.Errorf("%w: empty file", ErrUnreadable)
	}
	if err != nil {
		return nil, n, err
	}
	header := make([]string, len(rec.Fields))
	for i, f := range rec.Fields {
		header[i] = headerName(f)
	}
	cm, err := mapHeader(header, opt.Mapping)
	if err != nil {
		return nil, n, err
	}
	f.Columns = cm.describe()
	// These tables aggregate nothing: no purchase history to spill, and
	// the rollup's goroutine has no work.
	inMem := *opt
	inMem.inMemory = true
	a, err := newAccumulator(cm, &inMem, src.Date1904())
	if err != nil {
		return nil, n, err
	}
	if err := a.roller.stop(); err != nil {
		return nil, n, err
	}
	var sample []tabular.Record
	for size := 0; len(sample) < sampleRecords && size < sampleBytes; {
		rec, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, n, err
		}
		sample = append(sample, rec.Clone())
		for _, f := range rec.Fields {
			size += len(f)
		}
	}
	a.decideNotation(sample, src.Typed(), f.Delimiter == ";")
	one := func(rec tabular.Record) error {
		n.rows++
		if rowErr := row(a, rec); rowErr != nil {
			n.rejected++
			if err := rejects.Reject(rowErr); err != nil {
				return fmt.Errorf("write reject: %w", err)
			}
			return nil
		}
		n.accepted++
		return nil
	}
	for _, rec := range sample {
		if err := one(rec); err != nil {
			return nil, n, err
		}
	}
	for {
		rec, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, n, err
		}
		if err := one(rec); err != nil {
			return nil, n, err
		}
	}
	if n.rows == 0 {
		return nil, n, fmt.Errorf("%w: header but no data rows", ErrUnreadable)
	}
	if len(a.decimal) > 0 {
		f.Decimal = a.decimal
	}
	f.BlankLines = src.BlankLines()
	return a, n, nil
}

// tableRow reads one row of a customers or lookup file into out.
func (a *accumulator) tableRow(rec tabular.Record, out *Table) *RowError {
	f := rec.Fields
	if n := len(a.cm.header); len(f) < n {
		return &RowError{Line: rec.Line, Err: ErrFieldCount, Value: fmt.Sprintf("%d fields, the header has %d", len(f), n)}
	}
	var key string
	if out.Key == "" {
		id, _ := a.cellValue(f, fieldCustomer)
		if isMissing(id) {
			return a.rowErr(rec.Line, fieldCustomer, id, ErrMissingValue)
		}
		if !validText(id) {
			return a.rowErr(rec.Line, fieldCustomer, id, ErrBadText)
		}
		key = string(id)
	}
	attrs := map[dimension.Dimension]string{}
	for i, d := range a.dims {
		v, ok := a.dimValue(i, f, nil)
		if !ok {
			return &RowError{Line: rec.Line, Column: a.cm.colName(d.col), Value: rejectValue(notation.TrimSpace(f[d.col])), Err: ErrBadText}
		}
		switch {
		case d.dim == out.Key && v == 0:
			return &RowError{Line: rec.Line, Column: a.cm.colName(d.col), Err: ErrMissingValue}
		case d.dim == out.Key:
			key = a.vals[i].names[v]
		case v != 0:
			attrs[d.dim] = a.vals[i].names[v]
		}
	}
	var name []byte
	if s, ok := a.cellValue(f, fieldName); ok && out.Key == "" && !isMissing(s) {
		if !validText(s) {
			return a.rowErr(rec.Line, fieldName, s, ErrBadText)
		}
		name = s
	}
	price := ""
	if s, ok := a.cellValue(f, fieldUnitPrice); ok && out.Key != "" && !isMissing(s) {
		p, err := a.number(fieldUnitPrice, s)
		if err != nil {
			return a.rowErr(rec.Line, fieldUnitPrice, s, err)
		}
		price = p.String()
	}
	if price != "" {
		out.Prices[key] = price
	} else {
		delete(out.Prices, key)
	}
	if name != nil {
		out.Names[key] = string(name)
	} else {
		delete(out.Names, key)
	}
	if _, dup := out.Attrs[key]; dup {
		out.Duplicates++
	}
	out.Attrs[key] = attrs
	return nil
}

// matcher returns the function that finds the key of a lookup table a
// value names: the value itself when it is a key, else the key it folds
// like (foldKey), of keys that fold alike the first in order; nil for a
// nil table.
func (t *Table) matcher() func(string) (string, bool) {
	if t == nil {
		return nil
	}
	folded := make(map[string]string, len(t.Attrs))
	for _, k := range slices.Sorted(maps.Keys(t.Attrs)) {
		if f := foldKey(k); folded[f] == "" {
			folded[f] = k
		}
	}
	return func(v string) (string, bool) {
		if _, ok := t.Attrs[v]; ok {
			return v, true
		}
		k, ok := folded[foldKey(v)]
		return k, ok
	}
}

// foldKey folds a value to what a lookup matches it by: its letters and
// digits in lower case, so "GTXPro", "GTX Pro" and "gtx-pro" meet.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}
