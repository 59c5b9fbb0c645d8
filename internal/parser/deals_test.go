package parser

import (
	"errors"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/pipeline"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// readTable reads one of the shared CRM lookup or accounts files.
func readTable(t *testing.T, name string, key dimension.Dimension) *Table {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rej rejectList
	var tab *Table
	if key == "" {
		tab, err = ParseCustomers(f, name, &rej, Options{})
	} else {
		tab, err = ParseLookup(f, name, key, &rej, Options{})
	}
	if err != nil || len(rej) != 0 {
		t.Fatalf("%s: %v, rejects %v", name, err, rej)
	}
	return tab
}

// TestCRMDeals parses the CRM pipeline with its accounts, products and
// teams files and checks every deal against a plain reading of the CSVs:
// outcome, dates, value, and the attributes each lookup adds.
func TestCRMDeals(t *testing.T) {
	accounts := readTable(t, "crm_accounts.csv", "")
	products := readTable(t, "crm_products.csv", dimension.Product)
	teams := readTable(t, "crm_sales_teams.csv", dimension.Owner)
	if len(products.Attrs) != 7 || products.Prices["GTX Pro"] != "4821" || products.Attrs["GTX Pro"][dimension.Category] != "GTX" {
		t.Fatalf("products %v prices %v", products.Attrs, products.Prices)
	}
	if len(teams.Attrs) != 35 || teams.Attrs["Anna Snelling"][dimension.Manager] != "Dustin Brinkmann" {
		t.Fatalf("teams %v", teams.Attrs)
	}
	opt := Options{Customers: accounts.Attrs, Lookups: map[dimension.Dimension]*Table{
		dimension.Product: products, dimension.Owner: teams}}
	res, rej := parseFile(t, shareddata.Path(t, "crm_sales_pipeline.csv"), opt)
	if len(rej) != 0 {
		t.Fatalf("rejects %v", rej)
	}
	// The pipeline spells GTX Pro without its space; the products file
	// decides, and the upload's format says so.
	if got := res.Format.Normalized["product"]["GTXPro"]; got != "GTX Pro" {
		t.Errorf("normalized products %v, want GTXPro → GTX Pro", res.Format.Normalized["product"])
	}
	for _, d := range []dimension.Dimension{dimension.Category, dimension.Manager, dimension.Region, dimension.Industry} {
		if res.Format.Columns[string(d)] == "" {
			t.Errorf("format names no source for %s: %v", d, res.Format.Columns)
		}
	}

	// The reference: the CSVs read plainly, products matched without
	// spaces as a person reading the two files would.
	price, series := map[string]string{}, map[string]string{}
	for _, r := range shareddata.CSV(t, "crm_products.csv")[1:] {
		k := strings.ReplaceAll(r[0], " ", "")
		price[k], series[k] = r[2], r[1]
	}
	manager, office := map[string]string{}, map[string]string{}
	for _, r := range shareddata.CSV(t, "crm_sales_teams.csv")[1:] {
		manager[r[0]], office[r[0]] = r[1], r[2]
	}
	rows := shareddata.CSV(t, "crm_sales_pipeline.csv")[1:]
	if res.DealCount() != len(rows) {
		t.Fatalf("%d deals, want one per row: %d", res.DealCount(), len(rows))
	}
	var listed, won decimal.Decimal
	var wantListed, wantWon decimal.Decimal
	i := 0
	err := res.Deals(func(d pipeline.Deal) error {
		r := rows[i]
		i++
		id, agent, product, account, stage, engage, closeDate, value := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		outcome := map[string]pipeline.Outcome{"Won": pipeline.Won, "Lost": pipeline.Lost}[stage]
		if outcome == "" {
			outcome = pipeline.Open
		}
		switch {
		case d.ID != id || d.Account != account || d.Stage != stage || d.Outcome != outcome:
			t.Fatalf("deal %d: %+v, want row %v", i, d, r)
		case engage != "" && d.Created.String() != engage, engage == "" && !d.Created.IsZero():
			t.Fatalf("deal %s created %v, want %q", id, d.Created, engage)
		case closeDate != "" && d.Closed.String() != closeDate, closeDate == "" && !d.Closed.IsZero():
			t.Fatalf("deal %s closed %v, want %q", id, d.Closed, closeDate)
		case d.Attrs[dimension.Owner] != agent || d.Attrs[dimension.Manager] != manager[agent] || d.Attrs[dimension.Region] != office[agent]:
			t.Fatalf("deal %s attrs %v, want agent %s of %s in %s", id, d.Attrs, agent, manager[agent], office[agent])
		case strings.ReplaceAll(d.Attrs[dimension.Product], " ", "") != strings.ReplaceAll(product, " ", "") ||
			d.Attrs[dimension.Category] != series[strings.ReplaceAll(product, " ", "")]:
			t.Fatalf("deal %s attrs %v, want product %s of series %s", id, d.Attrs, product, series[product])
		case account != "" && d.Attrs[dimension.Industry] != accounts.Attrs[account][dimension.Industry]:
			t.Fatalf("deal %s industry %q, want the account's", id, d.Attrs[dimension.Industry])
		}
		switch {
		case outcome == pipeline.Open && value == "":
			if !d.Listed || d.Value != price[strings.ReplaceAll(product, " ", "")] {
				t.Fatalf("open deal %s valued %q listed %v, want its product's list price", id, d.Value, d.Listed)
			}
			listed = add(t, listed, d.Value)
			wantListed = add(t, wantListed, price[strings.ReplaceAll(product, " ", "")])
		case d.Listed || d.Value != value:
			t.Fatalf("deal %s value %q listed %v, want %q as given", id, d.Value, d.Listed, value)
		case outcome == pipeline.Won:
			won = add(t, won, d.Value)
			wantWon = add(t, wantWon, value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if listed.Cmp(wantListed) != 0 || won.Cmp(wantWon) != 0 || listed.IsZero() {
		t.Fatalf("listed open value %s won %s, want %s and %s", listed, won, wantListed, wantWon)
	}
}

func add(t *testing.T, sum decimal.Decimal, v string) decimal.Decimal {
	t.Helper()
	d, err := decimal.Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	if sum, err = sum.Add(d); err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestParseLookup(t *testing.T) {
	tests := []struct {
		name, text string
		key        dimension.Dimension
		attrs      map[string]map[dimension.Dimension]string
		prices     map[string]string
		rejects    int
		err        error
	}{
		{name: "products", key: dimension.Product, text: "product,series,sales_price\nGTX Basic,GTX,550\ngtx  plus,GTX,\n",
			attrs:  map[string]map[dimension.Dimension]string{"GTX Basic": {dimension.Category: "GTX"}, "Gtx Plus": {dimension.Category: "GTX"}},
			prices: map[string]string{"GTX Basic": "550"}},
		{name: "teams", key: dimension.Owner, text: "sales_agent,manager,regional_office\nAnna,Dustin,Central\n,Dustin,East\n",
			attrs:  map[string]map[dimension.Dimension]string{"Anna": {dimension.Manager: "Dustin", dimension.Region: "Central"}},
			prices: map[string]string{}, rejects: 1},
		{name: "a later row wins", key: dimension.Product, text: "product,price\nA,1\nA,\n",
			attrs: map[string]map[dimension.Dimension]string{"A": {}}, prices: map[string]string{}},
		{name: "bad price", key: dimension.Product, text: "product,price\nA,x1\nB,2\n",
			attrs: map[string]map[dimension.Dimension]string{"B": {}}, prices: map[string]string{"B": "2"}, rejects: 1},
		{name: "no key column", key: dimension.Owner, text: "manager,region\nDustin,East\n", err: ErrMissingColumn},
		{name: "no attribute", key: dimension.Owner, text: "sales_agent\nAnna\n", err: ErrMissingColumn},
		{name: "keyed by total", key: dimension.Total, text: "product,price\nA,1\n", err: ErrBadOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rej rejectList
			tab, err := ParseLookup(strings.NewReader(tt.text), "lookup.csv", tt.key, &rej, Options{})
			if tt.err != nil {
				if !errors.Is(err, tt.err) || tab != nil {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rej) != tt.rejects || !reflect.DeepEqual(tab.Attrs, tt.attrs) || !maps.Equal(tab.Prices, tt.prices) {
				t.Fatalf("attrs %v prices %v rejects %v, want %v %v and %d rejects", tab.Attrs, tab.Prices, rej, tt.attrs, tt.prices, tt.rejects)
			}
		})
	}
}

// TestDealRecords checks the deals of small deal files: open deals with
// and without values, lookups matched by spelling, a column winning over
// a lookup, and rejected rows giving no deal.
func TestDealRecords(t *testing.T) {
	products := &Table{Key: dimension.Product, Attrs: map[string]map[dimension.Dimension]string{
		"GTX Pro": {dimension.Category: "GTX", dimension.Region: "From lookup"}}, Prices: map[string]string{"GTX Pro": "4821"}}
	opt := Options{Lookups: map[dimension.Dimension]*Table{dimension.Product: products}}
	head := "opportunity_id,account,product,region,stage,engage_date,close_date,value\n"
	tests := []struct {
		name, rows string
		want       []pipeline.Deal
		rejects    int
	}{
		{name: "open with a value", rows: "1,Acme,Other,East,Proposal,2024-01-02,,100.50\n",
			want: []pipeline.Deal{{ID: "1", Account: "Acme", Stage: "Proposal", Outcome: pipeline.Open, Created: date(t, "2024-01-02"),
				Value: "100.50", Attrs: map[dimension.Dimension]string{dimension.Product: "Other", dimension.Region: "East"}}}},
		{name: "open at list price", rows: "2,,gtxpro,East,Prospecting,,,\n",
			want: []pipeline.Deal{{ID: "2", Stage: "Prospecting", Outcome: pipeline.Open, Value: "4821", Listed: true,
				Attrs: map[dimension.Dimension]string{dimension.Product: "GTX Pro", dimension.Category: "GTX", dimension.Region: "East"}}}},
		{name: "won and lost", rows: "3,Acme,GTX Pro,,Closed Won,2024-01-02,2024-02-01,10\n4,Acme,GTX Pro,,Lost,,2024-02-03,7\n",
			want: []pipeline.Deal{
				{ID: "3", Account: "Acme", Stage: "Closed Won", Outcome: pipeline.Won, Created: date(t, "2024-01-02"), Closed: date(t, "2024-02-01"),
					Value: "10", Attrs: map[dimension.Dimension]string{dimension.Product: "GTX Pro", dimension.Category: "GTX"}},
				{ID: "4", Account: "Acme", Stage: "Lost", Outcome: pipeline.Lost, Closed: date(t, "2024-02-03"),
					Value: "7", Attrs: map[dimension.Dimension]string{dimension.Product: "GTX Pro", dimension.Category: "GTX"}}}},
		{name: "rejected rows give no deal", rows: "5,Acme,X,,Proposal,2024-01-02,,ten\n6,Acme,X,,Won,2024-03-02,2024-02-01,1\n", rejects: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rej rejectList
			res, err := ParseWith(strings.NewReader(head+tt.rows), "deals.csv", &rej, opt)
			if err != nil {
				t.Fatal(err)
			}
			var got []pipeline.Deal
			if err := res.Deals(func(d pipeline.Deal) error { got = append(got, d); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(rej) != tt.rejects || !reflect.DeepEqual(got, tt.want) || res.DealCount() != len(tt.want) {
				t.Fatalf("deals %+v rejects %v, want %+v and %d rejects", got, rej, tt.want, tt.rejects)
			}
		})
	}
}

func date(t *testing.T, s string) period.Date {
	t.Helper()
	d, err := period.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLookupMatching checks which lookup key a deal's product joins: its
// own spelling when that is a key, else the key it folds like, also when
// the file keeps its spellings (the stored value then stays as written).
func TestLookupMatching(t *testing.T) {
	products := &Table{Key: dimension.Product, Attrs: map[string]map[dimension.Dimension]string{
		"A-1": {dimension.Category: "Dash"}, "A1": {dimension.Category: "Plain"}, "GTX Pro": {dimension.Category: "GTX"}},
		Prices: map[string]string{"A-1": "10", "A1": "20", "GTX Pro": "30"}}
	tests := []struct {
		name, product   string
		keep            bool
		stored, catg, v string
	}{
		{"exact key wins over a fold", "A1", false, "A1", "Plain", "20"},
		{"the other exact key", "A-1", false, "A-1", "Dash", "10"},
		{"folded", "gtxpro", false, "GTX Pro", "GTX", "30"},
		{"folded, spelling kept", "GTXPro", true, "GTXPro", "GTX", "30"},
		{"no key", "Other", false, "Other", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := Options{Lookups: map[dimension.Dimension]*Table{dimension.Product: products}, KeepSpelling: tt.keep}
			var rej rejectList
			res, err := ParseWith(strings.NewReader("deal_id,product,stage,close_date,value\n1,"+tt.product+",Proposal,,\n"), "deals.csv", &rej, opt)
			if err != nil || len(rej) != 0 {
				t.Fatalf("%v %v", err, rej)
			}
			var got pipeline.Deal
			if err := res.Deals(func(d pipeline.Deal) error { got = d; return nil }); err != nil {
				t.Fatal(err)
			}
			if got.Attrs[dimension.Product] != tt.stored || got.Attrs[dimension.Category] != tt.catg || got.Value != tt.v || got.Listed != (tt.v != "") {
				t.Fatalf("deal %+v, want product %q of category %q at %q", got, tt.stored, tt.catg, tt.v)
			}
		})
	}
}

// TestDealDatesInTheDecidedOrder checks deals whose dates read both ways:
// the file's order decides them; a lost deal whose close date only reads
// the other way is rejected like any row (it once failed the file), and a
// created date after the close date in the decided order is dropped
// rather than written as a deal that closed before it was created.
func TestDealDatesInTheDecidedOrder(t *testing.T) {
	text := "deal_id,stage,created_date,close_date,value\n" +
		"1,Won,01/02/2017,25/03/2017,10\n" + // 25 is a day: day first
		"2,Won,02/03/2017,28/04/2017,10\n" +
		"3,Lost,03/05/2017,04/03/2017,5\n" + // created 3 May, closed 4 March day first
		"4,Lost,01/02/2017,02/13/2017,5\n" // only month first: contradicts the order
	var rej rejectList
	res, err := ParseWith(strings.NewReader(text), "deals.csv", &rej, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].Line != 5 || res.Rejected != 1 || res.Accepted != 3 {
		t.Fatalf("rejects %v, accepted %d", rej, res.Accepted)
	}
	var got []pipeline.Deal
	if err := res.Deals(func(d pipeline.Deal) error { got = append(got, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || res.DealCount() != 3 || got[2].ID != "3" || !got[2].Created.IsZero() || got[2].Closed != date(t, "2017-03-04") {
		t.Fatalf("deals %+v", got)
	}
	for _, d := range got {
		if err := d.Validate(); err != nil {
			t.Fatalf("deal %s: %v", d.ID, err)
		}
	}
}
