// `berth stats` and `berth update`: docker/cli's stats columns (CPU %, MEM USAGE / LIMIT, MEM %,
// NET I/O, BLOCK I/O, PIDS) computed from the daemon's StatsResponse exactly as the docker CLI
// computes them, one-shot or refreshed; and resource updates sent as docker's UpdateConfig.

import type { IncomingMessage } from 'node:http';
import { listFormatHelp, minArgs, type Command, type CommandContext } from '../command.js';
import { formatGoG, humanSizeWithPrecision } from '../units.js';
import { parseRestartPolicy } from '../opts/host.js';
import { StatusError } from '../status-error.js';
import { forEach, printRows } from './containers.js';
import { cpath } from './container-path.js';

/** The parts of the Engine API's StatsResponse the columns are computed from. */
export interface StatsSample {
  id?: string;
  name?: string;
  cpu_stats?: CpuSample;
  precpu_stats?: CpuSample;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

interface CpuSample {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  invalid: boolean;
}

/** calculateCPUPercentUnix: container CPU delta over host CPU delta, times the CPU count. */
export function cpuPercent(pre: CpuSample | undefined, cur: CpuSample | undefined): number {
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  let online = cur?.online_cpus ?? 0;
  if (online === 0) online = cur?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** calculateMemUsageUnixNoCache: usage minus inactive file pages (v1 total_, v2 plain). */
export function memUsageNoCache(mem: StatsSample['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const v1 = mem?.stats?.['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = mem?.stats?.['inactive_file'] ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

export function statsEntry(container: string, v: StatsSample): StatsEntry {
  const memory = memUsageNoCache(v.memory_stats);
  const limit = v.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op[0];
    if (op === 'r' || op === 'R') read += e.value;
    else if (op === 'w' || op === 'W') write += e.value;
  }
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpuPercentage: cpuPercent(v.precpu_stats, v.cpu_stats),
    memory,
    memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (memory / limit) * 100 : 0,
    networkRx: rx,
    networkTx: tx,
    blockRead: read,
    blockWrite: write,
    pids: v.pids_stats?.current ?? 0,
    invalid: false,
  };
}

/** units.BytesSize: binary units with four significant digits ("64MiB", "1.5KiB"). */
export function bytesSize(size: number): string {
  const abbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let i = 0;
  while (size >= 1024 && i < abbrs.length - 1) {
    size /= 1024;
    i++;
  }
  return formatGoG(size, 4) + abbrs[i];
}

/**
 * strconv.FormatFloat(v, 'f', 2): like toFixed(2) except that an exact tie (3.125) goes to the
 * even digit, as Go rounds; ties at two decimals are exactly the values with v*8 integral.
 */
export function formatPercentage(v: number): string {
  const scaled = v * 100;
  if (Number.isInteger(v * 8) && Math.abs(scaled % 1) === 0.5) {
    const lo = Math.floor(scaled);
    return ((lo % 2 === 0 ? lo : lo + 1) / 100).toFixed(2) + '%';
  }
  return v.toFixed(2) + '%';
}

const pct = formatPercentage;

/** The template fields of docker/cli's statsContext. */
export function statsRow(s: StatsEntry, trunc: boolean): Record<string, string> {
  const bad = s.invalid;
  return {
    Container: s.container,
    Name: s.name.length > 1 ? s.name.slice(1) : '--',
    ID: trunc ? s.id.slice(0, 12) : s.id,
    CPUPerc: bad ? '--' : pct(s.cpuPercentage),
    MemUsage: bad ? '-- / --' : `${bytesSize(s.memory)} / ${bytesSize(s.memoryLimit)}`,
    MemPerc: bad ? '--' : pct(s.memoryPercentage),
    NetIO: bad ? '--' : `${humanSizeWithPrecision(s.networkRx, 3)} / ${humanSizeWithPrecision(s.networkTx, 3)}`,
    BlockIO: bad ? '--' : `${humanSizeWithPrecision(s.blockRead, 3)} / ${humanSizeWithPrecision(s.blockWrite, 3)}`,
    PIDs: bad ? '--' : String(s.pids),
  };
}

export const statsHeader: Record<string, string> = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

export const defaultStatsTableFormat = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

function invalidEntry(container: string): StatsEntry {
  return { ...statsEntry(container, {}), invalid: true };
}

/** JSON objects of a stats response, one per line, as they arrive. */
async function* jsonLines(res: IncomingMessage): AsyncGenerator<StatsSample> {
  let buf = '';
  for await (const chunk of res as AsyncIterable<Buffer>) {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as StatsSample;
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as StatsSample;
}

export const statsCommand: Command = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  short: "Display a live stream of container(s) resource usage statistics",
  args: minArgs(0),
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'no-stream', kind: 'bool', help: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', help: "Do not truncate output" },
  ],
  async run(ctx, flags) {
    const client = ctx.client();
    const stream = !flags.bool('no-stream');
    let names = flags.args;
    const showAll = names.length === 0;
    if (showAll) {
      const list = await client.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: flags.bool('all') || undefined } });
      names = list.map((c) => c.Id.slice(0, 12));
    }
    const entries = new Map<string, StatsEntry>(names.map((n) => [n, invalidEntry(n)]));
    const errors = new Map<string, string>();
    const collect = async (name: string, first: () => void): Promise<void> => {
      try {
        const res = await client.request('GET', `${cpath(name)}/stats`, { query: { stream: stream ? '1' : '0' } });
        for await (const v of jsonLines(res)) {
          entries.set(name, statsEntry(name, v));
          first();
          if (!stream) break;
        }
        if (stream) entries.set(name, { ...entries.get(name)!, invalid: true });
      } catch (err) {
        errors.set(name, (err as Error).message);
        entries.set(name, { ...entries.get(name)!, invalid: true });
      } finally {
        first();
      }
    };
    // Like docker, the first table waits until every container has answered once.
    await Promise.all(names.map((n) => new Promise<void>((resolve) => void collect(n, resolve))));
    if (!showAll && errors.size > 0 && !stream) throw new StatusError([...errors.values()].join('\n'), 1);
    const format = flags.string('format') || 'table';
    const print = (): void => {
      const rows = names.map((n) => statsRow(entries.get(n)!, !flags.bool('no-trunc')));
      printRows(ctx, format, rows, statsHeader, defaultStatsTableFormat, { goType: '*container.statsContext' });
    };
    if (!stream) return print();
    if (!showAll && errors.size === names.length) throw new StatusError([...errors.values()].join('\n'), 1);
    await refreshUntilInterrupted(ctx, print);
  },
};

