package analytics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/clv"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// fakePredictor returns canned predictions.
type fakePredictor struct {
	preds []Prediction
	err   error
	calls int
}

func (f *fakePredictor) Predict(_ context.Context, b *Base) ([]Prediction, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return append([]Prediction(nil), f.preds...), nil
}

// quadrantBase has four customers a–d with sizes.
func quadrantBase(tb testing.TB) *Base {
	var ps []history.Purchase
	for _, c := range []struct{ id, size string }{{"a", "1000+"}, {"b", "11-50"}, {"c", "Enterprise"}, {"d", ""}} {
		ps = append(ps, history.Purchase{Customer: c.id, Day: mustDay(tb, "2020-01-01"), Orders: 1, Lines: 1, Revenue: "10", Attrs: attrs("size", c.size)})
	}
	return build(tb, ps)
}

func quadrantsOf(b *Base, res QuadrantResult) string {
	var parts []string
	for i := range b.Customers {
		parts = append(parts, b.Customers[i].ID+":"+res.Group(i))
	}
	return strings.Join(parts, " ")
}

func TestQuadrants(t *testing.T) {
	// Expected purchases 1..4, P(alive) falling, expected spend 40, 10,
	// 30, 20; CLV, which potential no longer uses, the other way round.
	preds := []Prediction{
		{PAlive: 0.9, ExpectedPurchases: 1, ExpectedSpend: 40, CLV: 20},
		{PAlive: 0.8, ExpectedPurchases: 2, ExpectedSpend: 10, CLV: 30},
		{PAlive: 0.7, ExpectedPurchases: 3, ExpectedSpend: 30, CLV: 10},
		{PAlive: 0.6, ExpectedPurchases: 4, ExpectedSpend: 20, CLV: 40},
	}
	three := 3.0
	for _, tc := range []struct {
		name          string
		cfg           QuadrantConfig
		want          string
		wantPropT     float64
		wantPotential string
	}{
		// Median of 1..4 is 2 (values above it are high); of spend, 20.
		{"defaults: expected purchases × spend at the median", QuadrantConfig{},
			"a:Nurture b:Deprioritize c:Prioritize d:Monitor", 2, "[40 10 30 20]"},
		{"P(alive) × spend", QuadrantConfig{Propensity: ProbAliveBasis},
			"a:Prioritize b:Monitor c:Nurture d:Deprioritize", 0.7, "[40 10 30 20]"},
		// Sizes by leading number: a 1000, b 11, c and d unscored (low).
		{"size by leading number", QuadrantConfig{Potential: SizeBasis},
			"a:Nurture b:Deprioritize c:Monitor d:Monitor", 2, "[1000 11 NaN NaN]"},
		{"size by table", QuadrantConfig{Potential: SizeBasis, SizeScores: map[string]float64{"ENTERPRISE": 3, "11-50": 1, "1000+": 2}},
			"a:Deprioritize b:Deprioritize c:Prioritize d:Monitor", 2, "[2 1 3 NaN]"},
		{"fixed propensity threshold and upper-quartile potential",
			QuadrantConfig{PropensitySplit: Split{Threshold: &three}, PotentialSplit: Split{Quantile: 0.75}},
			"a:Nurture b:Deprioritize c:Deprioritize d:Monitor", 3, "[40 10 30 20]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := quadrantBase(t)
			p := &fakePredictor{preds: preds}
			res, err := Quadrants(context.Background(), b, p, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := quadrantsOf(b, res); got != tc.want {
				t.Errorf("quadrants %s, want %s", got, tc.want)
			}
			if res.PropensityThreshold != tc.wantPropT || fmt.Sprint(res.Potential) != tc.wantPotential || p.calls != 1 {
				t.Errorf("propensity threshold %v, potential %v, %d calls", res.PropensityThreshold, res.Potential, p.calls)
			}
		})
	}
	t.Run("upper quartile of spend is 30", func(t *testing.T) {
		res, err := Quadrants(context.Background(), quadrantBase(t), &fakePredictor{preds: preds}, QuadrantConfig{PotentialSplit: Split{Quantile: 0.75}})
		if err != nil || res.PotentialThreshold != 30 {
			t.Errorf("threshold %v, %v", res.PotentialThreshold, err)
		}
	})
	t.Run("counts per segment", func(t *testing.T) {
		b := quadrantBase(t)
		res, err := Quadrants(context.Background(), b, &fakePredictor{preds: preds}, QuadrantConfig{})
		if err != nil {
			t.Fatal(err)
		}
		sums, err := res.Summarize(b, dimension.Size)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(renderSummaries(sums))
		if !strings.Contains(got, "(blank) 1 10: Prioritize 0 0 0.000 0.000 | Nurture 0 0 0.000 0.000 | Monitor 1 10 1.000 1.000") || len(sums) != 4 {
			t.Errorf("summaries %s", got)
		}
	})
}

