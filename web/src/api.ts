// A small client for the salesseg HTTP API. Every call sends the bearer
// token; errors arrive as RFC 9457 problem documents and become ApiError.

import { token } from './auth';

/** An RFC 9457 problem document, the body of every API error. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
}

/** A failed API call, carrying the problem the API returned. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Where the API lives: the same origin unless the build sets VITE_API_BASE. */
export const apiBase: string = (import.meta.env.VITE_API_BASE ?? '').replace(/\/$/, '');

type Params = Record<string, string | number | undefined | null>;

/** Builds an API URL, leaving out empty parameters. */
export function apiURL(path: string, params?: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return apiBase + path + (qs ? '?' + qs : '');
}

/** The dataset data requests read ('' for the API's default). */
let dataset = '';

/** Routes that serve every dataset at once and take no dataset parameter. */
const ACROSS_DATASETS = /^\/v1\/(datasets|uploads|health|openapi\.json)(\/|$)/;

/**
 * Sets the dataset (GET /v1/datasets) that every data request from now on
 * reads: each GET of a data route carries dataset=name.
 */
export function setDataset(name: string): void {
  dataset = name;
}

/** The dataset data requests read; '' before one is chosen. */
export function currentDataset(): string {
  return dataset;
}

/** The parameters of a GET of path, with the dataset for data routes. */
export function withDataset(path: string, params?: Params): Params | undefined {
  if (!dataset || ACROSS_DATASETS.test(path) || (params && 'dataset' in params)) return params;
  return { ...params, dataset };
}

let onUnauthorized: (p: Problem) => void = () => {};

/** Registers what to do when the API answers 401 (show the sign-in field). */
export function setUnauthorizedHandler(f: (p: Problem) => void): void {
  onUnauthorized = f;
}

/** Calls the API and decodes its JSON answer; throws ApiError on failure. */
export async function call<T>(method: string, path: string, params?: Params, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp: Response;
  try {
    resp = await fetch(apiURL(path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, { status: 0, title: 'Network error', detail: 'The API could not be reached. Is `salesseg local` running?' });
  }
  const text = await resp.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!resp.ok) {
    const p: Problem =
      data && typeof data === 'object' && 'status' in (data as object)
        ? (data as Problem)
        : { status: resp.status, title: resp.statusText, detail: (data as { message?: string })?.message ?? text.slice(0, 200) };
    if (resp.status === 401) onUnauthorized(p);
    throw new ApiError(resp.status, p);
  }
  return data as T;
}

/** GET path with query parameters, and the dataset for data routes. */
export function get<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  return call<T>('GET', path, withDataset(path, params), undefined, signal);
}
