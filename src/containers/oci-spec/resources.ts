// linux.resources from HostConfig with dockerd's checks and semantics: memory, reservation and
// swap (-1 unlimited, 0 = twice the memory), CPU quota/period from NanoCpus, shares, cpusets,
// the pids limit (0 or -1 = unlimited) and blkio weight, dropped with Docker's warning when the
// kernel lacks it.
import { InvalidParameter } from '../../lib/errors.js';
import type { HostConfig, HostFacts, OciResources } from './types.js';

const MIN_MEMORY = 6 * 1024 * 1024;
const CFS_PERIOD = 100000;

export function parseCpuList(list: string): Set<number> | undefined {
  const out = new Set<number>();
  if (list === '') return out;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function checkCpuset(value: string, what: 'cpus' | 'mems', available: number): void {
  if (!value) return;
  const set = parseCpuList(value);
  if (!set) throw new InvalidParameter(`Invalid value ${value} for cpuset ${what}`);
  if (what === 'cpus' && [...set].some((c) => c >= available)) {
    throw new InvalidParameter(`Requested CPUs are not available - requested ${value}, available: 0-${available - 1}`);
  }
}

export function buildResources(
  hc: HostConfig,
  host: HostFacts,
  warnings: string[],
): Omit<OciResources, 'devices'> {
  let memory = hc.Memory ?? 0;
  let swap = hc.MemorySwap ?? 0;
  const reservation = hc.MemoryReservation ?? 0;
  if (memory > 0 && swap === 0) swap = memory * 2;

  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidParameter('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap !== -1 && !host.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    swap = -1;
  }
  if (memory > 0 && swap > 0 && swap < memory) {
    throw new InvalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && swap > 0) {
    throw new InvalidParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (reservation > 0 && reservation < MIN_MEMORY) throw new InvalidParameter('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const oomKillDisable = hc.OomKillDisable ?? false;
  if (oomKillDisable && memory === 0) {
    warnings.push(
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    );
  }

  const nano = hc.NanoCpus ?? 0;
  const period = hc.CpuPeriod ?? 0;
  const quota = hc.CpuQuota ?? 0;
  const shares = hc.CpuShares ?? 0;
  if (nano > 0 && period > 0) throw new InvalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw new InvalidParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano !== 0 && (nano < 0 || nano > host.cpuCount * 1e9)) {
    throw new InvalidParameter(
      `range of CPUs is from 0.01 to ${host.cpuCount}.00, as there are only ${host.cpuCount} CPUs available`,
    );
  }
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw new InvalidParameter('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota > 0 && quota < 1000) throw new InvalidParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (shares < 0) throw new InvalidParameter(`invalid CPU shares (${shares}): value must be a positive integer`);
  checkCpuset(hc.CpusetCpus ?? '', 'cpus', host.cpuCount);
  checkCpuset(hc.CpusetMems ?? '', 'mems', Number.MAX_SAFE_INTEGER);

  let blkioWeight = hc.BlkioWeight ?? 0;
  if (blkioWeight > 0 && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    blkioWeight = 0;
  }
  if (blkioWeight > 0 && (blkioWeight < 10 || blkioWeight > 1000)) {
    throw new InvalidParameter('Range of blkio weight is from 10 to 1000');
  }

  const out: Omit<OciResources, 'devices'> = {};
  // dockerd always sends disableOOMKiller (false by default), so memory is never empty.
  out.memory = { disableOOMKiller: oomKillDisable };
  if (memory > 0) out.memory.limit = memory;
  if (reservation > 0) out.memory.reservation = reservation;
  if (swap > 0) out.memory.swap = swap;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if (shares > 0) cpu.shares = shares;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (nano > 0) {
    cpu.period = CFS_PERIOD;
    cpu.quota = Math.floor((nano * CFS_PERIOD) / 1e9);
  }
  if (period !== 0) cpu.period = period;
  if (quota !== 0) cpu.quota = quota;
  if (Object.keys(cpu).length) out.cpu = cpu;

  // Unlimited is expressed by leaving pids out: crun 1.8 writes -1 verbatim to pids.max (EINVAL).
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit > 0) {
    out.pids = { limit: hc.PidsLimit };
  }
  if (blkioWeight > 0) out.blockIO = { weight: blkioWeight };
  return out;
}
