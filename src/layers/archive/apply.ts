// Applies an image layer tar (possibly compressed) to a directory: every entry type with its
// ownership, mode, xattrs and nanosecond times, whiteouts in overlayfs or naive form, and the
// diffID hashed while the uncompressed tar streams. Nothing is ever written outside the directory.
import { promises as fs, constants as fsc } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidParameter, SystemError, BerthError } from '../../lib/errors.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO, utimensat } from '../../lib/libc.js';
import { decompress } from './compression.js';
import { DigestStream } from './digest.js';
import { readTar } from './tar-reader.js';
import type { TarHeader } from './tar-header.js';
import { cleanArchiveName, PathEscape, resolveInRoot } from './root-path.js';
import type { TarSplitSink } from '../tar-split.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX } from './whiteouts.js';

export interface ApplyOptions {
  /**
   * 'overlay' (default): the directory is an overlay2 `diff/`; deletions become 0/0 character
   * devices and opaque directories get trusted.overlay.opaque=y. 'naive': the directory holds
   * the full tree below (vfs, docker cp); deletions and opaque markers remove files.
   */
  whiteouts?: 'overlay' | 'naive';
  /** When set, the uncompressed tar must hash to this diffID or the apply fails. */
  expectedDiffId?: string;
  /** Records the raw tar around the extracted files so the layer's tar can be given back byte for byte. */
  tarSplit?: TarSplitSink;
  /**
   * userns-remap: the host ids files get, from the ids in the tar (the layer's own ids stay in
   * the tar-split, so it exports unchanged). The layer's root directory goes to the mapped root.
   */
  idMap?: IdShift;
}

/** Container ids → host ids (src/userns/id-mapping.ts implements it). */
export interface IdShift {
  toHost(uid: number, gid: number): [number, number];
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar stream. */
  diffId: string;
  /** Bytes of file content written. */
  size: number;
}

/** An entry the layer may not contain; the message names the entry and the reason. */
export class LayerEntryRefused extends InvalidParameter {}

interface DirTimes {
  rel: string;
  atimeNs: bigint;
  mtimeNs: bigint;
}

class Applier {
  private dirTimes: DirTimes[] = [];
  /** Paths this layer created, which an opaque marker met later must keep (naive mode). */
  private unpacked = new Set<string>();
  private opaqued = new Set<string>();
  size = 0;
  /** Where the last entry's body was written (relative to the root), null when it was not. */
  bodyWrittenAt: string | null = null;

  constructor(
    private root: string,
    private mode: 'overlay' | 'naive',
    private idMap?: IdShift,
  ) {}

  private owner(h: TarHeader): [number, number] {
    if (!this.idMap) return [h.uid, h.gid];
    try {
      return this.idMap.toHost(h.uid, h.gid);
    } catch (err) {
      throw new LayerEntryRefused(`refusing layer entry ${JSON.stringify(h.name)}: ${(err as Error).message}`);
    }
  }

  async entry(h: TarHeader, body: Readable): Promise<void> {
    this.bodyWrittenAt = null;
    const refuse = (why: string): never => {
      throw new LayerEntryRefused(`refusing layer entry ${JSON.stringify(h.name)}: ${why}`);
    };
    let rel: string;
    try {
      rel = cleanArchiveName(h.name);
    } catch (err) {
      return refuse(err instanceof PathEscape ? err.message : String(err));
    }
    if (rel === '') return; // the layer root itself: its metadata belongs to the directory's owner
    const base = posix.basename(rel);
    const parent = await resolveInRoot(this.root, posix.dirname(rel), true);
    const path = join(parent, base);

    if (base === OPAQUE_MARKER) return this.opaque(parent);
    if (base.startsWith(WHITEOUT_META_PREFIX)) return; // other aufs markers carry nothing for us
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = base.slice(WHITEOUT_PREFIX.length);
      if (target === '' || target === '.' || target === '..') refuse('invalid whiteout name');
      return this.whiteout(parent, target, h);
    }

    await this.mkparent(parent);
    const existing = await lstatOrNull(path);
    if (existing && !(existing.isDirectory() && h.type === 'dir')) {
      await fs.rm(path, { recursive: true, force: true });
    }

