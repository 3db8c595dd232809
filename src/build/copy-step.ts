// COPY and ADD: the sources are copied into a scratch read-write layer on the step's image (so
// existing directories, symlinks and /etc/passwd are seen as the image has them), and the
// layer's changes are registered as the step's layer. ADD also unpacks local tar archives.
import { promises as fs, createReadStream } from 'node:fs';
import { join, posix, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidParameter } from '../lib/errors.js';
import type { LayerStore, Layer } from '../layers/store.js';
import { resolveInRoot } from '../layers/archive/root-path.js';
import { applyLayer } from '../layers/archive/apply.js';
import { detectCompression } from '../layers/archive/compression.js';
import type { SourceTree } from './context/build-context.js';

export interface CopyItem {
  tree: SourceTree;
  /** Path inside the tree ('' for its root). */
  rel: string;
  /** ADD: unpack when the file is a tar archive (local sources only). */
  unpack: boolean;
  /** Mode forced on a downloaded file (ADD URL: 0600). */
  mode?: number;
  mtime?: Date;
  /** Name to use in a destination directory instead of the source's base name. */
  name?: string;
}

export interface CopySpec {
  items: CopyItem[];
  /** Absolute destination, as written (a trailing `/` means "into this directory"). */
  dest: string;
  chown: string;
  chmod: string;
  what: 'COPY' | 'ADD';
}

interface Ids {
  uid: number;
  gid: number;
}

/** Runs `fn` on a scratch RW layer mounted on `parentChain`; returns fn's result and the layer's diff. */
export async function withScratchLayer<T>(layers: LayerStore, parentChain: string | undefined, fn: (root: string) => Promise<T>, commit: (value: T) => boolean): Promise<{ value: T; layer?: Layer }> {
  const id = `build-${randomBytes(16).toString('hex')}`;
  await layers.createRW(id, parentChain);
  try {
    const root = await layers.mountRW(id);
    let value: T;
    try {
      value = await fn(root);
    } finally {
      await layers.unmountRW(id);
    }
    const layer = commit(value) ? await layers.register(layers.diffRW(id), parentChain) : undefined;
    return { value, layer };
  } finally {
    await layers.removeRW(id).catch(() => undefined);
  }
}

/** Looks a user or group name up in the image's /etc/passwd or /etc/group. */
async function lookupId(root: string, file: 'passwd' | 'group', name: string): Promise<{ id: number; gid?: number } | undefined> {
  const host = await resolveInRoot(root, `etc/${file}`, true);
  const text = await fs.readFile(host, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3) return { id: Number(f[2]), ...(file === 'passwd' ? { gid: Number(f[3]) } : {}) };
  }
  return undefined;
}

/**
 * `--chown=user[:group]`: names are resolved in the image; a user without a group uses the same
 * numeric id as group, as Docker documents.
 */
export async function resolveChown(root: string, chown: string): Promise<Ids | undefined> {
  if (!chown) return undefined;
  const [user, group] = chown.split(':', 2) as [string, string | undefined];
  const num = (s: string) => (/^[0-9]+$/.test(s) ? Number(s) : undefined);
  let uid = num(user);
  if (uid === undefined) {
    const u = await lookupId(root, 'passwd', user);
    if (!u) throw new InvalidParameter(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`);
    uid = u.id;
  }
  let gid: number | undefined;
  if (group === undefined || group === '') gid = uid;
  else {
    gid = num(group);
    if (gid === undefined) {
      const g = await lookupId(root, 'group', group);
      if (!g) throw new InvalidParameter(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`);
      gid = g.id;
    }
  }
  return { uid, gid };
}

/** `--chmod`: octal only (BuildKit also takes symbolic modes; those are refused here). */
function parseChmod(chmod: string): number | undefined {
  if (!chmod) return undefined;
  if (!/^[0-7]{3,4}$/.test(chmod)) throw new InvalidParameter(`invalid chmod parameter: ${chmod}`);
  return parseInt(chmod, 8);
}

