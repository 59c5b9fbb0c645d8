// The dashboard's filters, kept in the page address so a view can be
// bookmarked or shared (the token never is).

/** What every section shows. */
export interface Filters {
  /** The dataset shown; '' until one is chosen (see chooseDataset in main.ts). */
  dataset: string;
  dimension: string;
  cross: string;
  from: string;
  to: string;
  grain: string;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A dataset name as the API accepts it (package dataset's rule). */
export const DATASET = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Reads the filters from the address, with defaults. */
export function readFilters(): Filters {
  const q = new URLSearchParams(window.location.search);
  const month = (k: string) => (MONTH.test(q.get(k) ?? '') ? (q.get(k) as string) : '');
  return {
    dataset: DATASET.test(q.get('dataset') ?? '') ? (q.get('dataset') as string) : '',
    dimension: q.get('dimension') || 'segment',
    cross: q.get('cross') || '',
    from: month('from'),
    to: month('to'),
    grain: q.get('grain') || 'month',
  };
}

/** Writes the filters into the address without reloading. */
export function writeFilters(f: Filters): void {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(f)) {
    if (v) url.searchParams.set(k, v);
    else url.searchParams.delete(k);
  }
  window.history.replaceState(null, '', url.toString());
}

/**
 * The dataset to show when the address names none: the default one, unless
 * it has no data and another has, as right after `salesseg local` loaded
 * its sample (then "sample" if it is there, else the first other one).
 */
export function pickDataset(names: string[], defaultName: string, defaultHasData: boolean): string {
  if (defaultHasData) return defaultName;
  const others = names.filter((n) => n !== defaultName);
  if (!others.length) return defaultName;
  return others.includes('sample') ? 'sample' : others[0];
}

/** Describes the period for headings: "2016-01 to 2019-12", "all time". */
export function describeRange(f: Pick<Filters, 'from' | 'to'>): string {
  if (f.from && f.to) return f.from === f.to ? f.from : `${f.from} to ${f.to}`;
  if (f.from) return `from ${f.from}`;
  if (f.to) return `until ${f.to}`;
  return 'all time';
}

/** The range of equal length just before from..to, for growth. */
export function previousRange(from: string, to: string): { from: string; to: string } | null {
  if (!MONTH.test(from) || !MONTH.test(to)) return null;
  const idx = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
  const lab = (i: number) => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;
  const a = idx(from);
  const b = idx(to);
  if (b < a) return null;
  const n = b - a + 1;
  return { from: lab(a - n), to: lab(a - 1) };
}

/** Days a range of day or week data may span (the API's limit). */
export const maxDayRange = 1000;

/**
 * The grain a trend over from..to (months, YYYY-MM) is drawn at: the one
 * asked for, or month when day or week data would span more days than
 * the API serves, with a note saying so ('' when unchanged).
 */
export function fitGrain(grain: string, from: string, to: string): { grain: string; note: string } {
  if (grain !== 'day' && grain !== 'week') return { grain, note: '' };
  const start = Date.UTC(Number(from.slice(0, 4)), Number(from.slice(5, 7)) - 1, 1);
  const end = Date.UTC(Number(to.slice(0, 4)), Number(to.slice(5, 7)), 1);
  const days = Math.round((end - start) / 86_400_000);
  if (!(days > maxDayRange)) return { grain, note: '' };
  return { grain: 'month', note: `Shown by month: by ${grain} a range of ${days} days is more than the ${maxDayRange} days day data is served for.` };
}
