#!/usr/bin/python3
"""Make reference forecasts for internal/forecast with statsmodels.

Run with Debian's python3-statsmodels (0.13.5):

    /usr/bin/python3 internal/forecast/testdata/make_reference.py \
        ../shared/data > internal/forecast/testdata/reference.json

Series:
  * superstore: monthly totals of "Sales" by "Order Date" (%m/%d/%Y) in
    sample_superstore_cp1252.csv (cp1252), 48 months.
  * cdnow: monthly totals of the amount column of CDNOW_master.txt
    (customer id, date YYYYMMDD, units, amount), 18 months, so only
    non-seasonal models apply.
  * airpassengers: Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (1976)
    Time Series Analysis, Forecasting and Control, Series G: monthly
    international airline passengers (thousands), 1949-1960, typed in below.

For every series the script writes, per ETS variant with additive errors
(statsmodels ETSModel, initialization "estimated", default bounds), the
parameters, log-likelihood, statsmodels' AICc and its parameter count, an AICc
recomputed with the Hyndman et al. (2008) count (m-1 free initial seasonal
states plus the variance), and the 12-step point forecasts with 80% and 95%
intervals. For Theta it writes statsmodels ThetaModel point forecasts
(theta=2, deseasonalisation decided by the Bartlett-bound ACF test used by
Hyndman's thetaf, classical multiplicative decomposition for positive series)
and intervals built from the SES fit statsmodels uses, as Hyndman's thetaf
does (SES variance sigma^2 (1 + (h-1) alpha^2) on the adjusted scale,
sigma^2 = mean squared SES error, re-seasonalised); statsmodels' own interval
(variance from an ARIMA(0,1,1) on the raw series) is recorded too. The ETS
fits are made on the rescaled series from several starting points (see
ets_ref and best_fit): statsmodels' single default fit stalls on these data. Seasonal naive forecasts use the sample standard
deviation of the seasonal differences (fpp3 section 5.5).
"""
import csv
import datetime as dt
import json
import sys
from collections import defaultdict

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.statespace.exponential_smoothing import (
    ExponentialSmoothing)
from statsmodels.tsa.stattools import acf

M = 12
H = 12
LEVELS = (80, 95)

AIRPASSENGERS = [
    112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,
    115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140,
    145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166,
    171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194,
    196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201,
    204, 188, 235, 227, 234, 264, 302, 293, 259, 229, 203, 229,
    242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278,
    284, 277, 317, 313, 318, 374, 413, 405, 355, 306, 271, 306,
    315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336,
    340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337,
    360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405,
    417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432,
]
assert len(AIRPASSENGERS) == 144 and sum(AIRPASSENGERS) == 40363

VARIANTS = {
    # name: (trend, damped, seasonal)
    "ANN": (None, False, None),
    "AAN": ("add", False, None),
    "AAdN": ("add", True, None),
    "ANA": (None, False, "add"),
    "AAA": ("add", False, "add"),
    "AAdA": ("add", True, "add"),
}


def monthly(pairs):
    """Sums (month, amount) pairs into a gap-free list, oldest first."""
    tot = defaultdict(float)
    for month, amount in pairs:
        tot[month] += amount
    first, last = min(tot), max(tot)
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append(round(tot[(y, m)], 2))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out, "%04d-%02d" % first


def superstore(path):
    with open(path, encoding="cp1252", newline="") as f:
        rows = csv.DictReader(f)
        pairs = []
        for r in rows:
            d = dt.datetime.strptime(r["Order Date"], "%m/%d/%Y")
            pairs.append(((d.year, d.month), float(r["Sales"])))
    return monthly(pairs)


def cdnow(path):
    pairs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4 or not parts[1].isdigit():
                continue  # header
            d = parts[1]
            pairs.append(((int(d[:4]), int(d[4:6])), float(parts[3])))
    return monthly(pairs)


def z(level):
    return stats.norm.ppf(0.5 + level / 200)


def best_fit(mod):
    """Fits from several starting points and keeps the best likelihood.

    L-BFGS from statsmodels' single default start (alpha 0.1, beta 0.01,
    gamma 0.01) stops in poor local optima on some of these series (a seasonal
    model with a lower likelihood than the non-seasonal model it nests), so
    the smoothing parameters are restarted on a small grid.
    """
    base = np.asarray(mod.start_params, float)
    names = mod.param_names
    best = None
    for a in (0.1, 0.3, 0.5, 0.8, 0.95):
        for frac in (0.01, 0.3):
            start = base.copy()
            for i, name in enumerate(names):
                if name == "smoothing_level":
                    start[i] = a
                elif name == "smoothing_trend":
                    start[i] = a * frac
                elif name == "smoothing_seasonal":
                    start[i] = (1 - a) * frac
            res = mod.fit(start_params=start, disp=False, maxiter=10000)
            if best is None or res.llf > best.llf:
                best = res
    return best


