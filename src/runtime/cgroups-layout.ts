// The host's cgroup layout (v1, v2 or hybrid, and which v1 controller is mounted where), read from
// /proc/self/mountinfo and /proc/cgroups; the files stats read for one container's cgroup; and the
// explicit fix-up that lets crun 1.8 run on a hybrid host whose hugetlb sits on the v2 side.
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { SystemError } from '../lib/errors.js';
import { mount } from '../lib/libc.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupLayout {
  kind: CgroupMode;
  /** v1 controller (and named hierarchy such as `name=systemd`) → its mount point. */
  v1: Record<string, string>;
  /** The cgroup2 mount point: /sys/fs/cgroup on v2, usually /sys/fs/cgroup/unified on hybrid. */
  unified?: string;
  /** Controllers the kernel has bound to the unified hierarchy. */
  v2Controllers: string[];
  /** Hybrid host whose hugetlb controller is on the v2 side: crun 1.8.1 refuses such a host. */
  hugetlbOnUnified: boolean;
}

interface MountEntry {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 6 || fields.length < sep + 4) continue;
    out.push({
      mountPoint: unescapeOctal(fields[4]!),
      fsType: fields[sep + 1]!,
      superOptions: fields[sep + 3]!.split(','),
    });
  }
  return out;
}

interface ProcCgroup {
  name: string;
  hierarchy: number;
  enabled: boolean;
}

function parseProcCgroups(text: string): ProcCgroup[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/))
    .map((f) => ({ name: f[0]!, hierarchy: Number(f[1]), enabled: f[3] === '1' }));
}

/** Pure: the layout described by the text of /proc/self/mountinfo and /proc/cgroups. */
export function parseCgroupLayout(mountinfo: string, procCgroups: string, unifiedControllers?: string): CgroupLayout {
  const controllers = parseProcCgroups(procCgroups);
  const known = new Set(controllers.map((c) => c.name));
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const m of parseMountinfo(mountinfo)) {
    if (m.fsType === 'cgroup2') {
      // The shortest path wins if cgroup2 is mounted more than once (bind mounts into containers).
      if (unified === undefined || m.mountPoint.length < unified.length) unified = m.mountPoint;
      continue;
    }
    if (m.fsType !== 'cgroup') continue;
    for (const opt of m.superOptions) {
      if (known.has(opt) || opt.startsWith('name=')) {
        if (v1[opt] === undefined || m.mountPoint.length < v1[opt]!.length) v1[opt] = m.mountPoint;
      }
    }
  }
  const hasV1Controllers = Object.keys(v1).some((k) => !k.startsWith('name='));
  const kind: CgroupMode = hasV1Controllers ? (unified ? 'hybrid' : 'v1') : unified ? 'v2' : 'v1';
  let v2Controllers: string[];
  if (unifiedControllers !== undefined) v2Controllers = unifiedControllers.trim().split(/\s+/).filter(Boolean);
  else if (kind === 'v1') v2Controllers = [];
  // Hierarchy 0 in /proc/cgroups means "bound to the unified hierarchy".
  else v2Controllers = controllers.filter((c) => c.enabled && c.hierarchy === 0 && v1[c.name] === undefined).map((c) => c.name);
  return {
    kind,
    v1,
    unified,
    v2Controllers,
    hugetlbOnUnified: kind === 'hybrid' && v1['hugetlb'] === undefined && v2Controllers.includes('hugetlb'),
  };
}

/** The host's layout, read fresh each call (it changes when ensureCrunCompatible mounts hugetlb). */
export function detectCgroupLayout(): CgroupLayout {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const procCgroups = existsSync('/proc/cgroups') ? readFileSync('/proc/cgroups', 'utf8') : '';
  const layout = parseCgroupLayout(mountinfo, procCgroups);
  if (layout.unified) {
    // The unified root lists exactly the controllers bound to v2; /proc/cgroups also shows
    // unmounted v1-only controllers (net_cls …) with hierarchy 0, so prefer this file.
    try {
      const listed = readFileSync(join(layout.unified, 'cgroup.controllers'), 'utf8');
      return parseCgroupLayout(mountinfo, procCgroups, listed);
    } catch {
      return layout;
    }
  }
  return layout;
}

export const HUGETLB_V1_MOUNT = '/sys/fs/cgroup/hugetlb';

/**
 * Gives hugetlb its own v1 hierarchy on a hybrid host where it sits on the v2 side, which is
 * what crun 1.8.1 needs ("cgroups in hybrid mode not supported"). This changes the host, so the
 * daemon decides whether to call it; nothing here calls it implicitly.
 */
