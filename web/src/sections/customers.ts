// Customer analytics from the latest recompute snapshot (GET
// /v1/analytics/*): value tiers, RFM groups, propensity × potential
// quadrants, CLV with the model's holdout check, and the revenue bridge.
// They cover the whole history as of the snapshot, not the period picked
// above. Before recompute has run the API answers 404 and each section
// says "Not computed yet" with the API's reason; quadrants and CLV say
// "Not shown" with the API's reason, which is also why the CLV model was
// withheld when it could not be trusted (see clv_status), and the holdout
// check says why it has nothing to show; nothing is ever made up.

import { ApiError, currentDataset, get } from '../api';
import { compactTicks, draw, palette, tone } from '../charts';
import { byId, h, put, table, withCSV, type Column } from '../dom';
import type { Filters } from '../filters';
import { addDecimals, count, decimal, money, percent, toNumber } from '../format';
import { dimensionLabel, dimensionTitle } from '../labels';
import { describeHoldoutChart, frequencyLabel, holdoutSentence } from '../holdout';
import { Empty, load } from '../loader';
import type { Bridge, BridgeRow, Customer, CustomerList, Forecast, GroupAnalytics, GroupFigures, Holdout, HoldoutGroup, Model, Movement, Snapshot } from '../types';

const NOT_YET = 'Not computed yet';
const NOT_SHOWN = 'Not shown';
const MAX_VALUES = 8;

/** The snapshot the sections show, for the watcher after uploads. */
let shownSnapshot: string | null = null;

/** Loads and shows every customer analytics section. */
export async function showCustomers(f: Filters): Promise<void> {
  await Promise.all([
    load(byId('tiers'), (s) => groups('tiers', 'Tier', f, s), NOT_YET),
    load(byId('rfm'), (s) => groups('rfm', 'RFM group', f, s), NOT_YET),
    load(byId('quadrants'), (s) => quadrants(f, s), NOT_SHOWN),
    load(byId('clv'), (s) => clv(f, s), NOT_SHOWN),
    load(byId('holdout'), holdoutCheck, NOT_YET),
    load(byId('bridge'), (s) => bridge(f, s), NOT_YET),
  ]);
}

/** Notes the snapshot on the page: "computed …, purchases up to …". */
function noteSnapshot(s: Snapshot): void {
  shownSnapshot = s.id;
  byId('asof').textContent = `· snapshot computed ${new Date(s.computed_at).toLocaleString()}, as of ${s.as_of}; whole history, not the period above`;
}

/**
 * Watches for a newer snapshot after an upload (recompute runs shortly
 * after ingestion) and calls onNew once it is there.
 */
export async function watchSnapshot(onNew: () => void, limitMs = 5 * 60_000): Promise<void> {
  const status = byId('recompute-status');
  status.textContent = 'Recomputing customer analytics after the upload…';
  const until = Date.now() + limitMs;
  const dataset = currentDataset();
  // Another dataset picked meanwhile shows its own snapshot: stop watching.
  while (Date.now() < until && currentDataset() === dataset) {
    try {
      const m = await get<Model>('/v1/analytics/model');
      if (m.snapshot.id !== shownSnapshot) {
        status.textContent = '';
        onNew();
        return;
      }
    } catch {
      // 404 until the first snapshot exists; anything else (a timeout, a
      // busy server) is worth another try until the limit.
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  status.textContent = '';
}

/** The analytics of the whole business and, if another dimension is picked, by that dimension. */
async function both<T extends { snapshot: Snapshot }>(path: string, f: Filters, signal: AbortSignal, extra: Record<string, string> = {}): Promise<[T, T | null]> {
  const total = get<T>(path, { dimension: 'total', ...extra }, signal);
  const by =
    f.dimension === 'total'
      ? Promise.resolve(null)
      : get<T>(path, { dimension: f.dimension, ...extra }, signal).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)));
  const [t, b] = await Promise.all([total, by]);
  noteSnapshot(t.snapshot);
  return [t, b];
}

