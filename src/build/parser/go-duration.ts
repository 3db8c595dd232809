// Go's time.ParseDuration, which Dockerfile HEALTHCHECK flags use ("1m30s", "1.5h", "300ms"),
// with Go's error messages. Results are integer nanoseconds, the unit Docker's image config uses.

import { goQuote } from './go-text.js';

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n,
  '\u03bcs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

export class DurationError extends Error {}

/** Parses a Go duration string into nanoseconds. Throws DurationError with Go's wording. */
export function parseGoDuration(input: string): number {
  const invalid = () => new DurationError(`time: invalid duration ${goQuote(input)}`);
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) throw invalid();
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    let frac = '';
    if (s[0] === '.') {
      s = s.slice(1);
      frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
      if (intPart === '' && frac === '') throw invalid();
    } else if (intPart === '') {
      throw invalid();
    }
    const unitMatch = /^[^0-9.]*/.exec(s)![0];
    if (unitMatch === '') throw new DurationError(`time: missing unit in duration ${goQuote(input)}`);
    s = s.slice(unitMatch.length);
    const unit = UNITS[unitMatch];
    if (unit === undefined) throw new DurationError(`time: unknown unit ${goQuote(unitMatch)} in duration ${goQuote(input)}`);
    const v = BigInt(intPart === '' ? '0' : intPart);
    if (v > MAX_INT64 / unit) throw invalid();
    let part = v * unit;
    if (frac !== '') {
      // Go truncates the fraction to nanosecond precision.
      const scale = 10n ** BigInt(frac.length);
      part += (BigInt(frac) * unit) / scale;
    }
    total += part;
    if (total > MAX_INT64) throw invalid();
  }
  return Number(neg ? -total : total);
}

/** Go's Duration.String for the values Docker prints in messages (e.g. "1ms", "1m30s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1_000) out = `${n}ns`;
  else if (n < 1_000_000) out = `${trimFloat(n / 1_000)}µs`;
  else if (n < 1_000_000_000) out = `${trimFloat(n / 1_000_000)}ms`;
  else {
    const h = Math.floor(n / 3_600_000_000_000);
    n -= h * 3_600_000_000_000;
    const m = Math.floor(n / 60_000_000_000);
    n -= m * 60_000_000_000;
    const sec = `${trimFloat(n / 1_000_000_000)}s`;
    out = h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec;
  }
  return neg ? '-' + out : out;
}

function trimFloat(v: number): string {
  return String(Number(v.toFixed(9)));
}
