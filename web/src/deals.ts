// Shapes GET /v1/pipeline for the deal pipeline section: which values the
// chart draws, stacked by stage, the stage conversion table's rows, and
// the sentence that says what the figures cover. Nothing here touches the
// page, so it is unit-tested.

import { describeRange } from './filters';
import { count, money, toNumber } from './format';
import { unassignedLabel } from './labels';
import type { ConversionStep, Pipeline, PipelineGroup } from './types';

/** A group's display name: its value, or the dashboard's unassigned label. */
export function groupLabel(g: Pick<PipelineGroup, 'value'>): string {
  return g.value ?? unassignedLabel;
}

/** One stage's part of every bar, in the order of the chart's bars. */
export interface StageStack {
  stage: string;
  data: number[];
}

/** The stacked bar chart of the open pipeline by stage per value. */
export interface StageChart {
  /** What the bars measure: the open value, or the open deals when no open deal has a value. */
  measure: 'value' | 'count';
  /** The values drawn, largest open pipeline first. */
  groups: PipelineGroup[];
  /** One stack per stage, in the order the API gives the stages. */
  stacks: StageStack[];
  /** Values with open deals that are left out of the chart. */
  rest: number;
}

/**
 * Picks the at most max values with the largest open pipeline (ties keep
 * the API's order) and splits each one's bar by stage. The bars measure the
 * open value, or the number of open deals when their values add up to
 * nothing (e.g. a deal file without values and no products file to price them).
 */
export function stageChart(p: Pipeline, max: number): StageChart {
  const measure = p.total.open.count > 0 && toNumber(p.total.open.value) === 0 ? 'count' : 'value';
  const size = (t: { count: number; value: string }) => (measure === 'value' ? toNumber(t.value) : t.count);
  const open = p.groups.filter((g) => g.open.count > 0);
  const groups = [...open].sort((a, b) => size(b.open) - size(a.open)).slice(0, max);
  const stacks = p.total.open.stages.map((s) => ({
    stage: s.stage,
    data: groups.map((g) => {
      const at = g.open.stages.find((x) => x.stage === s.stage);
      return at ? size(at) : 0;
    }),
  }));
  return { measure, groups, stacks, rest: open.length - groups.length };
}

/** The chart's text alternative: every bar drawn with its stages. */
export function describeStageChart(c: StageChart, dimension: string, p: Pick<Pipeline, 'as_of'>): string {
  const shown = (t: { count: number; value: string }) => (c.measure === 'value' ? money(t.value) : `${count(t.count)} deals`);
  const bars = c.groups.map(
    (g) => `${groupLabel(g)} ${shown(g.open)} (${g.open.stages.filter((s) => s.count > 0).map((s) => `${s.stage} ${shown(s)}`).join(', ')})`,
  );
  return (
    `Stacked bar chart of open pipeline ${c.measure === 'value' ? 'value' : 'deals'} by stage per ${dimension} ${openWhen(p)}: ` +
    bars.join('; ') +
    (c.rest > 0 ? `; and ${count(c.rest)} more values, listed in the table.` : '.')
  );
}

/** When the open deals are taken: "at the end of 2017-12-31", or "now" when no deal has a date. */
export function openWhen(p: Pick<Pipeline, 'as_of'>): string {
  return p.as_of ? `at the end of ${p.as_of}` : 'now';
}

/** Which close dates the won and lost deals have: "at any time", or the range in words. */
export function closedWhen(p: Pick<Pipeline, 'from' | 'to'>): string {
  const r = describeRange({ from: p.from ?? '', to: p.to ?? '' });
  return r === 'all time' ? 'at any time' : r;
}

/** Says which day the open pipeline is for, which closed deals count, and the API's notes. */
export function pipelineNote(p: Pick<Pipeline, 'as_of' | 'data_date' | 'from' | 'to' | 'notes'>): string {
  return [
    `Open deals ${openWhen(p)}` + (p.data_date ? ` (the data date, the latest date of any deal, is ${p.data_date});` : ';'),
    `won and lost deals closed ${closedWhen(p)}.`,
    ...p.notes,
  ].join(' ');
}

/** One step of the stage conversion table, with the deals that reached both its stages. */
export interface ConversionRow extends ConversionStep {
  /** Deals that reached the step's first stage. */
  fromDeals: number;
  /** Deals that reached its second stage: for the last step, to Won, the won deals. */
  toDeals: number;
}

/**
 * Pairs a group's conversion steps with the deals that reached each
 * step's stages. Every stage but Won is listed in reached; the deals that
 * reached Won are the group's won deals, as the API counts the last step.
 */
export function conversionRows(g: Pick<PipelineGroup, 'conversion' | 'reached' | 'closed'>): ConversionRow[] {
  const reached = (stage: string) => g.reached.find((r) => r.stage === stage)?.deals;
  return g.conversion.map((s) => ({ ...s, fromDeals: reached(s.from) ?? 0, toDeals: reached(s.to) ?? g.closed.won.count }));
}

/** A conversion step's name: "Prospecting → Engaging". */
export function stepLabel(s: Pick<ConversionStep, 'from' | 'to'>): string {
  return `${s.from} → ${s.to}`;
}
