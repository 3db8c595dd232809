// Reading layers back out: the tar of an overlay upper directory (0/0 devices and opaque
// directories turned into OCI whiteouts), the tar of any tree or single path (export, cp), and
// Docker's `docker diff` change list. Walk order is sorted so one tree always gives one diffID.
import { promises as fs, createReadStream, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFound } from '../../lib/errors.js';
import { lgetxattr, llistxattr, splitdev } from '../../lib/libc.js';
import { writeTar, type TarWriteEntry, type TarWriteHeader } from './tar-writer.js';
import type { TarEntryType } from './tar-header.js';
import { resolveInRoot } from './root-path.js';
import { isOverlayWhiteout, OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, WHITEOUT_PREFIX } from './whiteouts.js';

/** One line of `docker diff`: Kind 0 modified, 1 added, 2 deleted (Docker's ChangeType). */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

export interface Node {
  /** Path relative to the walk's root, '/'-separated, never empty. */
  rel: string;
  path: string;
  st: BigIntStats;
  /** A deletion found by comparing trees (naive diff): written as an OCI whiteout. */
  deleted?: boolean;
}

/** Depth-first, each directory's entries in sorted order; symlinks are never followed. */
export async function* walk(root: string, rel = ''): AsyncGenerator<Node> {
  const names = (await fs.readdir(rel ? join(root, rel) : root)).sort();
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    const path = join(root, childRel);
    const st = await fs.lstat(path, { bigint: true });
    yield { rel: childRel, path, st };
    if (st.isDirectory()) yield* walk(root, childRel);
  }
}

function isOpaque(path: string): boolean {
  return lgetxattr(path, OVERLAY_OPAQUE_XATTR)?.toString() === 'y';
}

function typeOf(st: BigIntStats): TarEntryType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return null; // sockets cannot travel in a tar
}

/** Tar entries of a tree; `whiteouts` turns overlayfs markers into OCI ones. */
export async function* entries(nodes: AsyncIterable<Node>, opts: { whiteouts: boolean; name: (rel: string) => string }): AsyncGenerator<TarWriteEntry> {
  const firstPathOfInode = new Map<string, string>();
  for await (const { rel, path, st, deleted } of nodes) {
    const name = opts.name(rel);
    const common = { uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs };
    if (deleted || (opts.whiteouts && isOverlayWhiteout(st))) {
      const dir = posix.dirname(name);
      const wh = (dir === '.' ? '' : dir + '/') + WHITEOUT_PREFIX + posix.basename(name);
      yield { header: { ...common, name: wh, type: 'file', mode: 0o600, size: 0 } };
      continue;
    }
    const type = typeOf(st);
    if (!type) continue;
    const xattrs = new Map<string, Buffer>();
    for (const key of llistxattr(path).sort()) {
      if (key.startsWith('trusted.overlay.')) continue; // overlayfs bookkeeping, not content
      const value = lgetxattr(path, key);
      if (value) xattrs.set(key, value);
    }
    const header: TarWriteHeader = { ...common, name, type, mode: Number(st.mode) & 0o7777, xattrs };
    if (type !== 'dir' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = firstPathOfInode.get(key);
      if (first !== undefined) {
        yield { header: { ...header, type: 'hardlink', linkname: first } };
        continue;
      }
      firstPathOfInode.set(key, name);
    }
    if (type === 'file') {
      yield { header: { ...header, size: Number(st.size) }, body: createReadStream(path) };
    } else if (type === 'symlink') {
      yield { header: { ...header, linkname: await fs.readlink(path) } };
    } else if (type === 'char' || type === 'block') {
      const { major, minor } = splitdev(st.rdev);
      yield { header: { ...header, devmajor: major, devminor: minor } };
    } else {
      yield { header };
    }
    if (type === 'dir' && opts.whiteouts && isOpaque(path)) {
      yield { header: { ...common, name: `${name.replace(/\/$/, '')}/${OPAQUE_MARKER}`, type: 'file', mode: Number(st.mode) & 0o777, size: 0 } };
    }
  }
}

/** The layer tar of an overlay upper (`diff/`) directory, with OCI whiteouts. */
export function diffOverlay(upperDir: string): Readable {
  return writeTar(entries(walk(upperDir), { whiteouts: true, name: (rel) => rel }));
}

export interface PackOptions {
  /** Archive only this path (relative to dir; parents' symlinks resolved inside dir). */
  includeRoot?: string;
  /** The name `includeRoot` takes in the archive (default: its base name). */
  rebaseName?: string;
}

/**
 * The tar of a whole tree (`docker export`), or of one path inside it under a new name
 * (`docker cp`): no whiteout conversion, symlinks archived as links.
 */
export function packTree(dir: string, opts: PackOptions = {}): Readable {
  async function* nodes(): AsyncGenerator<Node> {
    if (opts.includeRoot === undefined) {
      yield* walk(dir);
      return;
    }
    const rel = opts.includeRoot.split('/').filter((c) => c && c !== '.').join('/');
    const parent = await resolveInRoot(dir, posix.dirname(rel || '.'), true);
    const path = rel ? join(parent, posix.basename(rel)) : dir;
    const st = await lstatOrNull(path);
    if (!st) throw new NotFound(`no such file or directory: ${opts.includeRoot}`);
    const top = opts.rebaseName ?? (rel ? posix.basename(rel) : '.');
    yield { rel: top, path, st };
    if (st.isDirectory()) {
      for await (const n of walk(path)) yield { ...n, rel: top === '.' ? n.rel : `${top}/${n.rel}` };
    }
  }
  return writeTar(entries(nodes(), { whiteouts: false, name: (rel) => rel }));
}

export async function lstatOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await fs.lstat(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** What `rel` is in the lower layers (top first): the first layer that has it or whites it out. */
async function lowerStat(lowerDirs: string[], rel: string): Promise<BigIntStats | null> {
  for (const lower of lowerDirs) {
    const st = await lstatOrNull(join(lower, rel));
    if (st) return isOverlayWhiteout(st) ? null : st;
  }
  return null;
}

/**
 * `docker diff` for an overlay upper directory over `lowerDirs` (top first): whiteouts and opaque
 * directories are deletions, paths found below are modifications, the rest additions. As in
 * Docker, a directory identical to the one below is left out unless something inside changed,
 * and the parent of an addition or deletion is listed as modified.
 */
export async function changes(upperDir: string, lowerDirs: string[] = []): Promise<Change[]> {
  const out: Change[] = [];
  const changedDirs = new Set<string>();
  for await (const { rel, path, st } of walk(upperDir)) {
    const p = '/' + rel;
    let kind: Change['Kind'];
    if (isOverlayWhiteout(st) || (st.isDirectory() && isOpaque(path))) {
      kind = 2;
    } else {
      const below = await lowerStat(lowerDirs, rel);
      if (!below) kind = 1;
      else if (
        below.isDirectory() &&
        st.isDirectory() &&
        below.mode === st.mode &&
        below.size === st.size &&
        below.mtimeNs === st.mtimeNs
      ) {
        continue;
      } else kind = 0;
    }
    if (st.isDirectory()) changedDirs.add(p);
    if (kind !== 0) {
      const parent = posix.dirname(p);
      if (parent !== '/' && !changedDirs.has(parent)) {
        out.push({ Path: parent, Kind: 0 });
        changedDirs.add(parent);
      }
    }
    out.push({ Path: p, Kind: kind });
  }
  return out;
}
