// Parsers for the text of the cgroup (v1 and v2) and /proc files container stats come from:
// flat "key value" files (memory.stat, cpu.stat, cpuacct.stat), blkio and io.stat lines, per-CPU
// usage and /proc/stat. Pure: callers read the files. Counters past 2^53 stay exact as bigint.

/** A kernel counter: a number while exact, a bigint beyond Number.MAX_SAFE_INTEGER. */
export type Counter = number | bigint;

export function parseCounter(text: string): Counter | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

/** "key value" per line (memory.stat, cpu.stat, cpuacct.stat, memory.events). */
export function parseFlatKeyed(text: string): Map<string, Counter> {
  const out = new Map<string, Counter>();
  for (const line of text.split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (!key || value === undefined || extra !== undefined) continue;
    const n = parseCounter(value);
    if (n !== undefined) out.set(key, n);
  }
  return out;
}

/** A single value file; `max` (v2 and pids.max) is reported as undefined = unlimited. */
export function parseSingle(text: string): Counter | undefined {
  return parseCounter(text);
}

/** cpuacct.usage_percpu: space-separated nanoseconds per CPU. */
export function parsePerCpu(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isFinite(n));
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/**
 * blkio.throttle.io_service_bytes_recursive and friends: "8:0 Read 4096" lines, plus a
 * "Total N" line that carries no device and is left out (as containerd does).
 */
export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const dev = /^(\d+):(\d+)$/.exec(f[0]!);
    if (!dev) continue;
    out.push({ major: Number(dev[1]), minor: Number(dev[2]), op: f[1]!, value: Number(f[2]) });
  }
  return out;
}

/** cgroup v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 …") as moby reports it: read/write bytes. */
export function parseIoStat(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) continue;
    const kv = new Map(f.slice(1).map((p) => p.split('=') as [string, string]));
    const major = Number(dev[1]);
    const minor = Number(dev[2]);
    out.push({ major, minor, op: 'read', value: Number(kv.get('rbytes') ?? 0) });
    out.push({ major, minor, op: 'write', value: Number(kv.get('wbytes') ?? 0) });
  }
  return out;
}

// Linux reports /proc/stat and cpuacct.stat in USER_HZ ticks, a constant 100 on every arch.
const NS_PER_TICK = 10_000_000n;

/**
 * /proc/stat: the host's CPU time in nanoseconds (the first seven fields of the `cpu` line, as
 * moby sums them) and the number of `cpuN` lines, which moby reports as online_cpus.
 */
export function parseProcStat(text: string): { systemUsage: bigint; onlineCpus: number } {
  let systemUsage: bigint | undefined;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) break;
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      if (f.length < 8) throw new Error('invalid number of cpu fields in /proc/stat');
      systemUsage = f.slice(1, 8).reduce((sum, v) => sum + BigInt(v), 0n) * NS_PER_TICK;
    } else if (/^cpu\d+$/.test(f[0]!)) {
      onlineCpus++;
    }
  }
  if (systemUsage === undefined) throw new Error('invalid format while trying to parse /proc/stat');
  return { systemUsage, onlineCpus };
}

/** cpuacct.stat "user N / system N" ticks → nanoseconds. */
export function parseCpuacctStat(text: string): { user: Counter; system: Counter } {
  const m = parseFlatKeyed(text);
  const ns = (v: Counter | undefined): Counter => {
    const big = BigInt(v ?? 0) * NS_PER_TICK;
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  };
  return { user: ns(m.get('user')), system: ns(m.get('system')) };
}

/** MemTotal of /proc/meminfo in bytes (what moby reports as the limit of an unlimited container). */
export function parseMemTotal(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}
