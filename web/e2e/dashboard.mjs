// End-to-end run of the dashboard in headless Debian Chromium, driven by
// playwright-core (which never downloads a browser). cmd/salesseg's
// TestDashboardInBrowser starts the local stack and runs:
//
//   node web/e2e/dashboard.mjs --base URL --token TOKEN --file SALES.csv --out DIR [--report FILE]
//
// and TestDashboardPipelineInBrowser, on a stack that already holds deal
// files, runs it with --mode pipeline (no --file): the page is read for
// the deal pipeline section only, by two dimensions, two periods and an
// earlier as-of day. On stacks that already hold their data, --mode
// acquisition reads the acquisition section in total and by segment and
// channel (TestDashboardInBrowser, after its upload and a spend file), and
// --mode holdout reads the customer analytics with the CLV holdout check
// and filters the customer list by quadrant (TestDashboardHoldoutInBrowser,
// on CDNOW). --mode datasets (TestDashboardDatasetsInBrowser) starts on a
// stack holding only `salesseg local`'s sample dataset: it reads the page
// as a new user first sees it, filters the customer list by tier, segment
// and RFM group (downloading the filtered list as CSV), uploads --file
// through the page into the default dataset, and switches back to the
// sample with the dataset picker, logging every API request.
//
// The script signs in through the address (#token=), uploads the file
// through the page (presigned PUT with progress), waits for ingestion,
// reads what the page shows, checks keyboard access, labels and text
// contrast, saves screenshots at laptop and phone sizes into DIR, and
// writes a JSON report (FILE, default DIR/report.json) for the Go test to
// compare with the API.
// It exits non-zero, with the reason on stderr, if anything fails in the
// browser itself.

import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    token: { type: 'string', default: '' },
    file: { type: 'string' },
    out: { type: 'string', default: 'testout/dashboard' },
    report: { type: 'string', default: '' },
    chromium: { type: 'string', default: process.env.SALESSEG_CHROMIUM || '/usr/bin/chromium' },
    timeout: { type: 'string', default: '120000' },
    mode: { type: 'string', default: 'full' },
  },
});
if (!opt.base || (['full', 'datasets'].includes(opt.mode) && !opt.file) || !['full', 'pipeline', 'acquisition', 'holdout', 'datasets'].includes(opt.mode)) {
  console.error('usage: dashboard.mjs --base URL --token TOKEN [--mode full|datasets] --file FILE | --mode pipeline|acquisition|holdout [--out DIR] [--chromium PATH]');
  process.exit(2);
}
const timeout = Number(opt.timeout);
const out = resolve(opt.out);
mkdirSync(out, { recursive: true });

// The flags this machine needs: no GPU, no sandbox as root, and no
// background connections to the outside (they are refused here).
const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

const problems = [];
const report = { problems };

try {
  if (opt.mode === 'pipeline') await dealPages();
  else if (opt.mode === 'acquisition') await acquisitionPages();
  else if (opt.mode === 'holdout') await holdoutPage();
  else if (opt.mode === 'datasets') await datasetPages();
  else await everySection();
} catch (e) {
  problems.push(`failed: ${e.message}`);
} finally {
  await browser.close();
}

const reportPath = resolve(opt.report || join(out, 'report.json'));
writeFileSync(reportPath, JSON.stringify(report, null, 2) + '\n');
console.log(`report: ${reportPath}; problems: ${problems.length}`);
process.exitCode = problems.some((p) => p.startsWith('failed:')) ? 1 : 0;

/**
 * The whole dashboard on an empty stack: signs in, uploads --file through
 * the page, reads every section before and after, audits the page and
 * takes screenshots at laptop and phone sizes.
 */
