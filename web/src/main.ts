// salesseg's dashboard: wires the sign-in field, the filters, the upload
// form and every section. All data comes from the HTTP API.

import './style.css';
import { get, setDataset, setUnauthorizedHandler } from './api';
import { adoptTokenFromURL, setToken, token } from './auth';
import { byId, h } from './dom';
import { pickDataset, readFilters, writeFilters, type Filters } from './filters';
import { defaultDimensions, dimensionNames } from './labels';
import { initAcquisition, showAcquisition } from './sections/acquisition';
import { showCrossed } from './sections/crossed';
import { initCustomerFilters, resetCustomerFilters, showCustomers, watchSnapshot } from './sections/customers';
import { showForecast } from './sections/forecast';
import { showKPIs } from './sections/kpis';
import { initPipeline, showPipeline } from './sections/pipeline';
import { showSegments } from './sections/segments';
import { setDataRange, showTrends } from './sections/trends';
import { initUploads, showUploads } from './sections/uploads';
import { initUpload } from './upload';
import type { DatasetList, DimensionList } from './types';

let filters: Filters = readFilters();
let generation = 0;

function fillDimensions(dims: string[]): void {
  for (const id of ['f-dimension', 'f-cross']) {
    const sel = byId<HTMLSelectElement>(id);
    const keep = id === 'f-cross' ? [h('option', { value: '' }, '(none)')] : [];
    sel.replaceChildren(...keep, ...dims.map((d) => h('option', { value: d }, dimensionNames[d] ?? d)));
  }
}

/** Lists the datasets in the picker, keeping the one shown even if the API does not list it. */
function fillDatasets(names: string[]): void {
  const all = filters.dataset && !names.includes(filters.dataset) ? [...names, filters.dataset] : names;
  byId<HTMLSelectElement>('f-dataset').replaceChildren(
    ...all.map((n) => h('option', { value: n }, n === 'default' ? 'default (your uploads)' : n)),
  );
}

/** Shows dataset name from now on: every data request carries it. */
function useDataset(name: string): void {
  filters = { ...filters, dataset: name };
  setDataset(name);
}

/**
 * Lists the datasets and, when the address names none, picks the one to
 * show: the default dataset, or the sample while the default one is empty
 * (see pickDataset).
 */
async function chooseDataset(): Promise<void> {
  const list = await get<DatasetList>('/v1/datasets').catch(() => null);
  // Signed out or unreachable: the sections say why; signing in chooses again.
  if (!list) return;
  if (!filters.dataset) {
    let hasData = true;
    if (list.datasets.some((n) => n !== list.default)) {
      const dims = await get<DimensionList>('/v1/dimensions', { dataset: list.default }).catch(() => null);
      hasData = dims?.dimensions.some((d) => d.name === 'total' && d.has_data) ?? true;
    }
    useDataset(pickDataset(list.datasets, list.default, hasData));
  } else {
    setDataset(filters.dataset);
  }
  fillDatasets(list.datasets);
  syncForm();
}

/** Chooses the dataset, then loads every section. */
async function start(): Promise<void> {
  await chooseDataset();
  void loadDimensions();
  void refresh();
  void showUploads();
}

function syncForm(): void {
  byId<HTMLSelectElement>('f-dataset').value = filters.dataset;
  byId<HTMLSelectElement>('f-dimension').value = filters.dimension;
  byId<HTMLSelectElement>('f-cross').value = filters.cross;
  byId<HTMLInputElement>('f-from').value = filters.from;
  byId<HTMLInputElement>('f-to').value = filters.to;
  byId<HTMLSelectElement>('f-grain').value = filters.grain;
}

function readForm(): Filters {
  const v = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id).value;
  const f = { dataset: v('f-dataset'), dimension: v('f-dimension'), cross: v('f-cross'), from: v('f-from'), to: v('f-to'), grain: v('f-grain') };
  if (f.cross === f.dimension) f.cross = '';
  if (f.from && f.to && f.from > f.to) [f.from, f.to] = [f.to, f.from];
  return f;
}

/** Reloads every section for the current filters. */
async function refresh(): Promise<void> {
  const g = ++generation;
  setDataset(filters.dataset);
  writeFilters(filters);
  document.body.dataset.loaded = 'false';
  const preset = byId<HTMLSelectElement>('f-preset');
  preset.value = [...preset.options].some((o) => o.value === `${filters.from}|${filters.to}`) ? `${filters.from}|${filters.to}` : 'custom';
  await Promise.all([showKPIs(filters), showSegments(filters), showCrossed(filters), showTrends(filters), showForecast(filters), showPipeline(filters), showCustomers(filters), showAcquisition()]);
  if (g === generation) document.body.dataset.loaded = 'true';
}