/** Redraws the table twice a second, as docker does, until SIGINT. */
function refreshUntilInterrupted(ctx: CommandContext, print: () => void): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      ctx.stdout.write('\x1b[2J\x1b[H');
      print();
    };
    tick();
    const timer = setInterval(tick, 500);
    process.once('SIGINT', () => {
      clearInterval(timer);
      resolve();
      process.exit(0);
    });
  });
}

export const updateCommand: Command = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  args: minArgs(1),
  flags: [
    { name: 'blkio-weight', kind: 'uint16', help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
    { name: 'cpu-period', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-rt-period', kind: 'int', help: 'Limit the CPU real-time period in microseconds' },
    { name: 'cpu-rt-runtime', kind: 'int', help: 'Limit the CPU real-time runtime in microseconds' },
    { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
    { name: 'cpus', kind: 'decimal', help: 'Number of CPUs' },
    { name: 'cpuset-cpus', kind: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', kind: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
    { name: 'kernel-memory', kind: 'bytes', help: 'Kernel memory limit (deprecated)', hidden: true },
    { name: 'memory', short: 'm', kind: 'bytes', help: 'Memory limit' },
    { name: 'memory-reservation', kind: 'bytes', help: 'Memory soft limit' },
    { name: 'memory-swap', kind: 'swapbytes', help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
    { name: 'pids-limit', kind: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', kind: 'string', help: 'Restart policy to apply when a container exits' },
  ],
  async run(ctx, flags) {
    const given = updateCommand.flags.some((f) => flags.changed(f.name));
    if (!given) throw new StatusError('you must provide one or more flags when using this command', 1);
    let restart;
    try {
      restart = parseRestartPolicy(flags.string('restart'));
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
    const pids = flags.number('pids-limit');
    const body = {
      BlkioWeight: flags.number('blkio-weight'),
      CpusetCpus: flags.string('cpuset-cpus'),
      CpusetMems: flags.string('cpuset-mems'),
      CpuShares: flags.number('cpu-shares'),
      Memory: flags.number('memory'),
      MemoryReservation: flags.number('memory-reservation'),
      MemorySwap: flags.number('memory-swap'),
      CpuPeriod: flags.number('cpu-period'),
      CpuQuota: flags.number('cpu-quota'),
      CpuRealtimePeriod: flags.number('cpu-rt-period'),
      CpuRealtimeRuntime: flags.number('cpu-rt-runtime'),
      NanoCpus: flags.number('cpus'),
      PidsLimit: pids !== 0 ? pids : null,
      RestartPolicy: restart,
    };
    const warnings: string[] = [];
    try {
      await forEach(ctx, flags.args, async (name) => {
        const r = await ctx.client().json<{ Warnings?: string[] | null }>('POST', `${cpath(name)}/update`, { body });
        warnings.push(...(r.Warnings ?? []));
      });
    } finally {
      if (warnings.length) ctx.stdout.write(warnings.join('\n') + '\n');
    }
  },
};
