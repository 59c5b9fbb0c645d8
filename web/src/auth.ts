// The API token: taken once from the page address (?token= or #token=),
// kept in sessionStorage for this tab only, and removed from the address
// bar so it is not bookmarked or shared by accident.

const KEY = 'salesseg.token';

/** Moves a token from the address into sessionStorage, if there is one. */
export function adoptTokenFromURL(): void {
  const url = new URL(window.location.href);
  const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
  const t = url.searchParams.get('token') ?? hash.get('token');
  if (t === null) return;
  setToken(t);
  url.searchParams.delete('token');
  hash.delete('token');
  const h = hash.toString();
  url.hash = h ? '#' + h : '';
  window.history.replaceState(null, '', url.toString());
}

/** Returns the stored token, or "" when signed out. */
export function token(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

/** Stores the token (trimmed); an empty token signs out. */
export function setToken(t: string): void {
  try {
    const v = t.trim();
    if (v) sessionStorage.setItem(KEY, v);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the token lives only as long as the page */
  }
}
