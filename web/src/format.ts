// Decimal strings from the API go to Intl.NumberFormat as strings: it
// rounds them exactly (half away from zero, its default rounding mode),
// never through floating point, so what the page shows is the exact value
// rounded.

const formats = new Map<string, Intl.NumberFormat>();

/**
 * Formats a decimal string (or a number) in en-US with a fixed number of
 * fraction digits, thousands separators and a typographic minus. A value
 * that rounds to zero shows no sign; exceptZero adds a plus to the others.
 */
function format(s: string | number, places: number, style: 'decimal' | 'percent', signDisplay: 'negative' | 'exceptZero' = 'negative'): string {
  const key = `${places} ${style} ${signDisplay}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style, minimumFractionDigits: places, maximumFractionDigits: places, signDisplay });
    formats.set(key, f);
  }
  // Intl takes any decimal string whole; the type only names `${number}`.
  return f.format(s as Intl.StringNumericLiteral).replace('-', '−');
}

/** Formats a decimal string rounded to `places` fraction digits, with separators. */
export function decimal(s: string, places: number): string {
  return format(s, places, 'decimal');
}

/** Formats money: a decimal string rounded to the cent with separators. */
export function money(s: string | undefined | null): string {
  if (s === undefined || s === null || s === '') return '—';
  return decimal(s, 2);
}

/** Formats a ratio such as "0.5056" as a percentage, "50.6%". */
export function percent(s: string | undefined | null, places = 1): string {
  if (s === undefined || s === null || s === '') return '—';
  return format(s, places, 'percent');
}

/** Formats a signed growth ratio as "+12.3%" or "−4.0%" ("0.0%" when it rounds to zero). */
export function growth(s: string | undefined | null): string {
  if (s === undefined || s === null || s === '') return '—';
  return format(s, 1, 'percent', 'exceptZero');
}

/** Formats an integer count with separators. */
export function count(n: number | string | undefined | null): string {
  if (n === undefined || n === null || n === '') return '—';
  return format(n, 0, 'decimal');
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

/**
 * Writes rows as CSV (RFC 4180: fields with a comma, quote or line break
 * are quoted, quotes doubled). A field that a spreadsheet would run as a
 * formula (starting with =, +, -, @, tab or carriage return, per OWASP's
 * CSV injection advice) gets a leading apostrophe, unless it is a plain
 * number such as -12.5.
 */
export function csv(rows: string[][]): string {
  const field = (v: string) => {
    if (/^[=+\-@\t\r]/.test(v) && !/^[+-]?\d+(\.\d+)?$/.test(v)) v = `'${v}`;
    return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  };
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
