package parser

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/notation"
)

// field is a canonical transaction field a column can map to.
type field int

// The canonical fields. Dimensions map through dimension.Synonym instead.
const (
	fieldDate field = iota
	fieldCustomer
	fieldOrder
	fieldAmount
	fieldQuantity
	fieldUnitPrice
	fieldCost
	fieldProfit
	fieldEmployees
	fieldAnnualRevenue
	fieldStage   // a deal's stage: won, lost or open
	fieldCreated // a deal's created (engage) date, for its sales cycle
	fieldName    // the customer's display name, next to its id (see nameSynonym)
	numFields
)

// String returns the canonical name used in Format.Columns and accepted as
// a key of Options.Mapping.
func (f field) String() string {
	switch f {
	case fieldDate:
		return "date"
	case fieldCustomer:
		return "customer_id"
	case fieldOrder:
		return "order_id"
	case fieldAmount:
		return "amount"
	case fieldQuantity:
		return "quantity"
	case fieldUnitPrice:
		return "unit_price"
	case fieldCost:
		return "cost"
	case fieldProfit:
		return "profit"
	case fieldEmployees:
		return "employees"
	case fieldAnnualRevenue:
		return "annual_revenue"
	case fieldStage:
		return "deal_stage"
	case fieldCreated:
		return "created_date"
	case fieldName:
		return "customer_name"
	}
	return "field" + strconv.Itoa(int(f))
}

// numeric reports whether a field holds numbers (and so has a decimal
// notation to detect).
func (f field) numeric() bool {
	switch f {
	case fieldAmount, fieldQuantity, fieldUnitPrice, fieldCost, fieldProfit, fieldEmployees, fieldAnnualRevenue:
		return true
	}
	return false
}

// fieldSynonym maps a normalized header (dimension.Normalize) to the field it
// names and a rank: when several columns name the same field, the lowest
// rank wins (close_date over engage_date, customer_id over customer_name),
// then the leftmost. In a transactions file "revenue" is the line's sales;
// a customer's company revenue is "annual revenue", "turnover" and the like.
func fieldSynonym(norm string) (field, int, bool) {
	switch norm {
	case "date", "orderdate", "invoicedate", "transactiondate", "saledate", "salesdate", "closedate",
		"closeddate", "purchasedate", "txndate", "documentdate", "bookingdate", "postingdate", "orderdatetime",
		"invoicedatetime", "transactiontime", "datetime", "timestamp", "soldat", "orderedat", "purchasedat",
		"ordertimestamp", "saletimestamp":
		return fieldDate, 0, true
	case "day", "createddate", "createdat", "paymentdate":
		return fieldDate, 1, true
	case "engagedate", "shipdate", "deliverydate", "duedate":
		return fieldDate, 2, true
	case "customerid", "customerno", "customernumber", "custid", "customercode", "customerkey", "clientid",
		"buyerid", "accountid", "accountnumber", "accountno":
		return fieldCustomer, 0, true
	case "customer", "account", "client", "buyer", "accountname", "company", "companyname":
		return fieldCustomer, 1, true
	case "customername", "clientname":
		return fieldCustomer, 2, true
	case "orderid", "order", "orderno", "ordernumber", "invoiceno", "invoice", "invoiceid", "invoicenumber",
		"transactionid", "txnid", "receiptno", "receiptid", "receiptnumber", "salesorder", "salesorderid",
		"salesordernumber", "documentno", "documentnumber", "opportunityid", "dealid", "basketid":
		return fieldOrder, 0, true
	case "amount", "sales", "revenue", "netsales", "salesamount", "netamount", "netrevenue", "totalsales",
		"linetotal", "lineamount", "closevalue", "dollarvalue", "salesvalue", "extendedprice", "extendedamount",
		"totalprice", "totalamount", "grosssales", "grossamount", "salesusd", "revenueusd", "amountusd":
		return fieldAmount, 0, true
	case "total", "value", "dealvalue", "ordervalue", "ordertotal":
		return fieldAmount, 1, true
	case "quantity", "qty", "units", "unitssold", "quantitysold", "numberofcds", "numberofunits",
		"qtyordered", "quantityordered", "orderquantity", "orderqty":
		return fieldQuantity, 0, true
	case "unitprice", "price", "saleprice", "salesprice", "priceeach", "priceperunit", "unitsaleprice":
		return fieldUnitPrice, 0, true
	case "listprice":
		return fieldUnitPrice, 1, true
	case "cost", "cogs", "totalcost", "costofgoods", "costofsales", "costofgoodssold", "linecost":
		return fieldCost, 0, true
	case "profit", "grossprofit", "netprofit":
		return fieldProfit, 0, true
	case "employees", "employeecount", "numberofemployees", "noofemployees", "numemployees", "headcount",
		"staff", "staffcount", "employeesize", "companyemployees":
		return fieldEmployees, 0, true
	case "annualrevenue", "companyrevenue", "accountrevenue", "customerrevenue", "yearlyrevenue",
		"annualsales", "turnover", "annualturnover":
		return fieldAnnualRevenue, 0, true
	case "dealstage", "stage", "opportunitystage", "salesstage", "pipelinestage", "dealstatus", "opportunitystatus":
		return fieldStage, 0, true
	}
	return 0, 0, false
}