const groupColumns = (label: string): Column<GroupFigures>[] => [
  { key: 'group', label, text: (g) => g.group },
  { key: 'customers', label: 'Customers', numeric: true, text: (g) => count(g.customers), exact: (g) => g.customers },
  { key: 'customer_share', label: '% of customers', numeric: true, text: (g) => percent(g.customer_share), exact: (g) => g.customer_share },
  { key: 'revenue', label: 'Revenue', numeric: true, text: (g) => money(g.revenue), exact: (g) => g.revenue },
  { key: 'revenue_share', label: '% of revenue', numeric: true, text: (g) => percent(g.revenue_share), exact: (g) => g.revenue_share },
];

/** Customers per group by dimension value: groups down, values across. */
function byValueTable(a: GroupAnalytics, groupLabel: string): HTMLElement {
  const values = [...a.rows].sort((x, y) => toNumber(y.revenue) - toNumber(x.revenue)).slice(0, MAX_VALUES);
  const names = [...new Set(a.rows.flatMap((r) => r.groups.map((g) => g.group)))];
  const more = a.rows.length > values.length ? ` (the ${values.length} largest of ${a.rows.length} values)` : '';
  return h(
    'details',
    {},
    h('summary', {}, `By ${dimensionLabel(a.dimension)}${more}`),
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `${groupLabel} by ${dimensionLabel(a.dimension)}` },
      withCSV(h(
        'table',
        {},
        h('caption', {}, `Customers, and share of the value's revenue, per ${groupLabel.toLowerCase()} and ${dimensionLabel(a.dimension)}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, groupLabel), ...values.map((v) => h('th', { scope: 'col', class: 'num' }, v.value)))),
        h(
          'tbody',
          {},
          ...names.map((n) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, n),
              ...values.map((v) => {
                const g = v.groups.find((x) => x.group === n);
                return h('td', { class: 'num', 'data-exact': g ? String(g.customers) : undefined }, g ? `${count(g.customers)} · ${percent(g.revenue_share)}` : '—');
              }),
            ),
          ),
        ),
      )),
    ),
  );
}

/** Value tiers or RFM groups: shares of customers and revenue per group. */
async function groups(kind: 'tiers' | 'rfm', label: string, f: Filters, signal: AbortSignal): Promise<void> {
  const sec = byId(kind);
  const [total, by] = await both<GroupAnalytics>(`/v1/analytics/${kind}`, f, signal);
  const all = total.rows[0];
  if (!all || !all.groups.length) throw new Empty('Computed, but there are no customers yet.');
  const gs = all.groups;
  draw(
    byId<HTMLCanvasElement>(`${kind}-chart`),
    {
      type: 'bar',
      data: {
        labels: gs.map((g) => g.group),
        datasets: [
          { label: 'Share of customers', data: gs.map((g) => toNumber(g.customer_share) * 100), backgroundColor: palette[0] },
          { label: 'Share of revenue', data: gs.map((g) => toNumber(g.revenue_share) * 100), backgroundColor: palette[1] },
        ],
      },
      options: {
        indexAxis: gs.length > 4 ? 'y' : 'x',
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 14 } }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${Number(c.raw).toFixed(1)}%` } } },
        scales: { [gs.length > 4 ? 'x' : 'y']: { beginAtZero: true, ticks: { callback: (v: string | number) => `${v}%` } } },
      },
    },
    `Bar chart of the share of customers and of revenue per ${label.toLowerCase()}: ` +
      gs.map((g) => `${g.group} ${percent(g.customer_share)} of customers, ${percent(g.revenue_share)} of revenue`).join('; ') + '.',
  );
  const fig = byId(`${kind}-chart`).parentElement;
  if (fig) fig.style.height = gs.length > 4 ? `${Math.max(260, 60 + gs.length * 34)}px` : '';
  if (kind === 'tiers') await customerList(gs.map((g) => g.group), signal);
  put(
    sec.querySelector('.table-wrap'),
    table(`${label}s of all ${count(all.customers)} customers (${money(all.revenue)} revenue)`, groupColumns(label), gs),
    ...(by && by.rows.length ? [byValueTable(by, label)] : []),
  );
}

