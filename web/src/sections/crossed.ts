// Two dimensions crossed (GET /v1/segments?dimension=a,b), shown as a heat
// map table: a row per value of the first dimension, a column per value of
// the second, each cell shaded by its revenue and showing the figure, so
// the table is its own text alternative.

import { get } from '../api';
import { byId, h, put, withCSV } from '../dom';
import { describeRange, type Filters } from '../filters';
import { count, decimal, money } from '../format';
import { dimensionLabel, dimensionTitle, unassignedLabel } from '../labels';
import { Empty, load } from '../loader';
import type { Breakdown } from '../types';

const MAX_ROWS = 25;
const MAX_COLS = 12;

/** Loads and shows the crossed breakdown when a second dimension is picked. */
export async function showCrossed(f: Filters): Promise<void> {
  const sec = byId('heatmap');
  const heading = byId('heatmap-h');
  heading.textContent = f.cross ? `Revenue by ${dimensionLabel(f.dimension)} × ${dimensionLabel(f.cross)}` : 'Crossed dimensions';
  await load(sec, async (signal) => {
    if (!f.cross) throw new Empty('Pick a second dimension under “Crossed with” to see a heat map.');
    const b = await get<Breakdown>('/v1/segments', { dimension: `${f.dimension},${f.cross}`, from: f.from, to: f.to, limit: 500 }, signal);
    if (!b.segments.length) throw new Empty(`The API has no ${dimensionLabel(f.dimension)} × ${dimensionLabel(f.cross)} figures for ${describeRange(f)}.`);
    const rowTotals = new Map<string, number>();
    const colTotals = new Map<string, number>();
    const cells = new Map<string, string>();
    for (const s of b.segments) {
      const [r, c] = s.values.map((v) => v ?? unassignedLabel);
      const v = Number(s.revenue);
      rowTotals.set(r, (rowTotals.get(r) ?? 0) + v);
      colTotals.set(c, (colTotals.get(c) ?? 0) + v);
      cells.set(`${r}\u0000${c}`, s.revenue);
    }
    const rank = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    const rows = rank(rowTotals).slice(0, MAX_ROWS);
    const cols = rank(colTotals).slice(0, MAX_COLS);
    let max = 0;
    for (const r of rows) for (const c of cols) max = Math.max(max, Number(cells.get(`${r}\u0000${c}`) ?? 0));
    const cell = (r: string, c: string) => {
      const exact = cells.get(`${r}\u0000${c}`);
      const v = Number(exact ?? 0);
      const t = max > 0 ? v / max : 0;
      // From near white to mid blue: dark text keeps at least 4.5:1
      // contrast on every shade.
      const light = Math.round(97 - t * 37);
      const td = h('td', { class: 'num', 'data-exact': exact, title: exact ? `${r} × ${c}: ${money(exact)}` : undefined }, exact ? decimal(exact, 0) : '—');
      td.style.backgroundColor = `hsl(212 70% ${light}%)`;
      td.style.color = '#111827';
      return td;
    };
    const note = rows.length < rowTotals.size || cols.length < colTotals.size
      ? ` Showing the top ${rows.length} of ${rowTotals.size} and ${cols.length} of ${colTotals.size} values.`
      : '';
    put(
      sec.querySelector('.table-wrap'),
      withCSV(h(
        'table',
        { class: 'heat' },
        h('caption', {}, `Revenue by ${dimensionLabel(f.dimension)} (rows) and ${dimensionLabel(f.cross)} (columns), ${describeRange(f)}, rounded to whole units; darker is more.${note}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, `${dimensionTitle(f.dimension)} \\ ${dimensionTitle(f.cross)}`), ...cols.map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
        h('tbody', {}, ...rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r), ...cols.map((c) => cell(r, c))))),
      )),
    );
    if (b.next_cursor) sec.querySelector('.table-wrap')?.append(h('p', { class: 'muted' }, `${count(b.value_count)} combinations; the first ${count(b.segments.length)} by revenue are shown.`));
  });
}
