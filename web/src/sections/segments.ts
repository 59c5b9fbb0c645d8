// Revenue by one dimension: a bar chart with shares and the full table,
// with growth against the previous range when the range is closed.

import { get } from '../api';
import { clear, compactTicks, draw, fitBars, palette } from '../charts';
import { byId, h, put, table, type Column } from '../dom';
import { describeRange, type Filters } from '../filters';
import { count, decimal, growth, money, percent, toNumber } from '../format';
import { dimensionLabel, dimensionTitle, valueLabel } from '../labels';
import { Empty, load } from '../loader';
import type { Breakdown, SegmentRow } from '../types';

const MAX_BARS = 15;
const PAGE = 200;

/** Loads and shows the breakdown for the filters. */
export async function showSegments(f: Filters): Promise<void> {
  const sec = byId('segments');
  const canvas = byId<HTMLCanvasElement>('segments-chart');
  sec.querySelectorAll('.dim-name').forEach((el) => (el.textContent = dimensionLabel(f.dimension)));
  await load(sec, async (signal) => {
    const b = await get<Breakdown>('/v1/segments', { dimension: f.dimension, from: f.from, to: f.to, limit: PAGE }, signal);
    if (!b.segments.length) {
      clear(canvas);
      throw new Empty(`No sales in ${describeRange(f)}.`);
    }
    chart(b, f, canvas);
    const rows = [...b.segments];
    const render = (next: string | null) => {
      const wrap = sec.querySelector('.table-wrap');
      const more = next
        ? h('button', { type: 'button', class: 'more' }, `Show more (${count(b.value_count - rows.length)} left)`)
        : null;
      more?.addEventListener('click', async () => {
        more.setAttribute('disabled', '');
        const page = await get<Breakdown>('/v1/segments', { dimension: f.dimension, from: f.from, to: f.to, limit: PAGE, cursor: next ?? '' });
        rows.push(...page.segments);
        render(page.next_cursor);
      });
      put(wrap, tableOf(b, rows, f), ...(more ? [more] : []));
    };
    render(b.next_cursor);
  });
}

function chart(b: Breakdown, f: Filters, canvas: HTMLCanvasElement): void {
  const shown = b.segments.slice(0, MAX_BARS);
  const restCount = b.value_count - shown.length;
  const labels = shown.map((s) => valueLabel(s));
  const values = shown.map((s) => toNumber(s.revenue));
  if (restCount > 0) {
    labels.push(`${count(restCount)} others`);
    values.push(toNumber(b.revenue) - values.reduce((a, v) => a + v, 0));
  }
  const alt =
    `Bar chart of revenue by ${dimensionLabel(f.dimension)}, ${describeRange(f)}: ` +
    shown.map((s) => `${valueLabel(s)} ${money(s.revenue)} (${percent(s.share)})`).join('; ') +
    (restCount > 0 ? `; and ${count(restCount)} more values, listed in the table.` : '.');
  fitBars(canvas, labels.length);
  draw(
    canvas,
    {
      type: 'bar',
      data: {
        labels,
        datasets: [{ label: 'Revenue', data: values, backgroundColor: labels.map((_, i) => (i < shown.length ? palette[0] : '#6b7280')), borderRadius: 3 }],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const s = shown[ctx.dataIndex];
                return s ? `${money(s.revenue)} · ${percent(s.share)} of revenue` : `${ctx.formattedValue}`;
              },
            },
          },
        },
        scales: { x: { ticks: { callback: compactTicks }, title: { display: true, text: 'Revenue' } } },
      },
    },
    alt,
  );
}

function tableOf(b: Breakdown, rows: SegmentRow[], f: Filters): HTMLTableElement {
  const comparable = b.growth?.previous !== null && b.growth?.previous !== undefined;
  const hasMargin = rows.some((s) => s.margin_rate !== null && s.margin_rate !== undefined);
  const cols: Column<SegmentRow>[] = [
    { key: 'value', label: dimensionTitle(f.dimension), text: (s) => valueLabel(s) },
    { key: 'revenue', label: 'Revenue', numeric: true, text: (s) => money(s.revenue), exact: (s) => s.revenue },
    { key: 'share', label: 'Share', numeric: true, text: (s) => percent(s.share), exact: (s) => s.share ?? undefined },
  ];
  if (comparable) {
    cols.push({
      key: 'growth',
      label: 'Growth',
      numeric: true,
      text: (s) => growth(s.growth?.previous?.rate),
      exact: (s) => s.growth?.previous?.rate ?? undefined,
    });
  }
  cols.push(
    { key: 'orders', label: 'Orders', numeric: true, text: (s) => count(s.orders), exact: (s) => s.orders },
    { key: 'avg_order_value', label: 'Avg order', numeric: true, text: (s) => money(s.avg_order_value), exact: (s) => s.avg_order_value ?? undefined },
  );
  if (hasMargin) {
    cols.push({ key: 'margin_rate', label: 'Margin', numeric: true, text: (s) => percent(s.margin_rate), exact: (s) => s.margin_rate ?? undefined });
  }
  if (rows.some((s) => s.deals)) {
    cols.push(
      { key: 'win_rate', label: 'Win rate', numeric: true, text: (s) => percent(s.deals?.win_rate), exact: (s) => s.deals?.win_rate },
      {
        key: 'avg_cycle_days',
        label: 'Won cycle (days)',
        numeric: true,
        text: (s) => (s.deals?.avg_cycle_days ? decimal(s.deals.avg_cycle_days, 0) : '—'),
        exact: (s) => s.deals?.avg_cycle_days ?? undefined,
      },
    );
  }
  const total: SegmentRow = { ...b, value: 'Total', values: [], share: '1.0000', growth: b.growth };
  const caption = `Revenue by ${dimensionLabel(f.dimension)}, ${b.period?.label && b.period.label !== 'all' ? b.period.label : describeRange(f)}` +
    (comparable ? `; growth vs ${b.comparisons.previous?.label ?? 'the previous period'}` : '') +
    // The rows always add up to the total; say how much of it has a value.
    (b.coverage !== null && b.coverage !== '1.0000' ? `; ${percent(b.coverage)} of revenue has a ${dimensionLabel(f.dimension)}, the rest is “Unassigned”` : '') +
    (b.value_count > rows.length ? ` (${count(rows.length)} of ${count(b.value_count)} values)` : '');
  return table(caption, cols, rows, total);
}
