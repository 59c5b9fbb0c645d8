package parser

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"
	"github.com/parquet-go/parquet-go"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// duckRef is the output of infra/node/reference.mjs: DuckDB's exact
// DECIMAL sums of a file, computed by code that shares nothing with this
// package.
type duckRef struct {
	Rows         int64                        `json:"rows"`
	Total        string                       `json:"total"`
	ByValue      map[string]string            `json:"by_value"`
	ByValueMonth map[string]map[string]string `json:"by_value_month"`
}

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// duckdb runs the DuckDB reference on a file.
func duckdb(t testing.TB, args ...string) duckRef {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(repoRoot(t), "infra/node/reference.mjs")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB reference (installed by make deps) %v: %v\n%s", args, err, stderr.String())
	}
	var ref duckRef
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func parseFile(t testing.TB, path string, opt Options) (*Result, rejectList) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rej rejectList
	res, err := ParseWith(f, path, &rej, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, res, rej)
	return res, rej
}

func sameDecimal(t testing.TB, what, got, want string) {
	t.Helper()
	g, err1 := decimal.Parse(got)
	w, err2 := decimal.Parse(want)
	if err1 != nil || err2 != nil || g.Cmp(w) != 0 {
		t.Fatalf("%s: got %s, DuckDB says %s", what, got, want)
	}
}

// monthly returns revenue per value and month of a dimension.
func monthly(res *Result, d dimension.Dimension) map[string]map[string]string {
	out := map[string]map[string]string{}
	for k, m := range res.Delta {
		if k.Dim == d && k.Grain == aggregate.Month {
			if out[k.Value] == nil {
				out[k.Value] = map[string]string{}
			}
			out[k.Value][k.Period] = m.Revenue.String()
		}
	}
	return out
}

// compareDim checks a dimension's values and months against DuckDB's.
func compareDim(t testing.TB, res *Result, d dimension.Dimension, ref duckRef) {
	t.Helper()
	got := monthly(res, d)
	if len(got) != len(ref.ByValue) {
		t.Fatalf("%s: %d values, DuckDB %d", d, len(got), len(ref.ByValue))
	}
	for v, months := range ref.ByValueMonth {
		gv := v
		if v == "" {
			gv = dimension.Blank
		}
		sameDecimal(t, fmt.Sprintf("%s %q", d, v), revenueBy(res, d)[gv], ref.ByValue[v])
		if len(got[gv]) != len(months) {
			t.Fatalf("%s %q: %d months, DuckDB %d", d, v, len(got[gv]), len(months))
		}
		for m, s := range months {
			sameDecimal(t, fmt.Sprintf("%s %q %s", d, v, m), got[gv][m], s)
		}
	}
}

// compareTotalMonths checks the Total dimension's months against the sum
// over a DuckDB breakdown's values, skipping the empty month of rows whose
// date is empty (which salesseg rejects; their amounts are empty too).
func compareTotalMonths(t testing.TB, res *Result, ref duckRef) {
	t.Helper()
	want := map[string]decimal.Decimal{}
	for _, months := range ref.ByValueMonth {
		for m, s := range months {
			want[m], _ = money.Add(want[m], decimal.MustParse(s))
		}
	}
	if w, ok := want[""]; ok {
		if !w.IsZero() {
			t.Fatalf("DuckDB has %s in rows without a date", w)
		}
		delete(want, "")
	}
	got := monthly(res, dimension.Total)[dimension.TotalValue]
	if len(got) != len(want) {
		t.Fatalf("%d months, DuckDB %d", len(got), len(want))
	}
	for m, w := range want {
		sameDecimal(t, "total "+m, got[m], w.String())
	}
	sameDecimal(t, "total", revenueBy(res, dimension.Total)[dimension.TotalValue], ref.Total)
}

