// Key figures for the period from GET /v1/kpis: revenue, growth, average
// deal size, orders, customers, new and returning customers. Customer
// counts come from the recompute snapshot; until it has them the cards say
// so, with the API's reason.

import { get } from '../api';
import { byId, h, put } from '../dom';
import { describeRange, type Filters } from '../filters';
import { count, growth, money, percent } from '../format';
import { load } from '../loader';
import type { KPIs } from '../types';

interface Card {
  key: string;
  label: string;
  value: string;
  exact?: string | number | null;
  note?: string;
}

/** Loads and shows the KPI cards for the filters. */
export async function showKPIs(f: Filters): Promise<void> {
  const sec = byId('kpis');
  byId('kpis-range').textContent = `· ${describeRange(f)}`;
  await load(sec, async (signal) => {
    const k = await get<KPIs>('/v1/kpis', { from: f.from, to: f.to }, signal);
    const c = k.customers;
    const prev = k.growth?.previous;
    const ya = k.growth?.year_ago;
    const cards: Card[] = [
      { key: 'revenue', label: 'Revenue', value: money(k.revenue), exact: k.revenue },
      {
        key: 'growth',
        label: 'Growth',
        value: prev ? growth(prev.rate) : '—',
        exact: prev?.rate,
        note: prev
          ? `vs ${k.comparisons.previous?.label ?? 'previous period'}` +
            (ya && k.comparisons.year_ago?.label !== k.comparisons.previous?.label ? `; ${growth(ya.rate)} vs ${k.comparisons.year_ago?.label ?? 'a year earlier'}` : '')
          : 'pick a from and a to month to compare',
      },
      { key: 'avg_deal_size', label: 'Average deal size', value: money(k.avg_deal_size), exact: k.avg_deal_size, note: 'revenue per order' },
      { key: 'orders', label: 'Orders', value: count(k.orders), exact: k.orders },
      {
        key: 'customers',
        label: 'Customers',
        value: c?.available ? count(c.customers) : '—',
        exact: c?.customers,
        note: c?.available ? `${money(c.revenue_per_customer)} revenue per customer` : 'not computed yet',
      },
      {
        key: 'new_returning',
        label: 'New vs returning',
        value: c?.available ? `${count(c.new)} / ${count(c.returning)}` : '—',
        exact: c?.available ? `${c.new}/${c.returning}` : undefined,
        note: c?.available ? 'new / returning customers' : 'not computed yet',
      },
    ];
    if (k.margin_rate) cards.splice(3, 0, { key: 'margin', label: 'Margin', value: percent(k.margin_rate), exact: k.margin_rate, note: `${money(k.margin)} on ${money(k.revenue)}` });
    put(
      byId('kpi-grid'),
      ...cards.map((card) =>
        h(
          'div',
          { class: 'kpi', 'data-kpi': card.key },
          h('dt', {}, card.label),
          h('dd', { 'data-exact': card.exact === undefined || card.exact === null ? undefined : String(card.exact) }, card.value),
          card.note ? h('dd', { class: 'note' }, card.note) : null,
        ),
      ),
    );
    const note = byId('kpis-note');
    note.textContent = c && !c.available ? c.detail : c?.detail ?? '';
    note.hidden = !note.textContent;
  });
}