/** How many of the ranked customers the tiers section lists. */
const TOP_CUSTOMERS = 20;

/**
 * The customer list's filters, as GET /v1/analytics/customers takes them:
 * tier, RFM group, quadrant and segment (dimension=segment&value=…); ''
 * for any.
 */
interface CustomerFilters {
  tier: string;
  rfm_group: string;
  quadrant: string;
  segment: string;
}

const noCustomerFilter: CustomerFilters = { tier: '', rfm_group: '', quadrant: '', segment: '' };

/** The filters picked; kept across reloads of the section, cleared with another dataset. */
let customerFilters: CustomerFilters = { ...noCustomerFilter };

/** The filter controls: each filter's select. */
const FILTER_SELECTS: [keyof CustomerFilters, string][] = [
  ['tier', 'c-tier'],
  ['rfm_group', 'c-rfm'],
  ['quadrant', 'c-quadrant'],
  ['segment', 'c-segment'],
];

/** Clears the customer list's filters (another dataset has other values). */
export function resetCustomerFilters(): void {
  customerFilters = { ...noCustomerFilter };
}

/** Wires the customer list's filter controls: a change reloads the list only. */
export function initCustomerFilters(): void {
  for (const [key, id] of FILTER_SELECTS) {
    byId<HTMLSelectElement>(id).addEventListener('change', (ev) => {
      customerFilters = { ...customerFilters, [key]: (ev.target as HTMLSelectElement).value };
      void load(byId('customer-list'), (signal) => listCustomers(signal));
    });
  }
  byId<HTMLFormElement>('customer-filters').addEventListener('submit', (ev) => ev.preventDefault());
}

/** Fills a filter's select with "Any" and names; disabled, with why, when there are none. */
function fillFilter(id: string, names: string[], none: string): void {
  const sel = byId<HTMLSelectElement>(id);
  const key = FILTER_SELECTS.find(([, i]) => i === id)?.[0] as keyof CustomerFilters;
  if (!names.includes(customerFilters[key])) customerFilters = { ...customerFilters, [key]: '' };
  sel.replaceChildren(h('option', { value: '' }, names.length ? 'Any' : none), ...names.map((n) => h('option', { value: n }, n)));
  sel.value = customerFilters[key];
  sel.disabled = names.length === 0;
}

/**
 * The customer list with its filters: the names each filter offers come
 * from the snapshot (tiers, RFM groups, quadrants when the model was
 * trusted, segments when customers have one).
 */
async function customerList(tiers: string[], signal: AbortSignal): Promise<void> {
  const named = (a: GroupAnalytics | null) => a?.rows[0]?.groups.map((g) => g.group) ?? [];
  const [rfm, quad, seg] = await Promise.all([
    get<GroupAnalytics>('/v1/analytics/rfm', { dimension: 'total' }, signal).catch(() => null),
    get<GroupAnalytics>('/v1/analytics/quadrants', { dimension: 'total' }, signal).catch(() => null),
    get<GroupAnalytics>('/v1/analytics/tiers', { dimension: 'segment' }, signal).catch(() => null),
  ]);
  fillFilter('c-tier', tiers, 'No tiers');
  fillFilter('c-rfm', named(rfm), 'No RFM groups');
  fillFilter('c-quadrant', quad ? QUADRANTS.map((q) => q.name).filter((n) => named(quad).some((g) => g.toLowerCase() === n.toLowerCase())) : [], 'Not available');
  fillFilter('c-segment', (seg?.rows ?? []).map((r) => r.value).filter((v): v is string => typeof v === 'string' && v !== '').sort(), 'No segments');
  await load(byId('customer-list'), (s) => listCustomers(s));
}

/** Describes the filters picked: "tier A, segment Consumer"; '' for none. */
function describeCustomerFilters(f: CustomerFilters): string {
  const parts = [
    f.tier && `tier ${f.tier}`,
    f.rfm_group && `RFM group ${f.rfm_group}`,
    f.quadrant && `quadrant ${f.quadrant}`,
    f.segment && `segment ${f.segment}`,
  ].filter(Boolean);
  return parts.join(', ');
}