// TestRealData parses every file of the shared data sets and checks the
// facts of their README and DuckDB's sums of the same files. A file in the
// directory without a case here fails the test, as does a missing one.
func TestRealData(t *testing.T) {
	entries, err := os.ReadDir(shareddata.Dir(t))
	if err != nil {
		t.Fatalf("shared data directory: %v", err)
	}
	cases := map[string]func(t *testing.T){
		"sample_superstore_cp1252.csv":                  testSuperstore("sample_superstore_cp1252.csv", "cp1252", "windows-1252"),
		"sample_superstore_utf8bom_2016-2019.csv":       testSuperstore("sample_superstore_utf8bom_2016-2019.csv", "utf8", "utf-8-bom"),
		"uci_online_retail_random_sample_2709.csv":      testOnlineRetail,
		"crm_sales_pipeline.csv":                        testCRMPipeline,
		"CDNOW_master.txt":                              testCDNOWMaster,
		"CDNOW_sample.txt":                              testCDNOWSample,
		"cdnow_customers_summary.csv":                   notTransactions("cdnow_customers_summary.csv"),
		"cdnow_customers_summary_with_transactions.csv": notTransactions("cdnow_customers_summary_with_transactions.csv"),
		"crm_accounts.csv":                              testCRMAccounts,
		"crm_products.csv":                              notTransactions("crm_products.csv"),
		"crm_sales_teams.csv":                           notTransactions("crm_sales_teams.csv"),
		"crm_data_dictionary.csv":                       notTransactions("crm_data_dictionary.csv"),
		"README.md":                                     notTransactions("README.md"),
	}
	for _, e := range entries {
		if _, ok := cases[e.Name()]; !ok {
			t.Errorf("no test case for shared data file %s", e.Name())
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		t.Run(name, func(t *testing.T) {
			shareddata.Path(t, name)
			cases[name](t)
		})
	}
}

func testSuperstore(name, enc, wantEnc string) func(t *testing.T) {
	return func(t *testing.T) {
		path := shareddata.Path(t, name)
		res, rej := parseFile(t, path, Options{})
		if res.Rows != 9994 || res.Accepted != 9994 || len(rej) != 0 || res.Format.Encoding != wantEnc {
			t.Fatalf("rows %d accepted %d rejects %v encoding %s", res.Rows, res.Accepted, rej, res.Format.Encoding)
		}
		if res.Format.DateOrder != notation.OrderMDY || res.Format.Columns["amount"] != "Sales" || res.NoCustomer != 0 {
			t.Fatalf("format %+v", res.Format)
		}
		for col, d := range map[string]dimension.Dimension{"Segment": dimension.Segment, "Region": dimension.Region, "Category": dimension.Category} {
			ref := duckdb(t, "--file", path, "--amount", "Sales", "--date", "Order Date", "--date-format", "%m/%d/%Y",
				"--dimension", col, "--encoding", enc)
			if ref.Rows != res.Rows {
				t.Fatalf("DuckDB read %d rows, we %d", ref.Rows, res.Rows)
			}
			compareDim(t, res, d, ref)
			if d == dimension.Segment {
				compareTotalMonths(t, res, ref)
			}
		}
		sameDecimal(t, "total", revenueBy(res, dimension.Total)[dimension.TotalValue], "2297200.8603")
		// 5,009 orders, 793 customers each in one segment.
		var orders int64
		for k, m := range res.Delta {
			if k.Dim == dimension.Total && k.Grain == aggregate.Day {
				orders += m.Orders
			}
		}
		if orders != 5009 {
			t.Fatalf("%d orders, want 5009", orders)
		}
		customers := map[string]string{}
		for _, p := range purchases(t, res) {
			if s, ok := customers[p.Customer]; ok && s != p.Attrs[dimension.Segment] {
				t.Fatalf("customer %s in segments %s and %s", p.Customer, s, p.Attrs[dimension.Segment])
			}
			customers[p.Customer] = p.Attrs[dimension.Segment]
		}
		if len(customers) != 793 {
			t.Fatalf("%d customers, want 793", len(customers))
		}
		if name == "sample_superstore_utf8bom_2016-2019.csv" {
			sameFormats(t, path, res)
		}
	}
}

// sameFormats converts a Superstore CSV to XLSX (numbers and dates as typed
// cells, as Excel saves them) and to Parquet (Sales as DECIMAL, dates as
// DATE), and checks both parse to exactly the CSV's delta.
func sameFormats(t *testing.T, path string, want *Result) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	recs, err := csv.NewReader(br).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	col := func(name string) int { return slices.Index(header, name) }
	rows := [][]any{}
	var pq []pqSuperstore
	for _, r := range recs {
		row := make([]any, len(r))
		for i, v := range r {
			row[i] = v
		}
		if len(rows) > 0 {
			d, err := time.Parse("1/2/2006", r[col("Order Date")])
			if err != nil {
				t.Fatal(err)
			}
			row[col("Order Date")] = d
			for _, c := range []string{"Sales", "Profit", "Quantity"} {
				x, err := strconv.ParseFloat(r[col(c)], 64)
				if err != nil {
					t.Fatal(err)
				}
				row[col(c)] = x
			}
			sales, err := decimal.Parse(r[col("Sales")])
			if err != nil {
				t.Fatal(err)
			}
			whole, frac, _ := sales.Pad(4).Int64(4)
			pq = append(pq, pqSuperstore{OrderDate: int32(d.Unix() / 86400), OrderID: r[col("Order ID")],
				CustomerID: r[col("Customer ID")], Segment: r[col("Segment")], Country: r[col("Country")],
				Region: r[col("Region")], Category: r[col("Category")], Sales: whole*10000 + frac,
				Quantity: int32(row[col("Quantity")].(float64)), Profit: r[col("Profit")]})
		}
		rows = append(rows, row)
	}
	book := xlsxBytes(t, []string{"Orders"}, map[string][][]any{"Orders": rows})
	var pqb bytes.Buffer
	if err := parquet.Write(&pqb, pq); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"xlsx": book, "parquet": pqb.Bytes()} {
		res, rej := mustParseBytes(t, data)
		if res.Accepted != want.Accepted || len(rej) != 0 || len(res.Delta) != len(want.Delta) {
			t.Fatalf("%s: accepted %d, %d rejects (%v), %d keys; CSV %d, %d keys", name, res.Accepted, len(rej), rej,
				len(res.Delta), want.Accepted, len(want.Delta))
		}
		for k, m := range want.Delta {
			g := res.Delta[k]
			if g == nil || g.Revenue.Cmp(m.Revenue) != 0 || g.Cost.Cmp(m.Cost) != 0 || g.Units.Cmp(m.Units) != 0 ||
				g.Orders != m.Orders || g.Lines != m.Lines {
				t.Fatalf("%s: %+v = %+v, CSV %+v", name, k, g, m)
			}
		}
		if res.PurchaseCount() != want.PurchaseCount() {
			t.Fatalf("%s: %d purchases, CSV %d", name, res.PurchaseCount(), want.PurchaseCount())
		}
	}
}