// nameSynonym maps a normalized header naming a customer's display name
// to its rank (the lowest wins, then the leftmost column). Such a column
// is the name only when it is not the customer id's column: a file whose
// only customer column is "Customer Name" or "company" is keyed by it (see
// fieldSynonym), and a CRM deal file's "account" is its id. "company" is
// a name only next to a better id, and ranks after the explicit names.
func nameSynonym(norm string) (int, bool) {
	switch norm {
	case "customername", "clientname", "accountname", "companyname", "buyername", "customerfullname", "businessname":
		return 0, true
	case "company":
		return 1, true
	}
	return 0, false
}

// pickName maps the customer name column, unless the mapping override
// decided it: the best nameSynonym among the columns nothing else took.
// Without a customer id there is no one to name.
func (ov *override) pickName() {
	cm := ov.cm
	if ov.fixed[target{f: fieldName}] || !cm.has(fieldCustomer) {
		return
	}
	taken := map[int]bool{}
	for _, c := range cm.col {
		taken[c] = true
	}
	for _, c := range ov.dimCol {
		taken[c] = true
	}
	best, bestRank := -1, 0
	for i, norm := range ov.norms {
		if ov.used[i] || taken[i] {
			continue
		}
		if r, ok := nameSynonym(norm); ok && (best < 0 || r < bestRank) {
			best, bestRank = i, r
		}
	}
	cm.col[fieldName] = best
}

// createdSynonym reports whether a normalized header names when a deal was
// created. Such a column is the date when nothing names the close date
// better; in a file with a deal stage, a second one gives the sales cycle.
func createdSynonym(norm string) bool {
	switch norm {
	case "engagedate", "createddate", "createdat", "createdon", "createdate", "opendate", "opportunitycreated",
		"opportunitycreateddate", "dealcreated", "dealcreateddate":
		return true
	}
	return false
}

// dimSynonym extends dimension.Synonym with headers seen in exports that
// name a dimension less directly. Total is never mapped from a column.
func dimSynonym(header string) (dimension.Dimension, bool) {
	switch dimension.Normalize(header) {
	case "customertype", "customercategory", "customergroup", "clientsegment":
		return dimension.Segment, true
	case "industrysector", "businesssector", "industryname":
		return dimension.Industry, true
	case "employeeband", "sizeclass", "companysizeband":
		return dimension.Size, true
	case "regionaloffice", "salesterritory", "area":
		return dimension.Region, true
	case "countrycode", "shipcountry", "billingcountry":
		return dimension.Country, true
	case "productgroup", "productclass", "productseries", "series":
		return dimension.Category, true
	case "orderchannel", "channelname", "saleschannelname":
		return dimension.Channel, true
	}
	d, ok := dimension.Synonym(header)
	if !ok || d == dimension.Total {
		return "", false
	}
	return d, true
}

// sourceKind says where a dimension's value comes from.
type sourceKind int

const (
	fromColumn    sourceKind = iota // a column's value, trimmed
	fromEmployees                   // the size band of the employee count
	fromAnnualRev                   // the size band of the annual revenue
	fromCustomers                   // Options.Customers, by customer id
	fromLookup                      // Options.Lookups, by the value of dimension key
)

// dimSource is one dimension of the file and where its values come from.
type dimSource struct {
	dim  dimension.Dimension
	kind sourceKind
	col  int
	// key is, for fromLookup, the index in the accumulator's dimensions
	// of the dimension whose value keys the lookup.
	key int
}

// columnMap says which column holds each field (-1 when absent) and where
// each dimension present comes from, dimensions in dimension.All order.
type columnMap struct {
	col    [numFields]int
	dims   []dimSource
	header []string
	// invoice is true when the order id column is an invoice number, whose
	// "C" prefix marks a cancellation (Online Retail).
	invoice bool
}