async function isTarArchive(path: string): Promise<boolean> {
  const fh = await fs.open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (bytesRead < 6) return false;
    const c = detectCompression(head.subarray(0, bytesRead));
    if (c !== 'none') return true;
    return bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

/** mkdir -p inside root; directories it creates get `ids` (Docker chowns only new ones). */
async function mkdirAll(root: string, rel: string, ids: Ids | undefined): Promise<string> {
  let cur = '';
  for (const part of rel.split('/').filter(Boolean)) {
    cur = cur ? `${cur}/${part}` : part;
    const host = await resolveInRoot(root, cur, true);
    const st = await fs.stat(host).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new InvalidParameter(`cannot copy to non-directory: /${cur}`);
    await fs.mkdir(host, { mode: 0o755 });
    await fs.chmod(host, 0o755);
    if (ids) await fs.chown(host, ids.uid, ids.gid);
  }
  return resolveInRoot(root, rel, true);
}

async function copyEntry(src: string, dst: string, ids: Ids | undefined, chmod: number | undefined, follow: boolean, item: CopyItem): Promise<void> {
  const st = follow ? await fs.stat(src) : await fs.lstat(src);
  const uid = ids?.uid ?? 0;
  const gid = ids?.gid ?? 0;
  if (st.isSymbolicLink()) {
    await fs.rm(dst, { force: true, recursive: true });
    await fs.symlink(await fs.readlink(src), dst);
    await fs.lchown(dst, uid, gid);
    await fs.lutimes(dst, st.atime, st.mtime);
    return;
  }
  if (st.isDirectory()) {
    const existing = await fs.lstat(dst).catch(() => undefined);
    if (existing && !existing.isDirectory()) await fs.rm(dst, { force: true });
    if (!existing?.isDirectory()) await fs.mkdir(dst);
    for (const name of (await fs.readdir(src)).sort()) {
      const childRel = item.rel ? `${item.rel}/${name}` : name;
      if (item.tree.excluded(childRel)) continue;
      await copyEntry(join(src, name), join(dst, name), ids, chmod, false, { ...item, rel: childRel });
    }
    await fs.chmod(dst, chmod ?? st.mode & 0o7777);
    await fs.chown(dst, uid, gid);
    await fs.utimes(dst, st.atime, st.mtime);
    return;
  }
  if (st.isFile()) {
    const existing = await fs.lstat(dst).catch(() => undefined);
    if (existing?.isDirectory()) await fs.rm(dst, { recursive: true, force: true });
    else if (existing) await fs.rm(dst, { force: true });
    await fs.copyFile(src, dst);
    await fs.chown(dst, uid, gid);
    await fs.chmod(dst, chmod ?? item.mode ?? st.mode & 0o7777);
    await fs.utimes(dst, st.atime, item.mtime ?? st.mtime);
  }
  // Devices, sockets and fifos in a build context are skipped, as Docker's context tar drops them.
}

/** Copies the items into `root` (a mounted scratch layer). */
export async function copyInto(root: string, spec: CopySpec): Promise<void> {
  const ids = await resolveChown(root, spec.chown);
  const chmod = parseChmod(spec.chmod);
  const destRel = posix.normalize(spec.dest).replace(/^\/+/, '').replace(/\/+$/, '');
  const destHost = await resolveInRoot(root, destRel, true);
  const destStat = await fs.stat(destHost).catch(() => undefined);
  const intoDir = spec.dest.endsWith('/') || spec.dest.endsWith('/.') || destStat?.isDirectory() === true || destRel === '';
  for (const item of spec.items) {
    const srcHost = item.rel ? await resolveInRoot(item.tree.root, item.rel, true) : item.tree.root;
    const st = await fs.stat(srcHost);
    if (st.isDirectory()) {
      // A directory's contents are copied, not the directory itself.
      const dst = await mkdirAll(root, destRel, ids);
      for (const name of (await fs.readdir(srcHost)).sort()) {
        const childRel = item.rel ? `${item.rel}/${name}` : name;
        if (item.tree.excluded(childRel)) continue;
        await copyEntry(join(srcHost, name), join(dst, name), ids, chmod, false, { ...item, rel: childRel });
      }
      continue;
    }
    if (item.unpack && (await isTarArchive(srcHost))) {
      const dst = await mkdirAll(root, destRel, ids);
      await applyLayer(createReadStream(srcHost), dst, { whiteouts: 'naive' });
      continue;
    }
    const name = item.name ?? posix.basename(item.rel);
    const targetRel = intoDir ? (destRel ? `${destRel}/${name}` : name) : destRel;
    await mkdirAll(root, posix.dirname(targetRel) === '.' ? '' : posix.dirname(targetRel), ids);
    const dst = await resolveInRoot(root, targetRel, false);
    await fs.mkdir(dirname(dst), { recursive: true });
    await copyEntry(srcHost, dst, ids, chmod, true, item);
  }
}