func TestQuadrantsErrors(t *testing.T) {
	good := []Prediction{{ExpectedPurchases: 1, CLV: 1}, {}, {}, {}}
	boom := errors.New("model exploded")
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		p    Predictor
		cfg  QuadrantConfig
		want error
	}{
		{"nil predictor", nil, QuadrantConfig{}, ErrInvalidConfig},
		{"unknown propensity", &fakePredictor{preds: good}, QuadrantConfig{Propensity: "vibes"}, ErrInvalidConfig},
		{"unknown potential", &fakePredictor{preds: good}, QuadrantConfig{Potential: "vibes"}, ErrInvalidConfig},
		{"quantile 1", &fakePredictor{preds: good}, QuadrantConfig{PropensitySplit: Split{Quantile: 1}}, ErrInvalidConfig},
		{"negative quantile", &fakePredictor{preds: good}, QuadrantConfig{PotentialSplit: Split{Quantile: -0.5}}, ErrInvalidConfig},
		{"NaN threshold", &fakePredictor{preds: good}, QuadrantConfig{PotentialSplit: Split{Threshold: &nan}}, ErrInvalidConfig},
		{"predictor fails", &fakePredictor{err: boom}, QuadrantConfig{}, boom},
		{"predictor fails is ErrPrediction", &fakePredictor{err: boom}, QuadrantConfig{}, ErrPrediction},
		{"too few predictions", &fakePredictor{preds: good[:3]}, QuadrantConfig{}, ErrMismatch},
		{"NaN propensity", &fakePredictor{preds: []Prediction{{ExpectedPurchases: nan}, {}, {}, {}}}, QuadrantConfig{}, ErrPrediction},
		{"infinite expected spend", &fakePredictor{preds: []Prediction{{ExpectedSpend: math.Inf(1)}, {}, {}, {}}}, QuadrantConfig{}, ErrPrediction},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Quadrants(context.Background(), quadrantBase(t), tc.p, tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("Quadrants = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("infinite expected spend is fine when potential is size", func(t *testing.T) {
		p := &fakePredictor{preds: []Prediction{{ExpectedSpend: math.Inf(1)}, {}, {}, {}}}
		if _, err := Quadrants(context.Background(), quadrantBase(t), p, QuadrantConfig{Potential: SizeBasis}); err != nil {
			t.Error(err)
		}
	})
}

// cdnowBase folds the CDNOW 1/10 cohort's transactions up to the end of the
// papers' 39-week calibration period, 1997-09-30.
func cdnowBase(tb testing.TB) *Base {
	tb.Helper()
	return cdnowFileBase(tb, "CDNOW_sample.txt", "1997-09-30")
}

