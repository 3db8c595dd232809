// `docker update` as a pure step: merge an UpdateConfig (Resources + RestartPolicy) into a
// container's HostConfig with dockerd's rules and messages, validate the result with the spec
// builder's own resource checks, and give the OCI LinuxResources a runtime's `update` applies.
// writePidsMax is the one cgroup write the runtimes cannot do for us (see there).
import { promises as fs } from 'node:fs';
import { cgroupFiles } from '../runtime/cgroups-layout.js';
import { Conflict, InvalidParameter } from '../lib/errors.js';
import { buildResources } from './oci-spec/resources.js';
import type { HostConfig as SpecHostConfig, HostFacts, OciResources } from './oci-spec/types.js';
import type { ApiHostConfig } from './model.js';
import { validateRestartPolicy } from './restart-policy.js';

/** The Engine API's UpdateConfig: the Resources fields plus RestartPolicy. */
export interface UpdateConfig {
  BlkioWeight?: number;
  CpuShares?: number;
  NanoCpus?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  PidsLimit?: number | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  [other: string]: unknown;
}

export interface UpdatePlan {
  /** The HostConfig to persist (inspect shows it; the next start uses it). */
  next: ApiHostConfig;
  /** linux.resources for `crun|runc update --resources -` on a running container. */
  resources: Omit<OciResources, 'devices'>;
  /** The request asks for no pids limit: runtimes need `pids.max` = "max" written for that. */
  pidsUnlimited: boolean;
  warnings: string[];
}

/** Scalar fields that replace the stored value when the request sets them (non-zero). */
const NUMERIC = ['BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'MemorySwap', 'MemoryReservation'] as const;

function n(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Plans an update. Errors: InvalidParameter for values dockerd's validation refuses (400),
 * Conflict worded "Cannot update container ID: …" for requests that clash with the stored
 * settings (409), as dockerd answers.
 */
export function planUpdate(containerId: string, current: ApiHostConfig, req: UpdateConfig, host: HostFacts): UpdatePlan {
  if (!req || typeof req !== 'object') throw new InvalidParameter('config cannot be empty in order to update a container');
  const cannot = (msg: string) => new Conflict(`Cannot update container ${containerId}: ${msg}`);
  const cur = current as ApiHostConfig & SpecHostConfig;
  const next: ApiHostConfig & SpecHostConfig = { ...cur };
  // Containers created before the default was stored: dockerd keeps twice the memory as swap.
  if (n(next.Memory) > 0 && !n(next.MemorySwap)) next.MemorySwap = n(next.Memory) * 2;

  // NanoCpus replaces period/quota: one cannot be updated once the other is set.
  if (n(req.NanoCpus) > 0 && n(cur.CpuPeriod) > 0) throw cannot('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (n(req.NanoCpus) > 0 && n(cur.CpuQuota) > 0) throw cannot('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (n(req.CpuPeriod) > 0 && n(cur.NanoCpus) > 0) throw cannot('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (n(req.CpuQuota) > 0 && n(cur.NanoCpus) > 0) throw cannot('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');

  if (n(req.Memory) !== 0) {
    if (n(req.Memory) > n(next.MemorySwap) && n(req.MemorySwap) === 0) {
      throw cannot('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    next.Memory = n(req.Memory);
  }
  for (const k of NUMERIC) if (n(req[k]) !== 0) next[k] = n(req[k]);
  if (typeof req.CpusetCpus === 'string' && req.CpusetCpus !== '') next.CpusetCpus = req.CpusetCpus;
  if (typeof req.CpusetMems === 'string' && req.CpusetMems !== '') next.CpusetMems = req.CpusetMems;
  const pidsGiven = req.PidsLimit !== undefined && req.PidsLimit !== null;
  if (pidsGiven) next.PidsLimit = n(req.PidsLimit);

  const rp = req.RestartPolicy;
  if (rp && rp.Name) {
    if (cur.AutoRemove && rp.Name !== 'no') throw cannot('Restart policy cannot be updated because AutoRemove is enabled for the container');
    validateRestartPolicy(rp, false);
    next.RestartPolicy = { Name: rp.Name, MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }

  const warnings: string[] = [];
  const resources = buildResources(next, host, warnings);
  // A weight the kernel cannot enforce is dropped with the warning, as at create.
  if (warnings.some((w) => w.includes('Block I/O weight'))) next.BlkioWeight = n(cur.BlkioWeight);
  const requestWarnings = warnings.filter((w) => !w.includes('swap limit') || n(req.Memory) > 0);
  return { next, resources, pidsUnlimited: pidsGiven && n(req.PidsLimit) <= 0, warnings: requestWarnings };
}

/**
 * Writes pids.max of a container's cgroup. Lifting a pids limit needs the string "max": crun 1.8
 * writes the OCI value verbatim (-1 is EINVAL), so the spec builder leaves an
 * unlimited pids out and only this write can lift a limit already set.
 */
export async function writePidsMax(cgroupsPath: string, value: 'max' | number): Promise<void> {
  const path = cgroupFiles(cgroupsPath).pidsMax;
  if (path) await fs.writeFile(path, String(value));
}
