package parser

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
)

// highcardCustomers is the customer base of the high-cardinality benchmark
// file: about 200,000 of them buy in 100 MB (and all in 1 GB).
const highcardCustomers = 600_000

// weighted is a list of names drawn with relative weights.
type weighted struct {
	names []string
	cum   []int
}

func newWeighted(pairs ...any) weighted {
	var w weighted
	total := 0
	for i := 0; i < len(pairs); i += 2 {
		w.names = append(w.names, pairs[i].(string))
		total += pairs[i+1].(int)
		w.cum = append(w.cum, total)
	}
	return w
}

func (w *weighted) pick(r *rand.Rand) int {
	x := r.IntN(w.cum[len(w.cum)-1])
	for i, c := range w.cum {
		if x < c {
			return i
		}
	}
	return len(w.cum) - 1
}

// highcardCountries are the countries of the high-cardinality file with
// their regions and weights (share of customers).
var highcardCountries = []struct {
	name, region string
	weight       int
}{
	{"United States", "North America", 220}, {"Canada", "North America", 40}, {"Mexico", "North America", 25},
	{"Brazil", "Latin America", 30}, {"Argentina", "Latin America", 10}, {"Chile", "Latin America", 8},
	{"Colombia", "Latin America", 8}, {"Peru", "Latin America", 5},
	{"United Kingdom", "Europe", 60}, {"Germany", "Europe", 65}, {"France", "Europe", 50}, {"Spain", "Europe", 30},
	{"Italy", "Europe", 30}, {"Netherlands", "Europe", 20}, {"Belgium", "Europe", 10}, {"Sweden", "Europe", 12},
	{"Norway", "Europe", 8}, {"Denmark", "Europe", 8}, {"Finland", "Europe", 6}, {"Poland", "Europe", 15},
	{"Switzerland", "Europe", 12}, {"Austria", "Europe", 9}, {"Ireland", "Europe", 7}, {"Portugal", "Europe", 7},
	{"Czech Republic", "Europe", 5}, {"Greece", "Europe", 4},
	{"United Arab Emirates", "Middle East", 10}, {"Saudi Arabia", "Middle East", 9}, {"Israel", "Middle East", 7},
	{"Turkey", "Middle East", 8},
	{"South Africa", "Africa", 9}, {"Egypt", "Africa", 5}, {"Nigeria", "Africa", 5}, {"Kenya", "Africa", 3},
	{"Japan", "Asia Pacific", 45}, {"China", "Asia Pacific", 40}, {"India", "Asia Pacific", 35},
	{"Australia", "Asia Pacific", 25}, {"Singapore", "Asia Pacific", 10}, {"South Korea", "Asia Pacific", 15},
}

var highcardIndustries = []string{
	"Aerospace & Defense", "Agriculture", "Automotive", "Banking", "Chemicals", "Construction", "Consumer Goods",
	"Education", "Energy", "Entertainment", "Financial Services", "Food & Beverage", "Government", "Healthcare",
	"Hospitality", "Insurance", "Logistics", "Manufacturing", "Media", "Mining", "Pharmaceuticals", "Real Estate",
	"Retail", "Technology", "Telecommunications",
}

var highcardLines = []string{
	"Accessories", "Analytics", "Cloud Services", "Collaboration", "Consulting", "Data Storage", "Desktops",
	"Displays", "Licenses", "Maintenance", "Mobile Devices", "Networking", "Notebooks", "Peripherals", "Printers",
	"Security", "Servers", "Software", "Support", "Training",
}

// highcardCustomer is a customer's stable attributes.
type highcardCustomer struct {
	segment, industry, size, country int
}

