// A remapped container's user namespace, made by the daemon together with its network namespace so
// that the container's root owns the netns (sysfs, net sysctls and ports below 1024 then work, as
// with Docker, whose runtime makes both). Both are kept by bind mounts and joined by the runtime.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { SystemError } from '../lib/errors.js';
import { mount, umount2, MNT_DETACH } from '../lib/libc.js';
import type { IdMap, IdMapping } from './id-mapping.js';

const MS_BIND = 0x1000;

/** Where the user namespace owning the network namespace at `netns` is kept. */
export function userNamespaceFile(netns: string): string {
  return `${netns}.user`;
}

/**
 * Makes a user namespace with `mapping` and a network namespace owned by it, bind-mounted at
 * `userNamespaceFile(netns)` and `netns`. util-linux 2.38's `unshare --user=FILE` cannot do this
 * (it bind-mounts from inside the new namespace: EPERM), and a threaded process cannot unshare a
 * user namespace, so a short-lived child holds them while the daemon, as root outside, writes the
 * maps and makes the mounts.
 */
export async function createOwnedNetns(netns: string, mapping: IdMapping): Promise<void> {
  const userFile = userNamespaceFile(netns);
  await Promise.all([netns, userFile].map((f) => fs.writeFile(f, '', { mode: 0o600 })));
  const child = spawn('/usr/bin/unshare', ['--user', '--net', '/bin/sh', '-c', 'echo; read x'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    // The line says unshare(2) is done: the shell runs inside both namespaces.
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.on('error', (e) => reject(new SystemError(`unshare: ${e.message}`)));
      closed.then((code) => reject(new SystemError(`creating user and network namespaces: ${err.trim() || `exit status ${code}`}`)));
    });
    const pid = child.pid!;
    await fs.writeFile(`/proc/${pid}/uid_map`, mapLines(mapping.uidMaps));
    await fs.writeFile(`/proc/${pid}/gid_map`, mapLines(mapping.gidMaps));
    mount(`/proc/${pid}/ns/user`, userFile, null, MS_BIND, null);
    mount(`/proc/${pid}/ns/net`, netns, null, MS_BIND, null);
  } catch (e) {
    unmount(netns);
    await removeUserNamespaceFile(netns);
    throw e;
  } finally {
    child.stdin.end();
    await closed;
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
