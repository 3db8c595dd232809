// Summaries of timing samples (nearest-rank percentiles) and the fixed-width tables the runner
// prints.

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  min: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  return { n: s.length, p50: median(s), p90: rank(90), min: s[0] ?? NaN };
}

function median(sorted: number[]): number {
  if (!sorted.length) return NaN;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

export function ms(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(1)} ms` : '-';
}

export function mib(kib: number): string {
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : '-';
}

/** `value / base` as "3.40x"; the reference row reads 1.00x. */
export function ratio(value: number, base: number): string {
  return Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${(value / base).toFixed(2)}x` : '-';
}

/** Text table; the first column and those in `leftAligned` are left-aligned, numbers right. */
export function table(headers: string[], rows: string[][], leftAligned: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = new Set([0, ...leftAligned]);
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
