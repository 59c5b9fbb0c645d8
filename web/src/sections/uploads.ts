// The upload history from GET /v1/uploads: every upload newest first, with
// its status as it stands now, its counts and what it replaced, filtered
// by status and paged with the API's cursor.

import { get } from '../api';
import { byId, h, put, table, type Column } from '../dom';
import { count } from '../format';
import { Empty, load } from '../loader';
import type { UploadEntry, UploadList } from '../types';
import { statusLabel } from '../upload';

const PAGE = 50;

/** "2026-11-23T10:00:00Z" as "2026-11-23 10:00:00 UTC"; "—" for none. */
function when(t: string | null): string {
  return t ? t.replace('T', ' ').replace(/Z$/, ' UTC') : '—';
}

const columns: Column<UploadEntry>[] = [
  { key: 'key', label: 'File', text: (u) => u.key },
  { key: 'status', label: 'Status', text: (u) => statusLabel(u.status), exact: (u) => u.status },
  { key: 'started_at', label: 'Started', text: (u) => when(u.started_at) },
  { key: 'finished_at', label: 'Finished', text: (u) => when(u.finished_at) },
  { key: 'rows', label: 'Rows', numeric: true, text: (u) => count(u.rows), exact: (u) => u.rows },
  { key: 'accepted', label: 'Accepted', numeric: true, text: (u) => count(u.accepted), exact: (u) => u.accepted },
  { key: 'rejected', label: 'Rejected', numeric: true, text: (u) => count(u.rejected), exact: (u) => u.rejected },
  { key: 'replaced', label: 'Replaced upload', text: (u) => u.replaced ?? '—' },
  { key: 'error', label: 'Error', text: (u) => u.error ?? '' },
];

/** Loads and shows the first page of the upload history for the chosen status. */
export async function showUploads(): Promise<void> {
  const sec = byId('uploads');
  const status = byId<HTMLSelectElement>('uploads-status').value;
  await load(sec, async (signal) => {
    const first = await get<UploadList>('/v1/uploads', { limit: PAGE, status }, signal);
    const rows = [...first.uploads];
    const render = (next: string | null) => {
      const more = next ? h('button', { type: 'button', class: 'more' }, 'Show older uploads') : null;
      more?.addEventListener('click', async () => {
        more.setAttribute('disabled', '');
        const page = await get<UploadList>('/v1/uploads', { limit: PAGE, status, cursor: next ?? '' });
        rows.push(...page.uploads);
        render(page.next_cursor);
      });
      const caption = `${count(rows.length)} upload${rows.length === 1 ? '' : 's'}, newest first${status ? `, ${statusLabel(status).toLowerCase()} only` : ''}`;
      put(sec.querySelector('.table-wrap'), table(caption, columns, rows), ...(more ? [more] : []));
    };
    // A status filter may skip a whole page: the cursor says whether older uploads remain.
    if (!rows.length && !first.next_cursor) throw new Empty(status ? `No ${statusLabel(status).toLowerCase()} uploads.` : 'No uploads yet.');
    render(first.next_cursor);
  });
}

/** Reloads the history when the status filter changes. */
export function initUploads(): void {
  byId('uploads-status').addEventListener('change', () => void showUploads());
}