// writeHighcard writes a high-cardinality sales export of at least size
// bytes, shaped like a B2B company's order lines: customers customers,
// each with a stable segment (5 values), industry (25), company size (5),
// country (40, weighted) and the country's region (6); six years of daily
// ISO dates (2019–2024); orders of 1–5 lines in one channel (5), each line
// a product of one of 20 product lines, with a quantity, a price with
// cents, its sales and cost; 1% of lines are returns (negative quantity,
// sales and cost). Orders come in date order, days spread evenly over the
// size, except that 2% are posted one to ten days late and 0.5% have their
// last line posted so (an order in two runs). Three orders in four come
// from any customer, one in four from the first 5% (who buy often).
func writeHighcard(w *bufio.Writer, size, customers int) {
	r := rand.New(rand.NewPCG(3, 4))
	segments := newWeighted("Enterprise", 15, "Mid-Market", 25, "Small Business", 35, "Public Sector", 10, "Consumer", 15)
	sizes := newWeighted("Micro", 30, "Small", 30, "Medium", 20, "Large", 12, "Enterprise", 8)
	channels := newWeighted("Direct", 30, "Online", 35, "Partner", 20, "Distributor", 10, "Retail", 5)
	var countries weighted
	total := 0
	for _, c := range highcardCountries {
		total += c.weight
		countries.names = append(countries.names, c.name)
		countries.cum = append(countries.cum, total)
	}
	custs := make([]highcardCustomer, customers)
	for i := range custs {
		custs[i] = highcardCustomer{segments.pick(r), r.IntN(len(highcardIndustries)), sizes.pick(r), countries.pick(r)}
	}
	// A product's price in cents, fixed per SKU.
	const skusPerLine = 50
	prices := make([]int, len(highcardLines)*skusPerLine)
	for i := range prices {
		prices[i] = 500 + r.IntN(1000)*r.IntN(200)
	}
	w.WriteString("Order ID,Order Date,Customer ID,Segment,Industry,Company Size,Region,Country,Product Line,SKU," +
		"Channel,Quantity,Unit Price,Sales,Cost\n")
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	type late struct {
		day   int
		lines []byte
	}
	var pending []late
	written, order := 0, 0
	var line []byte
	for day := 0; day < days || len(pending) > 0; day++ {
		date := start.AddDate(0, 0, day).Format("2006-01-02")
		target := int(int64(size) * int64(day+1) / int64(days))
		for day < days && written < target {
			order++
			c := r.IntN(customers)
			if r.IntN(4) == 0 {
				c = r.IntN(max(1, customers/20))
			}
			cu := custs[c]
			ch := channels.pick(r)
			line = line[:0]
			lines := 1 + r.IntN(5)
			lateLine := lines > 1 && r.IntN(200) == 0
			split := 0 // where the late line starts, 0 for none
			for i := range lines {
				if lateLine && i == lines-1 {
					split = len(line)
				}
				pl, sku := r.IntN(len(highcardLines)), r.IntN(skusPerLine)
				price := prices[pl*skusPerLine+sku]
				qty := 1 + r.IntN(10)*r.IntN(3)
				if r.IntN(100) == 0 {
					qty = -qty
				}
				sales := qty * price
				cost := sales * (50 + r.IntN(40)) / 100
				country := highcardCountries[cu.country]
				line = append(line, "SO-"...)
				line = strconv.AppendInt(line, int64(order), 10)
				line = append(line, ',')
				line = append(line, date...)
				line = append(line, ",C"...)
				line = strconv.AppendInt(line, int64(1_000_000+c), 10)
				line = append(line, ',')
				line = append(line, segments.names[cu.segment]...)
				line = append(line, ',')
				line = append(line, highcardIndustries[cu.industry]...)
				line = append(line, ',')
				line = append(line, sizes.names[cu.size]...)
				line = append(line, ',')
				line = append(line, country.region...)
				line = append(line, ',')
				line = append(line, country.name...)
				line = append(line, ',')
				line = append(line, highcardLines[pl]...)
				line = append(line, ",SKU-"...)
				line = strconv.AppendInt(line, int64(pl*1000+sku), 10)
				line = append(line, ',')
				line = append(line, channels.names[ch]...)
				line = append(line, ',')
				line = strconv.AppendInt(line, int64(qty), 10)
				line = append(line, ',')
				line = appendCents(line, price)
				line = append(line, ',')
				line = appendCents(line, sales)
				line = append(line, ',')
				line = appendCents(line, cost)
				line = append(line, '\n')
			}
			written += len(line)
			switch {
			case split != 0:
				pending = append(pending, late{day + 1 + r.IntN(10), append([]byte(nil), line[split:]...)})
				w.Write(line[:split])
			case r.IntN(50) == 0:
				pending = append(pending, late{day + 1 + r.IntN(10), append([]byte(nil), line...)})
			default:
				w.Write(line)
			}
		}
		kept := pending[:0]
		for _, p := range pending {
			if p.day <= day || day >= days {
				w.Write(p.lines)
			} else {
				kept = append(kept, p)
			}
		}
		pending = kept
	}
}

// appendCents appends an amount in cents as a decimal with two places.
func appendCents(b []byte, cents int) []byte {
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = strconv.AppendInt(b, int64(cents/100), 10)
	b = append(b, '.')
	if cents%100 < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(cents%100), 10)
}

// refMeasures are a key's measures summed independently of the parser:
// amounts as big.Rat, orders as a set of ids.
type refMeasures struct {
	revenue, cost, units big.Rat
	lines                int64
	orders               map[string]bool
}

func (m *refMeasures) add(rev, cost, units *big.Rat, order string) {
	m.revenue.Add(&m.revenue, rev)
	m.cost.Add(&m.cost, cost)
	m.units.Add(&m.units, units)
	m.lines++
	if m.orders == nil {
		m.orders = map[string]bool{}
	}
	m.orders[order] = true
}

