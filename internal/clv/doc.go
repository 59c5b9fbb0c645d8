// Package clv estimates customer lifetime value from each customer's purchase
// history summary, with the two standard "buy till you die" models fitted by
// maximum likelihood:
//
//   - BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy
//     way") for the number of repeat purchases: while alive a customer buys
//     at a Poisson rate λ ~ Gamma(r, α) and after every repeat purchase drops
//     out for good with probability p ~ Beta(a, b). Its inputs are the
//     frequency x (repeat purchases), recency tₓ (time of the last purchase
//     since the first) and age T (time since the first purchase), all in one
//     time unit of the caller's choice; α and every prediction horizon are in
//     that unit.
//   - Gamma-Gamma (Colombo & Jiang 1999; Fader, Hardie & Lee 2005, "RFM and
//     CLV: using iso-value curves") for the mean value of a customer's
//     repeat transactions: each transaction value is Gamma(p, ν) and the
//     customer's ν ~ Gamma(q, γ). It assumes spend is independent of
//     purchase frequency.
//
// CLV combines them: discounted expected purchases over a horizon (from the
// BG/NBD conditional expectation, period by period) times the customer's
// conditional expected spend per purchase. The result is revenue; multiply
// by a margin for profit.
//
// Fits work on the log of every parameter, with time and money rescaled
// internally so that the optimizer sees quantities of order one whatever
// units the caller uses; likelihoods and estimates are reported in the
// caller's units. Customers with identical summaries are aggregated, so a
// fit's cost grows with distinct summaries rather than customers.
//
// Errors are the sentinels in this package, wrapped with context: bad input
// (ErrNoData, ErrInvalidCustomer, ErrInvalidParams), data that cannot
// identify a model (ErrNoRepeatBuyers, ErrBoundary) and optimizer failure
// (ErrNotConverged). Prediction methods on a valid model never return NaN or
// ±Inf for valid customers (with the documented exception of infinite mean
// spend when the Gamma-Gamma q ≤ 1); for invalid customers they return NaN.
package clv
