// Helpers for the layer archive tests: temp dirs that clean up, tar building from entry lists,
// and a metadata snapshot of a tree (modes, owners, xattr bytes, ns times, inode sharing).
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeTar, type TarWriteEntry, type TarWriteHeader } from '../../../src/layers/archive/tar-writer.js';
import { llistxattr, lgetxattr } from '../../../src/lib/libc.js';

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'berth-layers-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export function sha256(buf: Buffer): string {
  return 'sha256:' + createHash('sha256').update(buf).digest('hex');
}

const T0 = 1_600_000_000_000_000_000n;

/** Shorthands in the spirit of containerd's tartest: each makes one entry. */
export const t = {
  dir: (name: string, mode = 0o755, extra: Partial<TarWriteHeader> = {}): TarWriteEntry => ({ header: { name, type: 'dir', mode, mtimeNs: T0, ...extra } }),
  file: (name: string, content: string | Buffer, mode = 0o644, extra: Partial<TarWriteHeader> = {}): TarWriteEntry => {
    const body = Buffer.from(content);
    return { header: { name, type: 'file', mode, size: body.length, mtimeNs: T0, ...extra }, body };
  },
  symlink: (target: string, name: string, extra: Partial<TarWriteHeader> = {}): TarWriteEntry => ({ header: { name, type: 'symlink', linkname: target, mode: 0o777, mtimeNs: T0, ...extra } }),
  link: (target: string, name: string, mode = 0o644, extra: Partial<TarWriteHeader> = {}): TarWriteEntry => ({ header: { name, type: 'hardlink', linkname: target, mode, mtimeNs: T0, ...extra } }),
};

export async function tarOf(entries: TarWriteEntry[]): Promise<Buffer> {
  return collect(writeTar(entries));
}

export interface NodeInfo {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  content?: string;
  link?: string;
  rdev?: bigint;
  xattrs: Record<string, string>;
}

/** Every path under `root` with its metadata, plus the groups of paths sharing an inode. */
export async function snapshot(root: string): Promise<{ nodes: Record<string, NodeInfo>; inodes: string[][] }> {
  const nodes: Record<string, NodeInfo> = {};
  const byIno = new Map<bigint, string[]>();
  async function walk(rel: string): Promise<void> {
    for (const name of (await fs.readdir(join(root, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = await fs.lstat(p, { bigint: true });
      const xattrs: Record<string, string> = {};
      for (const k of llistxattr(p).sort()) xattrs[k] = lgetxattr(p, k)!.toString('hex');
      const info: NodeInfo = {
        type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'other',
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtimeNs: st.mtimeNs,
        xattrs,
      };
      if (st.isFile()) info.content = (await fs.readFile(p)).toString('hex');
      if (st.isSymbolicLink()) info.link = await fs.readlink(p);
      if (st.isCharacterDevice() || st.isBlockDevice()) info.rdev = st.rdev;
      nodes[r] = info;
      if (!st.isDirectory()) byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), r]);
      if (st.isDirectory()) await walk(r);
    }
  }
  await walk('');
  const inodes = [...byIno.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
  return { nodes, inodes };
}