// TestHighcardTotals parses a small high-cardinality file (with late
// orders and orders in two runs) and compares every key of the delta and
// every purchase with sums computed here from encoding/csv records: per
// dimension (and the total) by day and month, per pair of dimensions by
// month, and per customer and day. It parses the file as written, with a
// cell cache of a few cells (rolled up thousands of times), and with its
// dates rewritten M/D/YYYY (read once the order is settled).
func TestHighcardTotals(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	writeHighcard(w, 3<<20, 3000)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want, purchases, rows := highcardReference(t, buf.Bytes())
	mdy := regexp.MustCompile(`,(\d{4})-(\d\d)-(\d\d),`).ReplaceAllFunc(buf.Bytes(), func(m []byte) []byte {
		month, _ := strconv.Atoi(string(m[6:8]))
		day, _ := strconv.Atoi(string(m[9:11]))
		return fmt.Appendf(nil, ",%d/%d/%s,", month, day, m[1:5])
	})
	for _, tc := range []struct {
		name string
		file []byte
		opt  Options
	}{
		{"iso", buf.Bytes(), Options{}},
		{"iso, cache of 16 cells", buf.Bytes(), Options{cellCache: 16}},
		{"M/D/Y, cache of 16 cells", mdy, Options{cellCache: 16}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseWith(bytes.NewReader(tc.file), "highcard.csv", discardRejects{}, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != rows || res.Accepted != rows {
				t.Fatalf("parsed %d rows, %d accepted; encoding/csv read %d", res.Rows, res.Accepted, rows)
			}
			checkHighcard(t, res, want, purchases)
		})
	}
}

// highcardReference sums a high-cardinality file with encoding/csv and
// big.Rat: the measures of every key and every purchase, and the rows.
func highcardReference(t *testing.T, file []byte) (map[aggregate.Key]*refMeasures, map[[2]string]*refMeasures, int64) {
	t.Helper()
	want := map[aggregate.Key]*refMeasures{}
	purchases := map[[2]string]*refMeasures{}
	cr := csv.NewReader(bytes.NewReader(file))
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	dims := []struct {
		dim    dimension.Dimension
		column string
	}{{dimension.Segment, "Segment"}, {dimension.Industry, "Industry"}, {dimension.Size, "Company Size"},
		{dimension.Region, "Region"}, {dimension.Country, "Country"}, {dimension.Category, "Product Line"},
		{dimension.Channel, "Channel"}}
	rows := int64(0)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		day := rec[col["Order Date"]]
		month := day[:7]
		rev, cost, units := mustRat(t, rec[col["Sales"]]), mustRat(t, rec[col["Cost"]]), mustRat(t, rec[col["Quantity"]])
		order := rec[col["Order ID"]]
		add := func(k aggregate.Key) {
			if want[k] == nil {
				want[k] = &refMeasures{}
			}
			want[k].add(rev, cost, units, order)
		}
		for _, g := range []struct {
			grain  aggregate.Grain
			period string
		}{{aggregate.Day, day}, {aggregate.Month, month}} {
			add(aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: g.grain, Period: g.period})
			for _, d := range dims {
				add(aggregate.Key{Dim: d.dim, Value: rec[col[d.column]], Grain: g.grain, Period: g.period})
			}
		}
		for i, x := range dims {
			for _, y := range dims[i+1:] {
				add(aggregate.Key{Dim: dimension.Cross(x.dim, y.dim), Value: dimension.JoinValues(rec[col[x.column]], rec[col[y.column]]),
					Grain: aggregate.Month, Period: month})
			}
		}
		pk := [2]string{rec[col["Customer ID"]], day}
		if purchases[pk] == nil {
			purchases[pk] = &refMeasures{}
		}
		purchases[pk].add(rev, cost, units, order)
	}
	return want, purchases, rows
}

func mustRat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad number %q", s)
	}
	return r
}

// checkHighcard compares a result with highcardReference's sums.
func checkHighcard(t *testing.T, res *Result, want map[aggregate.Key]*refMeasures, purchases map[[2]string]*refMeasures) {
	t.Helper()
	if len(res.Delta) != len(want) {
		t.Errorf("%d keys, want %d", len(res.Delta), len(want))
	}
	same := func(d fmt.Stringer, r *big.Rat) bool { return mustRat(t, d.String()).Cmp(r) == 0 }
	for k, w := range want {
		m := res.Delta[k]
		if m == nil {
			t.Errorf("%v missing", k)
			continue
		}
		if !same(m.Revenue, &w.revenue) || !same(m.Cost, &w.cost) || !same(m.Units, &w.units) ||
			m.Lines != w.lines || m.CostLines != w.lines || m.Orders != int64(len(w.orders)) {
			t.Errorf("%v: revenue %s cost %s units %s lines %d/%d orders %d, want %s %s %s %d %d", k, m.Revenue, m.Cost, m.Units,
				m.Lines, m.CostLines, m.Orders, w.revenue.FloatString(2), w.cost.FloatString(2), w.units.FloatString(0), w.lines, len(w.orders))
		}
	}
	n := 0
	err := res.Purchases(func(p history.Purchase) error {
		n++
		w := purchases[[2]string{p.Customer, p.Day.String()}]
		if w == nil {
			t.Errorf("purchase %s %s not in the file", p.Customer, p.Day)
			return nil
		}
		if mustRat(t, p.Revenue).Cmp(&w.revenue) != 0 || mustRat(t, p.Cost).Cmp(&w.cost) != 0 || p.Lines != w.lines ||
			p.Orders != int64(len(w.orders)) {
			t.Errorf("purchase %s %s: %+v, want revenue %s cost %s lines %d orders %d", p.Customer, p.Day, p,
				w.revenue.FloatString(2), w.cost.FloatString(2), w.lines, len(w.orders))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(purchases) {
		t.Errorf("%d purchases, want %d", n, len(purchases))
	}
}
