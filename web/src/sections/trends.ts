// Revenue over time from GET /v1/trend: a line per top value of the
// dimension (and "Other"), growth in the tooltips, and a table with the
// total's growth against the previous period and a year earlier.

import { get } from '../api';
import { compactTicks, draw, palette } from '../charts';
import { byId, put, table, type Column } from '../dom';
import { fitGrain, type Filters } from '../filters';
import { growth, money } from '../format';
import { dimensionLabel, valueLabel } from '../labels';
import { Empty, load } from '../loader';
import type { Point, Trend } from '../types';

const TOP = 6;

type Range = { from: string; to: string } | null;

/** The data range, for trends over "all time" (they need a closed range). */
let dataRange: Promise<Range> = Promise.resolve(null);

/** Sets the months the data spans (from GET /v1/dimensions), or a promise of them. */
export function setDataRange(r: Range | Promise<Range>): void {
  dataRange = Promise.resolve(r);
}

/** Loads and shows the trend lines for the filters. */
export async function showTrends(f: Filters): Promise<void> {
  const sec = byId('trends');
  const canvas = byId<HTMLCanvasElement>('trends-chart');
  sec.querySelectorAll('.dim-name').forEach((el) => (el.textContent = dimensionLabel(f.dimension)));
  await load(sec, async (signal) => {
    const range = f.from && f.to ? null : await dataRange;
    const from = f.from || range?.from;
    const to = f.to || range?.to;
    if (!from || !to) throw new Empty('No data yet: upload a file to see trends.');
    const fit = fitGrain(f.grain, from, to);
    const t = await get<Trend>('/v1/trend', { dimension: f.dimension, from, to, grain: fit.grain, top: TOP }, signal);
    if (!t.series.length) throw new Empty('No sales in this range.');
    const labels = t.periods.map((p) => p.label);
    const lines = [
      ...t.series.map((s, i) => ({ label: valueLabel(s), revenue: s.revenue, points: s.points, color: palette[i % palette.length], dash: [] as number[] })),
      ...(t.other ? [{ label: `Other (${t.other.value_count})`, revenue: t.other.revenue, points: t.other.points, color: '#6b7280', dash: [6, 4] }] : []),
    ];
    const alt =
      `Line chart of revenue by ${dimensionLabel(f.dimension)} per ${t.period.grain}, ${labels[0]} to ${labels[labels.length - 1]}. ` +
      lines.map((l) => `${l.label}: ${money(l.revenue)} in all`).join('; ') +
      '. The table below lists the totals per period with growth.';
    draw(
      canvas,
      {
        type: 'line',
        data: {
          labels,
          datasets: lines.map((l) => ({
            label: l.label,
            data: l.points.map((p) => Number(p.revenue)),
            borderColor: l.color,
            backgroundColor: l.color,
            borderDash: l.dash,
            borderWidth: 2,
            pointRadius: labels.length > 60 ? 0 : 2,
            tension: 0,
          })),
        },
        options: {
          interaction: { mode: 'index', intersect: false },
          plugins: {
            legend: { position: 'bottom', labels: { boxWidth: 14 } },
            tooltip: {
              callbacks: {
                label: (ctx) => {
                  const p = lines[ctx.datasetIndex]?.points[ctx.dataIndex];
                  return p ? `${ctx.dataset.label}: ${money(p.revenue)} (${growth(p.growth.previous?.rate)} vs previous)` : '';
                },
              },
            },
          },
          scales: { y: { beginAtZero: true, ticks: { callback: compactTicks }, title: { display: true, text: 'Revenue' } } },
        },
      },
      alt,
    );
    const cols: Column<Point>[] = [
      { key: 'period', label: 'Period', text: (p) => p.period },
      { key: 'revenue', label: 'Revenue', numeric: true, text: (p) => money(p.revenue), exact: (p) => p.revenue },
      { key: 'growth_previous', label: 'vs previous', numeric: true, text: (p) => growth(p.growth.previous?.rate), exact: (p) => p.growth.previous?.rate ?? undefined },
      { key: 'growth_year_ago', label: 'vs a year earlier', numeric: true, text: (p) => growth(p.growth.year_ago?.rate), exact: (p) => p.growth.year_ago?.rate ?? undefined },
      ...t.series.map((s, i) => ({
        key: `series-${i}`,
        label: valueLabel(s),
        numeric: true,
        text: (p: Point) => money(s.points[t.total.points.indexOf(p)]?.revenue),
        exact: (p: Point) => s.points[t.total.points.indexOf(p)]?.revenue,
      })),
    ];
    put(sec.querySelector('.table-wrap'), table(`Total revenue per ${t.period.grain} with growth, and the top ${t.series.length} values`, cols, t.total.points));
    const note = sec.querySelector('.grain-note');
    if (note) note.textContent = fit.note;
  });
}
