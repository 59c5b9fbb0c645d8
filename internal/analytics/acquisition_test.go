package analytics

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/period"
)

// acquisitionBase is four customers: A and B (Consumer) first buy in
// January 2017, C (Corporate) in February, D (Consumer) in December 2016;
// the data ends in March 2017. cost "" is a purchase without a cost.
func acquisitionBase(t *testing.T, bCost string) *Base {
	t.Helper()
	b := NewBuilder()
	for _, p := range []struct{ c, day, rev, cost, seg string }{
		{"A", "2017-01-05", "100", "60", "Consumer"},
		{"A", "2017-03-10", "50", "30", "Consumer"},
		{"B", "2017-01-20", "40", bCost, "Consumer"},
		{"C", "2017-02-01", "10", "5", "Corporate"},
		{"D", "2016-12-30", "5", "1", "Consumer"},
	} {
		day, err := period.ParseDate(p.day)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(history.Purchase{Customer: p.c, Day: day, Orders: 1, Lines: 1, Revenue: p.rev, Cost: p.cost,
			Attrs: map[dimension.Dimension]string{dimension.Segment: p.seg}}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// acquisitionSpend is synthetic spend: Consumer in January (a month and a
// day), the first quarter for Consumer (longer than a month), January for
// no segment, and February for a segment no customer has.
var acquisitionSpend = []history.Spend{
	{Period: "2017-01", Amount: "90", Segment: "Consumer"},
	{Period: "2017-01-15", Amount: "10", Segment: "Consumer", Channel: "Search"},
	{Period: "2017-Q1", Amount: "60", Segment: "Consumer"},
	{Period: "2017-01", Amount: "30"},
	{Period: "2017-02", Amount: "10", Segment: "Retail"},
}

// renderAcquisition prints an Acquisition's rows and spend apart in one
// line each, nil figures as "-".
func renderAcquisition(a Acquisition) string {
	show := func(v any) string {
		switch x := v.(type) {
		case *Amount:
			if x == nil {
				return "-"
			}
			return fmt.Sprintf("%.2f", float64(*x))
		case *Ratio:
			if x == nil {
				return "-"
			}
			return fmt.Sprintf("%.4f", float64(*x))
		}
		return fmt.Sprint(v)
	}
	var lines []string
	for _, r := range a.Rows {
		lines = append(lines, fmt.Sprintf("%s %s spend=%s new=%d matched=%v cac=%s margin=%s/%d payback=%s clv=%s clv:cac=%s conv=%d/%d=%s",
			r.Value, r.Period, r.Spend, r.NewCustomers, r.Matched, show(r.CAC), r.FirstYearMargin, r.ObservedMonths, show(r.PaybackMonths),
			show(r.MeanCLV), show(r.CLVToCAC), r.Converted, r.ProspectsAtStart, show(r.Conversion)))
	}
	for _, s := range a.Unattributed {
		lines = append(lines, "unattributed "+s.Period+" "+s.Spend.String())
	}
	for _, s := range a.Unplaced {
		lines = append(lines, "unplaced "+s.Period+" "+s.Spend.String())
	}
	return a.PaybackBasis + "\n" + strings.Join(lines, "\n")
}

func TestAcquisition(t *testing.T) {
	clv := []Prediction{{CLV: 100}, {CLV: 20}, {CLV: 7}, {CLV: 1}} // A, B, C, D
	accounts := []Prospect{{ID: "A"}, {ID: "B"}, {ID: "X", Attrs: map[dimension.Dimension]string{dimension.Segment: "Consumer"}}}
	cases := []struct {
		name   string
		bCost  string
		cfg    AcquisitionConfig
		bridge bool
		want   string
	}{
		{"segment by month: CAC, payback on gross margin, CLV:CAC, conversion", "20",
			AcquisitionConfig{Dimension: dimension.Segment, Predictions: clv}, true, `gross_margin
Consumer 2017-01 spend=100 new=2 matched=true cac=50.00 margin=80/6 payback=3.75 clv=60.00 clv:cac=1.2000 conv=2/3=0.6667
Retail 2017-02 spend=10 new=0 matched=false cac=- margin=0/0 payback=- clv=- clv:cac=- conv=0/0=-
unattributed 2017-01 30
unplaced 2017-Q1 60`},
		{"a purchase without cost: payback on revenue; CLV withheld", "",
			AcquisitionConfig{Dimension: dimension.Segment}, false, `revenue
Consumer 2017-01 spend=100 new=2 matched=true cac=50.00 margin=190/6 payback=1.58 clv=- clv:cac=- conv=0/0=-
Retail 2017-02 spend=10 new=0 matched=false cac=- margin=0/0 payback=- clv=- clv:cac=- conv=0/0=-
unattributed 2017-01 30
unplaced 2017-Q1 60`},
		{"segment by quarter: the quarter's spend is placed", "20",
			AcquisitionConfig{Grain: ByQuarter, Dimension: dimension.Segment}, false, `gross_margin
Consumer 2017-Q1 spend=160 new=2 matched=true cac=80.00 margin=80/6 payback=6.00 clv=- clv:cac=- conv=0/0=-
Retail 2017-Q1 spend=10 new=0 matched=false cac=- margin=0/0 payback=- clv=- clv:cac=- conv=0/0=-
unattributed 2017-Q1 30`},
		{"total by month: all spend, every new customer", "20",
			AcquisitionConfig{Predictions: clv}, false, `gross_margin
all 2017-01 spend=130 new=2 matched=true cac=65.00 margin=80/6 payback=4.88 clv=60.00 clv:cac=0.9231
all 2017-02 spend=10 new=1 matched=true cac=10.00 margin=5/2 payback=4.00 clv=7.00 clv:cac=0.7000
unplaced 2017-Q1 60`},
		{"channel by year: spend naming no channel is unattributed", "20",
			AcquisitionConfig{Grain: ByYear, Dimension: dimension.Channel}, false, `gross_margin
Search 2017 spend=10 new=0 matched=false cac=- margin=0/0 payback=- clv=- clv:cac=- conv=0/0=-
unattributed 2017 190`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := acquisitionBase(t, c.bCost)
			if c.bridge {
				rows, err := Bridge(base, BridgeConfig{Grain: c.cfg.Grain, Dimension: c.cfg.Dimension, Prospects: accounts})
				if err != nil {
					t.Fatal(err)
				}
				c.cfg.Bridge = rows
			}
			a, err := NewAcquisition(base, acquisitionSpend, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := renderAcquisition(a)
			// The total rows carry no conversion: no bridge was given.
			got = strings.ReplaceAll(got, " conv=0/0=-", "")
			want := strings.ReplaceAll(c.want, " conv=0/0=-", "")
			if got != want {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
			if len(a.Notes) == 0 || !strings.Contains(strings.Join(a.Notes, " "), "known from the start of the data") {
				t.Errorf("notes %q do not say how accounts are counted", a.Notes)
			}
		})
	}
}

// TestAcquisitionNewCustomersAreTheBridges checks that the new customers
// of every row are the revenue bridge's New for the same period and value.
func TestAcquisitionNewCustomersAreTheBridges(t *testing.T) {
	base := acquisitionBase(t, "20")
	var spend []history.Spend
	for _, m := range []string{"2016-12", "2017-01", "2017-02", "2017-03"} {
		for _, s := range []string{"Consumer", "Corporate"} {
			spend = append(spend, history.Spend{Period: m, Amount: "1", Segment: s})
		}
	}
	a, err := NewAcquisition(base, spend, AcquisitionConfig{Dimension: dimension.Segment})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Bridge(base, BridgeConfig{Dimension: dimension.Segment})
	if err != nil {
		t.Fatal(err)
	}
	newBy := map[string]int64{}
	for _, r := range rows {
		newBy[r.Value+" "+r.Period] = r.New.Customers
	}
	total := int64(0)
	for _, r := range a.Rows {
		if r.NewCustomers != newBy[r.Value+" "+r.Period] {
			t.Errorf("%s %s: %d new customers, the bridge %d", r.Value, r.Period, r.NewCustomers, newBy[r.Value+" "+r.Period])
		}
		total += r.NewCustomers
	}
	if total != int64(base.Len()) {
		t.Fatalf("%d new customers over the rows, %d customers", total, base.Len())
	}
}

func TestAcquisitionErrors(t *testing.T) {
	base := acquisitionBase(t, "20")
	for _, c := range []struct {
		name  string
		spend []history.Spend
		cfg   AcquisitionConfig
		want  error
	}{
		{"a dimension spend does not name", nil, AcquisitionConfig{Dimension: dimension.Region}, ErrInvalidConfig},
		{"an unknown grain", nil, AcquisitionConfig{Grain: "week"}, ErrInvalidConfig},
		{"predictions of another base", nil, AcquisitionConfig{Predictions: []Prediction{{}}}, ErrMismatch},
		{"a period that does not read", []history.Spend{{Period: "March", Amount: "1"}}, AcquisitionConfig{}, ErrInvalidPurchase},
		{"an amount that does not read", []history.Spend{{Period: "2017-01", Amount: "1e3"}}, AcquisitionConfig{}, ErrInvalidPurchase},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewAcquisition(base, c.spend, c.cfg); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}
