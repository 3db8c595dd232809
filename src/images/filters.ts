// `docker images` listing rules: intermediate images hidden unless --all, and Docker's filters
// dangling, label, reference (glob on the familiar name), before and since.
import { InvalidParameter } from '../lib/errors.js';
import type { Image, ImageStore } from './store.js';
import { familiarName } from './reference.js';

const KNOWN = new Set(['dangling', 'label', 'reference', 'before', 'since', 'until']);

export function filterImages(store: ImageStore, all: boolean, filters: Map<string, string[]>): Image[] {
  for (const k of filters.keys()) if (!KNOWN.has(k)) throw new InvalidParameter(`invalid filter '${k}'`);
  const dangling = filters.get('dangling')?.[0];
  if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) {
    throw new InvalidParameter(`invalid filter 'dangling=${dangling}'`);
  }
  const before = filters.get('before')?.[0];
  const since = filters.get('since')?.[0];
  const beforeImg = before ? store.resolve(before) : undefined;
  const sinceImg = since ? store.resolve(since) : undefined;
  const created = (i: Image) => Date.parse(i.config.created ?? '') || 0;
  return store
    .all()
    .filter((img) => {
      const refs = store.referencesOf(img.id);
      const isDangling = refs.length === 0;
      if (!all && isDangling && store.children(img.id).length > 0) return false;
      if (dangling !== undefined && isDangling !== (dangling === 'true' || dangling === '1')) return false;
      if (beforeImg && created(img) >= created(beforeImg)) return false;
      if (sinceImg && created(img) <= created(sinceImg)) return false;
      for (const l of filters.get('label') ?? []) {
        const [k, v] = l.split('=', 2) as [string, string | undefined];
        const labels = img.config.config?.Labels ?? {};
        if (v === undefined ? !(k in labels) : labels[k] !== v) return false;
      }
      const patterns = filters.get('reference') ?? [];
      if (patterns.length) {
        const names = refs.map((r) => (r.tag ? `${familiarName(r.name)}:${r.tag}` : `${familiarName(r.name)}@${r.digest}`));
        if (!patterns.some((p) => names.some((n) => referenceMatches(p, n)))) return false;
      }
      return true;
    })
    .sort((a, b) => created(b) - created(a));
}

/** Docker's reference filter: the pattern matches the familiar name with or without its tag. */
export function referenceMatches(pattern: string, name: string): boolean {
  const repo = name.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return globMatch(pattern, name) || globMatch(pattern, repo);
}

/** Go's path.Match: `*` matches within one path segment, `?` one character. */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(name);
}
