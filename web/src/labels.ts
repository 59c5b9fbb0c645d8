// Human names of the API's dimensions, in the order the picker lists them.

export const dimensionNames: Record<string, string> = {
  segment: 'Customer segment',
  industry: 'Industry',
  size: 'Company size',
  region: 'Region',
  country: 'Country',
  category: 'Product line',
  channel: 'Channel',
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