    switch (h.type) {
      case 'dir':
        if (!existing?.isDirectory()) await fs.mkdir(path, { mode: 0o700 });
        break;
      case 'file': {
        const file = await fs.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        // Several pieces may wait for the disk, so parsing the next ones does not stop for each write.
        await pipeline(body, file.createWriteStream({ highWaterMark: 4 << 20 }));
        this.size += h.size;
        this.bodyWrittenAt = relative(this.root, path);
        break;
      }
      case 'symlink':
        await fs.symlink(h.linkname, path);
        break;
      case 'hardlink': {
        let linkRel: string;
        try {
          linkRel = cleanArchiveName(h.linkname);
        } catch (err) {
          return refuse(`hardlink target ${err instanceof PathEscape ? err.message : String(err)}`);
        }
        if (linkRel === '') refuse('hardlink to the layer root');
        // The target's own last component is not followed: a hardlink to a symlink links the symlink.
        const target = await resolveInRoot(this.root, linkRel, false);
        const st = await lstatOrNull(target);
        if (!st) refuse(`hardlink target ${JSON.stringify(h.linkname)} does not exist in the layer`);
        if (st!.isDirectory()) refuse(`hardlink target ${JSON.stringify(h.linkname)} is a directory`);
        await fs.link(target, path);
        break;
      }
      case 'char':
      case 'block':
        mknod(path, (h.type === 'char' ? S_IFCHR : S_IFBLK) | 0o600, h.devmajor, h.devminor);
        break;
      case 'fifo':
        mknod(path, S_IFIFO | 0o600);
        break;
    }
    this.unpacked.add(path);
    await this.metadata(path, h);
    if (h.type === 'dir') this.dirTimes.push({ rel, atimeNs: h.atimeNs ?? h.mtimeNs, mtimeNs: h.mtimeNs });
  }

  /** Owner, xattrs, mode (after chown, which clears setuid), then times; never through a symlink. */
  private async metadata(path: string, h: TarHeader): Promise<void> {
    await fs.lchown(path, ...this.owner(h));
    const isSymlink = (await fs.lstat(path)).isSymbolicLink();
    for (const [name, value] of h.xattrs) {
      try {
        lsetxattr(path, name, value);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Filesystems without xattr support, and user.* on symlinks, cannot hold them (as containerd).
        if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || (code === 'EPERM' && name.startsWith('user.') && isSymlink)) continue;
        throw err;
      }
    }
    if (!isSymlink) await fs.chmod(path, h.mode);
    if (h.type !== 'dir') utimensat(path, h.atimeNs ?? h.mtimeNs, h.mtimeNs, true);
  }

  private async mkparent(parent: string): Promise<void> {
    if (parent === this.root) return;
    const st = await lstatOrNull(parent);
    if (st?.isDirectory()) return;
    if (st) throw Object.assign(new Error(`ENOTDIR: parent ${parent} is not a directory`), { code: 'ENOTDIR' });
    await fs.mkdir(parent, { recursive: true, mode: 0o755 });
  }

  private async whiteout(parent: string, target: string, h: TarHeader): Promise<void> {
    const path = join(parent, target);
    if (this.mode === 'naive') {
      await fs.rm(path, { recursive: true, force: true });
      return;
    }
    await this.mkparent(parent);
    await fs.rm(path, { recursive: true, force: true });
    mknod(path, S_IFCHR, 0, 0);
    await fs.lchown(path, ...this.owner(h));
    // Times from the header keep a re-exported layer byte-identical (same diffID).
    utimensat(path, h.atimeNs ?? h.mtimeNs, h.mtimeNs, true);
    this.unpacked.add(path);
  }

  private async opaque(dir: string): Promise<void> {
    if (this.mode === 'overlay') {
      await this.mkparent(dir);
      lsetxattr(dir, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (this.opaqued.has(dir)) return;
    this.opaqued.add(dir);
    if (!(await lstatOrNull(dir))?.isDirectory()) return;
    // Everything below that this layer did not itself create came from the layers underneath.
    const prune = async (d: string): Promise<void> => {
      for (const name of await fs.readdir(d)) {
        const p = join(d, name);
        if (!this.unpacked.has(p)) await fs.rm(p, { recursive: true, force: true });
        else if ((await fs.lstat(p)).isDirectory()) await prune(p);
      }
    };
    await prune(dir);
  }

  /** Directory times last, once nothing more is created inside them; paths resolved afresh. */
  async finish(): Promise<void> {
    for (const d of this.dirTimes.reverse()) {
      const path = await resolveInRoot(this.root, d.rel, false);
      if ((await lstatOrNull(path))?.isDirectory()) utimensat(path, d.atimeNs, d.mtimeNs, true);
    }
  }
}

async function lstatOrNull(path: string) {
  try {
    return await fs.lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * Applies the layer tar in `input` (uncompressed, gzip, bzip2, xz or zstd) to `dir` and returns
 * its diffID. On failure the input is destroyed and `dir` holds a partial layer to be discarded.
 */
export async function applyLayer(input: Readable, dir: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const root = resolve(dir);
  await fs.mkdir(root, { recursive: true });
  const applier = new Applier(root, opts.whiteouts ?? 'overlay', opts.idMap);
  if (opts.idMap) await fs.lchown(root, ...opts.idMap.toHost(0, 0));
  const digest = new DigestStream(opts.expectedDiffId);
  let tar: Readable | undefined;
  try {
    tar = (await decompress(input)).stream;
    tar.on('error', (err) => digest.destroy(err));
    tar.pipe(digest);
    let raw: Readable = digest;
    if (opts.tarSplit) {
      const tap = opts.tarSplit.tap();
      digest.on('error', (err) => tap.destroy(err));
      raw = digest.pipe(tap);
    }
    for await (const { header, body } of readTar(raw)) {
      try {
        await applier.entry(header, body);
      } catch (err) {
        if (err instanceof BerthError) throw err;
        throw new SystemError(`failed to apply layer entry ${JSON.stringify(header.name)}: ${(err as Error).message}`, { cause: err });
      }
      opts.tarSplit?.entryApplied(applier.bodyWrittenAt);
    }
    await applier.finish();
    return { diffId: digest.digest, size: applier.size };
  } catch (err) {
    tar?.destroy();
    input.destroy();
    digest.destroy();
    throw err;
  }
}
