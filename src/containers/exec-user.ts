// Resolves `docker exec -u` (name, uid, uid:gid, name:group) against the running container's
// /etc/passwd and /etc/group, read without following symlinks out of its root.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameter } from '../lib/errors.js';

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

async function readDb(rootfs: string, rel: string): Promise<string[][]> {
  const p = join(rootfs, rel);
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st?.isFile()) return [];
  return (await fs.readFile(p, 'utf8'))
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export async function resolveExecUser(rootfs: string, spec: string): Promise<OciUser> {
  const [userPart, groupPart] = spec.split(':', 2) as [string, string | undefined];
  const passwd = await readDb(rootfs, 'etc/passwd');
  const groups = await readDb(rootfs, 'etc/group');
  let uid: number;
  let gid: number;
  let name: string | undefined;
  const entry = passwd.find((p) => p[0] === userPart) ?? (/^\d+$/.test(userPart) ? passwd.find((p) => p[2] === userPart) : undefined);
  if (entry) {
    uid = Number(entry[2]);
    gid = Number(entry[3]);
    name = entry[0];
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    gid = 0;
  } else {
    throw new InvalidParameter(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined) {
    const g = groups.find((x) => x[0] === groupPart) ?? (/^\d+$/.test(groupPart) ? groups.find((x) => x[2] === groupPart) : undefined);
    if (g) gid = Number(g[2]);
    else if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else throw new InvalidParameter(`unable to find group ${groupPart}: no matching entries in group file`);
  }
  const additionalGids = name ? groups.filter((g) => (g[3] ?? '').split(',').includes(name!)).map((g) => Number(g[2])).filter((g) => g !== gid) : [];
  return additionalGids.length ? { uid, gid, additionalGids } : { uid, gid };
}
