// Acquisition cost from GET /v1/acquisition, in total or by the segment
// or channel that spend files name, per month, quarter or year picked in
// the section: CAC over time as a line per value, and a table of spend,
// new customers, CAC, payback, mean CLV, CLV:CAC and conversion per
// period. The figures come from the latest recompute snapshot and cover
// the whole history, not the period picked above. Without a spend file
// the section says what to upload.

import { ApiError, get } from '../api';
import { acquisitionLabel, acquisitionNote, cacChart, describeCACChart, emptyMessage } from '../cac';
import { clear, compactTicks, draw, palette } from '../charts';
import { byId, h, put, table, type Column } from '../dom';
import { count, decimal, money, percent, toNumber } from '../format';
import { dimensionLabel, dimensionTitle } from '../labels';
import { Empty, load } from '../loader';
import type { Acquisition, AcquisitionRow, Model } from '../types';

/** The dimensions spend files name, the first one the default. */
const DIMENSIONS = ['total', 'segment', 'channel'];
/** The most CAC lines drawn; the table lists every value. */
const MAX_LINES = 8;

/** Fills the section's dimension picker and reloads the section when either picker changes. */
export function initAcquisition(): void {
  const dim = byId<HTMLSelectElement>('acquisition-dimension');
  dim.replaceChildren(...DIMENSIONS.map((d) => h('option', { value: d }, dimensionTitle(d))));
  for (const sel of [dim, byId('acquisition-grain')]) sel.addEventListener('change', () => void showAcquisition());
}

/** Loads and shows acquisition cost by the picked dimension and period length. */
export async function showAcquisition(): Promise<void> {
  const sec = byId('acquisition');
  const canvas = byId<HTMLCanvasElement>('acquisition-chart');
  const note = byId('acquisition-note');
  const dim = byId<HTMLSelectElement>('acquisition-dimension').value;
  const grain = byId<HTMLSelectElement>('acquisition-grain').value;
  await load(
    sec,
    async (signal) => {
      note.hidden = true;
      clear(canvas);
      const a = await fetchAcquisition(dim, grain, signal);
      if (!a.rows.length) throw new Empty(emptyMessage(dim));
      note.textContent = acquisitionNote(a);
      note.hidden = false;
      chart(a, canvas);
      put(sec.querySelector('.table-wrap'), tableOf(a));
    },
    'Not computed yet',
  );
}

/**
 * Gets the acquisition figures. The API answers 404 both before the
 * first recompute and when no spend file gives figures for the
 * dimension; only the second is the section's empty state, so a 404 is
 * told apart by whether a snapshot exists.
 */
async function fetchAcquisition(dim: string, grain: string, signal: AbortSignal): Promise<Acquisition> {
  try {
    return await get<Acquisition>('/v1/acquisition', { dimension: dim, period: grain }, signal);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    await get<Model>('/v1/analytics/model', undefined, signal).catch(() => Promise.reject(e));
    throw new Empty(emptyMessage(dim, e.problem.detail));
  }
}

function chart(a: Acquisition, canvas: HTMLCanvasElement): void {
  const c = cacChart(a, MAX_LINES);
  draw(
    canvas,
    {
      type: 'line',
      data: {
        labels: c.periods,
        datasets: c.lines.map((l, i) => ({
          label: l.value,
          data: l.cac.map((v) => (v === null ? null : toNumber(v))),
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          borderWidth: 2,
          pointRadius: 2,
        })),
      },
      options: {
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 14 } } },
        scales: { y: { beginAtZero: true, ticks: { callback: compactTicks }, title: { display: true, text: 'CAC' } } },
      },
    },
    describeCACChart(c, a.dimension, a.period),
  );
}

function tableOf(a: Acquisition): HTMLTableElement {
  const byValue: Column<AcquisitionRow>[] = a.dimension === 'total' ? [] : [{ key: 'value', label: dimensionTitle(a.dimension), text: acquisitionLabel }];
  const cols: Column<AcquisitionRow>[] = [
    ...byValue,
    { key: 'period', label: 'Period', text: (r) => r.period },
    { key: 'spend', label: 'Spend', numeric: true, text: (r) => money(r.spend), exact: (r) => r.spend },
    { key: 'new_customers', label: 'New customers', numeric: true, text: (r) => count(r.new_customers), exact: (r) => r.new_customers },
    { key: 'cac', label: 'CAC', numeric: true, text: (r) => money(r.cac), exact: (r) => r.cac ?? undefined },
    {
      key: 'payback_months',
      label: 'Payback (months)',
      numeric: true,
      text: (r) => (r.payback_months === null ? '—' : decimal(r.payback_months, 1)),
      exact: (r) => r.payback_months ?? undefined,
    },
    { key: 'mean_clv', label: 'Mean CLV', numeric: true, text: (r) => money(r.mean_clv), exact: (r) => r.mean_clv ?? undefined },
    {
      key: 'clv_to_cac',
      label: 'CLV:CAC',
      numeric: true,
      text: (r) => (r.clv_to_cac === null ? '—' : decimal(r.clv_to_cac, 2)),
      exact: (r) => r.clv_to_cac ?? undefined,
    },
    { key: 'conversion', label: 'Conversion', numeric: true, text: (r) => percent(r.conversion), exact: (r) => r.conversion ?? undefined },
  ];
  const by = a.dimension === 'total' ? '' : ` by ${dimensionLabel(a.dimension)}`;
  const basis = a.payback_basis === 'gross_margin' ? 'gross margin' : 'revenue';
  return table(`Acquisition cost per ${a.period}${by}; payback on ${basis}`, cols, a.rows);
}
