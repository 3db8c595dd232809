// Chooses the OCI runtimes for this daemon: crun and runc (and any daemon.json `runtimes`), each
// with its state under the exec root. On a hybrid cgroup host where crun 1.8 refuses to run, the
// hugetlb v1 hierarchy is mounted; if that fails, runc becomes the default and info says why.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { InvalidParameter, errorMessage } from '../lib/errors.js';
import { OciRuntime } from '../runtime/oci-runtime.js';
import { detectCgroupLayout, ensureCrunCompatible } from '../runtime/cgroups-layout.js';
import type { DaemonConfig } from './config.js';

export interface RuntimeChoice {
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  layout: string;
  notes: string[];
  versions: Record<string, string>;
}

const BUILTIN: Record<string, string> = { crun: '/usr/bin/crun', runc: '/usr/bin/runc' };

export async function chooseRuntimes(c: DaemonConfig, log: Logger): Promise<RuntimeChoice> {
  const runtimes = new Map<string, OciRuntime>();
  for (const [name, path] of Object.entries(BUILTIN)) {
    if (existsSync(path)) runtimes.set(name, new OciRuntime({ name, path, root: join(c.execRoot, `runtime-${name}`) }));
  }
  for (const [name, entry] of Object.entries(c.runtimes)) {
    runtimes.set(name, new OciRuntime({ name, path: entry.path, root: join(c.execRoot, `runtime-${name}`) }));
  }
  const layout = detectCgroupLayout();
  const notes: string[] = [];
  let defaultRuntime = c.defaultRuntime;
  if (!runtimes.has(defaultRuntime)) {
    if (defaultRuntime === 'crun' && runtimes.has('runc')) {
      notes.push('crun is not installed: using runc as the default runtime');
      defaultRuntime = 'runc';
    } else {
      throw new InvalidParameter(`default runtime ${defaultRuntime} is not installed or configured`);
    }
  }
  if (defaultRuntime === 'crun' && runtimes.has('crun')) {
    try {
      const r = await ensureCrunCompatible();
      if (r.changed) {
        log.info(r.note);
        notes.push(r.note);
      }
    } catch (err) {
      const why = `crun cannot run on this cgroup layout (${errorMessage(err)}): using runc as the default runtime`;
      log.warn(why);
      notes.push(why);
      defaultRuntime = 'runc';
    }
  }
  const versions: Record<string, string> = {};
  for (const [name, r] of runtimes) versions[name] = await r.version().catch(() => 'unknown');
  return { runtimes, defaultRuntime, layout: layout.kind, notes, versions };
}
