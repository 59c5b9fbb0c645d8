// The deal pipeline from GET /v1/pipeline, by a deal dimension picked in
// the section: the open pipeline at the end of the data date (or of the
// day picked in the section) as a bar per value stacked by stage, the
// stage conversion of all deals, and a table of open, won and lost deals,
// win rate, average won deal, won cycle and velocity, with the deals
// closed in the period picked above.

import { get } from '../api';
import { clear, compactTicks, draw, fitBars, palette } from '../charts';
import { closedWhen, conversionRows, describeStageChart, groupLabel, openWhen, pipelineNote, stageChart, stepLabel, type ConversionRow } from '../deals';
import { byId, h, put, table, type Column } from '../dom';
import type { Filters } from '../filters';
import { count, decimal, money, percent } from '../format';
import { dimensionLabel, dimensionTitle } from '../labels';
import { Empty, load } from '../loader';
import type { Pipeline, PipelineGroup } from '../types';

/** The dimensions deals are read by, the first one the default. */
const DIMENSIONS = ['manager', 'owner', 'region', 'product', 'industry', 'segment'];
const MAX_BARS = 15;

/** Fills the section's dimension picker and reloads the section when it or the as-of day changes. */
export function initPipeline(current: () => Filters): void {
  const sel = byId<HTMLSelectElement>('pipeline-dimension');
  sel.replaceChildren(...DIMENSIONS.map((d) => h('option', { value: d }, dimensionTitle(d))));
  for (const el of [sel, byId('pipeline-asof')]) el.addEventListener('change', () => void showPipeline(current()));
}

/**
 * Loads and shows the pipeline by the picked dimension, open deals at the
 * end of the picked day (the data date when none is picked), closed deals
 * within the filters' period.
 */
export async function showPipeline(f: Filters): Promise<void> {
  const sec = byId('pipeline');
  const canvas = byId<HTMLCanvasElement>('pipeline-chart');
  const note = byId('pipeline-note');
  const dim = byId<HTMLSelectElement>('pipeline-dimension').value;
  const asOf = byId<HTMLInputElement>('pipeline-asof');
  await load(sec, async (signal) => {
    note.hidden = true;
    const p = await get<Pipeline>('/v1/pipeline', { dimension: dim, as_of: asOf.value, from: f.from, to: f.to }, signal);
    if (p.files === 0 || !p.groups.length) {
      clear(canvas);
      throw new Empty(p.files === 0 ? p.notes.join(' ') : 'The deal files hold no deals.');
    }
    note.textContent = pipelineNote(p);
    note.hidden = false;
    // Days after the data date hold nothing the export does not.
    asOf.max = p.data_date ?? '';
    chart(p, dim, canvas);
    put(byId('pipeline-conversion'), conversionTable(p));
    put(byId('pipeline-table'), tableOf(p, dim));
  });
}

function chart(p: Pipeline, dim: string, canvas: HTMLCanvasElement): void {
  const c = stageChart(p, MAX_BARS);
  fitBars(canvas, c.groups.length);
  draw(
    canvas,
    {
      type: 'bar',
      data: {
        labels: c.groups.map(groupLabel),
        datasets: c.stacks.map((s, i) => ({ label: s.stage, data: s.data, backgroundColor: palette[i % palette.length], borderRadius: 2 })),
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 14 } } },
        scales: {
          x: { stacked: true, ticks: { callback: compactTicks }, title: { display: true, text: c.measure === 'value' ? 'Open value' : 'Open deals' } },
          y: { stacked: true },
        },
      },
    },
    describeStageChart(c, dimensionLabel(dim), p),
  );
}

function tableOf(p: Pipeline, dim: string): HTMLTableElement {
  const cols: Column<PipelineGroup>[] = [
    { key: 'value', label: dimensionTitle(dim), text: groupLabel },
    { key: 'open_deals', label: 'Open deals', numeric: true, text: (g) => count(g.open.count), exact: (g) => g.open.count },
    { key: 'open_value', label: 'Open value', numeric: true, text: (g) => money(g.open.value), exact: (g) => g.open.value },
    { key: 'won', label: 'Won', numeric: true, text: (g) => count(g.closed.won.count), exact: (g) => g.closed.won.count },
    { key: 'lost', label: 'Lost', numeric: true, text: (g) => count(g.closed.lost.count), exact: (g) => g.closed.lost.count },
    { key: 'win_rate', label: 'Win rate', numeric: true, text: (g) => percent(g.closed.win_rate), exact: (g) => g.closed.win_rate ?? undefined },
    { key: 'average_won', label: 'Avg won deal', numeric: true, text: (g) => money(g.closed.average_won), exact: (g) => g.closed.average_won ?? undefined },
    {
      key: 'won_cycle_median',
      label: 'Won cycle (median days)',
      numeric: true,
      text: (g) => (g.closed.won_cycle.median_days ? decimal(g.closed.won_cycle.median_days, 1) : '—'),
      exact: (g) => g.closed.won_cycle.median_days ?? undefined,
    },
    { key: 'velocity', label: 'Velocity per day', numeric: true, text: (g) => money(g.velocity), exact: (g) => g.velocity ?? undefined },
  ];
  const caption = `Deals by ${dimensionLabel(dim)}: open ${openWhen(p)}, won and lost ${closedWhen(p)}`;
  return table(caption, cols, p.groups, { ...p.total, value: 'Total' });
}

/** The stage conversion of all deals as a funnel: each step with the deals that reached both its stages. */
function conversionTable(p: Pipeline): HTMLTableElement {
  const cols: Column<ConversionRow>[] = [
    { key: 'step', label: 'Step', text: stepLabel },
    { key: 'from_deals', label: 'Reached', numeric: true, text: (r) => count(r.fromDeals), exact: (r) => r.fromDeals },
    { key: 'to_deals', label: 'Went on', numeric: true, text: (r) => count(r.toDeals), exact: (r) => r.toDeals },
    { key: 'rate', label: 'Conversion', numeric: true, text: (r) => percent(r.rate), exact: (r) => r.rate ?? undefined },
  ];
  return table(`Stage conversion of all deals, open ${openWhen(p)} and closed ${closedWhen(p)}`, cols, conversionRows(p.total));
}
