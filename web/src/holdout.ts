// Words for GET /v1/analytics/holdout, the CLV model's calibration/holdout
// check: the sentence under the heading and the chart's text alternative.
// Nothing here touches the page, so it is unit-tested.

import { count, decimal } from './format';
import type { Holdout, HoldoutGroup, HoldoutReport } from './types';

/** A group's display name: its calibration frequency ("0" to "7+"), or "All" for the total. */
export function frequencyLabel(g: Pick<HoldoutGroup, 'frequency'>): string {
  return g.frequency === 'all' ? 'All' : g.frequency;
}

/**
 * Says what the model was fitted on, what it expected of the holdout and
 * what customers did, and how many customers it could not predict; or,
 * without a report, the API's reason.
 */
export function holdoutSentence(h: Pick<Holdout, 'calibration_end' | 'report' | 'reason'>): string {
  const r = h.report;
  if (!r) return h.reason || 'There was nothing to check the model against.';
  const left =
    r.new_customers > 0 ? ` ${count(r.new_customers)} customers who first bought in that time are left out: the model predicts nothing for them.` : '';
  return (
    `Fitted on purchases up to ${h.calibration_end}, the model expected ${decimal(r.total.predicted, 1)} purchase days ` +
    `from ${r.from} to ${r.to}; customers made ${count(r.total.actual)}.${left}`
  );
}

/** The chart's text alternative: actual and predicted purchase days per customer of every group. */
export function describeHoldoutChart(r: Pick<HoldoutReport, 'from' | 'to' | 'groups'>): string {
  return (
    `Grouped bar chart of purchase days per customer from ${r.from} to ${r.to}, actual against predicted, ` +
    `by repeat purchase days up to the calibration end: ` +
    r.groups.map((g) => `${frequencyLabel(g)}: actual ${decimal(g.actual_per_customer, 2)}, predicted ${decimal(g.predicted_per_customer, 2)}`).join('; ') +
    '.'
  );
}