async function everySection() {
  const laptop = await browser.newContext({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
  const page = await laptop.newPage();
  watch(page, 'laptop');

  // First load: time until every section has settled.
  const t0 = Date.now();
  await page.goto(`${opt.base}/#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(page);
  report.first_load_ms = Date.now() - t0;
  report.first_load_requests = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((r) => `${Math.round(r.startTime)}+${Math.round(r.duration)}ms ${r.name.replace(location.origin, '')}`));
  report.token_removed_from_address = !page.url().includes('token=');
  report.before_upload = await readPage(page);
  report.auth_state = await page.textContent('#auth-state');

  // Keyboard: the first Tab lands on the skip link, which moves focus to main.
  await page.keyboard.press('Tab');
  report.first_tab = await page.evaluate(() => document.activeElement?.textContent?.trim());
  await page.keyboard.press('Enter');
  report.skip_link_target = await page.evaluate(() => document.activeElement?.id);

  // Upload through the page: choose the file with the keyboard-reachable
  // input, press the button, follow the progress bar and status.
  await page.setInputFiles('#upload-file', resolve(opt.file));
  await page.click('#upload-go');
  await page.waitForSelector('.upload-facts[data-status="succeeded"], .upload-facts[data-status="partially_succeeded"], .upload-facts[data-status="failed"], #upload[data-state="error"]', { timeout });
  report.progress = await page.evaluate(() => ({ ...document.querySelector('#upload-progress-wrap').dataset }));
  report.upload = await page.evaluate(() => {
    const dl = document.querySelector('.upload-facts');
    const field = (k) => dl?.querySelector(`[data-field="${k}"]`)?.textContent ?? null;
    return {
      state: document.querySelector('#upload').dataset.state,
      message: document.querySelector('#upload-status').textContent,
      id: dl?.dataset.uploadId ?? null,
      status: dl?.dataset.status ?? null,
      key: field('key'),
      rows: field('rows'),
      accepted: field('accepted'),
      rejected: field('rejected'),
      format: field('format'),
    };
  });
  if (report.upload.status !== 'succeeded' && report.upload.status !== 'partially_succeeded') {
    throw new Error(`upload did not succeed: ${report.upload.message}`);
  }

  // The page refreshes itself after the upload, and its customer analytics
  // once recompute has run. Read every figure shown.
  await labelled(page, 'segments after the upload', () => page.waitForFunction(() => document.querySelector('#segments')?.dataset.state === 'ready', null, { timeout }));
  await labelled(page, 'customer analytics after recompute', () =>
    page.waitForFunction(() => {
      const state = (id) => document.getElementById(id).dataset.state;
      // Quadrants and CLV are withheld, with the reason, when the model
      // cannot be trusted (Superstore); otherwise they are shown.
      const model = (id) => state(id) === 'ready' || (state(id) === 'unavailable' && !/not computed yet/i.test(document.querySelector(`#${id} .state`)?.textContent ?? ''));
      // The holdout check and acquisition cost may have nothing to show
      // (a withheld model, no spend file), and then say why.
      const shown = (id) => state(id) === 'ready' || state(id) === 'empty';
      return ['tiers', 'rfm', 'bridge'].every((id) => state(id) === 'ready') && ['quadrants', 'clv'].every(model) && ['holdout', 'acquisition'].every(shown);
    }, null, { timeout }));
  await labelled(page, 'the upload in the history', () =>
    page.waitForFunction(() => document.querySelector('#uploads tbody [data-col="status"]')?.dataset.exact === 'succeeded', null, { timeout }));
  await settled(page);
  report.after_upload = await readPage(page);
  // Every data table downloads as CSV: take the segments table's.
  {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout }), page.click('#segments .table-wrap caption .csv-download')]);
    report.segments_csv = await readFile(await download.path(), 'utf8');
    report.tables_without_csv = await page.evaluate(() => [...document.querySelectorAll('.table-wrap > table')].filter((t) => !t.querySelector('caption .csv-download')).length);
    report.tables = await page.evaluate(() => document.querySelectorAll('.table-wrap > table').length);
  }

  // A closed range: growth columns appear; read them too.
  await page.fill('#f-from', '2017-01');
  await page.fill('#f-to', '2017-12');
  await page.click('#filters button[type="submit"]');
  await settled(page);
  report.year_2017 = await readPage(page);
  await overflowAt1280(page);

  // Crossed dimensions via the keyboard: focus the picker, choose a value.
  await page.selectOption('#f-dimension', 'region');
  await page.focus('#f-cross');
  await page.selectOption('#f-cross', 'category');
  await settled(page);
  report.crossed = await readPage(page);
  await overflowAt1280(page);
  report.a11y = await audit(page);
  await page.screenshot({ path: join(out, 'laptop-crossed.png'), fullPage: true });

  // Without a token: every section asks to sign in; typing the token into
  // the field and pressing Enter loads them.
  const anon = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const guest = await anon.newPage();
  watch(guest, 'sign-in');
  await guest.goto(`${opt.base}/`, { waitUntil: 'load' });
  await settled(guest);
  report.without_token = {
    auth_state: (await guest.textContent('#auth-state'))?.trim(),
    segments: await guest.evaluate(() => ({ state: document.getElementById('segments').dataset.state, message: document.querySelector('#segments .state').textContent })),
    field_focused: await guest.evaluate(() => document.activeElement?.id === 'token'),
  };
  await guest.fill('#token', opt.token);
  await guest.press('#token', 'Enter');
  await guest.waitForFunction(() => document.getElementById('segments').dataset.state === 'ready', null, { timeout });
  report.without_token.after_sign_in = (await guest.textContent('#auth-state'))?.trim();
  await anon.close();

  // Back to segments for all time: the laptop screenshot.
  await page.goto(`${opt.base}/?dimension=segment&grain=quarter`, { waitUntil: 'load' });
  const t1 = Date.now();
  await settled(page);
  report.reload_ms = Date.now() - t1;
  report.signed_in_after_reload = (await page.textContent('#auth-state'))?.trim();
  await page.screenshot({ path: join(out, 'laptop.png'), fullPage: true });
  const top = await page.locator('#customers-h').boundingBox();
  const bottom = await page.locator('#bridge').boundingBox();
  if (top && bottom) {
    await page.screenshot({ path: join(out, 'laptop-customers.png'), fullPage: true, clip: { x: 0, y: top.y - 8, width: 1440, height: bottom.y + bottom.height - top.y + 16 } });
  }
  report.a11y_segments = await audit(page);

  // Phone: same page at 390 × 844, two pixels per point.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  watch(mobile, 'phone');
  await mobile.goto(`${opt.base}/?dimension=segment&grain=quarter#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(mobile);
  report.phone = {
    horizontal_overflow: await mobile.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    page: await readPage(mobile),
  };
  await mobile.screenshot({ path: join(out, 'phone-top.png') });
  await mobile.screenshot({ path: join(out, 'phone.png'), fullPage: true });
  for (const id of ['kpis', 'segments', 'trends', 'tiers', 'bridge']) await mobile.locator(`#${id}`).screenshot({ path: join(out, `phone-${id}.png`) });
  report.screenshots = ['laptop.png', 'laptop-crossed.png', 'laptop-customers.png', 'phone-top.png', 'phone.png', 'phone-kpis.png', 'phone-segments.png', 'phone-trends.png', 'phone-tiers.png', 'phone-bridge.png'].map((f) => join(out, f));
}