// cdnowFileBase folds the transactions of a CDNOW file (customer id, day
// as YYYYMMDD, CDs, dollars) up to the day through.
func cdnowFileBase(tb testing.TB, name, through string) *Base {
	tb.Helper()
	data, err := os.ReadFile(shareddata.Path(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	b := NewBuilder()
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "customer_id" {
			continue
		}
		id, day := f[0], f[1]
		if len(f) == 5 { // the sample has a master id before the cohort id
			id, day = f[1], f[2]
		}
		day = day[0:4] + "-" + day[4:6] + "-" + day[6:8]
		if day > through {
			continue
		}
		if err := b.Add(history.Purchase{Customer: id, Day: mustDay(tb, day), Orders: 1, Lines: 1, Revenue: f[len(f)-1]}); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Build()
}

func TestCLVCustomersMatchPublishedSummary(t *testing.T) {
	b := cdnowBase(t)
	if b.Len() != 2357 {
		t.Fatalf("%d customers, want 2357", b.Len())
	}
	cs, err := CLVCustomers(b, mustDay(t, "1997-09-30"), 7)
	if err != nil {
		t.Fatal(err)
	}
	_, recs := readCSV(t, "cdnow_customers_summary_with_transactions.csv")
	round2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	for _, r := range recs {
		i, ok := b.Index(fmt.Sprintf("%04s", r[0]))
		if !ok {
			t.Fatalf("customer %s missing", r[0])
		}
		c := cs[i]
		got := fmt.Sprintf("%d,%.2f,%.2f", c.X, round2(c.Tx), round2(c.T))
		// The file writes 0.0 and 22.3 for 0.00 and 22.30.
		var x int
		var tx, tt, z float64
		if _, err := fmt.Sscanf(strings.Join(r[1:], ","), "%d,%g,%g,%g", &x, &tx, &tt, &z); err != nil {
			t.Fatal(err)
		}
		// zbar is rounded half up from exact cents (32.535 → 32.54), which
		// the float mean may sit just below: compare within half a cent.
		if want := fmt.Sprintf("%d,%.2f,%.2f", x, tx, tt); got != want || math.Abs(c.MeanSpend-z) > 0.005+1e-9 {
			t.Errorf("customer %s: x,tx,T,zbar = %s,%.4f; published %s,%.2f", r[0], got, c.MeanSpend, want, z)
		}
	}
	t.Run("errors", func(t *testing.T) {
		if _, err := CLVCustomers(b, mustDay(t, "1997-09-29"), 7); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("as of before the last purchase: %v", err)
		}
		if _, err := CLVCustomers(b, mustDay(t, "1997-09-30"), 0); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("zero unit: %v", err)
		}
	})
}

