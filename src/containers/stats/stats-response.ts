// The Engine API's container stats object (moby's StatsResponse) and its assembly from the text
// of one container's cgroup files, v1 or v2, plus the host's /proc/stat and MemTotal. Pure, so
// the shape `docker stats` reads (CPU %, MEM USAGE / LIMIT, BLOCK I/O, PIDS) is unit tested.
import type { CgroupFiles } from '../../runtime/cgroups-layout.js';
import {
  parseBlkio,
  parseCounter,
  parseCpuacctStat,
  parseFlatKeyed,
  parseIoStat,
  parsePerCpu,
  type BlkioEntry,
  type Counter,
} from './cgroup-parse.js';

export interface CpuStats {
  cpu_usage: { total_usage: Counter; percpu_usage?: number[]; usage_in_kernelmode: Counter; usage_in_usermode: Counter };
  system_cpu_usage?: Counter;
  online_cpus?: number;
  throttling_data: { periods: Counter; throttled_periods: Counter; throttled_time: Counter };
}

export interface StatsResponse {
  id?: string;
  name?: string;
  os_type?: string;
  /** RFC 3339 with fraction; Go's zero time when no sample was taken. */
  read: string;
  preread: string;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: Counter; max_usage?: Counter; stats?: Record<string, Counter>; failcnt?: Counter; limit?: Counter };
  pids_stats: { current?: Counter; limit?: Counter };
  blkio_stats: Record<(typeof BLKIO_KEYS)[number], BlkioEntry[] | null>;
  num_procs: number;
  storage_stats: Record<string, never>;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

const BLKIO_KEYS = [
  'io_service_bytes_recursive',
  'io_serviced_recursive',
  'io_queue_recursive',
  'io_service_time_recursive',
  'io_wait_time_recursive',
  'io_merged_recursive',
  'io_time_recursive',
  'sectors_recursive',
] as const;

// The memory.stat keys moby copies on cgroup v1 (missing ones read as 0).
const V1_MEMORY_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit',
  'hierarchical_memsw_limit', 'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty',
  'total_writeback', 'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon',
  'total_active_anon', 'total_inactive_file', 'total_active_file', 'total_unevictable',
];

// …and on cgroup v2.
const V2_MEMORY_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable',
  'slab_unreclaimable', 'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate',
  'workingset_nodereclaim', 'pgrefill', 'pgscan', 'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree',
  'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

