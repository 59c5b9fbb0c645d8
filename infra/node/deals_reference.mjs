#!/usr/bin/env node
// Independent reference computation of deal and pipeline figures for
// salesseg tests, on the Maven Analytics CRM files (../shared/data/crm_*).
// It shares no code with the Go implementation: DuckDB SQL over the CSV
// files read as text, money as DECIMAL(18,4) summed exactly.
//
// Usage:
//   node infra/node/deals_reference.mjs --pipeline PATH --accounts PATH
//        --products PATH --teams PATH --by COLUMN [--from DATE --to DATE]
//        [--as-of DATE]
//
// --by is total, sector (the account's, through crm_accounts), sales_agent,
// product, manager or regional_office (the agent's, through
// crm_sales_teams). A deal without an account has the sector "".
// Closed deals (Won, Lost) count in the group when their close_date lies in
// [--from, --to] (all dates when omitted). Prints one JSON object:
//
//   {"groups": {VALUE: {"won": N, "won_value": "…", "lost": N,
//      "lost_value": "…", "won_cycle_n": N, "won_cycle_sum": N,
//      "won_cycle_median": "…"|null, "lost_cycle_n": N, "lost_cycle_sum": N,
//      "open": {STAGE: {"count": N, "value": "…"}}}},
//    "customer_days": N, "lost_only_accounts": [ACCOUNT…]}
//
// Cycles are close_date - engage_date in days. "open" (with --as-of) holds
// the deals open at the end of that day: engaged on or before it and not
// closed by it, under their stage in the file (Won or Lost for deals that
// closed later); their value is the close value of a deal that closed
// later and otherwise the product's sales price (products joined with the
// spaces removed, as "GTXPro" is "GTX Pro"). Deals with neither an engage
// date nor a close date are under "open" with the stage suffixed
// " (undated)" whatever the as-of date. customer_days counts the distinct
// (account, close_date) of won deals with an account; lost_only_accounts
// are the accounts with deals but no won deal.

import { parseArgs } from 'node:util';
import { lit, open } from './duck.mjs';

const USAGE =
  'usage: node deals_reference.mjs --pipeline PATH --accounts PATH --products PATH --teams PATH ' +
  '--by total|sector|sales_agent|product|manager|regional_office [--from DATE --to DATE] [--as-of DATE]';

function fail(msg) {
  process.stderr.write(`deals_reference.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      pipeline: { type: 'string' },
      accounts: { type: 'string' },
      products: { type: 'string' },
      teams: { type: 'string' },
      by: { type: 'string', default: 'total' },
      from: { type: 'string' },
      to: { type: 'string' },
      'as-of': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(e.message);
}
for (const k of ['pipeline', 'accounts', 'products', 'teams']) {
  if (opts[k] === undefined) fail(`--${k} is required`);
}
const groupExpr = {
  total: `'all'`,
  sector: `coalesce(a.sector, '')`,
  sales_agent: `coalesce(p.sales_agent, '')`,
  product: `coalesce(p.product, '')`,
  manager: `coalesce(t.manager, '')`,
  regional_office: `coalesce(t.regional_office, '')`,
}[opts.by];
if (groupExpr === undefined) fail(`unknown --by ${opts.by}`);
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
for (const k of ['from', 'to', 'as-of']) {
  if (opts[k] !== undefined && !isoDate.test(opts[k])) fail(`--${k} must be YYYY-MM-DD`);
}

const read = (path) =>
  `read_csv(${lit(path)}, header=true, all_varchar=true, delim=',', quote='"', strict_mode=true, ignore_errors=false)`;

try {
  const { con, all } = await open();

  await con.run(
    `CREATE TEMP TABLE d AS SELECT ${groupExpr} AS g, p.deal_stage AS stage, p.account AS account, ` +
      `CAST(p.engage_date AS DATE) AS engaged, CAST(p.close_date AS DATE) AS closed, ` +
      `CAST(p.close_value AS DECIMAL(18,4)) AS value, CAST(pr.sales_price AS DECIMAL(18,4)) AS price ` +
      `FROM ${read(opts.pipeline)} p ` +
      `LEFT JOIN ${read(opts.accounts)} a ON a.account = p.account ` +
      `LEFT JOIN ${read(opts.teams)} t ON t.sales_agent = p.sales_agent ` +
      `LEFT JOIN ${read(opts.products)} pr ON replace(pr.product, ' ', '') = replace(p.product, ' ', '')`,
  );
  const inRange =
    (opts.from ? `closed >= DATE ${lit(opts.from)}` : 'true') +
    ' AND ' +
    (opts.to ? `closed <= DATE ${lit(opts.to)}` : 'true');

  const groups = {};
  const group = (g) =>
    (groups[g] ??= {
      won: 0, won_value: '0', lost: 0, lost_value: '0', won_cycle_n: 0, won_cycle_sum: 0,
      won_cycle_median: null, lost_cycle_n: 0, lost_cycle_sum: 0, open: {},
    });
  for (const [g, stage, n, value, cn, csum, cmed] of await all(
    `SELECT g, stage, count(*)::INTEGER, sum(coalesce(value, 0))::VARCHAR, ` +
      `count(engaged)::INTEGER, coalesce(sum(closed - engaged), 0)::BIGINT, ` +
      `median(closed - engaged)::VARCHAR ` +
      `FROM d WHERE stage IN ('Won', 'Lost') AND ${inRange} GROUP BY g, stage ORDER BY g, stage`,
  )) {
    const r = group(g);
    if (stage === 'Won') {
      Object.assign(r, { won: n, won_value: value, won_cycle_n: cn, won_cycle_sum: Number(csum), won_cycle_median: cmed });
    } else {
      Object.assign(r, { lost: n, lost_value: value, lost_cycle_n: cn, lost_cycle_sum: Number(csum) });
    }
  }
  if (opts['as-of'] !== undefined) {
    const asOf = `DATE ${lit(opts['as-of'])}`;
    for (const [g, stage, n, value] of await all(
      `SELECT g, CASE WHEN engaged IS NULL THEN stage || ' (undated)' ELSE stage END, count(*)::INTEGER, ` +
        `sum(CASE WHEN closed IS NOT NULL THEN coalesce(value, 0) ELSE coalesce(price, 0) END)::VARCHAR FROM d ` +
        `WHERE (engaged <= ${asOf} AND (closed IS NULL OR closed > ${asOf})) ` +
        `OR (engaged IS NULL AND closed IS NULL) GROUP BY ALL ORDER BY ALL`,
    )) {
      group(g).open[stage] = { count: n, value };
    }
  }
  const [[customerDays]] = await all(
    `SELECT count(DISTINCT (account, closed))::INTEGER FROM d WHERE stage = 'Won' AND account IS NOT NULL`,
  );
  const lostOnly = (
    await all(
      `SELECT account FROM d WHERE account IS NOT NULL GROUP BY account ` +
        `HAVING count(*) FILTER (WHERE stage = 'Won') = 0 ORDER BY account`,
    )
  ).map((r) => r[0]);

  process.stdout.write(JSON.stringify({ groups, customer_days: customerDays, lost_only_accounts: lostOnly }) + '\n');
} catch (e) {
  process.stderr.write(`deals_reference.mjs: ${e.message}\n`);
  process.exitCode = 1;
}
