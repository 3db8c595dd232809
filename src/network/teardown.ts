// Removes everything a daemon's networking left in the kernel: its nft table (and its accept
// rules in foreign chains), its bridges, and its sandboxes' mounts. Not used by berthd itself
// (networking outlives the daemon for live restore); test harnesses and uninstallers call it.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { umount2, MNT_DETACH } from '../lib/libc.js';
import { ipBatchForce, linkExists } from './iproute.js';
import { removeAll } from './nft/nft.js';
import { daemonNetNames } from './naming.js';

export async function teardownDaemonNetworking(dataRoot: string, execRoot: string): Promise<void> {
  const netnsDir = join(execRoot, 'netns');
  for (const f of await fs.readdir(netnsDir).catch(() => [] as string[])) {
    try {
      umount2(join(netnsDir, f), MNT_DETACH);
    } catch {
      /* not mounted */
    }
  }
  // The default bridge's name comes from the data root, so it goes even if the records are lost.
  const bridges = new Set<string>([daemonNetNames(dataRoot).defaultBridge]);
  const dir = join(dataRoot, 'network', 'networks');
  for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
    const n = JSON.parse(await fs.readFile(join(dir, f), 'utf8').catch(() => '{}')) as { bridge?: string };
    if (n.bridge) bridges.add(n.bridge);
  }
  const present: string[] = [];
  for (const b of bridges) if (await linkExists(b)) present.push(b);
  await ipBatchForce(present.map((b) => `link del ${b}`));
  await removeAll(daemonNetNames(dataRoot).table).catch(() => undefined);
}