/**
 * The deal pipeline section on a stack that already holds deal files: all
 * time by the default dimension, then by sales agent, then by sales agent
 * for the second quarter of 2017; with the accessibility audit and the
 * section at phone width.
 */
async function dealPages() {
  const laptop = await browser.newContext({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
  const page = await laptop.newPage();
  watch(page, 'laptop');
  await page.goto(`${opt.base}/#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(page);
  report.deals = { default: await readPage(page) };
  await page.locator('#pipeline details summary').click();
  await page.locator('#pipeline').screenshot({ path: join(out, 'laptop-pipeline.png') });

  await page.selectOption('#pipeline-dimension', 'owner');
  await settled(page);
  report.deals.owner = await readPage(page);
  report.a11y = await audit(page);

  await page.fill('#f-from', '2017-04');
  await page.fill('#f-to', '2017-06');
  await page.click('#filters button[type="submit"]');
  await settled(page);
  report.deals.quarter = await readPage(page);
  await overflowAt1280(page);

  // Open deals at the end of an earlier day, picked in the section only.
  await page.fill('#pipeline-asof', '2017-06-30');
  await settled(page);
  report.deals.as_of = await readPage(page);

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  watch(mobile, 'phone');
  await mobile.goto(`${opt.base}/#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(mobile);
  report.deals.phone_overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await mobile.locator('#pipeline').screenshot({ path: join(out, 'phone-pipeline.png') });
  report.screenshots = ['laptop-pipeline.png', 'phone-pipeline.png'].map((f) => join(out, f));
}

/**
 * The acquisition section on a stack that holds sales and spend files and
 * a snapshot: in total per quarter (the section's default), by segment
 * per quarter, by segment per month, and by channel, which the spend
 * file does not name.
 */
async function acquisitionPages() {
  const laptop = await browser.newContext({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
  const page = await laptop.newPage();
  watch(page, 'laptop');
  await page.goto(`${opt.base}/#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(page);
  report.acquisition = { total: await readPage(page) };
  await page.selectOption('#acquisition-dimension', 'segment');
  await settled(page);
  report.acquisition.segment = await readPage(page);
  await page.locator('#acquisition').screenshot({ path: join(out, 'laptop-acquisition.png') });
  report.a11y = await audit(page);
  await page.selectOption('#acquisition-grain', 'month');
  await settled(page);
  report.acquisition.segment_month = await readPage(page);
  await page.selectOption('#acquisition-dimension', 'channel');
  await settled(page);
  report.acquisition.channel = await readPage(page);
  await overflowAt1280(page);
  report.screenshots = [join(out, 'laptop-acquisition.png')];
}

/** The customer analytics with the CLV holdout check, on a stack that holds a snapshot. */
async function holdoutPage() {
  const laptop = await browser.newContext({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
  const page = await laptop.newPage();
  watch(page, 'laptop');
  await page.goto(`${opt.base}/#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(page);
  report.customers = await readPage(page);
  await overflowAt1280(page);
  report.a11y = await audit(page);
  await page.locator('#holdout').screenshot({ path: join(out, 'laptop-holdout.png') });
  report.screenshots = [join(out, 'laptop-holdout.png')];
  // The customer list filtered by the first quadrant offered.
  const quadrant = report.customers.customer_list.filters['c-quadrant'].options[0];
  if (!quadrant) throw new Error('the customer list offers no quadrant to filter by');
  await pickCustomerFilter(page, 'c-quadrant', quadrant);
  report.customer_quadrant = { quadrant, page: await readPage(page) };
}

/**
 * Adds to report.overflow_1280 every table shown that is wider than its
 * box at 1280 px, i.e. has columns hidden behind a horizontal scroll.
 */
async function overflowAt1280(page) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  const found = await page.evaluate(() =>
    [...document.querySelectorAll('.table-wrap')]
      .filter((w) => w.offsetWidth > 0 && w.querySelector('table'))
      .map((w) => ({ section: w.closest('section[id]')?.id ?? '', table: w.querySelector('caption')?.textContent ?? '', overflow: w.scrollWidth - w.clientWidth }))
      .filter((o) => o.overflow > 1));
  report.overflow_1280 = [...(report.overflow_1280 ?? []), ...found];
  if (size) await page.setViewportSize(size);
}

/** Picks value in one of the customer list's filters and waits for the list. */
async function pickCustomerFilter(page, id, value) {
  await page.selectOption(`#${id}`, value);
  await settled(page);
}

/** Downloads the customer list as CSV through its caption's button. */
async function customerCSV(page) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout }), page.click('#top-customers caption .csv-download')]);
  return readFile(await download.path(), 'utf8');
}

