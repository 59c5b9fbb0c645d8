// DOM helpers: element creation, section states and accessible data tables.

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
  section.querySelectorAll<HTMLElement>('.chart, .table-wrap, details, .quad, .kpi-grid').forEach((el) => {
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
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label)))),
    h('tbody', {}, ...rows.map((r) => row(r, 'td'))),
    foot ? h('tfoot', {}, row(foot, 'td')) : null,
  );
}

/** Replaces a container's content. */
export function put(container: Element | null, ...nodes: Node[]): void {
  container?.replaceChildren(...nodes);
}