def ets_ref(y, start):
    """Fits the ETS variants on y scaled by its mean absolute value.

    Additive-error ETS is scale-equivariant, but statsmodels' optimiser
    (finite-difference L-BFGS) stalls on raw revenue in the 1e4-1e5 range
    (e.g. ANA with a lower likelihood than the ANN it nests), so the fit is
    done on y/c and states, forecasts, intervals and the likelihood are
    mapped back: llf(y) = llf(y/c) - n log c.
    """
    n = len(y)
    c = float(np.mean(np.abs(y)))
    ys = pd.Series(np.asarray(y, float) / c,
                   index=pd.date_range(start + "-01", periods=n, freq="MS"))
    out = {}
    for name, (trend, damped, seasonal) in VARIANTS.items():
        if seasonal and n < 2 * M:
            continue
        mod = ETSModel(ys, error="add", trend=trend,
                       damped_trend=damped, seasonal=seasonal,
                       seasonal_periods=M if seasonal else None)
        res = best_fit(mod)
        pred = res.get_prediction(start=n, end=n + H - 1)
        sf = pred.summary_frame(alpha=0.2)
        sf95 = pred.summary_frame(alpha=0.05)
        llf = float(res.llf) - n * np.log(c)
        k = res.df_model - (1 if seasonal else 0)
        aic = -2 * llf + 2 * k
        params = {}
        for p, v in zip(res.param_names, res.params):
            params[p] = float(v) * (c if p.startswith("initial") else 1)
        out[name] = {
            "params": params,
            "llf": llf,
            "sse": float(np.sum(res.resid ** 2)) * c * c,
            "statsmodels_aicc": float(res.aicc) + 2 * n * np.log(c),
            "statsmodels_k": int(res.df_model),
            "k": int(k),
            "aicc": float(aic + 2 * k * (k + 1) / (n - k - 1)),
            "mean": [float(v) * c for v in res.forecast(H)],
            "lo80": [float(v) * c for v in sf["pi_lower"]],
            "hi80": [float(v) * c for v in sf["pi_upper"]],
            "lo95": [float(v) * c for v in sf95["pi_lower"]],
            "hi95": [float(v) * c for v in sf95["pi_upper"]],
        }
    return out


def seasonal_test(y):
    """Hyndman's thetaf test: |r_m| beyond the 90% Bartlett bound."""
    n = len(y)
    if n < 2 * M:
        return False
    r = acf(y, nlags=M, fft=False)
    bound = stats.norm.ppf(0.95) * np.sqrt((1 + 2 * np.sum(r[1:M] ** 2)) / n)
    return bool(abs(r[M]) > bound)


def theta_ref(y):
    y = np.asarray(y, float)
    n = len(y)
    seasonal = seasonal_test(y)
    # method="auto" is multiplicative for positive series (in 0.13.5,
    # method="multiplicative" is silently treated as additive).
    mod = ThetaModel(y, period=M, deseasonalize=seasonal, use_test=False,
                     method="auto")
    res = mod.fit()
    mul = mod.method.startswith("mul")
    fc = np.asarray(res.forecast(H))
    sm_pi = res.prediction_intervals(H, alpha=0.05)
    # Rebuild the SES fit statsmodels used, for sigma^2 on the adjusted scale.
    # Without adjustment the "indices" are ones, applied multiplicatively.
    yy, idx = y, np.ones(M)
    mul = mul or not seasonal
    if seasonal:
        dec = seasonal_decompose(y, model="mul" if mul else "add", period=M)
        if mul:
            yy, idx = y / dec.seasonal, dec.seasonal[:M]
        else:
            yy, idx = y - dec.seasonal, dec.seasonal[:M]
    ses = ExponentialSmoothing(yy, initial_level=yy[0],
                               initialization_method="known").fit(disp=False)
    alpha = float(ses.params[0])
    sigma2 = float(np.mean(np.asarray(ses.resid) ** 2))
    steps = np.arange(H)
    se = np.sqrt(sigma2 * (1 + steps * alpha ** 2))
    season = idx[(n + steps) % M]
    adj = fc / season if mul else fc - season
    sm_test = False
    if n >= 2 * M:
        probe = ThetaModel(y, period=M)
        probe._test_seasonality()
        sm_test = bool(probe._has_seasonality)
    out = {
        "seasonal": seasonal,
        "multiplicative": bool(seasonal and mul),
        "statsmodels_test_seasonal": sm_test,
        "alpha": alpha,
        "b0": float(res.params["b0"]),
        "sigma2": sigma2,
        "mean": fc.tolist(),
        "statsmodels_lo95": [float(v) for v in sm_pi["lower"]],
        "statsmodels_hi95": [float(v) for v in sm_pi["upper"]],
    }
    for lv in LEVELS:
        lo, hi = adj - z(lv) * se, adj + z(lv) * se
        if mul:
            lo, hi = lo * season, hi * season
        else:
            lo, hi = lo + season, hi + season
        out["lo%d" % lv], out["hi%d" % lv] = lo.tolist(), hi.tolist()
    return out


def snaive_ref(y):
    y = np.asarray(y, float)
    d = y[M:] - y[:-M]
    sd = float(np.std(d, ddof=1))
    steps = np.arange(1, H + 1)
    mean = np.array([y[len(y) - M + (h - 1) % M] for h in steps])
    se = sd * np.sqrt((steps - 1) // M + 1)
    out = {"sd": sd, "mean": mean.tolist()}
    for lv in LEVELS:
        out["lo%d" % lv] = (mean - z(lv) * se).tolist()
        out["hi%d" % lv] = (mean + z(lv) * se).tolist()
    return out


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
    ss, ss_start = superstore(data + "/sample_superstore_cp1252.csv")
    cd, cd_start = cdnow(data + "/CDNOW_master.txt")
    series = [
        ("superstore", ss_start, ss,
         "monthly Sales totals of sample_superstore_cp1252.csv"),
        ("cdnow", cd_start, cd, "monthly amount totals of CDNOW_master.txt"),
        ("airpassengers", "1949-01", [float(v) for v in AIRPASSENGERS],
         "Box & Jenkins Series G, international airline passengers"),
    ]
    out = {
        "generator": "statsmodels %s" % __import__("statsmodels").__version__,
        "horizon": H,
        "period": M,
        "series": [],
    }
    for name, start, y, source in series:
        entry = {"name": name, "start": start, "source": source, "y": y,
                 "ets": ets_ref(y, start), "theta": theta_ref(y)}
        if len(y) > M:
            entry["snaive"] = snaive_ref(y)
        out["series"].append(entry)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
