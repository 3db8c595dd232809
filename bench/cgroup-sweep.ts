// Last-resort clean-up of a cgroup parent the runner gave an engine: kill every process still in
// its subtree (containers whose monitor died before them), then remove the directories.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { removeCgroups } from '../test/e2e/harness.js';
import { kill, sleep } from './proc.js';

const BASE = '/sys/fs/cgroup';

async function pidsUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  const procs = await fs.readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const l of procs.split('\n')) if (l) out.push(Number(l));
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(...(await pidsUnder(join(dir, e.name))));
  }
  return out;
}

/** Kills whatever runs under `parent` in any hierarchy and removes its cgroup directories. */
export async function sweepCgroup(parent: string): Promise<void> {
  const controllers = await fs.readdir(BASE).catch(() => [] as string[]);
  for (let round = 0; round < 50; round++) {
    const pids = new Set<number>();
    for (const c of controllers) for (const p of await pidsUnder(join(BASE, c, parent))) pids.add(p);
    if (pids.size === 0) break;
    // frozen (paused) tasks only die once thawed
    for (const c of controllers) await fs.writeFile(join(BASE, c, parent, 'freezer.state'), 'THAWED').catch(() => undefined);
    for (const p of pids) kill(p, 'SIGKILL');
    await sleep(100);
  }
  await removeCgroups(parent);
}