type pqSuperstore struct {
	OrderDate  int32  `parquet:"Order Date,date"`
	OrderID    string `parquet:"Order ID"`
	CustomerID string `parquet:"Customer ID"`
	Segment    string `parquet:"Segment"`
	Country    string `parquet:"Country"`
	Region     string `parquet:"Region"`
	Category   string `parquet:"Category"`
	Sales      int64  `parquet:"Sales,decimal(4:18)"`
	Quantity   int32  `parquet:"Quantity"`
	Profit     string `parquet:"Profit"`
}

func testOnlineRetail(t *testing.T) {
	path := shareddata.Path(t, "uci_online_retail_random_sample_2709.csv")
	// Countries as written first, to compare with DuckDB's grouping.
	res, rej := parseFile(t, path, Options{KeepSpelling: true})
	if res.Rows != 2709 || res.Accepted != 2709 || len(rej) != 0 {
		t.Fatalf("rows %d accepted %d rejects %v", res.Rows, res.Accepted, rej)
	}
	ref := duckdb(t, "--file", path, "--quantity", "Quantity", "--unit-price", "UnitPrice", "--date", "InvoiceDate",
		"--date-format", "%m/%d/%Y %H:%M", "--dimension", "Country")
	if ref.Rows != 2709 || len(ref.ByValue) != 26 {
		t.Fatalf("DuckDB: %d rows, %d countries", ref.Rows, len(ref.ByValue))
	}
	compareDim(t, res, dimension.Country, ref)
	if res.Format.Normalized != nil {
		t.Errorf("KeepSpelling respelled %v", res.Format.Normalized)
	}
	t.Run("country spellings", func(t *testing.T) {
		spelled, _ := parseFile(t, path, Options{})
		want := map[string]string{"EIRE": "Ireland", "USA": "United States"}
		if got := spelled.Format.Normalized["country"]; !maps.Equal(got, want) {
			t.Errorf("respelled %v, want %v", got, want)
		}
		by := revenueBy(spelled, dimension.Country)
		for from, to := range want {
			sameDecimal(t, to, by[to], ref.ByValue[from])
			if _, ok := by[from]; ok {
				t.Errorf("%q is still a country", from)
			}
		}
		if len(by) != len(ref.ByValue) {
			t.Errorf("%d countries, want %d", len(by), len(ref.ByValue))
		}
	})
	compareTotalMonths(t, res, ref)
	sameDecimal(t, "total", ref.Total, "37503.25")
	// 57 negative quantities (every C invoice has one) are returns; 668
	// rows have the customer "NA".
	if res.Format.Returns != 57 || res.NoCustomer != 668 || res.Format.Columns["amount"] != "Quantity × UnitPrice" {
		t.Fatalf("returns %d, no customer %d, format %+v", res.Format.Returns, res.NoCustomer, res.Format)
	}
	if res.Format.DateOrder != notation.OrderMDY {
		t.Fatalf("date order %q", res.Format.DateOrder)
	}
}

