import { describe, expect, it } from 'vitest';
import { acquisitionLabel, acquisitionNote, cacChart, describeCACChart, emptyMessage, uploadSpendHelp } from './cac';
import type { Acquisition, AcquisitionRow } from './types';

/** An acquisition row of a value in a period with this spend and CAC. */
function row(value: string, period: string, spend: string, cac: string | null, dimension = 'segment'): AcquisitionRow {
  return {
    dimension,
    value,
    period,
    spend,
    new_customers: cac === null ? 0 : 1,
    matched: true,
    cac,
    first_year_margin: '0',
    observed_months: 0,
    payback_months: null,
    mean_clv: null,
    clv_to_cac: null,
    prospects_at_start: 0,
    converted: 0,
    conversion: null,
  };
}

describe('emptyMessage', () => {
  it('asks for a spend file for the total, whatever the API says', () => {
    expect(emptyMessage('total', 'No acquisition figures: upload a spend/ file.')).toBe(uploadSpendHelp);
  });

  it("gives the API's reason first for a segment or channel", () => {
    expect(emptyMessage('channel', 'No live spend/ file names a channel.')).toBe(`No live spend/ file names a channel. ${uploadSpendHelp}`);
    expect(emptyMessage('segment')).toBe(uploadSpendHelp);
  });
});

describe('acquisitionLabel', () => {
  it('names the total All and a segment by its value', () => {
    expect(acquisitionLabel({ dimension: 'total', value: 'all' })).toBe('All');
    expect(acquisitionLabel({ dimension: 'segment', value: 'Consumer' })).toBe('Consumer');
  });
});

describe('cacChart', () => {
  // The API lists rows by value, then period.
  const rows = [
    row('Consumer', '2016-Q1', '100.00', '10.00'),
    row('Consumer', '2016-Q3', '300.00', '15.00'),
    row('Corporate', '2016-Q1', '50.00', null),
    row('Corporate', '2016-Q2', '500.00', '25.00'),
    row('Home Office', '2016-Q2', '10.00', '5.00'),
  ];

  it('draws the values with the most spend first, one point per period, null where there is no CAC', () => {
    const c = cacChart({ rows }, 8);
    expect(c.periods).toEqual(['2016-Q1', '2016-Q2', '2016-Q3']);
    expect(c.lines).toEqual([
      { value: 'Corporate', cac: [null, '25.00', null] },
      { value: 'Consumer', cac: ['10.00', null, '15.00'] },
      { value: 'Home Office', cac: [null, '5.00', null] },
    ]);
    expect(c.rest).toBe(0);
  });

  it('keeps at most max lines and counts the rest', () => {
    const c = cacChart({ rows }, 2);
    expect(c.lines.map((l) => l.value)).toEqual(['Corporate', 'Consumer']);
    expect(c.rest).toBe(1);
  });

  it('keeps the API order between values with equal spend, and sorts years', () => {
    const tied = [row('Zed', '2017', '10', '1.00'), row('Amy', '2016', '4', '2.00'), row('Amy', '2017', '6', '3.00')];
    const c = cacChart({ rows: tied }, 8);
    expect(c.periods).toEqual(['2016', '2017']);
    expect(c.lines.map((l) => l.value)).toEqual(['Zed', 'Amy']);
  });
});

describe('describeCACChart', () => {
  it('gives every line its first and last CAC, in money rounded to the cent', () => {
    const rows = [
      row('Consumer', '2016-Q1', '100', '1234.565'),
      row('Consumer', '2016-Q2', '100', null),
      row('Consumer', '2016-Q3', '100', '15.00'),
      row('Corporate', '2016-Q2', '50', '25.00'),
      row('Home Office', '2016-Q2', '10', null),
    ];
    expect(describeCACChart(cacChart({ rows }, 8), 'segment', 'quarter')).toBe(
      'Line chart of customer acquisition cost per quarter by customer segment, 2016-Q1 to 2016-Q3: ' +
        'Consumer from 1,234.57 in 2016-Q1 to 15.00 in 2016-Q3; Corporate 25.00 in 2016-Q2; Home Office no CAC (no new customers).',
    );
  });

  it('names the total without a dimension and says how many lines only the table lists', () => {
    const total = cacChart({ rows: [row('all', '2016', '10', '2.00', 'total')] }, 8);
    expect(describeCACChart(total, 'total', 'year')).toBe('Line chart of customer acquisition cost per year, 2016 to 2016: All 2.00 in 2016.');
    const some = cacChart({ rows: [row('A', '2016', '10', '2.00'), row('B', '2016', '5', '1.00')] }, 1);
    expect(describeCACChart(some, 'channel', 'year')).toMatch(/by channel, 2016 to 2016: A 2\.00 in 2016; and 1 more values, listed in the table\.$/);
  });
});

describe('acquisitionNote', () => {
  const base: Pick<Acquisition, 'dimension' | 'period' | 'unattributed' | 'unplaced' | 'notes'> = {
    dimension: 'segment',
    period: 'month',
    unattributed: [],
    unplaced: [],
    notes: ['CAC is spend ÷ new customers.', 'Another note.'],
  };

  it('gives only the notes when every amount is in a row', () => {
    expect(acquisitionNote(base)).toBe('CAC is spend ÷ new customers. Another note.');
  });

  it('sums and lists unattributed and unplaced spend with their periods, exactly', () => {
    const note = acquisitionNote({
      ...base,
      unattributed: [{ period: '2016-06', spend: '256.005' }, { period: '2016-12', spend: '0.1' }],
      unplaced: [{ period: '2017-Q4', spend: '1200.00' }],
    });
    expect(note).toBe(
      'Spend naming no customer segment, in the total only: 256.11 (2016-06 256.01, 2016-12 0.10). ' +
        'Spend over a period longer than a month, in no row: 1,200.00 (2017-Q4 1,200.00). CAC is spend ÷ new customers. Another note.',
    );
  });
});
