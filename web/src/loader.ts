// Loads a section's data with its state shown: loading, ready, empty,
// unavailable (the API's 404 problem, e.g. analytics not computed yet) or
// error. A newer load of the same section cancels the older one.

import { ApiError } from './api';
import { setState } from './dom';

const running = new WeakMap<HTMLElement, AbortController>();

/** Thrown by a loader to say there is nothing to show. */
export class Empty extends Error {}

/** Runs fn for a section, showing its state; fn returns once it has rendered. */
export async function load(section: HTMLElement, fn: (signal: AbortSignal) => Promise<void>, unavailable = 'Not available yet'): Promise<void> {
  running.get(section)?.abort();
  const ctl = new AbortController();
  running.set(section, ctl);
  setState(section, 'loading', 'Loading…');
  try {
    await fn(ctl.signal);
    if (!ctl.signal.aborted) setState(section, 'ready');
  } catch (e) {
    if (ctl.signal.aborted || (e as Error).name === 'AbortError') return;
    if (e instanceof Empty) {
      setState(section, 'empty', e.message);
    } else if (e instanceof ApiError && e.status === 404) {
      setState(section, 'unavailable', `${unavailable}: ${e.problem.detail ?? e.message}`);
    } else if (e instanceof ApiError && e.status === 401) {
      setState(section, 'error', 'Sign in with the API token to see this.');
    } else if (e instanceof ApiError) {
      setState(section, 'error', `The API answered ${e.status || 'nothing'}: ${e.message}`);
    } else {
      console.error(e);
      setState(section, 'error', `Could not show this: ${(e as Error).message}`);
    }
  }
}
