import { describe, expect, it } from 'vitest';
import { closedWhen, conversionRows, describeStageChart, groupLabel, openWhen, pipelineNote, stageChart, stepLabel } from './deals';
import type { Pipeline, PipelineGroup } from './types';

/** A tally of deals as the API gives it. */
function tally(count: number, value: string) {
  return { count, value, listed: 0, no_value: 0 };
}

/** A group with open deals at the given stages ([stage, deals, value]). */
function group(value: string | null, stages: [string, number, string][]): PipelineGroup {
  const open = stages.reduce((n, [, c]) => n + c, 0);
  const openValue = String(stages.reduce((n, [, , v]) => n + Number(v), 0));
  const noCycle = { deals: 0, mean_days: null, median_days: null };
  return {
    value,
    open: {
      ...tally(open, openValue),
      stages: stages.map(([stage, c, v]) => ({ stage, ordered: true, ...tally(c, v) })),
      closed_since: { ...tally(0, '0'), won: 0, lost: 0 },
    },
    closed: {
      won: tally(0, '0'),
      lost: tally(0, '0'),
      win_rate: null,
      win_rate_by_value: null,
      average_won: null,
      won_cycle: noCycle,
      lost_cycle: noCycle,
    },
    conversion: [],
    reached: [],
    unordered_open_deals: 0,
    velocity: null,
  };
}

/** A pipeline of these groups whose total has every stage the groups have, in order. */
function pipeline(groups: PipelineGroup[], stages: string[]): Pipeline {
  const all = stages.map((s): [string, number, string] => {
    const at = groups.flatMap((g) => g.open.stages.filter((x) => x.stage === s));
    return [s, at.reduce((n, x) => n + x.count, 0), String(at.reduce((n, x) => n + Number(x.value), 0))];
  });
  return {
    dimension: 'manager',
    as_of: '2017-12-31',
    data_date: '2017-12-31',
    from: null,
    to: null,
    stages,
    files: 1,
    groups,
    total: group('all', all),
    notes: [],
  };
}

describe('stageChart', () => {
  const stages = ['Prospecting', 'Engaging'];
  const a = group('Ann', [['Prospecting', 2, '100'], ['Engaging', 1, '50']]);
  const b = group('Bob', [['Engaging', 3, '900']]);
  const c = group(null, [['Prospecting', 1, '20']]);
  const none = group('Cy', []);
  const p = pipeline([a, b, c, none], stages);

  it('draws the largest open value first, one stack per stage in the API order', () => {
    const got = stageChart(p, 15);
    expect(got.measure).toBe('value');
    expect(got.groups.map(groupLabel)).toEqual(['Bob', 'Ann', 'Unassigned']);
    expect(got.stacks).toEqual([
      { stage: 'Prospecting', data: [0, 100, 20] },
      { stage: 'Engaging', data: [900, 50, 0] },
    ]);
    expect(got.rest).toBe(0);
  });

  it('keeps at most max values and counts the values left out, not those without open deals', () => {
    const got = stageChart(p, 2);
    expect(got.groups.map(groupLabel)).toEqual(['Bob', 'Ann']);
    expect(got.stacks[0].data).toEqual([0, 100]);
    expect(got.rest).toBe(1);
  });

  it('counts deals when no open deal has a value', () => {
    const unpriced = pipeline([group('Ann', [['Engaging', 4, '0']]), group('Bob', [['Prospecting', 1, '0'], ['Engaging', 2, '0']])], stages);
    const got = stageChart(unpriced, 15);
    expect(got.measure).toBe('count');
    expect(got.groups.map(groupLabel)).toEqual(['Ann', 'Bob']);
    expect(got.stacks).toEqual([
      { stage: 'Prospecting', data: [0, 1] },
      { stage: 'Engaging', data: [4, 2] },
    ]);
  });

  it('keeps the API order between equal bars', () => {
    const tied = pipeline([group('Zed', [['Engaging', 1, '10']]), group('Amy', [['Engaging', 1, '10']])], stages);
    expect(stageChart(tied, 15).groups.map(groupLabel)).toEqual(['Zed', 'Amy']);
  });
});

