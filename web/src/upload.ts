// Browser upload: ask the API for a presigned S3 PUT URL, send the file
// with XMLHttpRequest so the progress bar can follow it, then poll the
// upload's status until ingestion has finished.

import { ApiError, call, get } from './api';
import { byId, h, put } from './dom';
import { count } from './format';
import type { Upload, UploadTicket } from './types';

const FINAL = new Set(['succeeded', 'partially_succeeded', 'failed', 'superseded', 'deleted']);
const LABEL: Record<string, string> = {
  processing: 'Processing',
  succeeded: 'Succeeded',
  partially_succeeded: 'Partially succeeded',
  failed: 'Failed',
  superseded: 'Replaced by a newer version',
  deleted: 'Deleted',
};

/** The words for an upload status. */
export function statusLabel(status: string): string {
  return LABEL[status] ?? status;
}

/** Wires the upload form; onDone runs when an upload has been ingested. */
export function initUpload(onDone: (u: Upload) => void): void {
  const form = byId<HTMLFormElement>('upload-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = byId<HTMLInputElement>('upload-file');
    const file = input.files?.[0];
    if (!file) {
      input.focus();
      return;
    }
    void upload(file, onDone);
  });
}

function say(...nodes: (Node | string)[]): void {
  put(byId('upload-status'), ...nodes.map((n) => (typeof n === 'string' ? document.createTextNode(n) : n)));
}

function progress(pct: number | null, label: string): void {
  const wrap = byId('upload-progress-wrap');
  const bar = byId<HTMLProgressElement>('upload-progress');
  wrap.hidden = false;
  byId('upload-progress-label').textContent = label;
  if (pct === null) {
    bar.removeAttribute('value'); // indeterminate
    byId('upload-percent').textContent = '';
  } else {
    bar.value = pct;
    byId('upload-percent').textContent = `${pct}%`;
  }
}

async function upload(file: File, onDone: (u: Upload) => void): Promise<void> {
  const button = byId<HTMLButtonElement>('upload-go');
  const section = byId('upload');
  button.disabled = true;
  section.dataset.state = 'uploading';
  try {
    say(`Asking the API where to upload ${file.name}…`);
    // The API picks the content type for the file's extension and signs
    // it; browsers disagree on CSV types, so none is proposed. It signs
    // the size too, so storage refuses any other body.
    const ticket = await call<UploadTicket>('POST', '/v1/uploads', undefined, { file_name: file.name, size: file.size });
    const started = Date.now();
    const wrap = byId('upload-progress-wrap');
    delete wrap.dataset.reached;
    delete wrap.dataset.events;
    const version = await putFile(ticket, file);
    progress(100, 'Uploaded; ingesting');
    say(`Uploaded ${file.name}. Waiting for ingestion…`);
    const u = await poll(ticket, version, started);
    section.dataset.state = u.status;
    show(u);
    if (u.status === 'succeeded' || u.status === 'partially_succeeded') onDone(u);
  } catch (e) {
    section.dataset.state = 'error';
    const msg = e instanceof ApiError ? (e.problem.detail ?? e.message) : (e as Error).message;
    say(h('strong', { class: 'bad' }, 'Upload failed: '), msg);
  } finally {
    button.disabled = false;
  }
}

/** PUTs the file to the presigned URL; resolves with the S3 version id when S3 exposes it. */
function putFile(ticket: UploadTicket, file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method, ticket.url);
    for (const [k, v] of Object.entries(ticket.headers)) {
      if (!/^(host|content-length)$/i.test(k)) xhr.setRequestHeader(k, v);
    }
    progress(0, `Uploading ${file.name}`);
    const wrap = byId('upload-progress-wrap');
    xhr.upload.onprogress = (ev) => {
      if (!ev.lengthComputable) return;
      const pct = Math.floor((ev.loaded / ev.total) * 100);
      // How far the browser reported the upload, kept for tests.
      wrap.dataset.events = String(Number(wrap.dataset.events ?? 0) + 1);
      wrap.dataset.reached = String(pct);
      progress(pct, `Uploading ${file.name}`);
    };
    xhr.onload = () => {
      // Storage shows the version id only if its CORS rules expose it;
      // asking for a hidden header would log an error, so look first.
      const exposed = /^x-amz-version-id:/im.test(xhr.getAllResponseHeaders());
      if (xhr.status >= 200 && xhr.status < 300) resolve(exposed ? (xhr.getResponseHeader('x-amz-version-id') ?? '') : '');
      else reject(new Error(`storage answered ${xhr.status} ${xhr.statusText}`));
    };
    xhr.onerror = () => reject(new Error('the upload could not reach storage (network or CORS)'));
    xhr.onabort = () => reject(new Error('the upload was cancelled'));
    xhr.send(file);
  });
}