export async function ensureCrunCompatible(): Promise<{ changed: boolean; note: string }> {
  const layout = detectCgroupLayout();
  if (layout.kind !== 'hybrid') return { changed: false, note: `cgroup layout is ${layout.kind}: crun needs no change` };
  if (!layout.hugetlbOnUnified) {
    return { changed: false, note: 'hybrid cgroups with hugetlb on a v1 hierarchy: crun needs no change' };
  }
  try {
    mkdirSync(HUGETLB_V1_MOUNT, { recursive: true });
    mount('cgroup', HUGETLB_V1_MOUNT, 'cgroup', 0, 'hugetlb');
  } catch (err) {
    throw new SystemError(`cannot mount the hugetlb cgroup v1 hierarchy at ${HUGETLB_V1_MOUNT}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (detectCgroupLayout().hugetlbOnUnified) {
    throw new SystemError(`mounted hugetlb at ${HUGETLB_V1_MOUNT} but the kernel still reports it on cgroup v2`);
  }
  return { changed: true, note: `mounted the hugetlb cgroup v1 hierarchy at ${HUGETLB_V1_MOUNT} so that crun can run` };
}

/** Files stats read for one container. Paths that do not apply to the layout are absent. */
export interface CgroupFiles {
  version: 1 | 2;
  memoryUsage?: string;
  memoryMaxUsage?: string;
  memoryLimit?: string;
  memoryFailcnt?: string;
  memoryStat?: string;
  memoryEvents?: string;
  /** v1 cpuacct.usage (ns); on v2 usage is `usage_usec` in cpuStat. */
  cpuUsage?: string;
  cpuUsagePerCpu?: string;
  cpuacctStat?: string;
  /** cpu.stat: throttling on v1, usage and throttling on v2. */
  cpuStat?: string;
  pidsCurrent?: string;
  pidsMax?: string;
  blkioServiceBytes?: string;
  blkioServiced?: string;
  ioStat?: string;
  freezerState?: string;
}

function v1Dir(layout: CgroupLayout, controller: string, cgroupsPath: string): string | undefined {
  const mp = layout.v1[controller];
  return mp === undefined ? undefined : join(mp, cgroupsPath);
}

export function cgroupFiles(cgroupsPath: string, layout: CgroupLayout = detectCgroupLayout()): CgroupFiles {
  if (layout.kind === 'v2') {
    const dir = join(layout.unified!, cgroupsPath);
    return {
      version: 2,
      memoryUsage: join(dir, 'memory.current'),
      memoryMaxUsage: join(dir, 'memory.peak'),
      memoryLimit: join(dir, 'memory.max'),
      memoryStat: join(dir, 'memory.stat'),
      memoryEvents: join(dir, 'memory.events'),
      cpuStat: join(dir, 'cpu.stat'),
      pidsCurrent: join(dir, 'pids.current'),
      pidsMax: join(dir, 'pids.max'),
      ioStat: join(dir, 'io.stat'),
    };
  }
  const f = (controller: string, file: string): string | undefined => {
    const dir = v1Dir(layout, controller, cgroupsPath);
    return dir === undefined ? undefined : join(dir, file);
  };
  const out: CgroupFiles = {
    version: 1,
    memoryUsage: f('memory', 'memory.usage_in_bytes'),
    memoryMaxUsage: f('memory', 'memory.max_usage_in_bytes'),
    memoryLimit: f('memory', 'memory.limit_in_bytes'),
    memoryFailcnt: f('memory', 'memory.failcnt'),
    memoryStat: f('memory', 'memory.stat'),
    cpuUsage: f('cpuacct', 'cpuacct.usage'),
    cpuUsagePerCpu: f('cpuacct', 'cpuacct.usage_percpu'),
    cpuacctStat: f('cpuacct', 'cpuacct.stat'),
    cpuStat: f('cpu', 'cpu.stat'),
    pidsCurrent: f('pids', 'pids.current'),
    pidsMax: f('pids', 'pids.max'),
    blkioServiceBytes: f('blkio', 'blkio.throttle.io_service_bytes_recursive'),
    blkioServiced: f('blkio', 'blkio.throttle.io_serviced_recursive'),
    freezerState: f('freezer', 'freezer.state'),
  };
  for (const k of Object.keys(out) as (keyof CgroupFiles)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Every directory a runtime may create for cgroupsPath: one per hierarchy (co-mounted ones once). */
export function cgroupDirs(cgroupsPath: string, layout: CgroupLayout = detectCgroupLayout()): string[] {
  const roots = new Set(Object.values(layout.v1));
  if (layout.unified) roots.add(layout.unified);
  return [...roots].map((r) => join(r, cgroupsPath));
}

/**
 * Removes an empty cgroup from every hierarchy (rmdir; a cgroup with processes stays and is
 * reported). Returns the directories that could not be removed.
 */
export function removeCgroupDirs(cgroupsPath: string, layout: CgroupLayout = detectCgroupLayout()): string[] {
  const failed: string[] = [];
  for (const dir of cgroupDirs(cgroupsPath, layout)) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(dir);
    }
  }
  return failed;
}