export function emptyCpuStats(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** What moby answers for a container that is not running: name and id, zero everything else. */
export function emptyStats(id: string, name: string): StatsResponse {
  return {
    id,
    name,
    os_type: 'linux',
    read: ZERO_TIME,
    preread: ZERO_TIME,
    cpu_stats: emptyCpuStats(),
    precpu_stats: emptyCpuStats(),
    memory_stats: {},
    pids_stats: {},
    blkio_stats: Object.fromEntries(BLKIO_KEYS.map((k) => [k, null])) as StatsResponse['blkio_stats'],
    num_procs: 0,
    storage_stats: {},
  };
}

/** The text of each cgroup file that could be read (absent: missing or unreadable). */
export type CgroupTexts = Partial<Record<Exclude<keyof CgroupFiles, 'version'>, string>>;

export interface HostSample {
  systemUsage: bigint;
  onlineCpus: number;
  /** Host memory in bytes: the limit shown for a container without one. */
  memTotal: number;
}

function num(text: string | undefined): Counter | undefined {
  return text === undefined ? undefined : parseCounter(text);
}

function larger(a: Counter, b: number): boolean {
  return BigInt(a) > BigInt(b);
}

function pick(m: Map<string, Counter>, keys: readonly string[]): Record<string, Counter> {
  return Object.fromEntries(keys.map((k) => [k, m.get(k) ?? 0]));
}

/** One sample: cgroup texts of a running container, read at `read`. precpu is left empty. */
export function assembleStats(
  meta: { id: string; name: string },
  version: 1 | 2,
  t: CgroupTexts,
  host: HostSample,
  read: Date,
): StatsResponse {
  const s = emptyStats(meta.id, meta.name);
  s.read = read.toISOString();
  if (version === 1) {
    const acct = t.cpuacctStat !== undefined ? parseCpuacctStat(t.cpuacctStat) : { user: 0, system: 0 };
    const thr = parseFlatKeyed(t.cpuStat ?? '');
    const percpu = t.cpuUsagePerCpu !== undefined ? parsePerCpu(t.cpuUsagePerCpu) : undefined;
    s.cpu_stats = {
      cpu_usage: {
        total_usage: num(t.cpuUsage) ?? 0,
        ...(percpu && percpu.length ? { percpu_usage: percpu } : {}),
        usage_in_kernelmode: acct.system,
        usage_in_usermode: acct.user,
      },
      throttling_data: {
        periods: thr.get('nr_periods') ?? 0,
        throttled_periods: thr.get('nr_throttled') ?? 0,
        throttled_time: thr.get('throttled_time') ?? 0,
      },
    };
    if (t.memoryStat !== undefined || t.memoryUsage !== undefined) {
      const ms = parseFlatKeyed(t.memoryStat ?? '');
      s.memory_stats = {
        usage: num(t.memoryUsage) ?? 0,
        max_usage: num(t.memoryMaxUsage) ?? 0,
        stats: pick(ms, V1_MEMORY_KEYS),
        failcnt: num(t.memoryFailcnt) ?? 0,
        limit: num(t.memoryLimit) ?? 0,
      };
    }
    if (t.blkioServiceBytes !== undefined || t.blkioServiced !== undefined) {
      s.blkio_stats.io_service_bytes_recursive = parseBlkio(t.blkioServiceBytes ?? '');
      s.blkio_stats.io_serviced_recursive = parseBlkio(t.blkioServiced ?? '');
    }
  } else {
    const cs = parseFlatKeyed(t.cpuStat ?? '');
    const us = (k: string): Counter => {
      const v = BigInt(cs.get(k) ?? 0) * 1000n;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    };
    s.cpu_stats = {
      cpu_usage: { total_usage: us('usage_usec'), usage_in_kernelmode: us('system_usec'), usage_in_usermode: us('user_usec') },
      throttling_data: { periods: cs.get('nr_periods') ?? 0, throttled_periods: cs.get('nr_throttled') ?? 0, throttled_time: us('throttled_usec') },
    };
    if (t.memoryStat !== undefined || t.memoryUsage !== undefined) {
      const ms = parseFlatKeyed(t.memoryStat ?? '');
      const ev = parseFlatKeyed(t.memoryEvents ?? '');
      // memory.max reads "max" when unlimited; memory.peak exists only on newer kernels.
      s.memory_stats = { usage: num(t.memoryUsage) ?? 0, stats: pick(ms, V2_MEMORY_KEYS), limit: num(t.memoryLimit) ?? Number.MAX_SAFE_INTEGER };
      const peak = num(t.memoryMaxUsage);
      if (peak !== undefined) s.memory_stats.max_usage = peak;
      if (ev.has('oom')) s.memory_stats.failcnt = ev.get('oom')!;
    }
    if (t.ioStat !== undefined) s.blkio_stats.io_service_bytes_recursive = parseIoStat(t.ioStat);
  }
  // An unlimited container reports the host's memory, as moby does.
  if (s.memory_stats.limit !== undefined && host.memTotal > 0 && larger(s.memory_stats.limit, host.memTotal)) {
    s.memory_stats.limit = host.memTotal;
  }
  s.cpu_stats.system_cpu_usage = host.systemUsage;
  s.cpu_stats.online_cpus = host.onlineCpus;
  if (t.pidsCurrent !== undefined) {
    s.pids_stats = { current: num(t.pidsCurrent) ?? 0 };
    const limit = num(t.pidsMax); // "max" parses as undefined: no limit, omitted as moby does
    if (limit !== undefined) s.pids_stats.limit = limit;
  }
  return s;
}

/**
 * JSON with bigint counters written as plain numbers (uint64 in Go), and Go's omitempty for
 * zero pids and memory fields.
 */
export function statsJson(s: StatsResponse): string {
  const clean = {
    ...s,
    memory_stats: omitZero(s.memory_stats),
    pids_stats: omitZero(s.pids_stats),
    cpu_stats: cpuJson(s.cpu_stats),
    precpu_stats: cpuJson(s.precpu_stats),
  };
  return JSON.stringify(clean, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v}` : v)).replace(/"\\u0000big:(\d+)"/g, '$1');
}

function omitZero<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0 && v !== 0n && v !== undefined)) as Partial<T>;
}

function cpuJson(c: CpuStats): CpuStats {
  const out: CpuStats = { ...c };
  if (!out.system_cpu_usage) delete out.system_cpu_usage;
  if (!out.online_cpus) delete out.online_cpus;
  return out;
}
