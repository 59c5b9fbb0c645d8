// DOM helpers: element creation, section states and accessible data tables.

import { csv } from './format';

/** Creates an element with attributes and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** Returns the element with this id, or throws: the page is broken without it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** What a section is showing; tests wait on data-state="ready". */
export type State = 'loading' | 'ready' | 'empty' | 'unavailable' | 'error';

/** Sets a section's state and the message in its .state element. */
export function setState(section: HTMLElement, state: State, message = ''): void {
  section.dataset.state = state;
  section.setAttribute('aria-busy', state === 'loading' ? 'true' : 'false');
  const box = section.querySelector<HTMLElement>('.state');
  if (box) {
    box.textContent = message;
    box.className = `state state-${state}`;
    box.hidden = message === '';
  }
  const hideBody = state !== 'ready';
  section.querySelectorAll<HTMLElement>('.chart, .table-wrap, details, .quad, .kpi-grid, .customer-list').forEach((el) => {
    el.hidden = hideBody;
  });
}

/** A column of a data table. */
export interface Column<R> {
  key: string;
  label: string;
  numeric?: boolean;
  /** The text shown. */
  text: (r: R) => string;
  /** The exact value behind a rounded figure, kept in data-exact. */
  exact?: (r: R) => string | number | undefined;
}

/** Renders rows as a table with a caption, column headers and row headers. */
export function table<R>(caption: string, cols: Column<R>[], rows: R[], foot?: R): HTMLTableElement {
  const row = (r: R, cellTag: 'td' | 'th') =>
    h(
      'tr',
      {},
      ...cols.map((c, i) => {
        const exact = c.exact?.(r);
        const tag = i === 0 ? 'th' : cellTag;
        return h(tag, {
          scope: i === 0 ? 'row' : undefined,
          class: c.numeric ? 'num' : undefined,
          'data-col': c.key,
          'data-exact': exact === undefined || exact === '' ? undefined : String(exact),
        }, c.text(r));
      }),
    );
  return withCSV(h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label)))),
    h('tbody', {}, ...rows.map((r) => row(r, 'td'))),
    foot ? h('tfoot', {}, row(foot, 'td')) : null,
  ));
}

/** Adds a "CSV" button to a table's caption that downloads the table. */
export function withCSV(t: HTMLTableElement): HTMLTableElement {
  const caption = t.caption?.textContent ?? 'table';
  const download = h('button', { type: 'button', class: 'csv-download', 'aria-label': `Download as CSV: ${caption}` }, 'CSV');
  download.addEventListener('click', () => saveCSV(t, caption));
  t.caption?.append(' ', download);
  return t;
}

/** Downloads a rendered table as CSV: each cell's exact value where it has one, else its text. */
function saveCSV(t: HTMLTableElement, caption: string): void {
  const rows = [...t.querySelectorAll('thead tr, tbody tr, tfoot tr')].map((tr) =>
    [...tr.querySelectorAll<HTMLElement>('th, td')].map((c) => c.dataset.exact ?? c.textContent ?? ''),
  );
  const url = URL.createObjectURL(new Blob([csv(rows)], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: url, download: `${caption.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'table'}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Replaces a container's content. */
export function put(container: Element | null, ...nodes: Node[]): void {
  container?.replaceChildren(...nodes);
}
