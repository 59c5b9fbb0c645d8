package parser

import (
	"fmt"
	"io"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/tabular"
)

// Customers is a firmographics table read by ParseCustomers: the
// attributes of each customer id, to enrich transaction files that lack
// them (Options.Customers).
type Customers struct {
	// Attrs maps a customer id to its dimension values; empty values are
	// left out.
	Attrs    map[string]map[dimension.Dimension]string
	Rows     int64
	Accepted int64
	Rejected int64
	// Duplicates counts rows whose customer id came before: the last row
	// of an id wins.
	Duplicates int64
	Format     Format
}

// customerSynonym maps a normalized header of a customers file to what it
// names besides the transaction synonyms: there "revenue" and "sales" are
// the company's annual revenue, and an office location is its country.
func customerSynonym(norm string) (target, bool) {
	switch norm {
	case "revenue", "sales", "annualrevenue", "revenuemillions", "companyrevenue", "turnover":
		return target{f: fieldAnnualRevenue}, true
	case "officelocation", "headquarters", "hq", "hqcountry", "location", "headquarterscountry":
		return target{dim: dimension.Country}, true
	}
	if f, _, ok := fieldSynonym(norm); ok {
		switch f {
		case fieldCustomer, fieldEmployees, fieldAnnualRevenue:
			return target{f: f}, true
		}
		return target{}, false
	}
	return target{}, false
}

// mapCustomerHeader maps a customers file's header: a customer id column
// is required, and at least one attribute (a dimension, an employee count
// or an annual revenue, the last two becoming size bands).
func mapCustomerHeader(header []string, mapping map[string]string) (*columnMap, error) {
	ov, err := applyMapping(header, mapping)
	if err != nil {
		return nil, err
	}
	cm, norms, used, fixed, dimCol := ov.cm, ov.norms, ov.used, ov.fixed, ov.dimCol
	for i, norm := range norms {
		if norm == "" || used[i] {
			continue
		}
		t, ok := customerSynonym(norm)
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
		} else if cm.col[t.f] < 0 {
			cm.col[t.f] = i
		}
	}
	if !cm.has(fieldCustomer) {
		return nil, &HeaderError{Column: "customer_id", Err: ErrMissingColumn}
	}
	for _, d := range dimension.All() {
		if i, ok := dimCol[d]; ok {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromColumn, col: i})
		} else if d == dimension.Size && cm.has(fieldEmployees) {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromEmployees, col: cm.col[fieldEmployees]})
		} else if d == dimension.Size && cm.has(fieldAnnualRevenue) {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromAnnualRev, col: cm.col[fieldAnnualRevenue]})
		}
	}
	if len(cm.dims) == 0 {
		return nil, &HeaderError{Column: "a customer attribute (segment, industry, size, employees, revenue, region, country...)",
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
func ParseCustomers(r io.Reader, name string, rejects RejectWriter, opt Options) (*Customers, error) {
	c, err := parseCustomers(r, rejects, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func parseCustomers(r io.Reader, rejects RejectWriter, opt Options) (*Customers, error) {
	opt.Customers = nil
	out := &Customers{Attrs: map[string]map[dimension.Dimension]string{}}
	a, counts, err := scanTable(r, rejects, &opt, &out.Format, mapCustomerHeader,
		func(a *accumulator, rec tabular.Record) *RowError { return a.customerRow(rec, out) })
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
	a := newAccumulator(cm, opt, src.Date1904())
	// These tables aggregate nothing: the rollup's goroutine has no work.
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

// customerRow reads one row of a customers file into out.
func (a *accumulator) customerRow(rec tabular.Record, out *Customers) *RowError {
	f := rec.Fields
	if n := len(a.cm.header); len(f) < n {
		return &RowError{Line: rec.Line, Err: ErrFieldCount, Value: fmt.Sprintf("%d fields, the header has %d", len(f), n)}
	}
	id, _ := a.cellValue(f, fieldCustomer)
	if isMissing(id) {
		return a.rowErr(rec.Line, fieldCustomer, id, ErrMissingValue)
	}
	if !validText(id) {
		return a.rowErr(rec.Line, fieldCustomer, id, ErrBadText)
	}
	attrs := map[dimension.Dimension]string{}
	for i, d := range a.dims {
		v, ok := a.dimValue(i, f, id)
		if !ok {
			return &RowError{Line: rec.Line, Column: a.cm.colName(d.col), Value: rejectValue(notation.TrimSpace(f[d.col])), Err: ErrBadText}
		}
		if v != 0 {
			attrs[d.dim] = a.vals[i].names[v]
		}
	}
	key := string(id)
	if _, dup := out.Attrs[key]; dup {
		out.Duplicates++
	}
	out.Attrs[key] = attrs
	return nil
}
