// Shapes GET /v1/acquisition for the acquisition section: the CAC lines
// the chart draws, the words for spend that no row holds, and the empty
// state's message. Nothing here touches the page, so it is unit-tested.

import { addDecimals, money } from './format';
import { dimensionLabel } from './labels';
import type { Acquisition, AcquisitionRow, SpendAmount } from './types';

/** What the section asks for when there is no spend to show. */
export const uploadSpendHelp = 'Upload a spend/ file (period, amount, optional segment or channel) to see acquisition cost.';

/**
 * The empty state's message: the help alone for the total, and after the
 * API's reason when a segment or channel is picked, since spend may well
 * be uploaded but name neither.
 */
export function emptyMessage(dimension: string, detail?: string): string {
  return dimension === 'total' || !detail ? uploadSpendHelp : `${detail} ${uploadSpendHelp}`;
}

/** A row's display name: its segment or channel, or "All" for the total. */
export function acquisitionLabel(r: Pick<AcquisitionRow, 'dimension' | 'value'>): string {
  return r.dimension === 'total' ? 'All' : r.value;
}

/** One value's CAC in every period of the chart, null where it has none. */
export interface CACLine {
  value: string;
  cac: (string | null)[];
}

/** The line chart of CAC over time. */
export interface CACChart {
  /** Every period with spend, in time order. */
  periods: string[];
  /** The values drawn, the one with the most spend first. */
  lines: CACLine[];
  /** Values with spend that are left out of the chart. */
  rest: number;
}

/**
 * Picks the at most max values with the most spend over all periods (ties
 * keep the API's order) and gives each one's CAC per period: null in a
 * period without spend or without new customers, so the line breaks there.
 */
export function cacChart(a: Pick<Acquisition, 'rows'>, max: number): CACChart {
  const periods = [...new Set(a.rows.map((r) => r.period))].sort();
  const byValue = new Map<string, AcquisitionRow[]>();
  for (const r of a.rows) {
    const k = acquisitionLabel(r);
    byValue.set(k, [...(byValue.get(k) ?? []), r]);
  }
  const spend = (rows: AcquisitionRow[]) => Number(addDecimals(...rows.map((r) => r.spend)));
  const ranked = [...byValue].sort(([, x], [, y]) => spend(y) - spend(x));
  const lines = ranked.slice(0, max).map(([value, rows]) => ({
    value,
    cac: periods.map((p) => rows.find((r) => r.period === p)?.cac ?? null),
  }));
  return { periods, lines, rest: ranked.length - lines.length };
}

/** The chart's text alternative: each line's first and last CAC. */
export function describeCACChart(c: CACChart, dimension: string, grain: string): string {
  const by = dimension === 'total' ? '' : ` by ${dimensionLabel(dimension)}`;
  const line = (l: CACLine) => {
    const at = l.cac.map((v, i) => [v, c.periods[i]] as const).filter(([v]) => v !== null);
    if (!at.length) return `${l.value} no CAC (no new customers)`;
    const [first, last] = [at[0], at[at.length - 1]];
    return at.length === 1 ? `${l.value} ${money(first[0])} in ${first[1]}` : `${l.value} from ${money(first[0])} in ${first[1]} to ${money(last[0])} in ${last[1]}`;
  };
  return (
    `Line chart of customer acquisition cost per ${grain}${by}, ${c.periods[0]} to ${c.periods[c.periods.length - 1]}: ` +
    c.lines.map(line).join('; ') +
    (c.rest > 0 ? `; and ${c.rest} more values, listed in the table.` : '.')
  );
}

/** Lists spend amounts with their periods, after their sum: "518.00 (2016-Q2 256.00, 2016-Q4 262.00)". */
function amounts(xs: SpendAmount[]): string {
  return `${money(addDecimals(...xs.map((x) => x.spend)))} (${xs.map((x) => `${x.period} ${money(x.spend)}`).join(', ')})`;
}

/** Says in words which spend no row holds, then the API's notes. */
export function acquisitionNote(a: Pick<Acquisition, 'dimension' | 'period' | 'unattributed' | 'unplaced' | 'notes'>): string {
  const words: string[] = [];
  if (a.unattributed.length) words.push(`Spend naming no ${dimensionLabel(a.dimension)}, in the total only: ${amounts(a.unattributed)}.`);
  if (a.unplaced.length) words.push(`Spend over a period longer than a ${a.period}, in no row: ${amounts(a.unplaced)}.`);
  return [...words, ...a.notes].join(' ');
}
