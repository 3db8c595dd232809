// Sandboxes: a container's network namespace, made by the daemon before the runtime starts, kept
// alive by a bind mount at <exec-root>/netns/<container-id> (not /run/netns, so daemons side by
// side never share names) and handed to the runtime by that path.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from '../lib/process-spawn.js';
import { umount2, MNT_DETACH } from '../lib/libc.js';
import type { IdMapping } from '../userns/id-mapping.js';
import { createOwnedNetns, removeUserNamespaceFile } from '../userns/namespaces.js';

const UNSHARE = '/usr/bin/unshare';

export class Sandboxes {
  readonly dir: string;

  /** userns-remap (set by the daemon): a container's mapping; its namespace is then owned by its root. */
  usernsOf?: (containerId: string) => IdMapping | undefined;

  constructor(execRoot: string) {
    this.dir = join(execRoot, 'netns');
  }

  path(containerId: string): string {
    return join(this.dir, containerId);
  }

  async exists(containerId: string): Promise<boolean> {
    // A bind-mounted nsfs file reports the namespace's inode, not the empty file's.
    const [st, parent] = await Promise.all([fs.stat(this.path(containerId)).catch(() => undefined), fs.stat(this.dir).catch(() => undefined)]);
    return !!st && !!parent && st.dev !== parent.dev;
  }

  async create(containerId: string): Promise<string> {
    const p = this.path(containerId);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (await this.exists(containerId)) return p;
    const mapping = this.usernsOf?.(containerId);
    if (mapping) {
      await createOwnedNetns(p, mapping);
      return p;
    }
    await fs.writeFile(p, '', { mode: 0o600 });
    await unshareNet(p);
    return p;
  }

  /** Unmounts and deletes the namespace file; the kernel frees the namespace (and its veth end) with its last user. */
  async remove(containerId: string): Promise<void> {
    const p = this.path(containerId);
    try {
      umount2(p, MNT_DETACH);
    } catch {
      /* not mounted */
    }
    await fs.rm(p, { force: true });
    if (this.usernsOf) await removeUserNamespaceFile(p);
  }
}

/** `unshare --net=<file> true`: a new namespace kept alive by a bind mount on the file. */
async function unshareNet(file: string): Promise<void> {
  await runChecked(UNSHARE, [`--net=${file}`, '/bin/true'], '', 'creating network namespace');
}
