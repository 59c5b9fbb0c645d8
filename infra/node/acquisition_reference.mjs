#!/usr/bin/env node
// Independent reference computation of acquisition cost for salesseg tests.
//
// From a transactions CSV and a spend CSV, DuckDB computes per month and
// value of a dimension (and in total): the new customers (first purchase
// ever in the month, under the value of the customer's latest purchase
// day), the spend, CAC = spend / new customers to 6 places (the test rounds), and the
// new customers' first-year margin (the sum of a profit column over the 12
// months from each one's first purchase month) with the customer-months
// observed (12, or fewer when the data ends sooner). It shares no code with
// the Go implementation. Prints one JSON object on stdout:
//
//   {"by_value": {"Consumer": {"2016-01": {"new": 12, "spend": "1537.1300",
//     "cac": "128.094167", "margin": "1234.5678", "months": 144}, ...}, ...},
//    "total": {"2016-01": {...}, ...}}
//
// Usage:
//   node infra/node/acquisition_reference.mjs --file PATH --customer COL
//        --date COL --date-format FMT --dimension COL --profit COL
//        --spend PATH --spend-month COL --spend-value COL --spend-amount COL
//
// Rules:
// - Both files are read as VARCHAR (UTF-8, a BOM skipped); money is CAST to
//   DECIMAL(18,4), so sums are exact.
// - Only spend rows whose month column is YYYY-MM count; a row with an empty
//   value counts in the total only.
// - A customer's value is that of its latest purchase day, ties to the
//   smallest string (salesseg keeps the day's last line; in the data sets
//   tested a customer's value never changes within a day).
// - A month with spend but no new customers has "cac": null.

import { parseArgs } from 'node:util';
import { lit, ident, open } from './duck.mjs';

const keys = ['file', 'customer', 'date', 'date-format', 'dimension', 'profit', 'spend', 'spend-month', 'spend-value', 'spend-amount'];
let opts;
try {
  ({ values: opts } = parseArgs({
    options: Object.fromEntries(keys.map((k) => [k, { type: 'string' }])),
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  process.stderr.write(`acquisition_reference.mjs: ${e.message}\n`);
  process.exit(2);
}
for (const k of keys) {
  if (opts[k] === undefined) {
    process.stderr.write(`acquisition_reference.mjs: --${k} is required\n`);
    process.exit(2);
  }
}

const csv = (path) =>
  `read_csv(${lit(path)}, header=true, all_varchar=true, delim=',', quote='"', escape='"', encoding='utf-8', strict_mode=true)`;

try {
  const { con, all, close } = await open();

  await con.run(
    `CREATE TEMP TABLE t AS SELECT ${ident(opts.customer)} AS c, ` +
      `CAST(strptime(${ident(opts.date)}, ${lit(opts['date-format'])}) AS DATE) AS d, ` +
      `coalesce(${ident(opts.dimension)}, '') AS v, CAST(${ident(opts.profit)} AS DECIMAL(18,4)) AS p FROM ${csv(opts.file)}`,
  );
  // A customer's value: the smallest of its latest day with a value.
  await con.run(
    `CREATE TEMP TABLE cust AS SELECT c, min(d) AS first_day, ` +
      `min(v) FILTER (WHERE v <> '' AND d = last_valued) AS v FROM ` +
      `(SELECT *, max(d) FILTER (WHERE v <> '') OVER (PARTITION BY c) AS last_valued FROM t) GROUP BY c`,
  );
  await con.run(
    `CREATE TEMP TABLE fm AS SELECT c, v, date_trunc('month', first_day) AS m0, ` +
      `least(12, datediff('month', date_trunc('month', first_day), (SELECT date_trunc('month', max(d)) FROM t)) + 1) AS months FROM cust`,
  );
  await con.run(
    `CREATE TEMP TABLE margin AS SELECT fm.c, coalesce(sum(t.p), 0) AS margin FROM fm JOIN t ON t.c = fm.c ` +
      `AND t.d < fm.m0 + INTERVAL 12 MONTH GROUP BY fm.c`,
  );
  await con.run(
    `CREATE TEMP TABLE spend AS SELECT ${ident(opts['spend-month'])} AS m, coalesce(${ident(opts['spend-value'])}, '') AS v, ` +
      `CAST(${ident(opts['spend-amount'])} AS DECIMAL(18,4)) AS a FROM ${csv(opts.spend)} ` +
      `WHERE regexp_matches(${ident(opts['spend-month'])}, '^[0-9]{4}-[0-9]{2}$')`,
  );

  const report = async (byValue) => {
    const v = byValue ? 'v' : "'all'";
    const sv = byValue ? 'v' : "'all'";
    const rows = await all(
      `WITH s AS (SELECT ${sv} AS v, m, sum(a) AS spend FROM spend ${byValue ? "WHERE v <> ''" : ''} GROUP BY ALL), ` +
        `n AS (SELECT ${v} AS v, strftime(m0, '%Y-%m') AS m, count(*) AS n, sum(margin.margin) AS margin, sum(months) AS months ` +
        `FROM fm JOIN margin USING (c) GROUP BY ALL) ` +
        `SELECT s.v, s.m, coalesce(n.n, 0)::INTEGER, s.spend::VARCHAR, ` +
        `CASE WHEN n.n > 0 THEN round(s.spend / n.n, 6)::DECIMAL(18,6)::VARCHAR END, ` +
        `coalesce(n.margin, 0)::VARCHAR, coalesce(n.months, 0)::INTEGER ` +
        `FROM s LEFT JOIN n ON n.v = s.v AND n.m = s.m ORDER BY s.v, s.m`,
    );
    const out = {};
    for (const [val, m, n, spend, cac, margin, months] of rows) {
      out[val] ??= {};
      out[val][m] = { new: n, spend, cac: cac ?? null, margin, months };
    }
    return out;
  };
  const byValue = await report(true);
  const total = (await report(false)).all ?? {};
  process.stdout.write(JSON.stringify({ by_value: byValue, total }) + '\n');
  close();
} catch (e) {
  process.stderr.write(`acquisition_reference.mjs: ${e.message}\n`);
  process.exitCode = 1;
}
