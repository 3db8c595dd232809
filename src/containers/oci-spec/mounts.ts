// The container's mount table as dockerd builds it: Docker's default filesystems (/proc, /dev,
// /dev/pts, /sys, cgroups, mqueue, /dev/shm), --tmpfs entries with Docker's default options,
// and the caller's mounts, which replace defaults at the same destination and come last,
// shallowest first.
import { posix } from 'node:path';
import { InvalidParameter } from '../../lib/errors.js';
import type { OciMount } from './types.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** moby oci.DefaultLinuxSpec's mounts, in its order. */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

// Flag options of mount(8) and the kernel flag each toggles; opposite spellings share a key so
// that the later one wins (moby/sys/mount MergeTmpfsOptions).
const FLAG_KEYS: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly',
  suid: 'nosuid', nosuid: 'nosuid',
  dev: 'nodev', nodev: 'nodev',
  exec: 'noexec', noexec: 'noexec',
  sync: 'sync', async: 'sync',
  dirsync: 'dirsync',
  remount: 'remount',
  mand: 'mand', nomand: 'mand',
  atime: 'noatime', noatime: 'noatime',
  diratime: 'nodiratime', nodiratime: 'nodiratime',
  bind: 'bind', rbind: 'rbind',
  relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
};
const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

function goQuoteList(parts: string[]): string {
  return `[${parts.map((p) => JSON.stringify(p)).join(' ')}]`;
}

function checkTmpfsData(option: string, key: string, value: string): void {
  const ok =
    key === 'size'
      ? /^\d+[kKmMgGtTpPeE%]?$/.test(value)
      : key === 'mode'
        ? /^[0-7]{1,4}$/.test(value)
        : key === 'mpol'
          ? value !== ''
          : /^\d+[kKmMgG]?$/.test(value);
  if (!ok) throw new InvalidParameter(`invalid tmpfs option ${goQuoteList([key, value])}: ${JSON.stringify(option)}`);
}

/** Later options win; duplicates go; unknown options are errors, as in moby. */
export function mergeTmpfsOptions(options: string[]): string[] {
  const seenFlags = new Set<string>();
  const seenData = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i]!;
    if (option === 'defaults') continue;
    const flagKey = FLAG_KEYS[option];
    if (flagKey) {
      if (!seenFlags.has(flagKey)) {
        out.unshift(option);
        seenFlags.add(flagKey);
      }
      continue;
    }
    const eq = option.indexOf('=');
    const parts = eq < 0 ? [option] : [option.slice(0, eq), option.slice(eq + 1)];
    if (parts.length !== 2 || !TMPFS_DATA_KEYS.has(parts[0]!)) {
      throw new InvalidParameter(`invalid tmpfs option ${goQuoteList(parts)}`);
    }
    checkTmpfsData(option, parts[0]!, parts[1]!);
    if (!seenData.has(parts[0]!)) {
      out.unshift(option);
      seenData.add(parts[0]!);
    }
  }
  return out;
}

/** HostConfig.Tmpfs → OCI mounts, with Docker's `noexec,nosuid,nodev` defaults the user can override. */
export function tmpfsMounts(tmpfs: Record<string, string> | null | undefined): OciMount[] {
  return Object.entries(tmpfs ?? {}).map(([dest, data]) => {
    if (!posix.isAbsolute(dest)) {
      throw new InvalidParameter(`invalid mount config for type "tmpfs": invalid mount path: '${dest}' mount path must be absolute`);
    }
    const options = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data ? data.split(',') : [])];
    return { destination: posix.normalize(dest), type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(options) };
  });
}

function depth(dest: string): number {
  const clean = posix.normalize(dest).replace(/\/+$/, '') || '/';
  return clean === '/' ? 1 : clean.split('/').length - 1;
}

/** Orders mounts so that parents come before what is mounted inside them (stable). */
export function sortByDepth(mounts: OciMount[]): OciMount[] {
  return mounts
    .map((m, i) => ({ m, i, d: depth(m.destination) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.m);
}

export interface MountPlan {
  userMounts: OciMount[];
  tmpfs: Record<string, string> | null | undefined;
  shmSize: number;
  ipcNone: boolean;
  readonlyRootfs: boolean;
  privileged: boolean;
  /** Extra mounts dockerd adds itself before the user's (the init binary). */
  internal: OciMount[];
}

export function buildMounts(plan: MountPlan): OciMount[] {
  const user = sortByDepth([...plan.userMounts, ...tmpfsMounts(plan.tmpfs)]);
  const userDest = new Set(user.map((m) => posix.normalize(m.destination)));
  const devMounted = userDest.has('/dev');
  const out: OciMount[] = [];
  for (const m of [...defaultMounts(), ...plan.internal]) {
    if (userDest.has(m.destination)) continue;
    if (devMounted && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (plan.ipcNone) continue;
      m.options = [...(m.options ?? []), `size=${plan.shmSize}`];
    }
    out.push(m);
  }
  out.push(...user.map((m) => (m.options ? { ...m, options: [...m.options] } : { ...m })));
  if (plan.readonlyRootfs) {
    for (const m of out) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (userDest.has(m.destination)) continue;
      if (!m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
  }
  if (plan.privileged) {
    for (const m of out) {
      if (m.destination === '/sys' || m.type === 'cgroup') m.options = m.options?.filter((o) => o !== 'ro');
    }
  }
  return out;
}
