// Human names of the API's dimensions, in the order the picker lists them.

export const dimensionNames: Record<string, string> = {
  segment: 'Customer segment',
  industry: 'Industry',
  size: 'Company size',
  region: 'Region',
  country: 'Country',
  category: 'Product line',
  channel: 'Channel',
  product: 'Product',
  owner: 'Sales agent',
  manager: 'Manager',
};

/** The picker's dimensions when the API does not list them. */
export const defaultDimensions = Object.keys(dimensionNames);

/** The lower-case name used in headings ("revenue by industry"). */
export function dimensionLabel(d: string): string {
  return (dimensionNames[d] ?? d).toLowerCase();
}

/** The capitalised name used as a column header ("Industry"). */
export function dimensionTitle(d: string): string {
  return dimensionNames[d] ?? d.replace(/^./, (c) => c.toUpperCase());
}

/** How the dashboard names the unassigned value (null in the API: lines
 * without a value for the dimension, an empty cell or a file without the
 * column). */
export const unassignedLabel = 'Unassigned';

/** A row's display name: its value, or each of its values with
 * unassigned ones named, joined as the API joins them. */
export function valueLabel(r: { value: string | null; values: (string | null)[] }): string {
  if (r.value !== null) return r.value;
  if (!r.values.length) return unassignedLabel;
  return r.values.map((v) => v ?? unassignedLabel).join(' × ');
}
