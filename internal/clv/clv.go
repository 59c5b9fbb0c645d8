package clv

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Horizon describes the future window over which lifetime value is summed
// and how it is discounted.
type Horizon struct {
	// Periods is the number of future periods, at least 1.
	Periods int
	// PeriodLength is the length of one period in the BG/NBD time unit, for
	// example 52/12 when the model is fitted in weeks and periods are
	// months. It must be finite and positive.
	PeriodLength float64
	// DiscountRate is the discount rate per period (0.01 = 1%), finite and
	// greater than −1; 0 means no discounting. Purchases expected during
	// period k are discounted by (1+DiscountRate)^k, i.e. as if they all
	// happened at the end of the period.
	DiscountRate float64
}

// Validate returns an error wrapping ErrInvalidParams if the horizon is
// malformed (see the field comments).
func (h Horizon) Validate() error {
	if !h.valid() {
		return fmt.Errorf("%w: horizon %+v: need Periods ≥ 1, finite PeriodLength > 0 and finite DiscountRate > −1", ErrInvalidParams, h)
	}
	return nil
}

func (h Horizon) valid() bool {
	return h.Periods >= 1 && positive(h.PeriodLength) && h.DiscountRate > -1 && !math.IsInf(h.DiscountRate, 1)
}

// DiscountedPurchases returns the customer's discounted expected number of
// purchases over the horizon,
//
//	Σ_{k=1..H} (E[Y(kΔ)] − E[Y((k−1)Δ)]) / (1+d)^k,
//
// where E[Y(t)] is ExpectedPurchases, Δ the period length and d the
// discount rate: the expected purchases of each period, discounted to the
// end of the calibration period. It is NaN if the model, customer or
// horizon is invalid.
func (m BGNBD) DiscountedPurchases(c Customer, h Horizon) float64 {
	if !m.valid() || !validCustomer(c) || !h.valid() {
		return math.NaN()
	}
	_, discounted := m.horizonPurchases(c, h)
	return discounted
}

// horizonPurchases returns E[Y(HΔ)] and the discounted sum for a valid
// model, customer and horizon. P(alive) is a common factor of every
// E[Y(t)], so it is applied once to the sums.
func (m BGNBD) horizonPurchases(c Customer, h Horizon) (total, discounted float64) {
	x := float64(c.X)
	n, beta, bb := m.R+x, m.Alpha+c.T, m.B+x
	prev := 0.0
	factor := 1.0
	growth := 1 / (1 + h.DiscountRate)
	for k := 1; k <= h.Periods; k++ {
		cur := expectedCount(n, beta, m.A, bb, float64(k)*h.PeriodLength)
		factor *= growth
		// G is increasing in t, so the difference is a period's expected
		// purchases; max guards against rounding making it negative.
		discounted += factor * math.Max(cur-prev, 0)
		prev = cur
	}
	alive := m.ProbAlive(c)
	return alive * prev, alive * discounted
}

// CLV returns the customer's expected discounted revenue over the horizon:
// purchases.DiscountedPurchases(c, h) × spend.ExpectedSpend(c). It assumes,
// as the Gamma-Gamma model does, that spend per transaction is independent
// of the purchase process. It is NaN if either model, the customer or the
// horizon is invalid, and +Inf when the expected spend is infinite (see
// GammaGamma.ExpectedSpend).
func CLV(purchases BGNBD, spend GammaGamma, c Customer, h Horizon) float64 {
	return revenue(purchases.DiscountedPurchases(c, h), spend.ExpectedSpend(c))
}

// revenue multiplies purchases by spend, defining 0 purchases × infinite
// mean spend as 0 rather than NaN.
func revenue(purchases, spend float64) float64 {
	if purchases == 0 {
		return 0
	}
	return purchases * spend
}

// Valuation holds one customer's predictions over a horizon.
type Valuation struct {
	// ProbAlive is P(alive at T | x, tₓ, T).
	ProbAlive float64
	// ExpectedPurchases is the undiscounted E[Y(H·Δ) | x, tₓ, T].
	ExpectedPurchases float64
	// DiscountedPurchases is the discounted expected number of purchases
	// (see BGNBD.DiscountedPurchases).
	DiscountedPurchases float64
	// ExpectedSpend is E[M | x, mₓ] per future transaction.
	ExpectedSpend float64
	// CLV is DiscountedPurchases × ExpectedSpend.
	CLV float64
}

// Value computes a Valuation for every customer, in order, spreading the
// work over GOMAXPROCS goroutines and computing identical customers once.
//
// Errors, all wrapped: ErrInvalidParams if a model or the horizon is
// invalid; ErrInvalidCustomer (naming the index) if a customer fails
// Customer.Validate or Customer.ValidateSpend; ctx's error if ctx ends,
// which is checked between batches of customers. On error the slice is nil.
func Value(ctx context.Context, purchases BGNBD, spend GammaGamma, customers []Customer, h Horizon) ([]Valuation, error) {
	if err := purchases.Validate(); err != nil {
		return nil, fmt.Errorf("value customers: %w", err)
	}
	if err := spend.Validate(); err != nil {
		return nil, fmt.Errorf("value customers: %w", err)
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("value customers: %w", err)
	}
	// Distinct customers first: cohorts summarised at a daily grain share
	// many summaries, and each valuation costs H expectation evaluations.
	index := make(map[Customer]int, len(customers))
	var unique []Customer
	slot := make([]int32, len(customers))
	for i, c := range customers {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("value customers: customer %d: %w", i, err)
		}
		if err := c.ValidateSpend(); err != nil {
			return nil, fmt.Errorf("value customers: customer %d: %w", i, err)
		}
		if c.X == 0 {
			// Recency and spend are ignored without repeat purchases.
			c.Tx, c.MeanSpend = 0, 0
		}
		k, ok := index[c]
		if !ok {
			k = len(unique)
			index[c] = k
			unique = append(unique, c)
		}
		slot[i] = int32(k)
	}
	vals := make([]Valuation, len(unique))
	const batch = 256
	batches := (len(unique) + batch - 1) / batch
	next := make(chan int, batches)
	for b := range batches {
		next <- b
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), batches) {
		wg.Go(func() {
			for b := range next {
				if ctx.Err() != nil {
					return
				}
				for k := b * batch; k < min((b+1)*batch, len(unique)); k++ {
					c := unique[k]
					total, disc := purchases.horizonPurchases(c, h)
					es := spend.ExpectedSpend(c)
					vals[k] = Valuation{
						ProbAlive:           purchases.ProbAlive(c),
						ExpectedPurchases:   total,
						DiscountedPurchases: disc,
						ExpectedSpend:       es,
						CLV:                 revenue(disc, es),
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("value customers: %w", err)
	}
	out := make([]Valuation, len(customers))
	for i, k := range slot {
		out[i] = vals[k]
	}
	return out, nil
}
