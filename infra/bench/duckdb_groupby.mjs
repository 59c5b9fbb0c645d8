#!/usr/bin/env node
// DuckDB side of infra/bench/run.sh: reads a generated CSV with read_csv
// and aggregates it, printing wall time and the number of groups.
//
// Usage: node infra/bench/duckdb_groupby.mjs FILE simple|equivalent [superstore|highcard]
//
//   simple      one GROUP BY: revenue, lines and distinct orders per
//               segment and month (the minimal "read_csv + GROUP BY").
//   equivalent  what salesseg's ingest computes from the same file: per
//               dimension and the total, by day and by month, and per pair
//               of dimensions by month — revenue, cost, units, lines,
//               distinct orders — plus the per customer and day history,
//               all with exact DECIMALs.
//
// The shape (default superstore) names the generator of the file (see
// BenchmarkParse in internal/parser): superstore has Segment, Country,
// Region and Category, M/D/YYYY dates and cost as Sales - Profit;
// highcard has Segment, Industry, Company Size, Region, Country, Product
// Line and Channel, ISO dates and a Cost column.
//
// DuckDB runs with 2 threads; extensions are never fetched.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'node', 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const [file, mode = 'simple', shape = 'superstore'] = process.argv.slice(2);
if (!file || !['simple', 'equivalent'].includes(mode) || !['superstore', 'highcard'].includes(shape)) {
  process.stderr.write('usage: node duckdb_groupby.mjs FILE simple|equivalent [superstore|highcard]\n');
  process.exit(2);
}
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', {
  threads: '2',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});
const con = await instance.connect();
const src = `read_csv(${lit(file)}, header=true, all_varchar=true, quote='"', escape='"')`;
const base = shape === 'superstore'
  ? `SELECT strptime("Order Date", '%m/%d/%Y')::DATE AS d, "Order ID" AS o, "Customer ID" AS c,
  "Segment" AS seg, "Country" AS cty, "Region" AS reg, "Category" AS cat,
  CAST("Sales" AS DECIMAL(18,4)) AS rev, CAST("Sales" AS DECIMAL(18,4)) - CAST("Profit" AS DECIMAL(18,4)) AS cost,
  CAST("Quantity" AS DECIMAL(18,4)) AS units FROM ${src}`
  : `SELECT "Order Date"::DATE AS d, "Order ID" AS o, "Customer ID" AS c,
  "Segment" AS seg, "Industry" AS ind, "Company Size" AS siz, "Region" AS reg, "Country" AS cty,
  "Product Line" AS cat, "Channel" AS chn,
  CAST("Sales" AS DECIMAL(18,2)) AS rev, CAST("Cost" AS DECIMAL(18,2)) AS cost,
  CAST("Quantity" AS DECIMAL(18,0)) AS units FROM ${src}`;
const measures = `sum(rev), sum(cost), sum(units), count(*), count(DISTINCT o)`;
let sql;
if (mode === 'simple') {
  sql = `SELECT seg, date_trunc('month', d) AS m, ${measures} FROM (${base}) GROUP BY ALL`;
} else {
  const dims = shape === 'superstore' ? ['seg', 'cty', 'reg', 'cat'] : ['seg', 'ind', 'siz', 'reg', 'cty', 'cat', 'chn'];
  const sets = ['(d)', '(m)'];
  for (const x of dims) sets.push(`(${x}, d)`, `(${x}, m)`);
  for (let i = 0; i < dims.length; i++) for (let j = i + 1; j < dims.length; j++) sets.push(`(${dims[i]}, ${dims[j]}, m)`);
  sql = `WITH t AS (SELECT *, date_trunc('month', d) AS m FROM (${base}))
    SELECT count(*) FROM (
      SELECT ${measures} FROM t GROUP BY GROUPING SETS (${sets.join(', ')})
      UNION ALL
      SELECT ${measures} FROM t WHERE c IS NOT NULL GROUP BY c, d)`;
}
const t0 = performance.now();
const rows = (await con.runAndReadAll(sql)).getRowsJS();
const secs = (performance.now() - t0) / 1000;
const groups = mode === 'simple' ? rows.length : Number(rows[0][0]);
process.stdout.write(JSON.stringify({ mode, shape, seconds: Number(secs.toFixed(3)), groups }) + '\n');