/** The first customers of the snapshot's ranking that match the filters, with their names (blank when no file gave one). */
async function listCustomers(signal: AbortSignal): Promise<void> {
  const f = customerFilters;
  const list = await get<CustomerList>(
    '/v1/analytics/customers',
    { limit: TOP_CUSTOMERS, tier: f.tier, rfm_group: f.rfm_group, quadrant: f.quadrant, ...(f.segment ? { dimension: 'segment', value: f.segment } : {}) },
    signal,
  );
  const which = describeCustomerFilters(f);
  const wrap = byId('customer-list').querySelector('.table-wrap');
  if (!list.customers.length) {
    put(wrap); // the tiers section shows this wrapper when it is ready
    throw new Empty(which ? `No customer has ${which}.` : 'Computed, but there are no customers yet.');
  }
  const t = table(
    `Top ${count(list.customers.length)} of ${count(list.total)} customers${which ? ` with ${which}` : ''} (by predicted CLV, or by revenue without a CLV model)`,
    [
      { key: 'id', label: 'Customer', text: (c) => c.id },
      { key: 'name', label: 'Name', text: (c) => c.name ?? '' },
      { key: 'tier', label: 'Tier', text: (c) => c.tier },
      { key: 'rfm_group', label: 'RFM group', text: (c) => c.rfm_group },
      // Quadrant and segment only when some customer has one.
      ...(list.customers.some((c) => c.quadrant) ? [{ key: 'quadrant', label: 'Quadrant', text: (c: Customer) => c.quadrant ?? '' }] : []),
      ...(list.customers.some((c) => c.attributes.segment) ? [{ key: 'segment', label: 'Segment', text: (c: Customer) => c.attributes.segment ?? '' }] : []),
      { key: 'revenue', label: 'Revenue', numeric: true, text: (c) => money(c.revenue), exact: (c) => c.revenue },
    ],
    list.customers,
  );
  t.id = 'top-customers';
  put(wrap, t);
}

const QUADRANTS: { name: string; hint: string }[] = [
  { name: 'Nurture', hint: 'low propensity, high potential' },
  { name: 'Prioritize', hint: 'high propensity, high potential' },
  { name: 'Deprioritize', hint: 'low propensity, low potential' },
  { name: 'Monitor', hint: 'high propensity, low potential' },
];

/** The 2 × 2 grid (potential up, propensity right), shaded by share of revenue. */
async function quadrants(f: Filters, signal: AbortSignal): Promise<void> {
  const sec = byId('quadrants');
  const [total, by] = await both<GroupAnalytics>('/v1/analytics/quadrants', f, signal);
  const all = total.rows[0];
  if (!all || !all.groups.length) throw new Empty('Computed, but there are no customers yet.');
  const find = (n: string) => all.groups.find((g) => g.group.toLowerCase() === n.toLowerCase());
  put(
    sec.querySelector('.quad'),
    h('span', { class: 'axis-y' }, 'Potential ↑'),
    ...QUADRANTS.map((q) => {
      const g = find(q.name);
      const cell = h(
        'div',
        { 'data-quadrant': q.name.toLowerCase() },
        h('strong', {}, q.name),
        h('span', { class: 'muted small' }, q.hint),
        h('span', {}, g ? `${count(g.customers)} customers (${percent(g.customer_share)})` : '—'),
        h('span', {}, g ? `${money(g.revenue)} (${percent(g.revenue_share)} of revenue)` : ''),
      );
      cell.style.backgroundColor = `hsl(160 45% ${Math.round(97 - toNumber(g?.revenue_share) * 30)}%)`;
      return cell;
    }),
    h('span', { class: 'axis-x' }, 'Propensity →'),
  );
  put(
    sec.querySelector('.table-wrap'),
    table(`Quadrants of all ${count(all.customers)} customers`, groupColumns('Quadrant'), QUADRANTS.map((q) => find(q.name)).filter((g): g is GroupFigures => !!g)),
    ...(by && by.rows.length ? [byValueTable(by, 'Quadrant')] : []),
  );
}

