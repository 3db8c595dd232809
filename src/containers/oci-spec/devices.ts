// Device nodes and the devices cgroup: Docker's allow list (deny all, then the standard char
// devices), --device mappings (a node, or every node under a directory), and --privileged, which
// allows everything and brings in the host's /dev.
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameter } from '../../lib/errors.js';
import { splitdev } from '../../lib/libc.js';
import type { DeviceMapping, OciDevice, OciDeviceCgroup } from './types.js';

const rwm = 'rwm';
const allowChar = (major: number, minor: number): OciDeviceCgroup => ({ allow: true, type: 'c', major, minor, access: rwm });

/**
 * moby's default rules plus the ones runc adds on its own (full, ptmx, pts), written out so
 * crun and runc enforce the same list.
 */
export function defaultDeviceRules(): OciDeviceCgroup[] {
  return [
    { allow: false, access: rwm },
    allowChar(1, 5), // zero
    allowChar(1, 3), // null
    allowChar(1, 9), // urandom
    allowChar(1, 8), // random
    allowChar(5, 0), // tty
    allowChar(5, 1), // console
    { allow: false, type: 'c', major: 10, minor: 229, access: rwm }, // fuse
    allowChar(1, 7), // full
    allowChar(5, 2), // ptmx
    // pts: an omitted minor is the wildcard (crun rejects runc's -1 spelling).
    { allow: true, type: 'c', major: 136, access: rwm },
  ];
}

function deviceFromStats(st: Stats, path: string): OciDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) return undefined;
  const { major, minor } = splitdev(st.rdev);
  return { type, path, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

function checkPermissions(p: string): string {
  const perms = p === '' ? rwm : p;
  if (!/^[rwm]{1,3}$/.test(perms) || new Set(perms).size !== perms.length) {
    throw new InvalidParameter(`invalid device cgroup permissions: ${JSON.stringify(p)}`);
  }
  return perms;
}

/** One --device mapping: a device node, or all nodes under a directory (moby DevicesFromPath). */
export function devicesFromPath(mapping: DeviceMapping): { devices: OciDevice[]; rules: OciDeviceCgroup[] } {
  const perms = checkPermissions(mapping.CgroupPermissions ?? '');
  const inContainer = mapping.PathInContainer || mapping.PathOnHost;
  let hostPath = mapping.PathOnHost;
  try {
    if (lstatSync(hostPath).isSymbolicLink()) hostPath = realpathSync(hostPath);
  } catch {
    // reported below as "not a device"
  }
  const devices: OciDevice[] = [];
  let reason = 'not a device node';
  try {
    const st = statSync(hostPath);
    const d = deviceFromStats(st, inContainer);
    if (d && d.type !== 'p') devices.push(d);
    else if (st.isDirectory()) walk(hostPath, (p, s) => {
      const child = deviceFromStats(s, inContainer + p.slice(hostPath.length));
      if (child && child.type !== 'p') devices.push(child);
    });
  } catch (err) {
    reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
  }
  if (devices.length === 0) {
    throw new InvalidParameter(
      `error gathering device information while adding custom device ${JSON.stringify(mapping.PathOnHost)}: ${reason}`,
    );
  }
  return {
    devices,
    rules: devices.map((d) => ({ allow: true, type: d.type as 'c' | 'b', major: d.major, minor: d.minor, access: perms })),
  };
}

function walk(dir: string, visit: (path: string, st: Stats) => void, skip: Set<string> = new Set()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (!skip.has(name)) walk(p, visit, skip);
    } else {
      visit(p, st);
    }
  }
}

/** The host's device nodes for a privileged container (containerd's HostDevices). */
export function hostDevices(root = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  const skip = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
  walk(
    root,
    (p, st) => {
      if (p === join(root, 'console')) return;
      const d = deviceFromStats(st, p);
      if (d && d.type !== 'p') out.push(d);
    },
    skip,
  );
  return out;
}

export interface DevicePlan {
  privileged: boolean;
  mappings: DeviceMapping[];
  /** For tests: where the host's devices live. */
  hostDevRoot?: string;
}

export function buildDevices(plan: DevicePlan): { devices: OciDevice[]; rules: OciDeviceCgroup[] } {
  if (plan.privileged) {
    const devices = hostDevices(plan.hostDevRoot);
    for (const m of plan.mappings) {
      // dockerd only logs that custom permissions are ignored here: everything is allowed.
      if (m.PathOnHost === m.PathInContainer) continue;
      devices.push(...devicesFromPath({ ...m, CgroupPermissions: rwm }).devices);
    }
    return { devices, rules: [{ allow: true, access: rwm }] };
  }
  const devices: OciDevice[] = [];
  const rules = defaultDeviceRules();
  for (const m of plan.mappings) {
    const r = devicesFromPath(m);
    devices.push(...r.devices);
    rules.push(...r.rules);
  }
  return { devices, rules };
}
