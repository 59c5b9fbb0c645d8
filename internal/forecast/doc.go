// Package forecast forecasts a monthly revenue series 1 to 12 months ahead
// with 80% and 95% prediction intervals, choosing between a few classical
// methods by a rolling-origin backtest against the seasonal naive
// benchmark. It is pure computation on float64 slices (oldest month first,
// seasonal period 12) written on gonum: gonum/optimize fits the parameters
// and gonum/stat/distuv gives the normal quantiles.
//
// Methods:
//
//   - Seasonal naive (SeasonalNaive): each month repeats the same month a
//     year earlier; σ̂ is the sample standard deviation of the seasonal
//     differences and the h-step standard error σ̂·√(k+1) with
//     k = ⌊(h−1)/12⌋ full seasons (Hyndman & Athanasopoulos, Forecasting:
//     Principles and Practice, 3rd ed. (fpp3), section 5.5). Naive (last
//     value, σ̂·√h) replaces it for series shorter than 14 months.
//   - ETS with additive errors (FitETS): ETS(A,N,N), (A,A,N), (A,Ad,N),
//     (A,N,A), (A,A,A) and (A,Ad,A) (Hyndman, Koehler, Ord & Snyder 2008,
//     Forecasting with Exponential Smoothing). Each is fitted by maximum
//     likelihood: Nelder–Mead over the smoothing parameters within the
//     usual bounds (those of statsmodels' ETSModel and R's ets: α, β/α,
//     γ/(1−α) in [1e-4, 1−1e-4], φ in [0.8, 0.98]), the initial states by
//     least squares given them. The variant with the lowest AICc is kept;
//     the AICc counts the smoothing parameters, the free initial states
//     (11 seasonal ones) and σ², as Hyndman et al. do (statsmodels counts
//     12 seasonal states).
//     Intervals use the analytic variance of the additive class (Hyndman et
//     al. 2008, Table 6.1) with σ² = SSE/n. Multiplicative seasonality is
//     not offered.
//   - Theta (FitTheta): the method of Assimakopoulos & Nikolopoulos (2000)
//     with θ = 2, as simple exponential smoothing with drift half the OLS
//     trend slope (Hyndman & Billah 2003), on data seasonally adjusted by
//     classical multiplicative decomposition when the lag-12
//     autocorrelation is significant at 10% (the test of R's thetaf);
//     additive decomposition if the series has non-positive months.
//
// Short series: with fewer than 24 months (two full seasons) only the
// non-seasonal models are fitted and Theta is not adjusted; with fewer than
// 4 months only the naive method is used, and Result.Reason says so. An ETS
// variant also needs its parameter count plus two months, so that its AICc
// is defined.
//
// Choice and fallback (Forecast): the ETS variant selected by AICc, Theta
// and the baseline (seasonal naive, or naive below 14 months) are refitted
// at each of the last Options.Origins months (DefaultOrigins, as far as
// the methods' minimum lengths allow) and forecast up to the horizon from
// there. Each gets a MASE, scaled at each origin by the in-sample seasonal
// naive mean absolute error, and an sMAPE. The method with the lowest MASE
// is used only if it is strictly lower than the baseline's; otherwise, or
// when the series is too short to backtest, Forecast falls back to the
// baseline and sets Result.FellBack, with the reason in Result.Reason.
//
// Accuracy against statsmodels 0.13.5 (testdata/make_reference.py, on the
// Superstore and CDNOW monthly totals and the AirPassengers series) is
// checked in the tests; see reference_test.go for the tolerances and the
// one case where statsmodels stops at a worse likelihood.
//
// Errors are the sentinels ErrTooShort, ErrBadValue and ErrHorizon, wrapped
// with context, and the context's error when Forecast is cancelled.
// Forecasts are finite for every accepted series. The functions keep no
// shared state and are safe for concurrent use; a 72-month series takes
// some tens of milliseconds, mostly the six ETS fits and the backtest
// refits.
package forecast