func TestFitCLVReproducesCDNOW(t *testing.T) {
	b := cdnowBase(t)
	fit, err := FitCLV(context.Background(), b, CLVConfig{AsOf: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC), UnitDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	m := fit.Model
	t.Logf("BG/NBD %+v, Gamma-Gamma %+v, status %s: %s", m.Purchases, m.Spend, fit.Status, fit.Reason)
	// Fader, Hardie & Lee (2005): r 0.243, α 4.414, a 0.793, b 2.426;
	// Gamma-Gamma p 6.25, q 3.74, γ 15.44 on 946 repeat buyers.
	for _, c := range []struct {
		name      string
		got, want float64
		decimals  float64
	}{
		{"r", m.Purchases.R, 0.243, 3}, {"alpha", m.Purchases.Alpha, 4.414, 3},
		{"a", m.Purchases.A, 0.793, 3}, {"b", m.Purchases.B, 2.426, 3},
		{"p", m.Spend.P, 6.25, 2}, {"q", m.Spend.Q, 3.74, 2}, {"gamma", m.Spend.Gamma, 15.44, 2},
	} {
		p := math.Pow(10, c.decimals)
		if math.Round(c.got*p)/p != c.want {
			t.Errorf("%s = %.5f, published %v", c.name, c.got, c.want)
		}
	}
	if fit.SpendInfo.Customers != 946 || fit.PurchasesInfo.Customers != 2357 {
		t.Errorf("fitted on %d and %d customers", fit.PurchasesInfo.Customers, fit.SpendInfo.Customers)
	}
	t.Run("predictions", func(t *testing.T) {
		// The papers' 39-week forecast for x = 2, tₓ = 30.43, T = 38.86 is
		// 1.226 purchases: customer 0001 has exactly that history.
		m.Horizon = clv.Horizon{Periods: 1, PeriodLength: 39}
		preds, err := m.Predict(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		i, _ := b.Index("0001")
		if got := math.Round(preds[i].ExpectedPurchases*1000) / 1000; got != 1.226 {
			t.Errorf("E[Y(39)] of customer 0001 = %.5f, published 1.226", preds[i].ExpectedPurchases)
		}
		res, err := Quadrants(context.Background(), b, m, QuadrantConfig{})
		if err != nil {
			t.Fatal(err)
		}
		sums, err := res.Summarize(b, dimension.Total)
		if err != nil {
			t.Fatal(err)
		}
		var n, diagonal int64
		for _, g := range sums[0].Groups {
			n += g.Customers
			if g.Group == Prioritize || g.Group == Deprioritize {
				diagonal += g.Customers
			}
			t.Logf("%s: %d customers, %s revenue", g.Group, g.Customers, g.Revenue)
		}
		if n != 2357 {
			t.Errorf("quadrants hold %d customers", n)
		}
		// With CLV as potential, 2,199 of the 2,357 customers were on the
		// diagonal (Prioritize or Deprioritize): CLV contains the expected
		// purchases that propensity ranks by. Expected spend per purchase
		// does not, so the off-diagonal quadrants fill.
		t.Logf("%d of %d customers on the diagonal", diagonal, n)
		if diagonal > n*3/4 {
			t.Errorf("%d of %d customers on the diagonal", diagonal, n)
		}
		fc, err := Forecast(b, preds, dimension.Total)
		if err != nil || len(fc) != 1 || !(fc[0].ProjectedRevenue > 0) || fc[0].Customers != 2357 {
			t.Errorf("forecast %+v, %v", fc, err)
		}
	})
}

func TestCLVModelPredict(t *testing.T) {
	// A repeat buyer whose repeat day is a return gets no CLV, others do.
	b := build(t, []history.Purchase{
		{Customer: "returner", Day: mustDay(t, "2020-01-01"), Revenue: "100"},
		{Customer: "returner", Day: mustDay(t, "2020-02-01"), Revenue: "-100"},
		{Customer: "repeat", Day: mustDay(t, "2020-01-01"), Revenue: "20"},
		{Customer: "repeat", Day: mustDay(t, "2020-03-01"), Revenue: "30"},
		{Customer: "once", Day: mustDay(t, "2020-01-15"), Revenue: "10"},
	})
	m := CLVModel{
		Purchases: clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426},
		Spend:     clv.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44},
		Horizon:   clv.Horizon{Periods: 12, PeriodLength: 52.0 / 12},
		AsOf:      mustDay(t, "2020-06-30"),
		UnitDays:  7,
	}
	preds, err := m.Predict(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range b.Customers {
		p := preds[i]
		ok := p.PAlive > 0 && p.PAlive <= 1 && p.ExpectedPurchases > 0 && (p.CLV > 0) == (c.ID != "returner")
		if !ok {
			t.Errorf("%s: %+v", c.ID, p)
		}
	}
	if i, _ := b.Index("once"); preds[i].PAlive != 1 {
		t.Errorf("P(alive) of a one-time buyer is %v, BG/NBD says 1", preds[i].PAlive)
	}
	m.AsOf = mustDay(t, "2020-02-01")
	if _, err := m.Predict(context.Background(), b); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("as of before the last purchase: %v", err)
	}
	m.AsOf, m.Purchases = mustDay(t, "2020-06-30"), clv.BGNBD{}
	if _, err := m.Predict(context.Background(), b); !errors.Is(err, clv.ErrInvalidParams) {
		t.Errorf("unfitted model: %v", err)
	}
	if _, err := Forecast(b, preds[:1], dimension.Total); !errors.Is(err, ErrMismatch) {
		t.Errorf("Forecast with too few predictions: %v", err)
	}
	t.Run("fit errors", func(t *testing.T) {
		if _, err := FitCLV(context.Background(), &Base{}, CLVConfig{}); !errors.Is(err, clv.ErrNoData) {
			t.Errorf("empty base: %v", err)
		}
		once := build(t, []history.Purchase{{Customer: "a", Day: mustDay(t, "2020-01-01"), Revenue: "1"}, {Customer: "b", Day: mustDay(t, "2020-01-02"), Revenue: "1"}})
		if fit, err := FitCLV(context.Background(), once, CLVConfig{}); err != nil || fit.Status != CLVTooLittleData || fit.Trusted() {
			t.Errorf("no repeat buyers: %+v, %v", fit, err)
		}
		if _, err := FitCLV(context.Background(), once, CLVConfig{Horizon: clv.Horizon{Periods: -1}}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("bad horizon: %v", err)
		}
	})
}

