#!/usr/bin/env node
// Independent reference computation for salesseg tests.
//
// Sums a revenue amount per dimension value (and per dimension value and
// month) with DuckDB's read_csv and exact DECIMAL arithmetic; it shares no
// code with the Go implementation. Prints one JSON object on stdout:
//
//   {"rows": N, "total": "123.4567",
//    "by_value": {"Consumer": "1161401.3450", ...},
//    "by_value_month": {"Consumer": {"2014-01": "...", ...}, ...}}
//
// Usage:
//   node infra/node/reference.mjs --file PATH --amount COL --date COL
//        --date-format FMT --dimension COL [--encoding cp1252|utf8]
//        [--quantity COL --unit-price COL] [--delim ,]
//
// Rules:
// - Every column is read as VARCHAR, then the amount (or quantity and unit
//   price) is CAST to DECIMAL(18,4). A value with more than 4 decimal places
//   (or in exponent notation) is an error, because the cast would round it.
// - With --quantity/--unit-price the line revenue is quantity * unit price,
//   both DECIMAL(18,4) widened to DECIMAL(38,4), so the product and its sums
//   are DECIMAL(38,8) (8 decimal places in the output). Otherwise sums are
//   DECIMAL(38,4). Sums are printed exactly as DuckDB renders the DECIMAL.
// - An empty dimension counts under the "" key; an empty date under the ""
//   month. An empty amount is counted in "rows" but adds nothing to the sums.
// - A date that does not match --date-format (DuckDB strptime syntax, e.g.
//   %m/%d/%Y, %m/%d/%Y %H:%M, %Y-%m-%d) is an error. Month is YYYY-MM.
// - --encoding utf8 (default; a UTF-8 BOM is skipped by DuckDB). --encoding
//   cp1252: DuckDB 1.5 reads only utf-8, utf-16 and latin-1 natively, and its
//   latin-1 decoder rejects bytes 0x80-0x9F ("File is not latin-1 encoded"),
//   which Windows-1252 files use for curly quotes etc.; windows-1252 needs the
//   "encodings" extension, which must be downloaded. So the file is decoded
//   with Node's WHATWG TextDecoder('windows-1252') into a temporary UTF-8 copy
//   that DuckDB then reads.

import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lit, ident, open } from './duck.mjs';

const USAGE =
  'usage: node reference.mjs --file PATH --amount COL --date COL --date-format FMT ' +
  '--dimension COL [--encoding cp1252|utf8] [--quantity COL --unit-price COL] [--delim ,]';

function fail(msg) {
  process.stderr.write(`reference.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      file: { type: 'string' },
      amount: { type: 'string' },
      date: { type: 'string' },
      'date-format': { type: 'string' },
      dimension: { type: 'string' },
      encoding: { type: 'string', default: 'utf8' },
      quantity: { type: 'string' },
      'unit-price': { type: 'string' },
      delim: { type: 'string', default: ',' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(e.message);
}

const useProduct = opts.quantity !== undefined || opts['unit-price'] !== undefined;
if (useProduct && (opts.quantity === undefined || opts['unit-price'] === undefined)) {
  fail('--quantity and --unit-price go together');
}
if (useProduct && opts.amount !== undefined) fail('give either --amount or --quantity/--unit-price');
if (!useProduct && opts.amount === undefined) fail('--amount (or --quantity/--unit-price) is required');
for (const k of ['file', 'date', 'date-format', 'dimension']) {
  if (opts[k] === undefined) fail(`--${k} is required`);
}
const encoding = opts.encoding.toLowerCase().replace(/[-_]/g, '');
if (!['utf8', 'cp1252', 'windows1252'].includes(encoding)) fail(`unsupported --encoding ${opts.encoding}`);
if (opts.delim.length !== 1) fail('--delim must be one character');


let tmp;
let csvPath = opts.file;
if (encoding !== 'utf8') {
  // WHATWG windows-1252 never fails: the 5 undefined bytes map to U+0081 etc.
  const text = new TextDecoder('windows-1252').decode(readFileSync(opts.file));
  tmp = mkdtempSync(join(tmpdir(), 'salesseg-ref-'));
  csvPath = join(tmp, 'input-utf8.csv');
  writeFileSync(csvPath, text, 'utf8');
}

try {
  const { con, all, close } = await open();

  await con.run(
    `CREATE TEMP TABLE src AS SELECT * FROM read_csv(${lit(csvPath)}, header=true, all_varchar=true, ` +
      `delim=${lit(opts.delim)}, quote='"', escape='"', encoding='utf-8', strict_mode=true, ` +
      `null_padding=false, ignore_errors=false)`,
  );

  const moneyCols = useProduct ? [opts.quantity, opts['unit-price']] : [opts.amount];
  for (const col of moneyCols) {
    const bad = await all(
      `SELECT ${ident(col)} FROM src WHERE regexp_matches(${ident(col)}, '\\.[0-9]{5,}|[eE]') LIMIT 3`,
    );
    if (bad.length > 0) {
      throw new Error(
        `column ${col}: values with more than 4 decimal places or an exponent, ` +
          `which DECIMAL(18,4) would round: ${bad.map((r) => JSON.stringify(r[0])).join(', ')}`,
      );
    }
  }

  const dec = (col) => `CAST(${ident(col)} AS DECIMAL(18,4))`;
  const amountExpr = useProduct
    ? `(${dec(opts.quantity)}::DECIMAL(38,4) * ${dec(opts['unit-price'])}::DECIMAL(38,4))`
    : dec(opts.amount);
  const monthExpr =
    `CASE WHEN ${ident(opts.date)} IS NULL THEN '' ` +
    `ELSE strftime(strptime(${ident(opts.date)}, ${lit(opts['date-format'])}), '%Y-%m') END`;

  await con.run(
    `CREATE TEMP TABLE t AS SELECT coalesce(${ident(opts.dimension)}, '') AS v, ` +
      `${monthExpr} AS m, ${amountExpr} AS a FROM src`,
  );

  const [[rows, total]] = await all(
    `SELECT count(*)::VARCHAR, coalesce(sum(a), 0)::VARCHAR FROM t`,
  );
  // coalesce(sum(a), 0) keeps sum's DECIMAL(38,s) type (checked), so 0 renders as 0.0000.
  const byValue = {};
  for (const [v, s] of await all(
    `SELECT v, coalesce(sum(a), 0)::VARCHAR FROM t GROUP BY v ORDER BY v`,
  )) {
    byValue[v] = s;
  }
  const byValueMonth = {};
  for (const v of Object.keys(byValue)) byValueMonth[v] = {};
  for (const [v, m, s] of await all(
    `SELECT v, m, coalesce(sum(a), 0)::VARCHAR FROM t GROUP BY v, m ORDER BY v, m`,
  )) {
    byValueMonth[v][m] = s;
  }

  process.stdout.write(
    JSON.stringify({ rows: Number(rows), total, by_value: byValue, by_value_month: byValueMonth }) + '\n',
  );
  close();
} catch (e) {
  process.stderr.write(`reference.mjs: ${e.message}\n`);
  process.exitCode = 1;
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
