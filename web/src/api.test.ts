import { afterEach, describe, expect, it } from 'vitest';
import { setDataset, withDataset } from './api';

describe('withDataset', () => {
  afterEach(() => setDataset(''));

  it('adds the dataset to data routes only', () => {
    setDataset('sample');
    expect(withDataset('/v1/segments', { dimension: 'segment' })).toEqual({ dimension: 'segment', dataset: 'sample' });
    expect(withDataset('/v1/analytics/customers')).toEqual({ dataset: 'sample' });
    for (const path of ['/v1/datasets', '/v1/uploads', '/v1/uploads/abc', '/v1/health', '/v1/openapi.json']) {
      expect(withDataset(path, { limit: 5 })).toEqual({ limit: 5 });
    }
  });

  it('keeps a dataset the caller names, and adds none before one is chosen', () => {
    setDataset('sample');
    expect(withDataset('/v1/dimensions', { dataset: 'default' })).toEqual({ dataset: 'default' });
    setDataset('');
    expect(withDataset('/v1/segments', { dimension: 'total' })).toEqual({ dimension: 'total' });
  });
});