func TestQuadrantsSuperstoreWithCLV(t *testing.T) {
	b := build(t, toPurchases(t, superstoreRows(t), 1))
	fit, err := FitCLV(context.Background(), b, CLVConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BG/NBD %+v, Gamma-Gamma %+v, status %s: %s", fit.Model.Purchases, fit.Model.Spend, fit.Status, fit.Reason)
	res, err := Quadrants(context.Background(), b, fit.Model, QuadrantConfig{})
	if err != nil {
		t.Fatal(err)
	}
	sums, err := res.Summarize(b, dimension.Segment)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	high := [2]int{}
	for i := range b.Customers {
		if res.Propensity[i] > res.PropensityThreshold {
			high[0]++
		}
		if res.Potential[i] > res.PotentialThreshold {
			high[1]++
		}
	}
	for _, s := range sums {
		n += s.Customers
	}
	if n != 793 {
		t.Errorf("quadrants hold %d customers, want 793", n)
	}
	// With continuous predictions the median splits each axis in half.
	for k, h := range high {
		if h < 390 || h > 397 {
			t.Errorf("axis %d: %d high customers of 793", k, h)
		}
	}
}

// TestFitCLVJudgesRealData checks that FitCLV tells a fit it can present
// from one it cannot, on the shared data sets: CDNOW fits, Superstore's
// BG/NBD estimate lies on the boundary (a ≈ 5e-9: nobody ever drops out,
// every customer 100% alive), as does the Online Retail sample's, and
// CDNOW's first ten days, with a handful of repeat buyers, have too little
// signal.
func TestFitCLVJudgesRealData(t *testing.T) {
	superstore := build(t, toPurchases(t, superstoreRows(t), 1))
	for _, tc := range []struct {
		name   string
		base   *Base
		status CLVStatus
		reason []string
	}{
		{"CDNOW", cdnowBase(t), CLVFitted, nil},
		{"Superstore", superstore, CLVDegenerate, []string{"BG/NBD", "edge of the parameter range", "nobody ever stops buying", "withheld"}},
		{"Online Retail sample", build(t, toPurchases(t, onlineRetailRows(t), 1)), CLVDegenerate, []string{"nobody ever stops buying"}},
		{"CDNOW, first ten days", cdnowFileBase(t, "CDNOW_sample.txt", "1997-01-10"), CLVTooLittleData, []string{"bought on more than one day", "no CLV"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fit, err := FitCLV(context.Background(), tc.base, CLVConfig{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d of %d repeat buyers; %s: %s", fit.RepeatBuyers, tc.base.Len(), fit.Status, fit.Reason)
			if fit.Status != tc.status || fit.Trusted() != (tc.status == CLVFitted) || (fit.Reason == "") != (tc.status == CLVFitted) {
				t.Fatalf("status %q, reason %q; want %q", fit.Status, fit.Reason, tc.status)
			}
			for _, w := range tc.reason {
				if !strings.Contains(fit.Reason, w) {
					t.Errorf("reason %q does not say %q", fit.Reason, w)
				}
			}
		})
	}
}

func TestCLVModelProbAliveAt(t *testing.T) {
	b := cdnowBase(t)
	fit, err := FitCLV(context.Background(), b, CLVConfig{AsOf: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC), UnitDays: 7})
	if err != nil || !fit.Trusted() {
		t.Fatal(fit.Reason, err)
	}
	i, _ := b.Index("0001") // x = 2, tₓ = 30.43, T = 38.86 weeks
	c := &b.Customers[i]
	now, err := fit.Model.ProbAliveAt(c, mustDay(t, "1997-09-30"))
	if err != nil {
		t.Fatal(err)
	}
	later, err := fit.Model.ProbAliveAt(c, mustDay(t, "1998-09-30"))
	if err != nil {
		t.Fatal(err)
	}
	want := fit.Model.Purchases.ProbAliveAt(clv.Customer{X: 2, Tx: 213.0 / 7, T: 272.0 / 7}, 365.0/7)
	if now != fit.Model.Purchases.ProbAlive(clv.Customer{X: 2, Tx: 213.0 / 7, T: 272.0 / 7}) || math.Abs(later-want) > 1e-12 || !(later < now) {
		t.Errorf("P(alive) of 0001 now %v, a year on %v (want %v)", now, later, want)
	}
	if _, err := fit.Model.ProbAliveAt(c, mustDay(t, "1997-09-29")); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a day before the as-of day: %v", err)
	}
}
