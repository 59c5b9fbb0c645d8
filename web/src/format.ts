// Decimal strings from the API are formatted as strings, never through
// floating point, so what the page shows is the exact value rounded half
// away from zero.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Splits a decimal string into sign, integer digits and fraction digits. */
function parts(s: string): { neg: boolean; int: string; frac: string } | null {
  const m = DECIMAL.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  return { neg: m[1] === '-', int: m[2] || '0', frac: m[3] ?? '' };
}

/** Rounds a decimal string to `places` fraction digits, half away from zero. */
export function roundDecimal(s: string, places: number): string {
  const p = parts(s);
  if (!p) return s;
  let { int, frac } = p;
  if (frac.length <= places) {
    frac = frac.padEnd(places, '0');
  } else {
    const up = frac.charCodeAt(places) >= 53; // '5'
    frac = frac.slice(0, places);
    if (up) {
      const digits = (int + frac).split('');
      let i = digits.length - 1;
      for (; i >= 0; i--) {
        if (digits[i] === '9') {
          digits[i] = '0';
        } else {
          digits[i] = String(Number(digits[i]) + 1);
          break;
        }
      }
      let all = digits.join('');
      if (i < 0) all = '1' + all;
      int = all.slice(0, all.length - places);
      frac = all.slice(all.length - places);
    }
  }
  int = int.replace(/^0+(?=\d)/, '');
  const out = places > 0 ? `${int}.${frac}` : int;
  return p.neg && /[1-9]/.test(out) ? '-' + out : out;
}

/** Multiplies a decimal string by 10^n (n ≥ 0) by moving the point. */
export function shiftDecimal(s: string, n: number): string {
  const p = parts(s);
  if (!p) return s;
  const frac = p.frac.padEnd(n, '0');
  const int = (p.int + frac.slice(0, n)).replace(/^0+(?=\d)/, '');
  const rest = frac.slice(n);
  return (p.neg ? '-' : '') + int + (rest ? '.' + rest : '');
}

/** Inserts thousands separators into the integer part of a decimal string. */
export function group(s: string): string {
  const neg = s.startsWith('-');
  const [int, frac] = (neg ? s.slice(1) : s).split('.');
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '−' : '') + g + (frac !== undefined ? '.' + frac : '');
}

/** Formats money: a decimal string rounded to the cent with separators. */
export function money(s: string | undefined | null): string {
  if (s === undefined || s === null || s === '') return '—';
  return group(roundDecimal(s, 2));
}

/** Formats a ratio such as "0.5056" as a percentage, "50.6%". */
export function percent(s: string | undefined | null, places = 1): string {
  if (s === undefined || s === null || s === '') return '—';
  return group(roundDecimal(shiftDecimal(s, 2), places)) + '%';
}

/** Formats a signed growth ratio as "+12.3%" or "−4.0%". */
export function growth(s: string | undefined | null): string {
  if (s === undefined || s === null || s === '') return '—';
  const p = percent(s);
  return p.startsWith('−') || /^0(\.0+)?%$/.test(p) ? p : '+' + p;
}

/** Formats an integer count with separators. */
export function count(n: number | string | undefined | null): string {
  if (n === undefined || n === null || n === '') return '—';
  return group(String(n));
}

const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Formats a number compactly ("1.2M") for chart axes only. */
export function compact(n: number): string {
  return compactFmt.format(n);
}

/** Converts a decimal string to a number for plotting (display only). */
export function toNumber(s: string | number | undefined | null): number {
  if (typeof s === 'number') return s;
  if (!s) return 0;
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
}

/** Formats a float ratio from the API (0.4914…) as a percentage. */
export function ratio(n: number | null | undefined, places = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return percent(n.toFixed(8), places);
}

/** Adds decimal strings exactly (BigInt arithmetic on scaled integers). */
export function addDecimals(...xs: string[]): string {
  const scale = Math.max(0, ...xs.map((x) => (x.split('.')[1] ?? '').length));
  let sum = 0n;
  for (const x of xs) {
    const neg = x.trim().startsWith('-');
    const [int, frac = ''] = x.trim().replace(/^[+-]/, '').split('.');
    const v = BigInt((int || '0') + frac.padEnd(scale, '0'));
    sum += neg ? -v : v;
  }
  const neg = sum < 0n;
  const digits = (neg ? -sum : sum).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return (neg ? '-' : '') + int + (scale ? '.' + frac : '');
}
