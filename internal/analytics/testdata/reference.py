#!/usr/bin/env python3
"""Independent reference figures for the analytics tests.

Written from the documented definitions in package analytics, sharing no
code with it: Python csv + decimal.Decimal (exact), datetime for days.
Run from this directory:

    python3 reference.py > reference.json

and the Go tests compare their results with reference.json.
"""
import csv
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

DATA = "../../../../shared/data/"


def superstore():
    """Rows of the UTF-8 Superstore: (customer, day, revenue, attrs)."""
    out = []
    with open(DATA + "sample_superstore_utf8bom_2016-2019.csv", encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            m, d, y = (int(x) for x in r["Order Date"].split("/"))
            out.append((r["Customer ID"], date(y, m, d), Decimal(r["Sales"]),
                        {"segment": r["Segment"], "region": r["Region"]}))
    return out


def online_retail():
    """Rows of the UCI sample with a customer: revenue = quantity * price."""
    out = []
    with open(DATA + "uci_online_retail_random_sample_2709.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["CustomerID"] == "NA":
                continue
            ds = r["InvoiceDate"].split(" ")[0]
            m, d, y = (int(x) for x in ds.split("/"))
            out.append((r["CustomerID"], date(y, m, d), Decimal(r["Quantity"]) * Decimal(r["UnitPrice"]),
                        {"country": r["Country"]}))
    return out


class Cust:
    def __init__(self):
        self.revenue = Decimal(0)
        self.days = set()
        self.months = defaultdict(Decimal)  # (y, m) -> revenue
        self.attr_day = {}
        self.attrs = {}
        self.day_revenue = defaultdict(Decimal)
        self.day_attrs = {}  # day -> attrs of its last line, as ingestion keeps them

    def shares(self, dim):
        """Revenue per value of dim: each purchase day under its last line's value."""
        out = defaultdict(Decimal)
        for day, rev in self.day_revenue.items():
            v = self.day_attrs[day].get(dim, "") or "(blank)"
            out[v] += rev
        return out


def customers(rows):
    cs = defaultdict(Cust)
    for cid, day, rev, attrs in rows:
        c = cs[cid]
        c.revenue += rev
        c.days.add(day)
        c.months[(day.year, day.month)] += rev
        c.day_revenue[day] += rev
        c.day_attrs[day] = attrs
        for k, v in attrs.items():
            # the last line of the latest day wins (one file, as ingested)
            if k not in c.attrs or day >= c.attr_day[k]:
                c.attrs[k], c.attr_day[k] = v, day
    return cs


def tiers(cs, ids, cuts=(Decimal("0.80"), Decimal("0.95")), names=("A", "B", "C"), revenue=None):
    """Tier of each id: ranked by revenue desc, id asc; a customer is in the
    first tier whose line (cut x positive total) the revenue ranked above it
    has not reached; non-positive revenue is in the last tier. revenue maps
    an id to the revenue it is ranked by (default: its whole revenue)."""
    rev = revenue or {i: cs[i].revenue for i in ids}
    pos = [i for i in ids if rev[i] > 0]
    pos.sort(key=lambda i: (-rev[i], i))
    total = sum((rev[i] for i in pos), Decimal(0))
    out = {i: names[-1] for i in ids}
    above = Decimal(0)
    for i in pos:
        t = len(cuts)
        for k, cut in enumerate(cuts):
            if above < cut * total:
                t = k
                break
        out[i] = names[t]
        above += rev[i]
    return out


def summarize(cs, groups, dim, names):
    """Customers and revenue per value and group: a customer counts under
    every value its purchase days carried, with their revenue."""
    res = {}
    for cid, c in cs.items():
        shares = {"all": c.revenue} if dim == "total" else c.shares(dim)
        for v, rev in shares.items():
            s = res.setdefault(v, {n: [0, Decimal(0)] for n in names})
            s[groups[cid]][0] += 1
            s[groups[cid]][1] += rev
    return {v: {n: [x[0], str(x[1])] for n, x in s.items()} for v, s in res.items()}


GRID = {  # R -> FM 1..5
    5: ["New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Champions"],
    3: ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
    2: ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose"],
    1: ["Lost", "Lost", "Hibernating", "At risk", "Can't lose"],
}
RFM_NAMES = ["Champions", "Loyal", "Potential loyalist", "New", "Promising", "Need attention",
             "About to sleep", "At risk", "Can't lose", "Hibernating", "Lost"]


def quintile_scores(values):
    """values: id -> comparable, larger is better. Quintiles of the rank,
    ties ranked by id (first come, first ranked), each position scored by
    the quintile of its midpoint."""
    ids = sorted(values, key=lambda i: (values[i], i))
    n = len(ids)
    return {i: 1 + (5 * (2 * k + 1)) // (2 * n) for k, i in enumerate(ids)}


def rfm(cs):
    asof = max(max(c.days) for c in cs.values())
    r = quintile_scores({i: -(asof - max(c.days)).days for i, c in cs.items()})
    f = quintile_scores({i: len(c.days) for i, c in cs.items()})
    m = quintile_scores({i: c.revenue for i, c in cs.items()})
    groups = {i: GRID[r[i]][(f[i] + m[i] + 1) // 2 - 1] for i in cs}
    return groups


def period_of(ym, grain):
    y, m = ym
    if grain == "month":
        return y * 12 + m - 1
    if grain == "quarter":
        return y * 4 + (m - 1) // 3
    return y


def label(p, grain):
    if grain == "month":
        return "%04d-%02d" % (p // 12, p % 12 + 1)
    if grain == "quarter":
        return "%04d-Q%d" % (p // 4, p % 4 + 1)
    return "%04d" % p


def bridge(cs, dim, grain):
    per = {}
    for cid, c in cs.items():
        d = defaultdict(Decimal)
        for ym, rev in c.months.items():
            d[period_of(ym, grain)] += rev
        per[cid] = d
    lo = min(min(d) for d in per.values())
    hi = max(max(d) for d in per.values())
    out = {}
    for cid, c in cs.items():
        v = c.attrs.get(dim, "(blank)") if dim != "total" else "all"
        out.setdefault(v, [])
    for v in out:
        members = [i for i, c in cs.items() if (c.attrs.get(dim, "(blank)") if dim != "total" else "all") == v]
        for p in range(lo, hi + 1):
            row = {k: [0, Decimal(0)] for k in
                   ("start", "end", "new", "retained", "expansion", "contraction", "churned", "reactivated")}
            for i in members:
                d = per[i]
                prev, cur = d.get(p - 1), d.get(p)
                if prev is not None:
                    row["start"][0] += 1
                    row["start"][1] += prev
                if cur is not None:
                    row["end"][0] += 1
                    row["end"][1] += cur
                if prev is not None and cur is not None:
                    row["retained"][0] += 1
                    row["retained"][1] += min(prev, cur)
                    if cur > prev:
                        row["expansion"][0] += 1
                        row["expansion"][1] += cur - prev
                    elif cur < prev:
                        row["contraction"][0] += 1
                        row["contraction"][1] += cur - prev
                elif cur is not None:
                    if min(d) == p:
                        row["new"][0] += 1
                        row["new"][1] += cur
                    else:
                        row["reactivated"][0] += 1
                        row["reactivated"][1] += cur
                elif prev is not None:
                    row["churned"][0] += 1
                    row["churned"][1] -= prev
            out[v].append({"period": label(p, grain),
                           **{k: [x[0], str(x[1])] for k, x in row.items()}})
    return out


def report(rows, dims):
    cs = customers(rows)
    total = sum((c.revenue for c in cs.values()), Decimal(0))
    t = tiers(cs, list(cs))
    res = {
        "customers": len(cs),
        "purchase_days": sum(len(c.days) for c in cs.values()),
        "total": str(total),
        "tiers": {d: summarize(cs, t, d, ["A", "B", "C"]) for d in ["total"] + dims},
        "rfm": {d: summarize(cs, rfm(cs), d, RFM_NAMES) for d in ["total"] + dims},
        "bridge": {g: {d: bridge(cs, d, g) for d in ["total"] + dims} for g in ("month", "quarter", "year")},
    }
    # Tiers ranked within each value of the first dimension, by the revenue
    # customers made in it.
    d0 = dims[0]
    within = {}
    for v in sorted({v for c in cs.values() for v in c.shares(d0)}):
        rev = {i: c.shares(d0)[v] for i, c in cs.items() if v in c.shares(d0)}
        t = tiers(cs, list(rev), revenue=rev)
        s = {n: [0, Decimal(0)] for n in ["A", "B", "C"]}
        for i, tier in t.items():
            s[tier][0] += 1
            s[tier][1] += rev[i]
        within[v] = {n: [x[0], str(x[1])] for n, x in s.items()}
    res["tiers_within_" + d0] = within
    return res


def size_band(employees):
    n = int(employees)
    if n < 1000:
        return "1-999"
    if n < 5000:
        return "1000-4999"
    return "5000+"


def crm():
    """Lookalikes on the Maven CRM data: accounts sorted by name, every
    fifth (index % 5 == 4) held out as a prospect; the others' won deals are
    purchases. Score = mean over industry, size, country of the share of
    tier-A customers with the prospect's value (case-insensitive)."""
    accounts = {}
    with open(DATA + "crm_accounts.csv", newline="") as f:
        for r in csv.DictReader(f):
            accounts[r["account"]] = {"industry": r["sector"], "size": size_band(r["employees"]),
                                      "country": r["office_location"]}
    names = sorted(accounts)
    held = {n for k, n in enumerate(names) if k % 5 == 4}
    rows = []
    with open(DATA + "crm_sales_pipeline.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["deal_stage"] != "Won" or r["account"] in held:
                continue
            y, m, d = (int(x) for x in r["close_date"].split("-"))
            rows.append((r["account"], date(y, m, d), Decimal(r["close_value"]), accounts[r["account"]]))
    cs = customers(rows)
    t = tiers(cs, list(cs))
    seeds = [i for i in cs if t[i] == "A"]
    dims = ["industry", "size", "country"]
    share = {d: defaultdict(int) for d in dims}
    for i in seeds:
        for d in dims:
            share[d][cs[i].attrs[d].strip().lower()] += 1
    ranked = []
    for n in sorted(held):
        a = accounts[n]
        matched = [d for d in dims if share[d][a[d].strip().lower()] > 0]
        score = sum(share[d][a[d].strip().lower()] for d in dims) / (len(seeds) * len(dims))
        ranked.append((-score, -len(matched), n, matched))
    ranked.sort()
    return {"customers": len(cs), "seeds": len(seeds),
            "ranking": [{"id": n, "score": -s, "matched": m} for s, _, n, m in ranked]}


if __name__ == "__main__":
    print(json.dumps({
        "superstore": report(superstore(), ["segment", "region"]),
        "online_retail": report(online_retail(), ["country"]),
        "crm": crm(),
    }, indent=1, sort_keys=True))
