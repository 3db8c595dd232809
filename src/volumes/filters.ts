// Docker's filters for `volume ls` (dangling, driver, label, name) and `volume prune` (label,
// label!, all), with its error texts for unknown keys and bad values.
import { InvalidParameter } from '../lib/errors.js';

const LIST_KEYS = new Set(['dangling', 'driver', 'label', 'name']);
const PRUNE_KEYS = new Set(['label', 'label!', 'all']);

export interface FilterSubject {
  name: string;
  driver: string;
  labels: Record<string, string>;
  inUse: boolean;
}

function checkKeys(filters: Map<string, string[]>, allowed: Set<string>): void {
  for (const k of filters.keys()) if (!allowed.has(k)) throw new InvalidParameter(`invalid filter '${k}'`);
}

function boolFilter(filters: Map<string, string[]>, key: string): boolean | undefined {
  const values = filters.get(key);
  if (!values?.length) return undefined;
  let out: boolean | undefined;
  for (const v of values) {
    const b = ['true', '1'].includes(v.toLowerCase()) ? true : ['false', '0'].includes(v.toLowerCase()) ? false : undefined;
    if (b === undefined) throw new InvalidParameter(`invalid filter '${key}=${v}'`);
    out = out === undefined ? b : out || b;
  }
  return out;
}

function labelMatches(labels: Record<string, string>, term: string): boolean {
  const eq = term.indexOf('=');
  if (eq < 0) return term in labels;
  return labels[term.slice(0, eq)] === term.slice(eq + 1);
}

function nameMatches(name: string, term: string): boolean {
  // dockerd matches names as a regular expression; a term that is not one matches literally.
  try {
    return new RegExp(term).test(name);
  } catch {
    return name.includes(term);
  }
}

/** A predicate for GET /volumes; throws on filters Docker rejects. */
export function listFilter(filters: Map<string, string[]>): (v: FilterSubject) => boolean {
  checkKeys(filters, LIST_KEYS);
  const dangling = boolFilter(filters, 'dangling');
  const drivers = filters.get('driver') ?? [];
  const labels = filters.get('label') ?? [];
  const names = filters.get('name') ?? [];
  return (v) =>
    (dangling === undefined || dangling === !v.inUse) &&
    (!drivers.length || drivers.some((d) => nameMatches(v.driver, d))) &&
    labels.every((l) => labelMatches(v.labels, l)) &&
    (!names.length || names.some((n) => nameMatches(v.name, n)));
}

/**
 * A predicate for POST /volumes/prune. Since API 1.42 only anonymous volumes go unless `all` is
 * set; older clients expect every unused volume to go.
 */
export function pruneFilter(filters: Map<string, string[]>, apiVersion: string, isAnonymous: (v: FilterSubject) => boolean): (v: FilterSubject) => boolean {
  checkKeys(filters, PRUNE_KEYS);
  const all = boolFilter(filters, 'all') ?? !versionAtLeast(apiVersion, '1.42');
  const want = filters.get('label') ?? [];
  const notWant = filters.get('label!') ?? [];
  return (v) =>
    !v.inUse &&
    (all || isAnonymous(v)) &&
    want.every((l) => labelMatches(v.labels, l)) &&
    !notWant.some((l) => labelMatches(v.labels, l));
}

function versionAtLeast(v: string, min: string): boolean {
  const [a = 0, b = 0] = v.split('.').map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}
