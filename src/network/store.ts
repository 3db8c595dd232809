// Persistence of the network records: <data-root>/network/networks/<id>.json and
// <data-root>/network/containers/<container-id>.json, written atomically, loaded at start.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../lib/atomic-file.js';
import type { ContainerNetworking, NetworkRecord } from './model.js';

export class NetworkStore {
  private readonly netDir: string;
  private readonly ctrDir: string;

  constructor(dataRoot: string) {
    this.netDir = join(dataRoot, 'network', 'networks');
    this.ctrDir = join(dataRoot, 'network', 'containers');
  }

  async init(): Promise<{ networks: NetworkRecord[]; containers: ContainerNetworking[] }> {
    await fs.mkdir(this.netDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.ctrDir, { recursive: true, mode: 0o700 });
    return { networks: await loadAll<NetworkRecord>(this.netDir), containers: await loadAll<ContainerNetworking>(this.ctrDir) };
  }

  saveNetwork(n: NetworkRecord): Promise<void> {
    return writeJsonAtomic(join(this.netDir, `${n.Id}.json`), n);
  }

  async removeNetwork(id: string): Promise<void> {
    await fs.rm(join(this.netDir, `${id}.json`), { force: true });
  }

  /**
   * Atomic but not fsynced (three syncs per `run --rm` otherwise): the record describes a live
   * sandbox, which a machine crash ends anyway; a record lost with it is rebuilt from the
   * container's HostConfig, and one left torn is skipped at load.
   */
  saveContainer(c: ContainerNetworking): Promise<void> {
    return writeJsonAtomic(join(this.ctrDir, `${c.containerId}.json`), c, { durable: false });
  }

  async removeContainer(id: string): Promise<void> {
    await fs.rm(join(this.ctrDir, `${id}.json`), { force: true });
  }
}

async function loadAll<T>(dir: string): Promise<T[]> {
  const out: T[] = [];
  for (const f of await fs.readdir(dir)) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue;
    const v = await readJson<T>(join(dir, f)).catch(() => undefined);
    if (v) out.push(v);
  }
  return out;
}
