// The filter rules every prune endpoint shares, as dockerd applies them: which keys each accepts,
// `until` (a Go duration before now, an RFC 3339 time or date, or unix seconds) and `label` /
// `label!` matching (each list must match as a whole: `label!=a` plus `label!=b` spares only
// objects carrying both).
import { InvalidParameter } from '../lib/errors.js';

export type Filters = Map<string, string[]>;

export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const k of filters.keys()) if (!allowed.includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds; undefined when `s` is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return s === '0' ? 0 : undefined;
  let total = 0;
  for (const part of s.slice(m[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/**
 * Docker's timetypes.GetTimestamp followed by ParseTimestamps: the instant (ms since the epoch)
 * that `value` names, relative to `now` for durations. Dates without a zone are UTC.
 */
export function parseTimestamp(value: string, now: number, filterName = 'until'): number {
  const d = parseGoDuration(value);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const noZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value);
  const withZone = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  if (dateOnly || noZone || withZone) {
    const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : noZone ? `${value}Z` : value.replace(/^(\d{4}-\d{2}-\d{2})(Z|[+-])/, '$1T00:00:00$2'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidParameter(`failed to parse value as time or duration: "${value}" (${filterName} filter)`);
}

/** The `until` filter of a prune as an instant, or undefined; dockerd takes one value only. */
export function untilFilter(filters: Filters, now = Date.now(), key = 'until'): number | undefined {
  const values = filters.get(key);
  if (!values?.length) return undefined;
  if (values.length > 1) throw new InvalidParameter(`more than one ${key} filter specified`);
  return parseTimestamp(values[0]!, now, key);
}

/** filters.Args.MatchKVList: every term must match (`k` present, or `k=v` equal). */
function matchKVList(terms: string[], labels: Record<string, string>): boolean {
  if (Object.keys(labels).length === 0) return false;
  return terms.every((t) => {
    const eq = t.indexOf('=');
    const k = eq < 0 ? t : t.slice(0, eq);
    if (!(k in labels)) return false;
    return eq < 0 || labels[k] === t.slice(eq + 1);
  });
}

/** dockerd's prune label rule: all `label` terms match and not all `label!` terms match. */
export function matchPruneLabels(filters: Filters, labels: Record<string, string> | null | undefined): boolean {
  const l = labels ?? {};
  const want = filters.get('label') ?? [];
  const notWant = filters.get('label!') ?? [];
  if (want.length && !matchKVList(want, l)) return false;
  if (notWant.length && matchKVList(notWant, l)) return false;
  return true;
}

/** A boolean filter value as dockerd's GetBoolOrDefault reads it. */
export function boolFilter(filters: Filters, key: string, dflt: boolean): boolean {
  const values = filters.get(key);
  if (!values?.length) return dflt;
  const v = values[0]!.toLowerCase();
  if (['true', '1'].includes(v)) return true;
  if (['false', '0'].includes(v)) return false;
  throw new InvalidParameter(`invalid filter '${key}=${values[0]}'`);
}