/**
 * Datasets: the page as `salesseg local` leaves it (the sample in its own
 * dataset, the default one empty), the customer list's filters, an upload
 * into the default dataset, and the dataset picker.
 */
async function datasetPages() {
  const laptop = await browser.newContext({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
  const page = await laptop.newPage();
  watch(page, 'laptop');
  let requests = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/')) requests.push(u.pathname + u.search);
  });
  await page.goto(`${opt.base}/#token=${encodeURIComponent(opt.token)}`, { waitUntil: 'load' });
  await settled(page);
  report.datasets = { first: await readPage(page), first_requests: [...requests] };
  await page.screenshot({ path: join(out, 'laptop-sample.png'), fullPage: true });

  // The customer list, narrowed one filter at a time: tier, then segment,
  // then RFM group (which may leave no customer: the list says so).
  const steps = [];
  const f0 = report.datasets.first.customer_list.filters;
  for (const [id, value] of [['c-tier', f0['c-tier'].options[0]], ['c-segment', f0['c-segment'].options.at(-1)], ['c-rfm', f0['c-rfm'].options[0]]]) {
    if (!value) throw new Error(`the customer list offers nothing to filter by in #${id}`);
    await pickCustomerFilter(page, id, value);
    const shown = await readPage(page);
    steps.push({ id, value, page: shown, csv: shown.tiers.top.length ? await customerCSV(page) : '' });
  }
  report.customer_steps = steps;
  report.a11y = await audit(page);
  await page.locator('#tiers').screenshot({ path: join(out, 'laptop-customer-list.png') });

  // An upload through the page goes to the default dataset, which the page then shows.
  await page.setInputFiles('#upload-file', resolve(opt.file));
  await page.click('#upload-go');
  await page.waitForSelector('.upload-facts[data-status="succeeded"], .upload-facts[data-status="partially_succeeded"], .upload-facts[data-status="failed"], #upload[data-state="error"]', { timeout });
  await labelled(page, 'the upload shown with its customers', () =>
    page.waitForFunction(() => ['segments', 'tiers'].every((id) => document.getElementById(id).dataset.state === 'ready') &&
      new URL(location.href).searchParams.get('dataset') === 'default', null, { timeout }));
  await settled(page);
  report.datasets.after_upload = await readPage(page);

  // Back to the sample with the picker: every request carries it.
  requests = [];
  await page.selectOption('#f-dataset', 'sample');
  await settled(page);
  report.datasets.picked = await readPage(page);
  report.datasets.picked_requests = requests;
  await overflowAt1280(page);
  report.screenshots = ['laptop-sample.png', 'laptop-customer-list.png'].map((f) => join(out, f));
}

