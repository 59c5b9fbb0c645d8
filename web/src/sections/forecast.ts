// Monthly revenue and its forecast from GET /v1/forecast: the last two
// years of history, the forecast with its 80% and 95% bands, and in words
// which method the backtest chose and how it scored against the baseline.

import { get } from '../api';
import { compactTicks, draw, palette } from '../charts';
import { byId, put, table, type Column } from '../dom';
import type { Filters } from '../filters';
import { money, toNumber } from '../format';
import { Empty, load } from '../loader';
import type { ForecastMonth, RevenueForecast } from '../types';

/** Months of history drawn before the forecast. */
const SHOWN_HISTORY = 24;

/** Loads and shows the revenue forecast of the whole business. */
export async function showForecast(_: Filters): Promise<void> {
  const sec = byId('forecast');
  const canvas = byId<HTMLCanvasElement>('forecast-chart');
  await load(
    sec,
    async (signal) => {
      const fc = await get<RevenueForecast>('/v1/forecast', { horizon: 12 }, signal);
      if (!fc.points.length) throw new Empty('No forecast: too little history.');
      const history = fc.history.slice(-SHOWN_HISTORY);
      const labels = [...history.map((m) => m.period), ...fc.points.map((p) => p.period)];
      const pad = <T>(xs: T[]) => [...history.map(() => null), ...xs];
      // The forecast line starts at the last actual month so the two join.
      const last = history[history.length - 1];
      const mean = [...history.slice(0, -1).map(() => null), toNumber(last?.revenue), ...fc.points.map((p) => toNumber(p.revenue))];
      const band = (k: 'lo80' | 'hi80' | 'lo95' | 'hi95') => pad(fc.points.map((p) => toNumber(p[k])));
      const method = sec.querySelector('.forecast-method');
      // The reason names the backtest scores that chose the method.
      if (method) method.textContent = [`${fc.model}.`, fc.reason, ...fc.notes].map((s) => s.trim().replace(/([^.])$/, '$1.')).join(' ');
      const first = fc.points[0];
      const end = fc.points[fc.points.length - 1];
      const alt =
        `Line chart of monthly revenue, ${labels[0]} to ${labels[labels.length - 1]}: actual to ${last?.period}, then the ${fc.model} forecast ` +
        `from ${money(first.revenue)} in ${first.period} to ${money(end.revenue)} in ${end.period}, with 80% and 95% intervals. The table below lists every forecast month.`;
      const shade = (a: number) => `rgba(11, 92, 173, ${a})`;
      draw(
        canvas,
        {
          type: 'line',
          data: {
            labels,
            datasets: [
              { label: 'Actual', data: [...history.map((m) => toNumber(m.revenue)), ...fc.points.map(() => null)], borderColor: palette[1], backgroundColor: palette[1], borderWidth: 2, pointRadius: 2 },
              { label: 'Forecast', data: mean, borderColor: palette[0], backgroundColor: palette[0], borderDash: [6, 4], borderWidth: 2, pointRadius: 2 },
              { label: '95% interval', data: band('lo95'), borderColor: 'transparent', backgroundColor: shade(0.12), pointRadius: 0, fill: false },
              { label: '95% interval (upper)', data: band('hi95'), borderColor: 'transparent', backgroundColor: shade(0.12), pointRadius: 0, fill: '-1' },
              { label: '80% interval', data: band('lo80'), borderColor: 'transparent', backgroundColor: shade(0.22), pointRadius: 0, fill: false },
              { label: '80% interval (upper)', data: band('hi80'), borderColor: 'transparent', backgroundColor: shade(0.22), pointRadius: 0, fill: '-1' },
            ],
          },
          options: {
            interaction: { mode: 'index', intersect: false },
            plugins: { legend: { position: 'bottom', labels: { boxWidth: 14, filter: (item) => !item.text.includes('(upper)') } } },
            scales: { y: { ticks: { callback: compactTicks }, title: { display: true, text: 'Revenue' } } },
          },
        },
        alt,
      );
      const cols: Column<ForecastMonth>[] = [
        { key: 'period', label: 'Month', text: (p) => p.period },
        { key: 'revenue', label: 'Forecast', numeric: true, text: (p) => money(p.revenue), exact: (p) => p.revenue },
        { key: 'interval80', label: '80% interval', numeric: true, text: (p) => `${money(p.lo80)} – ${money(p.hi80)}` },
        { key: 'interval95', label: '95% interval', numeric: true, text: (p) => `${money(p.lo95)} – ${money(p.hi95)}` },
      ];
      put(sec.querySelector('.table-wrap'), table(`Revenue forecast per month (${fc.model})`, cols, fc.points));
    },
    'No forecast yet',
  );
}
