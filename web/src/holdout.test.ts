import { describe, expect, it } from 'vitest';
import { describeHoldoutChart, frequencyLabel, holdoutSentence } from './holdout';
import type { HoldoutGroup, HoldoutReport } from './types';

/** A holdout group: its customers, actual and predicted purchase days, and both per customer. */
function group(frequency: string, customers: number, actual: number, predicted: string, perCustomer: [string, string]): HoldoutGroup {
  return { frequency, customers, actual, predicted, actual_per_customer: perCustomer[0], predicted_per_customer: perCustomer[1] };
}

const report: HoldoutReport = {
  from: '1997-10-01',
  to: '1998-06-30',
  periods: '39.00',
  groups: [group('0', 1411, 234, '235.55', ['0.17', '0.17']), group('7+', 20, 180, '165.10', ['9.00', '8.255'])],
  total: group('all', 1431, 1788, '1666.25', ['1.25', '1.16']),
  new_customers: 0,
};

describe('holdoutSentence', () => {
  it('says what the model was fitted on, what it expected and what customers made', () => {
    expect(holdoutSentence({ calibration_end: '1997-09-30', report })).toBe(
      'Fitted on purchases up to 1997-09-30, the model expected 1,666.3 purchase days from 1997-10-01 to 1998-06-30; customers made 1,788.',
    );
  });

  it('says how many new customers the model could not predict', () => {
    expect(holdoutSentence({ calibration_end: '1997-09-30', report: { ...report, new_customers: 1205 } })).toMatch(
      /customers made 1,788\. 1,205 customers who first bought in that time are left out: the model predicts nothing for them\.$/,
    );
  });

  it("gives the API's reason without a report", () => {
    expect(holdoutSentence({ calibration_end: '2018-12-30', report: null, reason: 'The model is withheld.' })).toBe('The model is withheld.');
    expect(holdoutSentence({ calibration_end: '2018-12-30', report: null })).toBe('There was nothing to check the model against.');
  });
});

describe('describeHoldoutChart', () => {
  it('names every frequency with its actual and predicted purchase days per customer', () => {
    expect(describeHoldoutChart(report)).toBe(
      'Grouped bar chart of purchase days per customer from 1997-10-01 to 1998-06-30, actual against predicted, ' +
        'by repeat purchase days up to the calibration end: 0: actual 0.17, predicted 0.17; 7+: actual 9.00, predicted 8.26.',
    );
    expect(frequencyLabel(report.total)).toBe('All');
    expect(frequencyLabel(report.groups[1])).toBe('7+');
  });
});
