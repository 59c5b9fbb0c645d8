package analytics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// saleRow is one transaction line of a test data set.
type saleRow struct {
	customer, day, order string
	amount               decimal.Decimal
	attrs                map[dimension.Dimension]string
}

// readCSV reads a whole CSV file, dropping a UTF-8 BOM, and returns the
// header's column positions and the data records.
func readCSV(tb testing.TB, name string) (map[string]int, [][]string) {
	tb.Helper()
	data, err := os.ReadFile(shareddata.Path(tb, name))
	if err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	cols := map[string]int{}
	for i, h := range recs[0] {
		cols[h] = i
	}
	return cols, recs[1:]
}

// mdy turns M/D/YYYY (optionally followed by a time) into 2006-01-02.
func mdy(tb testing.TB, s string) string {
	tb.Helper()
	s, _, _ = strings.Cut(s, " ")
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		tb.Fatalf("date %q is not M/D/YYYY", s)
	}
	n := make([]int, 3)
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			tb.Fatalf("date %q: %v", s, err)
		}
		n[i] = v
	}
	return fmt.Sprintf("%04d-%02d-%02d", n[2], n[0], n[1])
}

// superstoreRows reads the UTF-8 Superstore file (9,994 lines, 793
// customers, order dates 2016–2019).
func superstoreRows(tb testing.TB) []saleRow {
	tb.Helper()
	cols, recs := readCSV(tb, "sample_superstore_utf8bom_2016-2019.csv")
	rows := make([]saleRow, 0, len(recs))
	for _, r := range recs {
		amt, err := decimal.Parse(r[cols["Sales"]])
		if err != nil {
			tb.Fatalf("sales %q: %v", r[cols["Sales"]], err)
		}
		rows = append(rows, saleRow{
			customer: r[cols["Customer ID"]], day: mdy(tb, r[cols["Order Date"]]), order: r[cols["Order ID"]], amount: amt,
			attrs: map[dimension.Dimension]string{
				dimension.Segment: r[cols["Segment"]], dimension.Region: r[cols["Region"]],
				dimension.Category: r[cols["Category"]], dimension.Country: r[cols["Country"]],
			},
		})
	}
	return rows
}

// onlineRetailRows reads the UCI Online Retail sample, leaving out the
// lines without a customer; revenue is quantity × unit price (negative for
// cancellations).
func onlineRetailRows(tb testing.TB) []saleRow {
	tb.Helper()
	cols, recs := readCSV(tb, "uci_online_retail_random_sample_2709.csv")
	var rows []saleRow
	for _, r := range recs {
		if r[cols["CustomerID"]] == "NA" {
			continue
		}
		q, err1 := decimal.Parse(r[cols["Quantity"]])
		p, err2 := decimal.Parse(r[cols["UnitPrice"]])
		if err1 != nil || err2 != nil {
			tb.Fatalf("row %v: %v %v", r, err1, err2)
		}
		amt, err := q.Mul(p)
		if err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, saleRow{
			customer: r[cols["CustomerID"]], day: mdy(tb, r[cols["InvoiceDate"]]), order: r[cols["InvoiceNo"]], amount: amt,
			attrs: map[dimension.Dimension]string{dimension.Country: r[cols["Country"]]},
		})
	}
	return rows
}

// toPurchases summarises rows as ingestion does, one Purchase per customer
// and day within each file, after dealing the orders (all lines of an
// order together, as real files hold them) round-robin into the given
// number of files.
func toPurchases(tb testing.TB, rows []saleRow, files int) []history.Purchase {
	tb.Helper()
	type key struct {
		file          int
		customer, day string
	}
	index := map[key]int{}
	orders := map[key]map[string]bool{}
	var out []history.Purchase
	var sums []decimal.Decimal
	fileOf := map[string]int{}
	for _, r := range rows {
		f, ok := fileOf[r.order]
		if !ok {
			f = len(fileOf) % files
			fileOf[r.order] = f
		}
		k := key{f, r.customer, r.day}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			orders[k] = map[string]bool{}
			out = append(out, history.Purchase{Customer: r.customer, Day: mustDay(tb, r.day)})
			sums = append(sums, decimal.Decimal{})
		}
		s, err := sums[j].AddExact(r.amount, max(sums[j].Scale(), r.amount.Scale()))
		if err != nil {
			tb.Fatal(err)
		}
		sums[j] = s
		orders[k][r.order] = true
		out[j].Lines++
		out[j].Orders = int64(len(orders[k]))
		out[j].Attrs = r.attrs
	}
	for j := range out {
		out[j].Revenue = sums[j].String()
	}
	return out
}

// build folds purchases into a Base, failing the test on error.
func build(tb testing.TB, ps []history.Purchase) *Base {
	tb.Helper()
	b := NewBuilder()
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			tb.Fatalf("Add(%+v): %v", p, err)
		}
	}
	return b.Build()
}

// refMove is a [customers, "revenue"] pair of reference.json.
type refMove struct {
	N   int64
	Rev decimal.Decimal
}

func (m *refMove) UnmarshalJSON(b []byte) error {
	var raw [2]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[0], &m.N); err != nil {
		return err
	}
	var s string
	if err := json.Unmarshal(raw[1], &s); err != nil {
		return err
	}
	d, err := decimal.Parse(s)
	m.Rev = d
	return err
}

// refGroups maps dimension → value → group → figures.
type refGroups map[dimension.Dimension]map[string]map[string]refMove

type refBridgeRow struct {
	Period                                                                  string
	Start, End, New, Retained, Expansion, Contraction, Churned, Reactivated refMove
}

// refDataSet holds reference.json's figures for one data set.
type refDataSet struct {
	Customers          int
	PurchaseDays       int `json:"purchase_days"`
	Total              string
	Tiers              refGroups
	RFM                refGroups `json:"rfm"`
	Bridge             map[Grain]map[dimension.Dimension]map[string][]refBridgeRow
	TiersWithinSegment map[string]map[string]refMove `json:"tiers_within_segment"`
	TiersWithinCountry map[string]map[string]refMove `json:"tiers_within_country"`
}

type refCRM struct {
	Customers, Seeds int
	Ranking          []struct {
		ID      string
		Score   float64
		Matched []dimension.Dimension
	}
}

type reference struct {
	Superstore   refDataSet
	OnlineRetail refDataSet `json:"online_retail"`
	CRM          refCRM     `json:"crm"`
}

// loadReference reads testdata/reference.json, the figures computed
// independently by testdata/reference.py (Python csv + decimal).
func loadReference(tb testing.TB) reference {
	tb.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		tb.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		tb.Fatal(err)
	}
	return r
}

// mustDec parses a decimal literal in a test.
func mustDec(s string) decimal.Decimal { return decimal.MustParse(s) }

// realDataSet is one of the shared data sets the analyses are checked on,
// with the dimensions its reference covers.
type realDataSet struct {
	name string
	rows func(testing.TB) []saleRow
	ref  refDataSet
	dims []dimension.Dimension
}

func realDataSets(ref reference) []realDataSet {
	return []realDataSet{
		{"superstore", superstoreRows, ref.Superstore, []dimension.Dimension{dimension.Total, dimension.Segment, dimension.Region}},
		{"online retail", onlineRetailRows, ref.OnlineRetail, []dimension.Dimension{dimension.Total, dimension.Country}},
	}
}