/** Polls the upload's status until it is final. */
async function poll(ticket: UploadTicket, version: string, started: number): Promise<Upload> {
  const deadline = Date.now() + 10 * 60_000;
  let wait = 300;
  progress(null, 'Ingesting');
  for (;;) {
    const u = await find(ticket, version, started);
    if (u) {
      show(u);
      if (FINAL.has(u.status)) return u;
    }
    // Elapsed time goes in the bar's label, not in the live region, so
    // screen readers are not told every second.
    byId('upload-progress-label').textContent = `Ingesting (${Math.round((Date.now() - started) / 1000)} s)`;
    if (Date.now() > deadline) throw new Error('ingestion did not finish within 10 minutes; check the upload status later');
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 1.5, 2000);
  }
}

/**
 * The status of this upload, by key and S3 version id: the ticket has no
 * upload id, which only exists once S3 has assigned the version.
 */
async function find(ticket: UploadTicket, version: string, started: number): Promise<Upload | null> {
  try {
    const u = await get<Upload>('/v1/uploads', { key: ticket.key, version });
    // Without a version id (storage did not expose it) the API reports the
    // key's live version, which may be an older upload of the same name.
    if (!version && Date.parse(u.started_at) < started - 5000) return null;
    return u;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null; // not seen by ingestion yet
    throw e;
  }
}

/** Shows an upload's status: counts, detected format and the rejects. */
export function show(u: Upload): void {
  const f = u.format ?? {};
  const fmt = [
    f.encoding && `encoding ${f.encoding}`,
    f.delimiter && `delimiter ${JSON.stringify(f.delimiter)}`,
    f.date_format && `dates ${f.date_format}`,
    f.compression && `compression ${f.compression}`,
  ].filter(Boolean) as string[];
  const rejects = u.rejected > 0
    ? u.rejects_url
      ? h('a', { href: u.rejects_url, download: '' }, `Download the ${count(u.rejected)} rejected rows`)
      : h('span', {}, `Rejected rows are in ${u.rejects_key ?? 'the rejects file'}`)
    : null;
  const cls = u.status === 'succeeded' ? 'good' : u.status === 'failed' ? 'bad' : u.status === 'processing' ? '' : 'warn';
  say(
    h(
      'dl',
      { class: 'upload-facts', 'data-upload-id': u.id, 'data-status': u.status },
      h('dt', {}, 'Status'),
      h('dd', { class: cls, 'data-field': 'status' }, statusLabel(u.status)),
      h('dt', {}, 'File'),
      h('dd', { 'data-field': 'key' }, u.key),
      h('dt', {}, 'Rows read'),
      h('dd', { 'data-field': 'rows' }, count(u.rows)),
      h('dt', {}, 'Accepted'),
      h('dd', { 'data-field': 'accepted' }, count(u.accepted)),
      h('dt', {}, 'Rejected'),
      h('dd', { 'data-field': 'rejected' }, count(u.rejected)),
      fmt.length ? h('dt', {}, 'Detected format') : null,
      fmt.length ? h('dd', { 'data-field': 'format' }, fmt.join(', ')) : null,
      u.replaced ? h('dt', {}, 'Replaced upload') : null,
      u.replaced ? h('dd', { 'data-field': 'replaced' }, u.replaced) : null,
      u.error ? h('dt', {}, 'Error') : null,
      u.error ? h('dd', { class: 'bad', 'data-field': 'error' }, u.error) : null,
    ),
    ...(rejects ? [rejects] : []),
  );
  if (FINAL.has(u.status)) byId('upload-progress-wrap').hidden = true;
}
