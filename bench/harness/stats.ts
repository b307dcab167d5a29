// Small statistics over timing samples.

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lower = sorted[low] ?? Number.NaN;
  const upper = sorted[high] ?? Number.NaN;
  return lower + (upper - lower) * (position - low);
}

export const median = (values: number[]): number => quantile(values, 0.5);

export function minimum(values: number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}
