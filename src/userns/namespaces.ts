// A remapped container's user namespace, made by the daemon together with its network namespace so
// that the container's root owns the netns (sysfs, net sysctls and ports below 1024 then work, as
// with Docker, whose runtime makes both). Both are kept by bind mounts and joined by the runtime.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { promises as fs } from 'node:fs';
import { SystemError } from '../lib/errors.js';
import { mount, umount2, MNT_DETACH } from '../lib/libc.js';
import type { IdMap, IdMapping } from './id-mapping.js';

const MS_BIND = 0x1000;

/** Where the user namespace owning the network namespace at `netns` is kept. */
export function userNamespaceFile(netns: string): string {
  return `${netns}.user`;
}

/** A child process holding a fresh user namespace (maps written) and a network namespace it owns. */
interface Holder {
  pid: number;
  /** Settles once the maps are written; rejects when the child could not be made. */
  ready: Promise<void>;
  /** Lets the child exit; the namespaces live on in whatever bind mounts were made. */
  release(): void;
  /** A spare must not keep the process alive while it waits; a pair in use must. */
  hold(keep: boolean): void;
  /** False once the child exited: its pid must not be used (it may belong to another process). */
  alive(): boolean;
}

/**
 * util-linux 2.38's `unshare --user=FILE` cannot keep a user namespace (it bind-mounts from inside
 * the new namespace: EPERM), and a threaded process cannot unshare one, so a child unshares both
 * and waits on stdin while the daemon, as root outside, writes the maps.
 */
function spawnHolder(mapping: IdMapping): Holder {
  const child = spawn('/usr/bin/unshare', ['--user', '--net', '/bin/sh', '-c', 'echo; read x'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let exited = false;
  child.on('exit', () => (exited = true));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    // The line says unshare(2) is done: the shell runs inside both namespaces.
    child.stdout.once('data', () => resolve());
    child.on('error', (e) => reject(new SystemError(`unshare: ${e.message}`)));
    child.on('close', (code) => reject(new SystemError(`creating user and network namespaces: ${err.trim() || `exit status ${code}`}`)));
  }).then(async () => {
    await fs.writeFile(`/proc/${child.pid}/uid_map`, mapLines(mapping.uidMaps));
    await fs.writeFile(`/proc/${child.pid}/gid_map`, mapLines(mapping.gidMaps));
  });
  ready.catch(() => child.kill());
  const hold = (keep: boolean) => {
    for (const h of [child, child.stdin as Socket, child.stdout as Socket, child.stderr as Socket]) {
      if (keep) h.ref();
      else h.unref();
    }
  };
  return { pid: child.pid ?? 0, ready, release: () => child.stdin.end(), hold, alive: () => !exited };
}

/**
 * One pair made ahead per mapping: a remapped container's start then only bind-mounts it (the
 * child's two execs and the round trip cost ~5 ms on a busy machine), and the next pair is made
 * after the start, off its path.
 */
const spares = new WeakMap<IdMapping, Holder>();

function takeHolder(mapping: IdMapping): Holder {
  const spare = spares.get(mapping);
  spares.delete(mapping);
  spare?.hold(true);
  return spare ?? spawnHolder(mapping);
}

function refill(mapping: IdMapping): void {
  setImmediate(() => {
    if (spares.has(mapping)) return;
    const spare = spawnHolder(mapping);
    spare.hold(false);
    spares.set(mapping, spare);
  });
}

/**
 * Makes a user namespace with `mapping` and a network namespace owned by it, bind-mounted at
 * `userNamespaceFile(netns)` and `netns`.
 */
export async function createOwnedNetns(netns: string, mapping: IdMapping): Promise<void> {
  const userFile = userNamespaceFile(netns);
  await Promise.all([netns, userFile].map((f) => fs.writeFile(f, '', { mode: 0o600 })));
  let holder = takeHolder(mapping);
  try {
    // A spare that failed or died (killed from outside) is replaced once.
    const ok = await holder.ready.then(() => holder.alive(), () => false);
    if (!ok) {
      holder.release();
      holder = spawnHolder(mapping);
      await holder.ready;
    }
    // No turn of the event loop between the check above and these: the child cannot be reaped.
    mount(`/proc/${holder.pid}/ns/user`, userFile, null, MS_BIND, null);
    mount(`/proc/${holder.pid}/ns/net`, netns, null, MS_BIND, null);
  } catch (e) {
    unmount(netns);
    await removeUserNamespaceFile(netns);
    throw e;
  } finally {
    holder.release();
    refill(mapping);
  }
}

/** Unmounts the user namespace file kept beside `netns` (the caller removes `netns` itself). */
export async function removeUserNamespaceFile(netns: string): Promise<void> {
  const userFile = userNamespaceFile(netns);
  unmount(userFile);
  await fs.rm(userFile, { force: true });
}

function unmount(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch {
    /* not mounted */
  }
}

function mapLines(maps: IdMap[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}
