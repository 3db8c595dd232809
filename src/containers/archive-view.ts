// The container's filesystem as `docker cp` must see it: the root plus the bind mounts the bundle
// gives the container (its /etc/hosts, /etc/hostname, /etc/resolv.conf, volumes, binds). The only
// caller of `unshare` for this: a helper holds a private mount namespace where those mounts are
// bound onto the root, and berthd reads and writes through /proc/<helper>/root, so nothing is
// mounted in the host's or the container's namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SystemError } from '../lib/errors.js';
import { resolveInRoot } from '../layers/archive/root-path.js';

export interface BindMount {
  destination: string;
  source: string;
  readonly: boolean;
}

export interface ArchiveView {
  /** The root to resolve container paths in (the rootfs itself when there is nothing to bind). */
  root: string;
  /** The mount a container path lies in (the innermost), or undefined for the rootfs itself. */
  mountAt(path: string): BindMount | undefined;
  close(): Promise<void>;
}

/** The bind mounts a bundle's config.json gives the container, in mount order. */
export async function bundleBindMounts(bundleDir: string): Promise<BindMount[]> {
  let spec: { mounts?: { destination: string; type?: string; source?: string; options?: string[] }[] };
  try {
    spec = JSON.parse(await fs.readFile(join(bundleDir, 'config.json'), 'utf8'));
  } catch {
    return []; // never started: only the root exists
  }
  return (spec.mounts ?? [])
    .filter((m) => m.source && (m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind')))
    .map((m) => ({ destination: m.destination, source: m.source!, readonly: !!m.options?.includes('ro') }));
}

/** Opens a view of `rootfs` with `mounts` bound in; close() ends the helper and its namespace. */
export async function openArchiveView(rootfs: string, mounts: BindMount[]): Promise<ArchiveView> {
  const present: { target: string; source: string; readonly: boolean; dir: boolean }[] = [];
  for (const m of mounts) {
    const st = await fs.stat(m.source).catch(() => undefined);
    if (!st) continue; // e.g. a device-backed volume unmounted at exit: the rootfs shows what is there
    const target = await resolveInRoot(rootfs, m.destination, true);
    present.push({ target, source: m.source, readonly: m.readonly, dir: st.isDirectory() });
  }
  const byDepth = [...mounts].sort((a, b) => b.destination.length - a.destination.length);
  const mountAt = (path: string) =>
    byDepth.find((m) => {
      const dest = m.destination.replace(/\/+$/, '');
      return dest === '' || path === dest || path.startsWith(dest + '/');
    });
  if (present.length === 0) return { root: rootfs, mountAt, close: async () => undefined };

  // Mount targets that do not exist yet are made in the private namespace's view of the rootfs,
  // which is the container's writable layer (as Docker creates them when it mounts volumes).
  const script = [
    'set -e',
    'while [ $# -gt 0 ]; do',
    '  if [ "$3" = d ]; then mkdir -p "$2"; else [ -e "$2" ] || { mkdir -p "$(dirname "$2")"; : > "$2"; }; fi',
    '  mount --rbind "$1" "$2"',
    '  if [ "$4" = ro ]; then mount -o remount,bind,ro "$2"; fi',
    '  shift 4',
    'done',
    'echo ready',
    'exec cat >/dev/null',
  ].join('\n');
  const args = present.flatMap((p) => [p.source, p.target, p.dir ? 'd' : 'f', p.readonly ? 'ro' : 'rw']);
  const helper = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script, 'archive-view', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  await waitReady(helper);
  return {
    root: `/proc/${helper.pid}/root${rootfs}`,
    mountAt,
    close: () => endHelper(helper),
  };
}

function waitReady(helper: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    helper.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    helper.on('error', (e) => reject(new SystemError(`unshare: ${e.message}`)));
    helper.on('exit', (code) => reject(new SystemError(`preparing the container's mounts for the archive failed (exit ${code}): ${err.trim()}`)));
    helper.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
  });
}

function endHelper(helper: ChildProcess): Promise<void> {
  if (helper.exitCode !== null || helper.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    helper.once('exit', () => resolve());
    helper.stdin!.end();
  });
}