/** Records console errors, page errors, CSP violations and failed requests. */
function watch(page, name) {
  page.on('console', (m) => {
    // Chromium logs every 4xx response; the page handles 401 and 404 itself.
    if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) problems.push(`${name} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // ERR_ABORTED is the page cancelling a section's load that a newer
    // filter change replaced; anything else is a real failure.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${name} request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
}

/** Waits until the page has finished loading every section. */
async function settled(page) {
  await labelled(page, 'every section settled', () =>
    page.waitForFunction(() => document.body.dataset.loaded === 'true' && !document.querySelector('[aria-busy="true"]'), null, { timeout }));
}

/**
 * Runs a wait and, if it fails, says what was awaited and in which state
 * each section was, so a timeout in CI can be diagnosed from the log.
 */
async function labelled(page, what, wait) {
  try {
    return await wait();
  } catch (e) {
    const states = await page
      .evaluate(() => [...document.querySelectorAll('section[id]')].map((s) => `${s.id}=${s.dataset.state ?? '?'}${s.getAttribute('aria-busy') === 'true' ? '(busy)' : ''}`).join(' '))
      .catch(() => 'unavailable');
    const status = await page.textContent('#recompute-status').catch(() => '');
    throw new Error(`waiting for ${what}: ${e.message.split('\n')[0]}; sections: ${states}; recompute status: ${status}`);
  }
}

/** Reads the figures the page shows, with the exact values behind them. */
function readPage(page) {
  return page.evaluate(() => {
    const state = (id) => ({ state: document.getElementById(id)?.dataset.state, message: document.querySelector(`#${id} .state`)?.textContent ?? '' });
    const cells = (tr) =>
      Object.fromEntries([...tr.querySelectorAll('[data-col]')].map((c) => [c.dataset.col, { text: c.textContent, exact: c.dataset.exact ?? null }]));
    const rows = (sel) => [...document.querySelectorAll(`${sel} tbody tr`)].map(cells);
    const firstTable = (id) => {
      const t = document.querySelector(`#${id} .table-wrap > table`);
      return t ? [...t.querySelectorAll('tbody tr')].map(cells) : [];
    };
    const foot = (sel) => [...document.querySelectorAll(`${sel} tfoot tr`)].map(cells)[0] ?? null;
    return {
      filters: Object.fromEntries(new URL(location.href).searchParams),
      kpis: { ...state('kpis'), cards: Object.fromEntries([...document.querySelectorAll('[data-kpi]')].map((k) => [k.dataset.kpi, { text: k.querySelector('dd').textContent, exact: k.querySelector('dd').dataset.exact ?? null, note: k.querySelector('.note')?.textContent ?? '' }])) },
      segments: { ...state('segments'), heading: document.getElementById('segments-h').textContent, alt: document.getElementById('segments-chart').getAttribute('aria-label'), rows: rows('#segments'), total: foot('#segments') },
      heatmap: {
        ...state('heatmap'),
        columns: [...document.querySelectorAll('#heatmap thead th')].slice(1).map((th) => th.textContent),
        rows: [...document.querySelectorAll('#heatmap tbody tr')].map((tr) => ({ value: tr.querySelector('th').textContent, cells: [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent, exact: td.dataset.exact ?? null })) })),
      },
      trends: { ...state('trends'), alt: document.getElementById('trends-chart').getAttribute('aria-label'), rows: rows('#trends') },
      forecast: {
        ...state('forecast'),
        method: document.querySelector('#forecast .forecast-method')?.textContent ?? '',
        alt: document.getElementById('forecast-chart').getAttribute('aria-label'),
        rows: rows('#forecast'),
      },
      asof: document.getElementById('asof').textContent,
      currency: document.getElementById('currency').textContent,
      dataset: { value: document.getElementById('f-dataset').value, options: [...document.getElementById('f-dataset').options].map((o) => o.value) },
      customer_list: {
        ...state('customer-list'),
        caption: document.querySelector('#top-customers caption')?.textContent ?? '',
        filters: Object.fromEntries(['c-tier', 'c-rfm', 'c-quadrant', 'c-segment'].map((id) => {
          const sel = document.getElementById(id);
          return [id, { value: sel.value, disabled: sel.disabled, options: [...sel.options].map((o) => o.value).filter(Boolean) }];
        })),
      },
      tiers: { ...state('tiers'), rows: firstTable('tiers'), alt: document.getElementById('tiers-chart').getAttribute('aria-label'), top: rows('#top-customers') },
      rfm: { ...state('rfm'), rows: firstTable('rfm') },
      quadrants: {
        ...state('quadrants'),
        rows: firstTable('quadrants'),
        grid: [...document.querySelectorAll('#quadrants [data-quadrant]')].map((q) => q.dataset.quadrant),
      },
      clv: { ...state('clv'), rows: firstTable('clv'), alt: document.getElementById('clv-chart').getAttribute('aria-label'), note: document.querySelector('#clv .table-wrap > p')?.textContent ?? '' },
      bridge: { ...state('bridge'), rows: firstTable('bridge'), figures: JSON.parse(document.getElementById('bridge-chart').dataset.bridge ?? 'null') },
      uploads: { ...state('uploads'), rows: rows('#uploads') },
      pipeline: {
        ...state('pipeline'),
        dimension: document.getElementById('pipeline-dimension').value,
        as_of: document.getElementById('pipeline-asof').value,
        note: document.getElementById('pipeline-note').textContent,
        alt: document.getElementById('pipeline-chart').getAttribute('aria-label'),
        caption: document.querySelector('#pipeline-table caption')?.textContent ?? '',
        rows: rows('#pipeline-table'),
        total: foot('#pipeline-table'),
        conversion: rows('#pipeline-conversion'),
      },
      holdout: {
        ...state('holdout'),
        summary: document.getElementById('holdout-summary').textContent,
        alt: document.getElementById('holdout-chart').getAttribute('aria-label'),
        rows: rows('#holdout'),
        total: foot('#holdout'),
      },
      acquisition: {
        ...state('acquisition'),
        dimension: document.getElementById('acquisition-dimension').value,
        grain: document.getElementById('acquisition-grain').value,
        note: document.getElementById('acquisition-note').textContent,
        alt: document.getElementById('acquisition-chart').getAttribute('aria-label'),
        caption: document.querySelector('#acquisition caption')?.textContent ?? '',
        rows: rows('#acquisition'),
      },
    };
  });
}