/** Histogram edges for values: 8 "nice" equal bins up to the 95th percentile, then one open bin. */
function bins(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const hi = Math.max(sorted[Math.floor(0.95 * (sorted.length - 1))] ?? 0, 1e-9);
  const raw = hi / 8;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  return Array.from({ length: 9 }, (_, i) => i * step);
}

const fmtEdge = (v: number) => (v >= 1000 ? compactTicks(v) : String(Number(v.toPrecision(3))));

/** CLV: the distribution over customers (when there are few enough to list) and the forecast by value. */
async function clv(f: Filters, signal: AbortSignal): Promise<void> {
  const sec = byId('clv');
  const [total, by] = await both<Forecast>('/v1/analytics/forecast', f, signal);
  const model = await get<Model>('/v1/analytics/model', undefined, signal).catch(() => null);
  const horizon = model?.meta.clv?.horizon_months ?? 12;
  const rows = by?.rows.length ? by.rows : total.rows;
  const nodes: Node[] = [];
  // The distribution needs every customer's CLV: list them when that takes
  // a few requests; otherwise show the forecast only.
  const first = await get<CustomerList>('/v1/analytics/customers', { limit: 500 }, signal);
  const canvas = byId<HTMLCanvasElement>('clv-chart');
  if (first.total <= 2500) {
    const clvs = first.customers.map((c) => c.clv);
    for (let next = first.next_cursor; next; ) {
      const page = await get<CustomerList>('/v1/analytics/customers', { limit: 500, cursor: next }, signal);
      clvs.push(...page.customers.map((c) => c.clv));
      next = page.next_cursor;
    }
    const known = clvs.filter((v): v is string => typeof v === 'string').map(Number).filter(Number.isFinite);
    if (known.length) {
      const edges = bins(known);
      const last = edges.length - 1;
      const counts = edges.map((lo, i) => known.filter((v) => (i === 0 || v >= lo) && (i === last || v < edges[i + 1])).length);
      const labels = edges.map((lo, i) => (i === last ? `${fmtEdge(lo)}+` : `${fmtEdge(lo)}–${fmtEdge(edges[i + 1])}`));
      draw(
        canvas,
        {
          type: 'bar',
          data: { labels, datasets: [{ label: 'Customers', data: counts, backgroundColor: palette[2], borderRadius: 3 }] },
          options: {
            plugins: { legend: { display: false } },
            scales: { x: { title: { display: true, text: `CLV over ${horizon} months` } }, y: { beginAtZero: true, title: { display: true, text: 'Customers' } } },
          },
        },
        `Histogram of customer lifetime value over ${horizon} months for ${count(known.length)} customers: ` + labels.map((l, i) => `${l}: ${counts[i]}`).join('; ') + '.',
      );
      nodes.push(
        h('p', { class: 'muted small' }, `${count(known.length)} of ${count(first.total)} customers have a CLV prediction.`),
      );
    }
  }
  if (!nodes.length) {
    // Too many customers to list (or none with a prediction): chart the
    // projected revenue by value instead of the distribution.
    draw(
      canvas,
      {
        type: 'bar',
        data: { labels: rows.map((r) => r.value), datasets: [{ label: 'Projected revenue', data: rows.map((r) => toNumber(r.projected_revenue)), backgroundColor: palette[2], borderRadius: 3 }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { callback: compactTicks } } } },
      },
      `Bar chart of projected revenue over ${horizon} months: ` + rows.map((r) => `${r.value} ${money(r.projected_revenue)}`).join('; ') + '.',
    );
    nodes.push(h('p', { class: 'muted small' }, `${count(first.total)} customers: the chart shows the projected revenue by value, not the distribution.`));
  }
  nodes.push(
    table(
      `Forecast over the next ${horizon} months by ${dimensionLabel(by?.rows.length ? f.dimension : 'total')}: expected active customers, expected purchases and projected revenue`,
      [
        { key: 'value', label: by?.rows.length ? dimensionTitle(f.dimension) : 'Customers', text: (r) => (r.value === 'all' ? 'All' : r.value) },
        { key: 'customers', label: 'Customers', numeric: true, text: (r) => count(r.customers), exact: (r) => r.customers },
        { key: 'revenue', label: 'Revenue to date', numeric: true, text: (r) => money(r.revenue), exact: (r) => r.revenue },
        { key: 'expected_active', label: 'Exp. active', numeric: true, text: (r) => decimal(r.expected_active, 1), exact: (r) => r.expected_active },
        { key: 'expected_purchases', label: 'Exp. purchases', numeric: true, text: (r) => decimal(r.expected_purchases, 1), exact: (r) => r.expected_purchases },
        { key: 'projected_revenue', label: 'Projected', numeric: true, text: (r) => money(r.projected_revenue), exact: (r) => r.projected_revenue },
      ],
      rows,
    ),
  );
  const warnings = model?.meta.warnings ?? [];
  if (warnings.length) nodes.push(h('p', { class: 'muted small' }, `Model notes: ${warnings.join(' ')}`));
  put(sec.querySelector('.table-wrap'), ...nodes);
}

