// Chart.js, registered with only the pieces the dashboard draws so the
// bundle stays small. Every chart has a text alternative (aria-label on its
// canvas) and a data table beside it; colour is never the only cue.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { compact } from './format';

Chart.register(BarController, BarElement, CategoryScale, Filler, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = '#1f2937';
Chart.defaults.borderColor = '#d1d5db';

/** Colours with at least 3:1 contrast on white, distinct for common colour blindness. */
export const palette = ['#0b5cad', '#c2410c', '#047857', '#7e22ce', '#a16207', '#be185d', '#0e7490', '#4338ca', '#4d7c0f', '#9f1239'];

/** Up, down and total colours of waterfalls and growth. */
export const tone = { up: '#047857', down: '#b91c1c', total: '#374151' };

const live = new WeakMap<HTMLCanvasElement, Chart>();

/** Draws a chart on a canvas, replacing any previous one, with its text alternative. */
export function draw(canvas: HTMLCanvasElement, config: ChartConfiguration, alt: string): Chart {
  live.get(canvas)?.destroy();
  canvas.setAttribute('aria-label', alt);
  canvas.textContent = alt;
  const c = new Chart(canvas, config);
  live.set(canvas, c);
  return c;
}

/** Removes the chart on a canvas, if any. */
export function clear(canvas: HTMLCanvasElement): void {
  live.get(canvas)?.destroy();
  live.delete(canvas);
}

/** Axis tick callback showing compact numbers. */
export function compactTicks(v: string | number): string {
  return compact(Number(v));
}

/** Sets a chart container's height from the number of horizontal bars. */
export function fitBars(canvas: HTMLCanvasElement, bars: number): void {
  const fig = canvas.parentElement;
  if (fig) fig.style.height = `${Math.max(160, Math.min(640, 48 + bars * 30))}px`;
}