func (cm *columnMap) has(f field) bool { return cm.col[f] >= 0 }

// name returns the header of the column of f, or f's canonical name.
func (cm *columnMap) name(f field) string {
	if i := cm.col[f]; i >= 0 && i < len(cm.header) {
		return cm.header[i]
	}
	return f.String()
}

// colName returns the header of column i, or "column N" when the header is
// empty or the row is wider than the header.
func (cm *columnMap) colName(i int) string {
	if i < len(cm.header) && strings.TrimSpace(cm.header[i]) != "" {
		return cm.header[i]
	}
	return "column " + strconv.Itoa(i+1)
}

// target is what a column can map to: a field or a dimension.
type target struct {
	f   field
	dim dimension.Dimension // "" for a field
}

// parseTarget reads a key of Options.Mapping.
func parseTarget(name string) (target, bool) {
	n := dimension.Normalize(name)
	for f := range numFields {
		if dimension.Normalize(f.String()) == n {
			return target{f: f}, true
		}
	}
	if d, ok := dimension.Synonym(name); ok && d != dimension.Total {
		return target{dim: d}, true
	}
	return target{}, false
}

// override is the part of a header mapping the mapping override decided,
// before synonyms fill in the rest.
type override struct {
	cm     *columnMap
	norms  []string                    // normalized headers
	used   []bool                      // columns the override took
	fixed  map[target]bool             // targets the override decided, mapped or unmapped
	dimCol map[dimension.Dimension]int // dimension columns it mapped
}

// applyMapping applies a mapping override to a header row. Errors are
// *HeaderError: an unknown target or column, or one column mapped to two
// targets.
func applyMapping(header []string, mapping map[string]string) (override, error) {
	ov := override{cm: &columnMap{header: header}, norms: make([]string, len(header)), used: make([]bool, len(header)),
		fixed: map[target]bool{}, dimCol: map[dimension.Dimension]int{}}
	for i := range ov.cm.col {
		ov.cm.col[i] = -1
	}
	for i, h := range header {
		ov.norms[i] = dimension.Normalize(h)
	}
	for name, h := range mapping {
		t, ok := parseTarget(name)
		if !ok {
			return ov, &HeaderError{Column: name, Err: ErrBadMapping, Detail: "not a field or dimension"}
		}
		ov.fixed[t] = true
		if strings.TrimSpace(h) == "" {
			continue
		}
		i, err := findColumn(header, ov.norms, h)
		if err != nil {
			return ov, err
		}
		if ov.used[i] {
			return ov, &HeaderError{Column: h, Err: ErrBadMapping, Detail: "mapped to two targets"}
		}
		ov.used[i] = true
		if t.dim != "" {
			ov.dimCol[t.dim] = i
		} else {
			ov.cm.col[t.f] = i
		}
	}
	return ov, nil
}

// mapHeader matches a header row against the synonym tables and the
// mapping override (which wins: a column it names is used for nothing
// else, and an empty header in it unmaps the target). Errors are
// *HeaderError: a required column missing, two columns of the same name
// both candidates for one target, a mapping naming an unknown target or
// column.
func mapHeader(header []string, mapping map[string]string) (*columnMap, error) {
	ov, err := applyMapping(header, mapping)
	if err != nil {
		return nil, err
	}
	cm, norms, used, fixed, dimCol := ov.cm, ov.norms, ov.used, ov.fixed, ov.dimCol
	// Synonyms: the lowest rank wins, then the leftmost column; a second
	// column with the same name at the winning rank is ambiguous.
	type pick struct{ col, rank int }
	best := map[target]pick{}
	for i, norm := range norms {
		if norm == "" || used[i] {
			continue
		}
		var t target
		rank := 0
		if f, r, ok := fieldSynonym(norm); ok {
			t, rank = target{f: f}, r
		} else if d, ok := dimSynonym(header[i]); ok {
			t = target{dim: d}
		} else {
			continue
		}
		if fixed[t] {
			continue
		}
		p, seen := best[t]
		switch {
		case !seen || rank < p.rank:
			best[t] = pick{i, rank}
		case rank == p.rank && norm == norms[p.col]:
			return nil, &HeaderError{Column: header[i], Other: header[p.col], Err: ErrDuplicateHeader}
		}
	}
	for t, p := range best {
		if t.dim != "" {
			dimCol[t.dim] = p.col
		} else {
			cm.col[t.f] = p.col
		}
	}
	ov.pickName()
	if !cm.has(fieldDate) {
		return nil, &HeaderError{Column: "date", Err: ErrMissingColumn}
	}
	if !cm.has(fieldAmount) && !(cm.has(fieldQuantity) && cm.has(fieldUnitPrice)) {
		return nil, &HeaderError{Column: "amount (or quantity and unit price)", Err: ErrMissingColumn}
	}
	for _, d := range dimension.All() {
		if i, ok := dimCol[d]; ok {
			cm.dims = append(cm.dims, dimSource{dim: d, kind: fromColumn, col: i})
			continue
		}
		if d == dimension.Size {
			switch {
			case cm.has(fieldEmployees):
				cm.dims = append(cm.dims, dimSource{dim: d, kind: fromEmployees, col: cm.col[fieldEmployees]})
			case cm.has(fieldAnnualRevenue):
				cm.dims = append(cm.dims, dimSource{dim: d, kind: fromAnnualRev, col: cm.col[fieldAnnualRevenue]})
			}
		}
	}
	if cm.has(fieldStage) && !cm.has(fieldCreated) && !fixed[target{f: fieldCreated}] {
		for i, norm := range norms {
			if createdSynonym(norm) && !used[i] && i != cm.col[fieldDate] {
				cm.col[fieldCreated] = i
				break
			}
		}
	}
	if cm.has(fieldOrder) {
		switch norms[cm.col[fieldOrder]] {
		case "invoiceno", "invoice", "invoiceid", "invoicenumber":
			cm.invoice = true
		}
	}
	return cm, nil
}

