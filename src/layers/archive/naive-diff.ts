// Changes between two full trees, for drivers whose layers are complete copies (vfs, btrfs): the
// layer tar of what `layer` changed over `parent` (deletions as OCI whiteouts), `docker diff`,
// and the byte size of the changes. Metadata decides "changed", as Docker's naive diff does.
import { promises as fs, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { entries, lstatOrNull, walk, type Change, type Node } from './diff.js';
import { writeTar } from './tar-writer.js';

type Kind = Change['Kind'];

function sameNode(a: BigIntStats, b: BigIntStats): boolean {
  if ((a.mode & 0o170000n) !== (b.mode & 0o170000n)) return false;
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtimeNs !== b.mtimeNs) return false;
  if (a.isDirectory()) return true;
  return a.size === b.size && a.rdev === b.rdev;
}

/** Walks `layer` against `parent` depth-first in sorted order, yielding each change once. */
async function* compare(layer: string, parent: string | undefined, rel = ''): AsyncGenerator<{ node: Node; kind: Kind }> {
  const here = rel ? join(layer, rel) : layer;
  const below = parent ? (rel ? join(parent, rel) : parent) : undefined;
  const names = new Set(await fs.readdir(here));
  if (below) for (const n of await fs.readdir(below).catch(() => [] as string[])) names.add(n);
  for (const name of [...names].sort()) {
    const childRel = rel ? `${rel}/${name}` : name;
    const path = join(layer, childRel);
    const st = await lstatOrNull(path);
    const old = below ? await lstatOrNull(join(below, name)) : null;
    if (!st) {
      if (old) yield { node: { rel: childRel, path: join(below!, name), st: old, deleted: true }, kind: 2 };
      continue;
    }
    if (!old) {
      yield { node: { rel: childRel, path, st }, kind: 1 };
      if (st.isDirectory()) for await (const n of walk(layer, childRel)) yield { node: n, kind: 1 };
      continue;
    }
    if (!sameNode(st, old)) yield { node: { rel: childRel, path, st }, kind: 0 };
    if (st.isDirectory()) {
      if (old.isDirectory()) yield* compare(layer, parent, childRel);
      else for await (const n of walk(layer, childRel)) yield { node: n, kind: 1 };
    }
  }
}

/** The layer tar of what `layer` changed over `parent` (none: the whole tree). */
export function naiveDiff(layer: string, parent?: string): Readable {
  async function* nodes(): AsyncGenerator<Node> {
    for await (const { node } of compare(layer, parent)) yield node;
  }
  return writeTar(entries(nodes(), { whiteouts: false, name: (rel) => rel }));
}

/** `docker diff`: as for overlay2, the parent of an addition or deletion is listed as modified. */
export async function naiveChanges(layer: string, parent?: string): Promise<Change[]> {
  const out: Change[] = [];
  const listed = new Set<string>();
  for await (const { node, kind } of compare(layer, parent)) {
    const p = '/' + node.rel;
    if (kind !== 0) {
      const dir = posix.dirname(p);
      if (dir !== '/' && !listed.has(dir)) {
        out.push({ Path: dir, Kind: 0 });
        listed.add(dir);
      }
    }
    if (listed.has(p)) continue;
    listed.add(p);
    out.push({ Path: p, Kind: kind });
  }
  return out;
}

/** Bytes of the files `layer` adds or changes over `parent`, each inode once. */
export async function naiveDiffSize(layer: string, parent?: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  for await (const { node, kind } of compare(layer, parent)) {
    if (kind === 2 || node.st.isDirectory()) continue;
    const key = `${node.st.dev}:${node.st.ino}`;
    if (node.st.nlink > 1n) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += Number(node.st.size);
  }
  return total;
}