/** Checks labels, chart text alternatives, keyboard reachability and contrast. */
function audit(page) {
  return page.evaluate(() => {
    const issues = [];
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && getComputedStyle(el).visibility !== 'hidden';
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label') || el.closest('label');
      if (!labelled) issues.push(`no label: ${el.outerHTML.slice(0, 80)}`);
    }
    for (const b of document.querySelectorAll('button')) if (visible(b) && !b.textContent.trim() && !b.getAttribute('aria-label')) issues.push('button without a name');
    for (const c of document.querySelectorAll('canvas')) if (visible(c) && !(c.getAttribute('aria-label') ?? '').trim()) issues.push(`chart without text alternative: #${c.id}`);
    for (const w of document.querySelectorAll('.table-wrap')) if (visible(w) && w.tabIndex < 0) issues.push('scrollable table not keyboard-focusable');
    // Contrast of every visible text against its effective background.
    const rgb = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bgOf = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    let checked = 0;
    let worst = 21;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || seen.has(el) || !visible(el) || el.closest('canvas, option, .visually-hidden, .skip')) continue;
      seen.add(el);
      const cs = getComputedStyle(el);
      const fg = rgb(cs.color).slice(0, 3);
      const [a, b] = [lum(fg), lum(bgOf(el))].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      checked++;
      worst = Math.min(worst, ratio);
      if (ratio < (large ? 3 : 4.5)) issues.push(`contrast ${ratio.toFixed(2)}:1 for "${n.textContent.trim().slice(0, 40)}"`);
    }
    return { issues, texts_checked: checked, worst_contrast: Number(worst.toFixed(2)) };
  });
}
