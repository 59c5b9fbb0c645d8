package ingest

import (
	"github.com/salesseg/salesseg/internal/segment"
)

// field is a canonical transaction field a column can map to.
type field string

// The canonical fields. Dimensions map through segment.Synonym instead.
const (
	fieldDate      field = "date"
	fieldCustomer  field = "customer_id"
	fieldOrder     field = "order_id"
	fieldAmount    field = "amount"
	fieldQuantity  field = "quantity"
	fieldUnitPrice field = "unit_price"
	fieldCost      field = "cost"
	fieldProfit    field = "profit"
)

// fieldSynonym maps a normalized header to the field it names.
func fieldSynonym(norm string) (field, bool) {
	switch norm {
	case "date", "orderdate", "invoicedate", "transactiondate", "saledate", "salesdate",
		"closedate", "purchasedate", "txndate", "documentdate", "day":
		return fieldDate, true
	case "customerid", "customer", "customerno", "customernumber", "custid", "account",
		"accountid", "accountname", "clientid", "client", "buyerid":
		return fieldCustomer, true
	case "orderid", "order", "orderno", "ordernumber", "invoiceno", "invoice", "invoiceid",
		"invoicenumber", "transactionid", "txnid", "opportunityid", "dealid", "receiptno":
		return fieldOrder, true
	case "amount", "sales", "revenue", "netsales", "total", "totalamount", "salesamount",
		"netamount", "netrevenue", "grosssales", "linetotal", "closevalue", "dollarvalue",
		"value", "salesvalue", "extendedprice", "totalprice":
		return fieldAmount, true
	case "quantity", "qty", "units", "unitssold", "quantitysold", "numberofcds":
		return fieldQuantity, true
	case "unitprice", "price", "saleprice", "priceeach":
		return fieldUnitPrice, true
	case "cost", "cogs", "totalcost", "costofgoods", "costofsales":
		return fieldCost, true
	case "profit", "grossprofit", "netprofit":
		return fieldProfit, true
	}
	return "", false
}

// columnMap says which column index holds each field and dimension; -1 when
// absent.
type columnMap struct {
	fields map[field]int
	dims   map[segment.Dimension]int
	header []string
}

// mapHeader matches a header row against the synonym tables. The first
// column that matches a field wins; later duplicates are reported.
func mapHeader(header []string) (columnMap, error) {
	cm := columnMap{fields: map[field]int{}, dims: map[segment.Dimension]int{}, header: append([]string(nil), header...)}
	seen := map[string]int{}
	for i, h := range header {
		norm := segment.Normalize(h)
		if norm == "" {
			continue
		}
		if j, dup := seen[norm]; dup {
			return cm, &HeaderError{Column: h, Err: ErrDuplicateHeader, Other: header[j]}
		}
		seen[norm] = i
		if f, ok := fieldSynonym(norm); ok {
			if _, taken := cm.fields[f]; !taken {
				cm.fields[f] = i
			}
			continue
		}
		if d, ok := segment.Synonym(h); ok && d != segment.Total {
			if _, taken := cm.dims[d]; !taken {
				cm.dims[d] = i
			}
		}
	}
	if _, ok := cm.fields[fieldDate]; !ok {
		return cm, &HeaderError{Column: "date", Err: ErrMissingColumn}
	}
	_, hasAmount := cm.fields[fieldAmount]
	_, hasQty := cm.fields[fieldQuantity]
	_, hasPrice := cm.fields[fieldUnitPrice]
	if !hasAmount && !(hasQty && hasPrice) {
		return cm, &HeaderError{Column: "amount (or quantity and unit price)", Err: ErrMissingColumn}
	}
	return cm, nil
}

// describe returns the mapping as canonical name → header, for the status.
func (cm columnMap) describe() map[string]string {
	out := map[string]string{}
	for f, i := range cm.fields {
		out[string(f)] = cm.header[i]
	}
	if _, ok := cm.fields[fieldAmount]; !ok {
		out[string(fieldAmount)] = cm.header[cm.fields[fieldQuantity]] + " × " + cm.header[cm.fields[fieldUnitPrice]]
	}
	for d, i := range cm.dims {
		out[string(d)] = cm.header[i]
	}
	return out
}