/**
 * The CLV model's holdout check: purchase days per customer in the
 * holdout, actual against predicted, by calibration frequency (as
 * Fader, Hardie & Lee chart CDNOW), with the sentence that sums it up; or
 * the API's reason when there was nothing to check.
 */
async function holdoutCheck(signal: AbortSignal): Promise<void> {
  const sec = byId('holdout');
  const summary = byId('holdout-summary');
  summary.hidden = true;
  const ho = await get<Holdout>('/v1/analytics/holdout', undefined, signal);
  noteSnapshot(ho.snapshot);
  const r = ho.report;
  if (!r) throw new Empty(holdoutSentence(ho));
  summary.textContent = holdoutSentence(ho);
  summary.hidden = false;
  draw(
    byId<HTMLCanvasElement>('holdout-chart'),
    {
      type: 'bar',
      data: {
        labels: r.groups.map(frequencyLabel),
        datasets: [
          { label: 'Actual', data: r.groups.map((g) => toNumber(g.actual_per_customer)), backgroundColor: palette[1] },
          { label: 'Predicted', data: r.groups.map((g) => toNumber(g.predicted_per_customer)), backgroundColor: palette[0] },
        ],
      },
      options: {
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 14 } } },
        scales: {
          x: { title: { display: true, text: 'Repeat purchase days up to the calibration end' } },
          y: { beginAtZero: true, title: { display: true, text: 'Purchase days per customer' } },
        },
      },
    },
    describeHoldoutChart(r),
  );
  const cols: Column<HoldoutGroup>[] = [
    { key: 'frequency', label: 'Repeat days', text: frequencyLabel },
    { key: 'customers', label: 'Customers', numeric: true, text: (g) => count(g.customers), exact: (g) => g.customers },
    { key: 'actual', label: 'Actual', numeric: true, text: (g) => count(g.actual), exact: (g) => g.actual },
    { key: 'predicted', label: 'Predicted', numeric: true, text: (g) => decimal(g.predicted, 2), exact: (g) => g.predicted },
    { key: 'actual_per_customer', label: 'Actual per customer', numeric: true, text: (g) => decimal(g.actual_per_customer, 2), exact: (g) => g.actual_per_customer },
    { key: 'predicted_per_customer', label: 'Predicted per customer', numeric: true, text: (g) => decimal(g.predicted_per_customer, 2), exact: (g) => g.predicted_per_customer },
  ];
  put(
    sec.querySelector('.table-wrap'),
    table(`Purchase days from ${r.from} to ${r.to} by repeat purchase days up to ${ho.calibration_end}: actual and predicted`, cols, r.groups, r.total),
  );
}

const MOVES: (keyof BridgeRow & ('new' | 'reactivated' | 'expansion' | 'contraction' | 'churned'))[] = ['new', 'reactivated', 'expansion', 'contraction', 'churned'];

