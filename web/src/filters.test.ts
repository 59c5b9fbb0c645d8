import { describe, expect, it } from 'vitest';
import { fitGrain, pickDataset } from './filters';

describe('fitGrain', () => {
  it.each([
    ['month', '2010-01', '2019-12', 'month'],
    ['day', '2019-01', '2019-12', 'day'],
    ['week', '2017-07', '2019-12', 'week'],
    ['week', '2016-01', '2019-12', 'month'],
    ['day', '2016-01', '2019-12', 'month'],
  ])('%s over %s..%s is drawn by %s', (grain, from, to, want) => {
    const got = fitGrain(grain, from, to);
    expect(got.grain).toBe(want);
    expect(got.note === '').toBe(want === grain);
  });
});

describe('pickDataset', () => {
  it.each([
    [['default', 'sample'], true, 'default'],
    [['default', 'sample'], false, 'sample'],
    [['crm', 'default', 'sample'], false, 'sample'],
    [['crm', 'default'], false, 'crm'],
    [['default'], false, 'default'],
  ])('%j, default has data %s: %s', (names, hasData, want) => {
    expect(pickDataset(names, 'default', hasData)).toBe(want);
  });
});