// findColumn resolves a header named by Options.Mapping: exactly, then
// ignoring case and separators, or by position as "#3" (1-based).
func findColumn(header, norms []string, h string) (int, error) {
	if n, ok := strings.CutPrefix(strings.TrimSpace(h), "#"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 || i > len(header) {
			return 0, &HeaderError{Column: h, Err: ErrBadMapping, Detail: fmt.Sprintf("no column at that position (the file has %d)", len(header))}
		}
		return i - 1, nil
	}
	if i := slices.Index(header, h); i >= 0 {
		return i, nil
	}
	n := dimension.Normalize(h)
	found := -1
	for i, norm := range norms {
		if norm == n && n != "" {
			if found >= 0 {
				return 0, &HeaderError{Column: h, Other: header[found], Err: ErrDuplicateHeader}
			}
			found = i
		}
	}
	if found < 0 {
		return 0, &HeaderError{Column: h, Err: ErrBadMapping, Detail: "no such column in the header"}
	}
	return found, nil
}

// describe returns the mapping as canonical name → header, for the status.
func (cm *columnMap) describe() map[string]string {
	out := map[string]string{}
	for f := range numFields {
		if cm.has(f) {
			out[f.String()] = cm.header[cm.col[f]]
		}
	}
	if !cm.has(fieldAmount) {
		out[fieldAmount.String()] = cm.name(fieldQuantity) + " × " + cm.name(fieldUnitPrice)
	}
	for _, d := range cm.dims {
		switch d.kind {
		case fromColumn:
			out[string(d.dim)] = cm.header[d.col]
		case fromEmployees:
			out[string(d.dim)] = "bands of " + cm.header[d.col] + " (employees)"
		case fromAnnualRev:
			out[string(d.dim)] = "bands of " + cm.header[d.col] + " (annual revenue)"
		}
	}
	return out
}

// looksLikeData reports whether a first row is data rather than a header:
// most of its non-empty cells are numbers or dates.
func looksLikeData(rec []string) bool {
	data, n := 0, 0
	for _, v := range rec {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		n++
		if _, err := notation.ParseNumber([]byte(v), false); err == nil {
			data++
		} else if _, err := notation.ParseDate([]byte(v)); err == nil {
			data++
		}
	}
	return n > 0 && data*2 > n
}

// isMissing reports whether a trimmed value stands for no value.
func isMissing(b []byte) bool {
	switch len(b) {
	case 0:
		return true
	case 2:
		return (b[0]|0x20) == 'n' && (b[1]|0x20) == 'a'
	case 3:
		return string(b) == "N/A" || string(b) == "n/a"
	case 4:
		return string(b) == "NULL" || string(b) == "null" || string(b) == "#N/A" || string(b) == "None"
	}
	return false
}

// headerName reads a header cell as a column name: without surrounding
// spaces or a stray byte order mark (a file given a second one by a tool
// that added its own).
func headerName(f []byte) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(f)), "\uFEFF"))
}