function showAuth(): void {
  const signedIn = token() !== '';
  byId('auth-state').textContent = signedIn ? 'Signed in' : 'Not signed in';
  byId('signout').hidden = !signedIn;
  byId('auth').classList.toggle('signed-in', signedIn);
  byId<HTMLInputElement>('token').value = '';
}

/** Lists the dimensions that have data, and the months the data spans. */
function loadDimensions(): Promise<void> {
  const list = get<DimensionList>('/v1/dimensions').catch(() => null);
  setDataRange(
    list.then((l) => {
      const total = l?.dimensions.find((d) => d.name === 'total');
      return total?.first_month && total.last_month ? { from: total.first_month, to: total.last_month } : null;
    }),
  );
  return list.then((l) => {
    if (!l) return; // keep every dimension; sections show why they are empty
    byId('currency').textContent = l.currency ? `· amounts in ${l.currency}` : '';
    const withData = l.dimensions.filter((d) => d.name !== 'total' && d.has_data).map((d) => d.name);
    const dims = [...defaultDimensions.filter((d) => withData.includes(d)), ...withData.filter((d) => !defaultDimensions.includes(d))];
    if (dims.length) {
      fillDimensions(dims);
      const stale = !dims.includes(filters.dimension) || (filters.cross !== '' && !dims.includes(filters.cross));
      if (stale) {
        // The data has no such dimension (e.g. no segment column): show one it has.
        filters = { ...filters, dimension: dims.includes(filters.dimension) ? filters.dimension : dims[0], cross: dims.includes(filters.cross) ? filters.cross : '' };
      }
      syncForm();
      if (stale) void refresh();
    }
    const total = l.dimensions.find((d) => d.name === 'total');
    fillPresets(total?.first_month ?? null, total?.last_month ?? null);
  });
}

/** Offers whole years and recent months of the data as period presets. */
function fillPresets(first: string | null, last: string | null): void {
  const sel = byId<HTMLSelectElement>('f-preset');
  const opts: [string, string, string][] = [['', '', 'All time']];
  if (first && last) {
    const back = (m: string, n: number) => {
      const i = Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1 - n;
      return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
    };
    opts.push([back(last, 11) < first ? first : back(last, 11), last, 'Last 12 months of data']);
    opts.push([back(last, 2) < first ? first : back(last, 2), last, 'Last 3 months of data']);
    for (let y = Number(last.slice(0, 4)); y >= Number(first.slice(0, 4)); y--) opts.push([`${y}-01`, `${y}-12`, String(y)]);
  }
  sel.replaceChildren(h('option', { value: 'custom' }, 'Custom (from / to)'), ...opts.map(([from, to, label]) => h('option', { value: `${from}|${to}` }, label)));
  sel.value = [...sel.options].some((o) => o.value === `${filters.from}|${filters.to}`) ? `${filters.from}|${filters.to}` : 'custom';
}

function init(): void {
  adoptTokenFromURL();
  showAuth();
  setUnauthorizedHandler(() => {
    byId('auth-state').textContent = token() ? 'The token was refused: paste a valid one' : 'Sign in with the token `salesseg local` printed';
    byId<HTMLInputElement>('token').focus();
  });
  byId<HTMLFormElement>('auth').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken(byId<HTMLInputElement>('token').value);
    showAuth();
    void start();
  });
  byId('signout').addEventListener('click', () => {
    setToken('');
    showAuth();
    byId<HTMLInputElement>('token').focus();
  });

  fillDimensions(defaultDimensions);
  syncForm();
  byId<HTMLFormElement>('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    filters = readForm();
    syncForm();
    void refresh();
  });
  byId('f-dataset').addEventListener('change', () => {
    // Another dataset has its own dimensions, data range and customers.
    useDataset(readForm().dataset);
    resetCustomerFilters();
    void loadDimensions();
    void refresh();
  });
  for (const id of ['f-dimension', 'f-cross', 'f-grain']) {
    byId(id).addEventListener('change', () => {
      filters = readForm();
      void refresh();
    });
  }
  byId('f-preset').addEventListener('change', () => {
    const v = byId<HTMLSelectElement>('f-preset').value;
    if (v === 'custom') return;
    const [from, to] = v.split('|');
    filters = { ...readForm(), from, to };
    syncForm();
    void refresh();
  });
  initUploads();
  initPipeline(() => filters);
  initAcquisition();
  initCustomerFilters();
  initUpload(() => {
    // The page uploads into the default dataset: show it.
    if (filters.dataset !== 'default') {
      useDataset('default');
      resetCustomerFilters();
      void chooseDataset();
    }
    void loadDimensions();
    void refresh();
    void showUploads();
    // Customer analytics follow once recompute has run after the upload.
    void watchSnapshot(() => {
      void showCustomers(filters);
      void showKPIs(filters);
      void showAcquisition();
    });
  });
  // Sections load once the dataset is chosen; only trends over "all time"
  // wait for the data range.
  void start();
}

init();