/** A month as a period label of the bridge's grain, for its from/to filter. */
function inGrain(month: string, grain: string): string {
  if (!month) return '';
  const [y, m] = month.split('-');
  if (grain === 'year') return y;
  if (grain === 'quarter') return `${y}-Q${Math.floor((Number(m) - 1) / 3) + 1}`;
  return month;
}

/** The revenue bridge of the whole business as a waterfall, and per period. */
async function bridge(f: Filters, signal: AbortSignal): Promise<void> {
  const sec = byId('bridge');
  const grain = ['month', 'quarter', 'year'].includes(f.grain) ? f.grain : 'quarter';
  const b = await get<Bridge>('/v1/analytics/bridge', { dimension: 'total', grain, from: inGrain(f.from, grain), to: inGrain(f.to, grain) }, signal);
  noteSnapshot(b.snapshot);
  const rows = [...b.rows].sort((x, y) => x.period.localeCompare(y.period));
  if (!rows.length) throw new Empty('Computed, but the bridge has no periods in this range.');
  // With a range, chain its periods (movements add up exactly); without,
  // show the latest period against the one before.
  const span = f.from || f.to ? rows : rows.slice(-1);
  const start = span[0].start.revenue;
  const end = span[span.length - 1].end.revenue;
  const moves = MOVES.map((m) => ({ name: m, revenue: addDecimals(...span.map((r) => (r[m] as Movement).revenue)) }));
  const label = `${span[0].previous} to ${span[span.length - 1].period}`;
  byId('bridge-h').textContent = `Revenue bridge, ${label}`;
  const bars: [number, number][] = [[0, toNumber(start)]];
  const colors: string[] = [tone.total];
  let level = toNumber(start);
  for (const m of moves) {
    const v = toNumber(m.revenue);
    bars.push([level, level + v]);
    colors.push(v >= 0 ? tone.up : tone.down);
    level += v;
  }
  bars.push([0, toNumber(end)]);
  colors.push(tone.total);
  const names = ['Start', 'New', 'Reactivated', 'Expansion', 'Contraction', 'Churned', 'End'];
  const chart = byId<HTMLCanvasElement>('bridge-chart');
  // The exact figures behind the bars, for tests and anyone inspecting.
  chart.dataset.bridge = JSON.stringify({ from: span[0].previous, to: span[span.length - 1].period, start, end, moves });
  draw(
    chart,
    {
      type: 'bar',
      data: { labels: names, datasets: [{ label: 'Revenue', data: bars, backgroundColor: colors }] },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => { const i = c.dataIndex; return i === 0 ? money(start) : i === names.length - 1 ? money(end) : money(moves[i - 1].revenue); } } },
        },
        scales: { y: { ticks: { callback: compactTicks }, title: { display: true, text: 'Revenue per period' } } },
      },
    },
    `Waterfall of revenue from ${label}: start ${money(start)}, ` + moves.map((m) => `${m.name} ${money(m.revenue)}`).join(', ') + `, end ${money(end)}.`,
  );
  const rev = (k: keyof BridgeRow): Column<BridgeRow> => ({
    key: String(k),
    label: String(k).replace(/^./, (c) => c.toUpperCase()),
    numeric: true,
    text: (r) => money((r[k] as Movement).revenue),
    exact: (r) => (r[k] as Movement).revenue,
  });
  put(
    sec.querySelector('.table-wrap'),
    table(
      `Revenue bridge of the whole business per ${grain}` + (span.length > 1 ? '' : ', the last 8 periods') + '; start + new + reactivated + expansion + contraction + churned = end',
      [
        { key: 'period', label: 'Period', text: (r) => r.period },
        rev('start'),
        rev('new'),
        rev('reactivated'),
        rev('expansion'),
        rev('contraction'),
        rev('churned'),
        rev('end'),
        { key: 'retention_rate', label: 'Customer retention', numeric: true, text: (r) => percent(r.retention_rate), exact: (r) => r.retention_rate ?? undefined },
      ],
      span.length > 1 ? span : rows.slice(-8),
    ),
  );
}