func testCRMPipeline(t *testing.T) {
	path := shareddata.Path(t, "crm_sales_pipeline.csv")
	res, rej := parseFile(t, path, Options{})
	// Won 4238 + Lost 2473 closed deals; the 2,089 open deals (Engaging,
	// Prospecting) have neither a close date nor a close value and are
	// accepted as open pipeline, not rejected.
	if res.Rows != 8800 || res.Accepted != 8800 || len(rej) != 0 || res.Format.OpenDeals != 2089 {
		t.Fatalf("rows %d accepted %d rejects %d open deals %d", res.Rows, res.Accepted, len(rej), res.Format.OpenDeals)
	}
	// The data set's README: 1,425 rows have no account; the upload's
	// format reports them.
	var noAccount int64
	for _, r := range shareddata.CSV(t, "crm_sales_pipeline.csv")[1:] {
		if r[3] == "" {
			noAccount++
		}
	}
	if noAccount != 1425 || res.Format.DealsWithoutAccount != noAccount {
		t.Fatalf("deals without an account %d, file has %d (README: 1,425)", res.Format.DealsWithoutAccount, noAccount)
	}
	if res.Format.Columns["date"] != "close_date" || res.Format.Columns["customer_id"] != "account" ||
		res.Format.Columns["product"] != "product" || res.Format.Columns["owner"] != "sales_agent" {
		t.Fatalf("columns %v", res.Format.Columns)
	}
	if res.Format.Columns["deal_stage"] != "deal_stage" || res.Format.Columns["created_date"] != "engage_date" {
		t.Fatalf("columns %v", res.Format.Columns)
	}
	// Only won deals are sales: their close values are the revenue, in
	// the months DuckDB sums them.
	ref := duckdb(t, "--file", path, "--amount", "close_value", "--date", "close_date", "--date-format", "%Y-%m-%d",
		"--dimension", "deal_stage")
	if months := monthly(res, dimension.Total)[dimension.TotalValue]; len(months) != len(ref.ByValueMonth["Won"]) {
		t.Fatalf("months %v, DuckDB's won months %v", months, ref.ByValueMonth["Won"])
	} else {
		for m, want := range ref.ByValueMonth["Won"] {
			sameDecimal(t, "revenue of "+m, months[m], want)
		}
	}
	deals := shareddata.Deals(t, "total", "--from", "2017-01-01", "--to", "2017-12-31").Groups["all"]
	var got aggregate.Measures
	for k, m := range res.Delta {
		if k.Dim == dimension.Total && k.Grain == aggregate.Month && strings.HasPrefix(k.Period, "2017-") {
			if err := got.Add(*m); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The figures: 4,238 won orders of 2017 averaging 2,360.91,
	// 3,860 customer-days of won deals.
	if got.Orders != 4238 || got.Lines != 4238 || got.Won != deals.Won || got.Lost != deals.Lost {
		t.Fatalf("2017 orders %d lines %d won %d lost %d, DuckDB won %d lost %d", got.Orders, got.Lines, got.Won, got.Lost, deals.Won, deals.Lost)
	}
	sameDecimal(t, "2017 revenue", got.Revenue.String(), deals.WonValue)
	sameDecimal(t, "2017 won value", got.WonRevenue.String(), deals.WonValue)
	sameDecimal(t, "2017 lost value", got.LostValue.String(), deals.LostValue)
	avg, err := got.Revenue.Quo(decimal.MustNew(got.Orders, 0))
	if err != nil || avg.Round(2).String() != "2360.91" {
		t.Fatalf("average won deal %s (%v)", avg, err)
	}
	if got.Cycled != deals.WonCycleN || got.CycleDays != deals.WonCycleSum || got.LostCycled != deals.LostCycleN || got.LostCycleDays != deals.LostCycleSum {
		t.Fatalf("cycles: won %d deals %d days, lost %d deals %d days; DuckDB %+v", got.Cycled, got.CycleDays, got.LostCycled, got.LostCycleDays, deals)
	}
	customerDays := 0
	if err := res.Purchases(func(p history.Purchase) error {
		customerDays++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ref := shareddata.Deals(t, "total"); customerDays != 3860 || customerDays != ref.CustomerDays {
		t.Fatalf("%d customer-days, want 3,860 (DuckDB %d)", customerDays, ref.CustomerDays)
	}
}

// TestCRMDealsBySectorAndAgent checks won and lost counts and values, win
// rate and won and lost cycles per sector (the account's, from the
// accounts file) and per sales agent against DuckDB.
func TestCRMDealsBySectorAndAgent(t *testing.T) {
	f, err := os.Open(shareddata.Path(t, "crm_accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rej rejectList
	cs, err := ParseCustomers(f, "crm_accounts.csv", &rej, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := parseFile(t, shareddata.Path(t, "crm_sales_pipeline.csv"), Options{Customers: cs.Attrs})
	for _, tc := range []struct {
		dim dimension.Dimension
		by  string
	}{{dimension.Industry, "sector"}, {dimension.Owner, "sales_agent"}} {
		t.Run(tc.by, func(t *testing.T) {
			got := map[string]*aggregate.Measures{}
			for k, m := range res.Delta {
				if k.Dim == tc.dim && k.Grain == aggregate.Month {
					v := k.Value
					if v == dimension.Blank {
						v = ""
					}
					if got[v] == nil {
						got[v] = &aggregate.Measures{}
					}
					if err := got[v].Add(*m); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := shareddata.Deals(t, tc.by).Groups
			// Sectors are compared as stored: respelled as the
			// accounts file's format reports.
			if renamed := cs.Format.Normalized[string(tc.dim)]; len(renamed) > 0 {
				respelled := map[string]shareddata.DealsGroup{}
				for v, w := range want {
					if to, ok := renamed[v]; ok {
						v = to
					}
					respelled[v] = w
				}
				want = respelled
			}
			if len(got) != len(want) {
				t.Fatalf("%d values, DuckDB %d", len(got), len(want))
			}
			for v, w := range want {
				g := got[v]
				if g == nil {
					t.Fatalf("no %s %q", tc.by, v)
				}
				if g.Won != w.Won || g.Lost != w.Lost || g.Orders != w.Won || g.Cycled != w.WonCycleN || g.CycleDays != w.WonCycleSum ||
					g.LostCycled != w.LostCycleN || g.LostCycleDays != w.LostCycleSum {
					t.Fatalf("%s %q: %+v, DuckDB %+v", tc.by, v, *g, w)
				}
				sameDecimal(t, v+" won value", g.WonRevenue.String(), w.WonValue)
				sameDecimal(t, v+" revenue", g.Revenue.String(), w.WonValue)
				sameDecimal(t, v+" lost value", g.LostValue.String(), w.LostValue)
			}
			// The misspelled sector is kept (capitalised), not dropped.
			if tc.by == "sector" && (got["Technolgy"] == nil || got["Technolgy"].Won == 0) {
				t.Fatalf("no deals in the sector technolgy: %v", slices.Sorted(maps.Keys(got)))
			}
		})
	}
}

// cdnowCSV rewrites whitespace-aligned CDNOW text as CSV for DuckDB, with
// the given header (nil keeps the file's own first line), and returns
// the rows as fields.
func cdnowCSV(t testing.TB, path string, header []string) (string, [][]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows = append(rows, f)
		}
	}
	if header != nil {
		rows = append([][]string{header}, rows...)
	}
	out := filepath.Join(t.TempDir(), "cdnow.csv")
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return out, rows[1:]
}

func testCDNOWMaster(t *testing.T) {
	path := shareddata.Path(t, "CDNOW_master.txt")
	res, rej := parseFile(t, path, Options{})
	if res.Rows != 69659 || res.Accepted != 69659 || len(rej) != 0 || res.Format.Delimiter != "whitespace" {
		t.Fatalf("rows %d accepted %d rejects %v format %+v", res.Rows, res.Accepted, rej, res.Format)
	}
	csvPath, rows := cdnowCSV(t, path, nil)
	ref := duckdb(t, "--file", csvPath, "--amount", "dollar_value", "--date", "date", "--date-format", "%Y%m%d",
		"--dimension", "number_of_cds")
	compareTotalMonths(t, res, ref)
	custDays, custs := map[string]int{}, map[string]bool{}
	zero := 0
	for _, r := range rows {
		custDays[r[0]+" "+r[1]]++
		custs[r[0]] = true
		if r[3] == "0.00" {
			zero++
		}
	}
	multi := 0
	for _, n := range custDays {
		if n > 1 {
			multi++
		}
	}
	// 23,570 customers; 1,774 customer-days with more than one row; 80
	// zero-value rows (README).
	if len(custs) != 23570 || multi != 1774 || zero != 80 {
		t.Fatalf("customers %d, multi-row days %d, zero rows %d", len(custs), multi, zero)
	}
	ps := purchases(t, res)
	if len(ps) != len(custDays) {
		t.Fatalf("%d purchases, want %d customer-days", len(ps), len(custDays))
	}
	for _, p := range ps {
		if want := custDays[p.Customer+" "+strings.ReplaceAll(p.Day.String(), "-", "")]; int64(want) != p.Lines || p.Orders != p.Lines {
			t.Fatalf("purchase %+v: %d rows that day", p, want)
		}
	}
	if ps[0].Customer != "00001" || ps[0].Day.String() != "1997-01-01" {
		t.Fatalf("first purchase %+v", ps[0])
	}
}

func testCDNOWSample(t *testing.T) {
	path := shareddata.Path(t, "CDNOW_sample.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Parse(f, path, discardRejects{}); !errors.Is(err, ErrNoHeader) {
		t.Fatalf("without a mapping: %v, want ErrNoHeader", err)
	}
	opt := Options{NoHeader: true, Mapping: map[string]string{"customer_id": "#2", "date": "#3", "quantity": "#4", "amount": "#5"}}
	res, rej := parseFile(t, path, opt)
	if res.Rows != 6919 || len(rej) != 0 {
		t.Fatalf("rows %d rejects %v", res.Rows, rej)
	}
	csvPath, _ := cdnowCSV(t, path, []string{"orig_id", "new_id", "date", "cds", "dollars"})
	ref := duckdb(t, "--file", csvPath, "--amount", "dollars", "--date", "date", "--date-format", "%Y%m%d", "--dimension", "cds")
	compareTotalMonths(t, res, ref)
	custs := map[string]bool{}
	_ = res.Purchases(func(p history.Purchase) error { custs[p.Customer] = true; return nil })
	if len(custs) != 2357 {
		t.Fatalf("%d customers, want 2357", len(custs))
	}
}

func notTransactions(name string) func(t *testing.T) {
	return func(t *testing.T) {
		f, err := os.Open(shareddata.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := Parse(f, name, discardRejects{})
		var he *HeaderError
		if res != nil || !errors.As(err, &he) || !errors.Is(err, ErrMissingColumn) || he.Column != "date" {
			t.Fatalf("%v: want a *HeaderError for the missing date column", err)
		}
	}
}

// testCRMAccounts reads the accounts as a customers table and uses it to
// enrich the pipeline, whose rows only name the account.
func testCRMAccounts(t *testing.T) {
	notTransactions("crm_accounts.csv")(t)
	path := shareddata.Path(t, "crm_accounts.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rej rejectList
	cs, err := ParseCustomers(f, path, &rej, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Rows != 85 || cs.Accepted != 85 || len(rej) != 0 || cs.Duplicates != 0 {
		t.Fatalf("rows %d accepted %d rejects %v duplicates %d", cs.Rows, cs.Accepted, rej, cs.Duplicates)
	}
	// Acme Corporation,technolgy,1996,1100.04,2822,United States,
	// Lower-case sectors are stored capitalised, and the format says so.
	acme := cs.Attrs["Acme Corporation"]
	want := map[dimension.Dimension]string{dimension.Industry: "Technolgy", dimension.Size: "Enterprise", dimension.Country: "United States"}
	if got := cs.Format.Normalized["industry"]; len(got) != 10 || got["technolgy"] != "Technolgy" || got["medical"] != "Medical" {
		t.Errorf("respelled sectors %v, want the ten lower-case sectors capitalised", got)
	}
	if !maps.Equal(acme, want) {
		t.Fatalf("Acme Corporation %v, want %v (columns %v)", acme, want, cs.Format.Columns)
	}
	res, _ := parseFile(t, shareddata.Path(t, "crm_sales_pipeline.csv"), Options{Customers: cs.Attrs})
	byIndustry := revenueBy(res, dimension.Industry)
	if len(byIndustry) != 10 {
		t.Fatalf("by industry %v", byIndustry)
	}
	if _, ok := revenueBy(res, dimension.Cross(dimension.Industry, dimension.Size))[dimension.JoinValues("Technolgy", "Enterprise")]; !ok {
		t.Fatal("no industry × size key for Technolgy × Enterprise")
	}
	// The accepted rows without an account are all in the blank industry.
	var blankLines int64
	for k, m := range res.Delta {
		if k.Dim == dimension.Industry && k.Value == dimension.Blank && k.Grain == aggregate.Month {
			blankLines += m.Lines
		}
	}
	if blankLines != res.NoCustomer {
		t.Fatalf("%d lines in the blank industry, %d without an account", blankLines, res.NoCustomer)
	}
}