describe('describeStageChart', () => {
  const p = pipeline(
    [group('Ann', [['Prospecting', 2, '100.005'], ['Engaging', 0, '0']]), group('Bob', [['Engaging', 3, '1234.5']])],
    ['Prospecting', 'Engaging'],
  );

  it('names every bar drawn with its stages, in money rounded to the cent', () => {
    expect(describeStageChart(stageChart(p, 15), 'manager', p)).toBe(
      'Stacked bar chart of open pipeline value by stage per manager at the end of 2017-12-31: ' +
        'Bob 1,234.50 (Engaging 1,234.50); Ann 100.01 (Prospecting 100.01).',
    );
  });

  it('says how many values only the table lists', () => {
    expect(describeStageChart(stageChart(p, 1), 'manager', p)).toMatch(/: Bob 1,234\.50 \(Engaging 1,234\.50\); and 1 more values, listed in the table\.$/);
  });

  it('names deals when the bars count deals', () => {
    const unpriced = pipeline([group('Ann', [['Engaging', 1200, '0']])], ['Engaging']);
    expect(describeStageChart(stageChart(unpriced, 15), 'sales agent', { as_of: null })).toBe(
      'Stacked bar chart of open pipeline deals by stage per sales agent now: Ann 1,200 deals (Engaging 1,200 deals).',
    );
  });
});

describe('pipelineNote', () => {
  it.each([
    [null, null, 'at any time'],
    ['2017-04-01', '2017-06-30', '2017-04-01 to 2017-06-30'],
    ['2017-04-01', null, 'from 2017-04-01'],
    [null, '2017-06-30', 'until 2017-06-30'],
  ])('deals closed from %s to %s are closed %s', (from, to, want) => {
    expect(closedWhen({ from, to })).toBe(want);
  });

  it('gives the as-of day, the data date, the range and every note', () => {
    const note = pipelineNote({ as_of: '2017-12-31', data_date: '2017-12-31', from: '2017-01-01', to: '2017-12-31', notes: ['A note.', 'Another.'] });
    expect(note).toBe(
      'Open deals at the end of 2017-12-31 (the data date, the latest date of any deal, is 2017-12-31); won and lost deals closed 2017-01-01 to 2017-12-31. A note. Another.',
    );
  });

  it('says the open deals are current when no deal has a date', () => {
    expect(openWhen({ as_of: null })).toBe('now');
    expect(pipelineNote({ as_of: null, data_date: null, from: null, to: null, notes: [] })).toBe('Open deals now; won and lost deals closed at any time.');
  });
});

describe('conversionRows', () => {
  const g = group('all', [['Prospecting', 3, '30'], ['Engaging', 2, '20']]);
  g.closed.won = tally(4, '400');
  g.reached = [
    { stage: 'Prospecting', deals: 10 },
    { stage: 'Engaging', deals: 6 },
  ];
  g.conversion = [
    { from: 'Prospecting', to: 'Engaging', rate: '0.6000' },
    { from: 'Engaging', to: 'Won', rate: '0.6667' },
  ];

  it('pairs every step with the deals that reached its stages, the won deals for Won', () => {
    expect(conversionRows(g)).toEqual([
      { from: 'Prospecting', to: 'Engaging', rate: '0.6000', fromDeals: 10, toDeals: 6 },
      { from: 'Engaging', to: 'Won', rate: '0.6667', fromDeals: 6, toDeals: 4 },
    ]);
    expect(conversionRows(g).map(stepLabel)).toEqual(['Prospecting → Engaging', 'Engaging → Won']);
  });

  it('has no rows without ordered stages', () => {
    expect(conversionRows(group('all', []))).toEqual([]);
  });
});
