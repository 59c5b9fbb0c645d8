package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/notation"
	"github.com/salesseg/salesseg/internal/period"
)

// rejectList collects rejected rows.
type rejectList []*RowError

func (l *rejectList) Reject(e *RowError) error { *l = append(*l, e); return nil }

// discardRejects drops rejected rows.
type discardRejects struct{}

func (discardRejects) Reject(*RowError) error { return nil }

func parseText(t testing.TB, text string, opt Options) (*Result, rejectList, error) {
	t.Helper()
	var rej rejectList
	res, err := ParseWith(strings.NewReader(text), "test.csv", &rej, opt)
	if err == nil {
		checkInvariants(t, res, rej)
	}
	return res, rej, err
}

func mustParse(t testing.TB, text string, opt Options) (*Result, rejectList) {
	t.Helper()
	res, rej, err := parseText(t, text, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res, rej
}

// checkInvariants asserts what every result must satisfy: every row counted
// or rejected; each dimension's values, each crossed dimension's values and
// the day keys add up to the total; purchases add up to the rows with a
// customer.
func checkInvariants(t testing.TB, res *Result, rej rejectList) {
	t.Helper()
	if res.Accepted+res.Rejected != res.Rows || int64(len(rej)) != res.Rejected {
		t.Fatalf("rows %d, accepted %d, rejected %d, %d rejects written", res.Rows, res.Accepted, res.Rejected, len(rej))
	}
	sums := map[string]*aggregate.Measures{}
	for k, m := range res.Delta {
		id := string(k.Dim) + "/" + string(k.Grain)
		if sums[id] == nil {
			sums[id] = &aggregate.Measures{}
		}
		mm := *m
		mm.Orders = 0
		if err := sums[id].Add(mm); err != nil {
			t.Fatal(err)
		}
	}
	total := sums["total/M"]
	if total == nil {
		if res.Accepted != 0 {
			t.Fatalf("no total for %d accepted rows", res.Accepted)
		}
		return
	}
	// Lost and open deals are accepted but no lines.
	if total.Lines+total.Lost+res.Format.OpenDeals != res.Accepted {
		t.Fatalf("total lines %d, lost deals %d, open deals %d, accepted %d", total.Lines, total.Lost, res.Format.OpenDeals, res.Accepted)
	}
	for id, s := range sums {
		if s.Revenue.Cmp(total.Revenue) != 0 || s.Lines != total.Lines || s.Units.Cmp(total.Units) != 0 {
			t.Fatalf("%s sums to %s in %d lines, total is %s in %d", id, s.Revenue, s.Lines, total.Revenue, total.Lines)
		}
	}
	var lines int64
	rev := decimal.Decimal{}
	if err := res.Purchases(func(p history.Purchase) error {
		lines += p.Lines
		r, err := decimal.Parse(p.Revenue)
		if err != nil {
			return err
		}
		rev, err = money.Add(rev, r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if lines != total.Lines-res.NoCustomer {
		t.Fatalf("purchases have %d lines, lines with a customer %d", lines, total.Lines-res.NoCustomer)
	}
}

// revenueBy returns all-time revenue per value of a dimension.
func revenueBy(res *Result, d dimension.Dimension) map[string]string {
	sums := map[string]decimal.Decimal{}
	for k, m := range res.Delta {
		if k.Dim == d && k.Grain == aggregate.Month {
			sums[k.Value], _ = money.Add(sums[k.Value], m.Revenue)
		}
	}
	out := map[string]string{}
	for v, s := range sums {
		out[v] = s.String()
	}
	return out
}

func purchases(t *testing.T, res *Result) []history.Purchase {
	t.Helper()
	var out []history.Purchase
	if err := res.Purchases(func(p history.Purchase) error { out = append(out, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseSmallFile(t *testing.T) {
	text := "Order Date,Order ID,Customer ID,Segment,Region,Category,Sales,Profit\n" +
		"1/15/2024,O1,C1,Consumer,East,Tech,100.10,10\n" +
		"1/15/2024,O1,C1,Consumer,East,Paper,0.90,1\n" +
		"2/3/2024,O2,C2,Corporate,West,Tech,\"1,250.00\",-50\n" +
		"2/20/2024,O3,C1,Consumer,West,Tech,(20.00),0\n" +
		"not a date,O4,C3,Consumer,East,Tech,5,1\n" +
		"3/1/2024,O5,C3,Home Office,,Tech,abc,1\n" +
		"3/31/2024,O6,C3,Home Office,,Tech,$49.99,5\n"
	res, rej := mustParse(t, text, Options{})
	if res.Rows != 7 || res.Accepted != 5 || res.Rejected != 2 {
		t.Fatalf("rows %d accepted %d rejected %d", res.Rows, res.Accepted, res.Rejected)
	}
	if got := fmt.Sprintf("%d %s %v %d %s %v", rej[0].Line, rej[0].Column, rej[0].Err, rej[1].Line, rej[1].Column, rej[1].Err); got != "6 Order Date not a date 7 Sales not a number" {
		t.Fatalf("rejects: %s", got)
	}
	want := map[string]string{"Consumer": "81.00", "Corporate": "1250.00", "Home Office": "49.99"}
	if got := revenueBy(res, dimension.Segment); !maps.Equal(got, want) {
		t.Fatalf("by segment %v, want %v", got, want)
	}
	if got := revenueBy(res, dimension.Region); !maps.Equal(got, map[string]string{"East": "101.00", "West": "1230.00", dimension.Blank: "49.99"}) {
		t.Fatalf("by region %v", got)
	}
	cross := dimension.Cross(dimension.Segment, dimension.Category)
	want = map[string]string{dimension.JoinValues("Consumer", "Tech"): "80.10", dimension.JoinValues("Consumer", "Paper"): "0.90",
		dimension.JoinValues("Corporate", "Tech"): "1250.00", dimension.JoinValues("Home Office", "Tech"): "49.99"}
	if got := revenueBy(res, cross); !maps.Equal(got, want) {
		t.Fatalf("by %s %v, want %v", cross, got, want)
	}
	for k := range res.Delta {
		if _, _, crossed := dimension.Split(k.Dim); crossed && k.Grain != aggregate.Month {
			t.Fatalf("crossed key at %s grain: %+v", k.Grain, k)
		}
	}
	day := res.Delta[aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Day, Period: "2024-01-15"}]
	if day == nil || day.Orders != 1 || day.Lines != 2 || day.Revenue.String() != "101.00" || day.Cost.String() != "90.00" {
		t.Fatalf("2024-01-15 total %+v", day)
	}
	tech := res.Delta[aggregate.Key{Dim: dimension.Category, Value: "Tech", Grain: aggregate.Month, Period: "2024-01"}]
	if tech == nil || tech.Orders != 1 || tech.Lines != 1 {
		t.Fatalf("Tech 2024-01 %+v", tech)
	}
	got := purchases(t, res)
	wantP := []history.Purchase{
		{Customer: "C1", Day: period.NewDate(2024, 1, 15), Orders: 1, Lines: 2, Revenue: "101.00", Cost: "90.00",
			Attrs: map[dimension.Dimension]string{dimension.Segment: "Consumer", dimension.Region: "East", dimension.Category: "Paper"}},
		{Customer: "C1", Day: period.NewDate(2024, 2, 20), Orders: 1, Lines: 1, Revenue: "-20.00", Cost: "-20.00",
			Attrs: map[dimension.Dimension]string{dimension.Segment: "Consumer", dimension.Region: "West", dimension.Category: "Tech"}},
		{Customer: "C2", Day: period.NewDate(2024, 2, 3), Orders: 1, Lines: 1, Revenue: "1250.00", Cost: "1300.00",
			Attrs: map[dimension.Dimension]string{dimension.Segment: "Corporate", dimension.Region: "West", dimension.Category: "Tech"}},
		{Customer: "C3", Day: period.NewDate(2024, 3, 31), Orders: 1, Lines: 1, Revenue: "49.99", Cost: "44.99",
			Attrs: map[dimension.Dimension]string{dimension.Segment: "Home Office", dimension.Region: dimension.Blank, dimension.Category: "Tech"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(wantP) {
		t.Fatalf("purchases\n got %v\nwant %v", got, wantP)
	}
	if res.Format.Currencies == nil || res.Format.Currencies[0] != "$" || res.Format.DateOrder != notation.OrderMDY {
		t.Fatalf("format %+v", res.Format)
	}
}

// TestOrdersAreDistinctPerKey checks distinct order counts, revenue and the
// purchase history against a brute-force computation over random files
// whose orders spread over cells, days, customers and lines in any order.
func TestOrdersAreDistinctPerKey(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			type row struct{ date, order, cust, seg, region, cat, amount string }
			var rows []row
			var b strings.Builder
			b.WriteString("date,order_id,customer_id,segment,region,category,amount\n")
			nOrders, nRows := 1+r.IntN(40), 1+r.IntN(300)
			if seed >= 16 {
				// Thousands of runs of a few orders: their log buckets
				// are compacted while rows come.
				nRows = 3000 + r.IntN(3000)
			}
			for range nRows {
				o := r.IntN(nOrders)
				rw := row{date: fmt.Sprintf("2024-0%d-%02d", 1+r.IntN(2), 1+(o+r.IntN(2))%3), cust: fmt.Sprintf("c%d", (o+r.IntN(2))%5),
					seg: []string{"A", "B"}[r.IntN(2)], region: []string{"N", "S", ""}[r.IntN(3)],
					cat: []string{"x", "y", "z"}[r.IntN(3)], amount: fmt.Sprintf("%d.%02d", r.IntN(100)-20, r.IntN(100))}
				if r.IntN(10) > 0 {
					rw.order = fmt.Sprintf("o%d", o)
				}
				if r.IntN(10) == 0 {
					rw.cust = ""
				}
				rows = append(rows, rw)
				fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s\n", rw.date, rw.order, rw.cust, rw.seg, rw.region, rw.cat, rw.amount)
			}
			res, _ := mustParse(t, b.String(), Options{})
			type agg struct {
				orders map[string]bool
				noID   int64
				lines  int64
				rev    decimal.Decimal
			}
			want := map[aggregate.Key]*agg{}
			hist := map[[2]string]*agg{}
			add := func(m map[aggregate.Key]*agg, k aggregate.Key, rw row) {
				a := m[k]
				if a == nil {
					a = &agg{orders: map[string]bool{}}
					m[k] = a
				}
				if rw.order == "" {
					a.noID++
				} else {
					a.orders[rw.order] = true
				}
				a.lines++
				a.rev, _ = money.Add(a.rev, decimal.MustParse(rw.amount))
			}
			blank := func(s string) string {
				if s == "" {
					return dimension.Blank
				}
				return s
			}
			for _, rw := range rows {
				vals := map[dimension.Dimension]string{dimension.Total: dimension.TotalValue, dimension.Segment: rw.seg,
					dimension.Region: blank(rw.region), dimension.Category: rw.cat}
				for d, v := range vals {
					add(want, aggregate.Key{Dim: d, Value: v, Grain: aggregate.Day, Period: rw.date}, rw)
					add(want, aggregate.Key{Dim: d, Value: v, Grain: aggregate.Month, Period: rw.date[:7]}, rw)
				}
				dims := []dimension.Dimension{dimension.Segment, dimension.Region, dimension.Category}
				for i, a := range dims {
					for _, c := range dims[i+1:] {
						add(want, aggregate.Key{Dim: dimension.Cross(a, c), Value: dimension.JoinValues(vals[a], vals[c]),
							Grain: aggregate.Month, Period: rw.date[:7]}, rw)
					}
				}
				if rw.cust != "" {
					k := [2]string{rw.cust, rw.date}
					if hist[k] == nil {
						hist[k] = &agg{orders: map[string]bool{}}
					}
					a := hist[k]
					if rw.order == "" {
						a.noID++
					} else {
						a.orders[rw.order] = true
					}
					a.lines++
					a.rev, _ = money.Add(a.rev, decimal.MustParse(rw.amount))
				}
			}
			if len(want) != len(res.Delta) {
				t.Fatalf("%d keys, want %d", len(res.Delta), len(want))
			}
			for k, w := range want {
				got := res.Delta[k]
				if got == nil {
					t.Fatalf("missing key %+v", k)
				}
				if got.Orders != int64(len(w.orders))+w.noID || got.Lines != w.lines || got.Revenue.Cmp(w.rev) != 0 {
					t.Fatalf("%+v: orders %d lines %d revenue %s, want %d %d %s", k, got.Orders, got.Lines, got.Revenue,
						int64(len(w.orders))+w.noID, w.lines, w.rev)
				}
			}
			ps := purchases(t, res)
			if len(ps) != len(hist) {
				t.Fatalf("%d purchases, want %d", len(ps), len(hist))
			}
			for i, p := range ps {
				if i > 0 && (ps[i-1].Customer > p.Customer || (ps[i-1].Customer == p.Customer && ps[i-1].Day >= p.Day)) {
					t.Fatalf("purchases out of order at %d: %v then %v", i, ps[i-1], p)
				}
				w := hist[[2]string{p.Customer, p.Day.String()}]
				if w == nil || p.Orders != int64(len(w.orders))+w.noID || p.Lines != w.lines || decimal.MustParse(p.Revenue).Cmp(w.rev) != 0 {
					t.Fatalf("purchase %+v, want %+v", p, w)
				}
			}
		})
	}
}

func TestOrderSetsStayLinear(t *testing.T) {
	// One order id on every row (a constant in the order column) must not
	// make interned sets grow quadratically.
	var b strings.Builder
	b.WriteString("date,order,category,amount\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "2024-01-%02d,X,c%d,1\n", 1+i%28, i)
	}
	res, _ := mustParse(t, b.String(), Options{})
	k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Month, Period: "2024-01"}
	if m := res.Delta[k]; m.Orders != 1 || m.Lines != 5000 {
		t.Fatalf("total %+v", m)
	}
	c := res.Delta[aggregate.Key{Dim: dimension.Category, Value: "c77", Grain: aggregate.Day, Period: "2024-01-22"}]
	if c == nil || c.Orders != 1 {
		t.Fatalf("c77 %+v", c)
	}
}

// TestPrivateSetReopened interrupts an order too big to share its set
// with another order every 100 lines, and another order between a small
// run and a big one: the runs of each must merge into one set, and each
// key still count each order once.
func TestPrivateSetReopened(t *testing.T) {
	var b strings.Builder
	b.WriteString("date,order,category,amount\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "2024-01-%02d,X,c%d,1\n", 1+i%28, i%300)
		if i%100 == 99 {
			fmt.Fprintf(&b, "2024-01-%02d,Y,c%d,1\n", 1+i%28, i%300)
		}
	}
	b.WriteString("2024-02-01,W,c0,1\n2024-02-01,V,c0,1\n")
	for i := range 70 {
		fmt.Fprintf(&b, "2024-02-01,W,c%d,1\n", i)
	}
	res, _ := mustParse(t, b.String(), Options{})
	k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Month, Period: "2024-01"}
	if m := res.Delta[k]; m.Orders != 2 || m.Lines != 1010 {
		t.Fatalf("total %+v, want 2 orders and 1010 lines", m)
	}
	// c99 on 2024-01-16 has lines of X (i = 99, 399, 699...) and of Y
	// (i = 99); c0 on 2024-01-01 only of X.
	for _, tc := range []struct {
		value, day string
		orders     int64
	}{{"c99", "2024-01-16", 2}, {"c0", "2024-01-01", 1}, {"c0", "2024-02-01", 2}, {"c5", "2024-02-01", 1}} {
		m := res.Delta[aggregate.Key{Dim: dimension.Category, Value: tc.value, Grain: aggregate.Day, Period: tc.day}]
		if m == nil || m.Orders != tc.orders {
			t.Errorf("%s on %s: %+v, want %d orders", tc.value, tc.day, m, tc.orders)
		}
	}
	// In February, W's first run shares a set, its second is private.
	k.Period = "2024-02"
	if m := res.Delta[k]; m.Orders != 2 || m.Lines != 72 {
		t.Fatalf("February %+v, want 2 orders and 72 lines", m)
	}
}

// TestDealStages reads closed deals' outcomes and sales cycles: stages
// written several ways, open deals left out, a created date after the
// close date rejected, and day/month-ambiguous created dates read in the
// order the close dates decide.
func TestDealStages(t *testing.T) {
	month := func(res *Result, p string) aggregate.Measures {
		m := res.Delta[aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Month, Period: p}]
		if m == nil {
			t.Fatalf("no total for %s", p)
		}
		return *m
	}
	t.Run("ISO dates", func(t *testing.T) {
		res, rej := mustParse(t, "opportunity_id,deal_stage,engage_date,close_date,close_value\n"+
			"A,Won,2024-01-01,2024-01-11,100\n"+
			"B,Closed Lost,2024-01-05,2024-01-20,0\n"+
			"C,closed-won,,2024-01-21,10\n"+ // no created date: no cycle
			"D,Engaging,2024-01-07,2024-01-22,0\n"+ // open stage: no outcome
			"E,Lost,2024-02-10,2024-02-01,0\n"+
			"F,Prospecting,,,\n"+ // open: no dates or value needed
			"G,Lost,2024-01-01,2024-01-31,40\n", Options{})
		m := month(res, "2024-01")
		// Won deals are the only sales: lines, orders and revenue; the
		// cycle is the won deals' (A: 10 days), lost deals' apart (B 15,
		// G 30).
		if m.Won != 2 || m.Lost != 2 || m.Cycled != 1 || m.CycleDays != 10 || m.Lines != 2 || m.Orders != 2 ||
			m.Revenue.String() != "110" || m.WonRevenue.String() != "110" || m.LostValue.String() != "40" ||
			m.LostCycled != 2 || m.LostCycleDays != 15+30 {
			t.Fatalf("January %+v", m)
		}
		if res.Format.OpenDeals != 2 || res.Accepted != 6 {
			t.Fatalf("open deals %d, accepted %d", res.Format.OpenDeals, res.Accepted)
		}
		if len(rej) != 1 || rej[0].Line != 6 || rej[0].Column != "engage_date" || !errors.Is(rej[0].Err, ErrCreatedAfterClose) {
			t.Fatalf("rejects %v", rej)
		}
		if res.Format.Columns["deal_stage"] != "deal_stage" || res.Format.Columns["created_date"] != "engage_date" {
			t.Fatalf("columns %v", res.Format.Columns)
		}
	})
	t.Run("day first decided by the close dates", func(t *testing.T) {
		res, _ := mustParse(t, "Deal,Stage,Created Date,Close Date,Amount\n"+
			"A,Won,01/02/2024,13/02/2024,5\n"+ // created 1 February: 12 days
			"B,Won,01/03/2024,05/03/2024,5\n", Options{}) // 1 and 5 March: 4 days
		if res.Format.DateOrder != notation.OrderDMY {
			t.Fatalf("date order %q", res.Format.DateOrder)
		}
		if feb, mar := month(res, "2024-02"), month(res, "2024-03"); feb.CycleDays != 12 || mar.CycleDays != 4 || feb.Won != 1 || mar.Cycled != 1 {
			t.Fatalf("February %+v, March %+v", feb, mar)
		}
	})
	t.Run("lost and open deals are no purchases", func(t *testing.T) {
		res, _ := mustParse(t, "opportunity_id,account,deal_stage,engage_date,close_date,close_value\n"+
			"A,Acme,Won,2024-01-01,2024-01-11,100\n"+
			"B,Bolt,Lost,2024-01-05,2024-01-20,0\n"+ // Bolt's only deal is lost
			"C,Acme,Lost,2024-01-05,2024-01-11,0\n"+
			"D,Core,Engaging,2024-01-07,,\n", Options{}) // Core's only deal is open
		var got []string
		if err := res.Purchases(func(p history.Purchase) error {
			got = append(got, fmt.Sprintf("%s %s %d %d %s", p.Customer, p.Day, p.Orders, p.Lines, p.Revenue))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"Acme 2024-01-11 1 1 100"}; !slices.Equal(got, want) {
			t.Fatalf("purchases %q, want %q", got, want)
		}
	})
	t.Run("no stage, no deal measures", func(t *testing.T) {
		res, _ := mustParse(t, "Date,Created Date,Amount\n2024-01-05,2024-01-01,5\n", Options{})
		if m := month(res, "2024-01"); m.Won != 0 || m.Lost != 0 || m.Cycled != 0 || res.Format.Columns["created_date"] != "" {
			t.Fatalf("%+v, columns %v", m, res.Format.Columns)
		}
	})
}

func TestReturnsAndCancellations(t *testing.T) {
	text := "InvoiceNo,InvoiceDate,CustomerID,Quantity,UnitPrice,Country\n" +
		"536365,12/1/2010 8:26,17850,6,2.55,United Kingdom\n" +
		"C536379,12/1/2010 9:41,14527,-1,27.50,United Kingdom\n" +
		"536380,12/1/2010 9:41,NA,-3,1.00,France\n" +
		"A563185,12/1/2010 9:41,NA,1,-11062.06,United Kingdom\n"
	res, _ := mustParse(t, text, Options{})
	if res.Format.Returns != 2 || res.NoCustomer != 2 || res.Accepted != 4 {
		t.Fatalf("returns %d, no customer %d, accepted %d", res.Format.Returns, res.NoCustomer, res.Accepted)
	}
	if got := revenueBy(res, dimension.Total)[dimension.TotalValue]; got != "-11077.26" {
		t.Fatalf("total %s", got)
	}
	// An amount written positive on a cancellation is made negative.
	text = "Invoice,Date,Qty,Amount\nC1,2024-01-01,2,10.00\n2,2024-01-01,-2,10.00\n3,2024-01-01,-2,-10.00\n4,2024-01-01,2,10.00\n"
	res, _ = mustParse(t, text, Options{})
	k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Day, Period: "2024-01-01"}
	if m := res.Delta[k]; m.Revenue.String() != "-20.00" || m.Units.String() != "-4" || res.Format.Returns != 3 {
		t.Fatalf("total %+v, returns %d", m, res.Format.Returns)
	}
}

func TestHeaderMapping(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		opt     Options
		want    map[string]string // subset of Format.Columns
		wantErr error
	}{
		{"close date wins over engage date", "opportunity_id,account,engage_date,close_date,close_value\nA,x,2024-01-01,2024-02-01,5\n",
			Options{}, map[string]string{"date": "close_date", "customer_id": "account", "order_id": "opportunity_id", "amount": "close_value"}, nil},
		{"customer id wins over customer name", "Customer Name,Customer ID,Date,Sales\nn,1,2024-01-01,5\n", Options{},
			map[string]string{"customer_id": "Customer ID"}, nil},
		{"quantity times unit price", "InvoiceNo,InvoiceDate,Quantity,UnitPrice\n1,2024-01-01,2,1.5\n", Options{},
			map[string]string{"amount": "Quantity × UnitPrice"}, nil},
		{"sector is industry, employees are size bands", "date,amount,sector,employees\n2024-01-01,5,retail,120\n", Options{},
			map[string]string{"industry": "sector", "size": "bands of employees (employees)"}, nil},
		{"mapping override wins", "when,what,Sales\n2024-01-01,7,5\n", Options{Mapping: map[string]string{"date": "when", "amount": "WHAT"}},
			map[string]string{"date": "when", "amount": "what"}, nil},
		{"mapping by position", "a,b\n2024-01-01,5\n", Options{Mapping: map[string]string{"date": "#1", "amount": "#2"}},
			map[string]string{"date": "a", "amount": "b"}, nil},
		{"mapping unmaps a synonym", "date,amount,segment\n2024-01-01,5,x\n", Options{Mapping: map[string]string{"segment": ""}},
			map[string]string{"segment": ""}, nil},
		{"mapping a dimension", "date,amount,kind\n2024-01-01,5,x\n", Options{Mapping: map[string]string{"channel": "kind"}},
			map[string]string{"channel": "kind"}, nil},
		{"mapping names a missing column", "date,amount\n2024-01-01,5\n", Options{Mapping: map[string]string{"amount": "Total"}}, nil, ErrBadMapping},
		{"mapping names an unknown field", "date,amount\n2024-01-01,5\n", Options{Mapping: map[string]string{"colour": "amount"}}, nil, ErrBadMapping},
		{"duplicate amount columns", "date,Sales,sales\n2024-01-01,5,6\n", Options{}, nil, ErrDuplicateHeader},
		{"duplicate unused columns are fine", "date,Sales,Notes,notes\n2024-01-01,5,a,b\n", Options{}, map[string]string{"amount": "Sales"}, nil},
		{"no date", "Sales\n5\n", Options{}, nil, ErrMissingColumn},
		{"no amount", "date,Quantity\n2024-01-01,5\n", Options{}, nil, ErrMissingColumn},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, _, err := parseText(t, c.text, c.opt)
			if c.wantErr != nil {
				var he *HeaderError
				if !errors.Is(err, c.wantErr) || !errors.As(err, &he) || res != nil {
					t.Fatalf("err %v, want *HeaderError %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.want {
				if res.Format.Columns[k] != v {
					t.Fatalf("columns %v, want %s=%q", res.Format.Columns, k, v)
				}
			}
		})
	}
}

func TestSizeBands(t *testing.T) {
	text := "date,amount,employees,annual revenue\n2024-01-01,1,0,1\n2024-01-01,1,9,1\n2024-01-01,1,10,1\n" +
		"2024-01-01,1,\"1,000\",1\n2024-01-01,1,,1\n2024-01-01,1,n/a,1\n"
	res, _ := mustParse(t, text, Options{})
	want := map[string]string{"Micro": "2", "Small": "1", "Enterprise": "1", dimension.Blank: "2"}
	if got := revenueBy(res, dimension.Size); !maps.Equal(got, want) {
		t.Fatalf("by size %v, want %v", got, want)
	}
	if !strings.Contains(res.Format.SizeBands, "0-9 Micro, 10-49 Small") {
		t.Fatalf("size bands %q", res.Format.SizeBands)
	}
	res, _ = mustParse(t, "date,amount,turnover\n2024-01-01,1,\"2,500,000\"\n2024-01-01,1,5e9\n",
		Options{RevenueBands: []Band{{0, "S"}, {1_000_000_000, "L"}}})
	if got := revenueBy(res, dimension.Size); !maps.Equal(got, map[string]string{"S": "1", "L": "1"}) {
		t.Fatalf("by revenue band %v", got)
	}
	if _, _, err := parseText(t, text, Options{EmployeeBands: []Band{{10, "a"}, {5, "b"}}}); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("unordered bands: %v", err)
	}
}

func TestCustomersEnrichment(t *testing.T) {
	text := "date,customer,amount,segment\n2024-01-01,a,1,Direct\n2024-01-01,b,2,\n2024-01-01,zz,4,x\n"
	res, _ := mustParse(t, text, Options{Customers: map[string]map[dimension.Dimension]string{
		"a": {dimension.Industry: "Retail", dimension.Segment: "ignored"}, "b": {dimension.Industry: "Banking"}}})
	if got := revenueBy(res, dimension.Industry); !maps.Equal(got, map[string]string{"Retail": "1", "Banking": "2", dimension.Blank: "4"}) {
		t.Fatalf("by industry %v", got)
	}
	if got := revenueBy(res, dimension.Segment); !maps.Equal(got, map[string]string{"Direct": "1", dimension.Blank: "2", "x": "4"}) {
		t.Fatalf("by segment %v", got)
	}
}

func TestDecimalNotationPerColumn(t *testing.T) {
	// A semicolon file with a decimal comma in Umsatz, but Menge with only
	// thousands points: each column is decided from its own values.
	text := "Datum;Kunde;Menge;Umsatz\n31.01.2024;K1;1.000;1.234,50\n01.02.2024;K2;2.500;99,90\n"
	res, _ := mustParse(t, text, Options{Mapping: map[string]string{"date": "Datum", "customer_id": "Kunde", "quantity": "Menge", "amount": "Umsatz"}})
	if got := revenueBy(res, dimension.Total)[dimension.TotalValue]; got != "1334.40" {
		t.Fatalf("total %s (format %+v)", got, res.Format)
	}
	k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Month, Period: "2024-01"}
	if m := res.Delta[k]; m == nil || m.Units.String() != "1000" {
		t.Fatalf("units %+v (format %+v)", m, res.Format)
	}
	if res.Format.Decimal["Umsatz"] != "," || res.Format.Decimal["Menge"] != ", (assumed)" || res.Format.DateOrder != notation.OrderDMY {
		t.Fatalf("format %+v", res.Format)
	}
	// A comma file whose amounts use a decimal comma (quoted).
	res, rej := mustParse(t, "date,amount\n2024-01-01,\"12,50\"\n2024-01-02,\"1.000,25\"\n2024-01-03,\"3.5\"\n", Options{})
	if got := revenueBy(res, dimension.Total)[dimension.TotalValue]; got != "1012.75" || len(rej) != 1 || !errors.Is(rej[0].Err, notation.ErrBadAmount) || !strings.Contains(rej[0].Err.Error(), "decimal comma") {
		t.Fatalf("total %s, rejects %v", got, rej)
	}
}

func TestNoHeaderWithPositions(t *testing.T) {
	text := "00004 0001 19970101  2   29.33\r\n00004 0001 19970118  2   29.73\r\n00018 0002 19970102  2   40.00\r\n"
	opt := Options{NoHeader: true, Mapping: map[string]string{"customer_id": "#2", "date": "#3", "quantity": "#4", "amount": "#5"}}
	res, _ := mustParse(t, text, opt)
	if res.Rows != 3 || revenueBy(res, dimension.Total)[dimension.TotalValue] != "99.06" {
		t.Fatalf("rows %d, revenue %v", res.Rows, revenueBy(res, dimension.Total))
	}
	if ps := purchases(t, res); len(ps) != 3 || ps[0].Customer != "0001" {
		t.Fatalf("purchases %v", ps)
	}
}

func TestSameDayWrittenTwoWays(t *testing.T) {
	res, _ := mustParse(t, "date,customer,amount,segment\n2024-03-04,c1,1,A\n3/4/2024,c1,2,B\n2024-03-04,c1,4,C\n", Options{})
	ps := purchases(t, res)
	if len(ps) != 1 || ps[0].Lines != 3 || ps[0].Revenue != "7" || ps[0].Attrs[dimension.Segment] != "C" || ps[0].Orders != 3 {
		t.Fatalf("purchases %+v", ps)
	}
	k := aggregate.Key{Dim: dimension.Total, Value: dimension.TotalValue, Grain: aggregate.Day, Period: "2024-03-04"}
	if m := res.Delta[k]; m == nil || m.Lines != 3 || len(res.Delta) != 2+2*3 {
		t.Fatalf("day %+v, %d keys", m, len(res.Delta))
	}
}

func TestPreambleBeforeHeader(t *testing.T) {
	text := "Sales report\nExported 2024-02-01\n\nDate,Amount\n2024-01-01,5\n"
	res, _ := mustParse(t, text, Options{})
	if res.Format.HeaderLine != 4 || res.Rows != 1 {
		t.Fatalf("header line %d, rows %d", res.Format.HeaderLine, res.Rows)
	}
}

func TestPhysicalLineNumbers(t *testing.T) {
	text := "Date,Note,Amount\r\n" +
		"2024-01-01,\"two\r\nlines\",1\r\n" +
		"\r\n" +
		"2024-01-02,\"three\nlines\nhere\",x\r\n" +
		"2024-01-03,plain,y\r\n"
	_, rej := mustParse(t, text, Options{})
	if len(rej) != 2 || rej[0].Line != 5 || rej[1].Line != 8 {
		t.Fatalf("rejects %v", rej)
	}
}

func TestEncodings(t *testing.T) {
	text := "Date,Segment,Amount\n2024-01-01,Café,1.50\n2024-01-02,Ünïcode,2\n"
	utf16 := func(s string, big bool) []byte {
		var b bytes.Buffer
		for _, r := range s {
			if big {
				b.Write([]byte{byte(r >> 8), byte(r)})
			} else {
				b.Write([]byte{byte(r), byte(r >> 8)})
			}
		}
		return b.Bytes()
	}
	latin := strings.NewReplacer("é", "\xe9", "Ü", "\xdc", "ï", "\xef").Replace(text)
	cases := []struct {
		name, enc string
		data      []byte
	}{
		{"utf-8", "utf-8", []byte(text)},
		{"utf-8 BOM", "utf-8-bom", append([]byte("\xef\xbb\xbf"), text...)},
		{"utf-16le BOM", "utf-16le", append([]byte{0xff, 0xfe}, utf16(text, false)...)},
		{"utf-16be BOM", "utf-16be", append([]byte{0xfe, 0xff}, utf16(text, true)...)},
		{"utf-16le without BOM", "utf-16le (no BOM)", utf16(text, false)},
		{"utf-16be without BOM", "utf-16be (no BOM)", utf16(text, true)},
		{"windows-1252", "windows-1252", []byte(latin)},
		{"windows-1252 curly quotes", "windows-1252", []byte(strings.Replace(latin, "Caf\xe9", "\x93Caf\xe9\x94", 1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rej rejectList
			res, err := Parse(bytes.NewReader(c.data), c.name, &rej)
			if err != nil {
				t.Fatal(err)
			}
			if res.Format.Encoding != c.enc || res.Accepted != 2 {
				t.Fatalf("encoding %q, accepted %d, rejects %v", res.Format.Encoding, res.Accepted, rej)
			}
			got := slices.Sorted(maps.Keys(revenueBy(res, dimension.Segment)))
			want := []string{"Café", "Ünïcode"}
			if strings.Contains(c.name, "curly") {
				want = []string{"Ünïcode", "“Café”"}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("segments %q, want %q", got, want)
			}
		})
	}
}

func TestClassicMacLineEnds(t *testing.T) {
	res, rej := mustParse(t, "Date,Amount\r2024-01-01,5\r2024-01-02,x\r", Options{})
	if res.Accepted != 1 || len(rej) != 1 || rej[0].Line != 3 || res.Format.LineEnd != "CR" {
		t.Fatalf("accepted %d, rejects %v, format %+v", res.Accepted, rej, res.Format)
	}
}

func TestRejectWriterErrorAborts(t *testing.T) {
	boom := errors.New("disk full")
	_, err := Parse(strings.NewReader("date,amount\n2024-01-01,x\n"), "f", rejectFunc(func(*RowError) error { return boom }))
	if !errors.Is(err, boom) || errors.Is(err, ErrUnreadable) {
		t.Fatalf("err %v", err)
	}
}

type rejectFunc func(*RowError) error

func (f rejectFunc) Reject(e *RowError) error { return f(e) }

// slowReader returns one byte per Read, to exercise buffering.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 1)]) }

func TestByteAtATimeReader(t *testing.T) {
	text := "Date,Amount\n2024-01-01,\"1,000.50\"\n2024-01-02,2\n"
	res, err := Parse(slowReader{strings.NewReader(text)}, "slow", discardRejects{})
	if err != nil || res.Accepted != 2 {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestParseCustomers(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		opt     Options
		want    map[string]map[dimension.Dimension]string
		dups    int64
		rejects int
		wantErr error
	}{
		{"employees make the size", "account,sector,employees,revenue\nA,retail,12,5000000000\nB,,\"1,500\",1\n", Options{},
			map[string]map[dimension.Dimension]string{"A": {dimension.Industry: "Retail", dimension.Size: "Small"}, "B": {dimension.Size: "Enterprise"}}, 0, 0, nil},
		{"revenue makes the size", "Customer ID,Annual Revenue,Region\nA,\"2,500,000\",EU\nA,60000000,US\n,1,x\n", Options{},
			map[string]map[dimension.Dimension]string{"A": {dimension.Size: "Large", dimension.Region: "US"}}, 1, 1, nil},
		{"a size column wins", "client,company size,employees\nA,SMB,5000\n", Options{},
			map[string]map[dimension.Dimension]string{"A": {dimension.Size: "SMB"}}, 0, 0, nil},
		{"mapping", "id,kind\nA,x\n", Options{Mapping: map[string]string{"customer_id": "id", "segment": "kind"}},
			map[string]map[dimension.Dimension]string{"A": {dimension.Segment: "x"}}, 0, 0, nil},
		{"no customer id", "sector,employees\nretail,5\n", Options{}, nil, 0, 0, ErrMissingColumn},
		{"no attribute", "account,notes\nA,x\n", Options{}, nil, 0, 0, ErrMissingColumn},
		{"header only", "account,sector\n", Options{}, nil, 0, 0, ErrUnreadable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rej rejectList
			cs, err := ParseCustomers(strings.NewReader(c.text), c.name, &rej, c.opt)
			if c.wantErr != nil {
				if cs != nil || !errors.Is(err, c.wantErr) {
					t.Fatalf("err %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(cs.Attrs) != fmt.Sprint(c.want) || cs.Duplicates != c.dups || len(rej) != c.rejects {
				t.Fatalf("attrs %v dups %d rejects %v; want %v %d %d", cs.Attrs, cs.Duplicates, rej, c.want, c.dups, c.rejects)
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrorsAreNotFileErrors(t *testing.T) {
	netErr := errors.New("connection reset by peer")
	body := "date,amount\n" + strings.Repeat("2024-01-01,1\n", 100000)
	zipped := gz(t, []byte(body))
	for name, data := range map[string][]byte{"text": []byte(body), "gzip": zipped[:len(zipped)/2],
		"xlsx": xlsxBytes(t, []string{"S"}, map[string][][]any{"S": {{"date", "amount"}}})[:200]} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(&failingReader{data: data, err: netErr}, name, discardRejects{})
			if !errors.Is(err, netErr) || errors.Is(err, ErrUnreadable) {
				t.Fatalf("err %v: want the read error, not ErrUnreadable", err)
			}
		})
	}
}
func TestExcelPrecision(t *testing.T) {
	cases := map[string]string{
		"261.95999999999998":  "261.96",
		"0.30000000000000004": "0.3",
		"12.5":                "12.5",
		"123456789012345678":  "1.23456789012346e+17",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := string(excelPrecision([]byte(in))); got != want {
				t.Fatalf("excelPrecision(%s) = %s, want %s", in, got, want)
			}
		})
	}
}
