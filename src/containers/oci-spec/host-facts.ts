// Facts about this host that change the spec dockerd would write: the kernel's capability count,
// the daemon's own capabilities, cgroup features (swap accounting, blkio weight) and the cgroup
// version. Read once and cached; tests pass their own HostFacts instead.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { HostFacts } from './types.js';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(status)?.[1];
}

/** Sorted list of the per-CPU thermal_throttle directories Docker masks when present. */
function thermalThrottlePaths(): string[] {
  const possible = readText('/sys/devices/system/cpu/possible')?.trim() ?? '';
  const out: string[] = [];
  for (const part of possible.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) {
      const p = `/sys/devices/system/cpu/cpu${i}/thermal_throttle`;
      if (existsSync(p)) out.push(p);
    }
  }
  return out;
}

let cached: HostFacts | undefined;

export function detectHostFacts(): HostFacts {
  if (cached) return cached;
  const status = readText('/proc/self/status') ?? '';
  const capEff = statusField(status, 'CapEff');
  const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
  cached = {
    capLastCap: Number(readText('/proc/sys/kernel/cap_last_cap')?.trim() ?? '40'),
    daemonCaps: capEff ? BigInt('0x' + capEff) : undefined,
    arch: process.arch,
    kernelRelease: os.release(),
    cgroupVersion: unified ? 2 : 1,
    blkioWeight: existsSync(unified ? '/sys/fs/cgroup/io.weight' : '/sys/fs/cgroup/blkio/blkio.weight'),
    swapLimit: unified ? true : existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    cpuCount: os.cpus().length || 1,
    seccomp: statusField(status, 'Seccomp') !== undefined,
    thermalThrottlePaths: thermalThrottlePaths(),
    sysctlExists: (name) => existsSync('/proc/sys/' + name.replaceAll('.', '/')),
    hostname: os.hostname(),
  };
  return cached;
}
