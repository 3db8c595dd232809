// `docker stats`: samples a container's cgroup files once a second and yields moby's
// StatsResponse objects, one-shot, two-sample (precpu filled) or as an endless stream that ends
// when the client goes away or a running container stops.
import { promises as fs } from 'node:fs';
import { cgroupFiles, detectCgroupLayout, type CgroupFiles, type CgroupLayout } from '../../runtime/cgroups-layout.js';
import { isRunning, type ContainerRecord } from '../model.js';
import { parseMemTotal, parseProcStat } from './cgroup-parse.js';
import { assembleStats, emptyCpuStats, emptyStats, ZERO_TIME, type CgroupTexts, type HostSample, type StatsResponse } from './stats-response.js';

/** What stats needs from the containers service. */
export interface StatsContainers {
  get(ref: string): ContainerRecord;
  cgroupsPath(c: ContainerRecord): string;
  store: { find(ref: string): ContainerRecord | undefined };
}

export interface StatsOptions {
  stream: boolean;
  oneShot: boolean;
  /** Between samples; moby's collector ticks once a second. */
  intervalMs?: number;
}

async function readText(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  return fs.readFile(path, 'utf8').catch(() => undefined);
}

export class StatsService {
  private layout?: CgroupLayout;

  constructor(private readonly containers: StatsContainers) {}

  /** One sample of a container; zeroed (moby's empty stats) when it is not running. */
  async sample(c: ContainerRecord): Promise<StatsResponse> {
    if (!isRunning(c) || c.State.Status === 'restarting') return emptyStats(c.Id, c.Name);
    this.layout ??= detectCgroupLayout();
    const files = cgroupFiles(this.containers.cgroupsPath(c), this.layout);
    const keys = Object.keys(files).filter((k) => k !== 'version') as (keyof CgroupTexts)[];
    const texts: CgroupTexts = {};
    await Promise.all(
      keys.map(async (k) => {
        const t = await readText(files[k as keyof CgroupFiles] as string | undefined);
        if (t !== undefined) texts[k] = t;
      }),
    );
    // A cgroup already gone (the container exited between the check and the read) is not running.
    if (texts.memoryUsage === undefined && texts.cpuUsage === undefined && texts.cpuStat === undefined) {
      return emptyStats(c.Id, c.Name);
    }
    // System CPU is read right after the container's so that the two deltas line up.
    const read = new Date();
    return assembleStats({ id: c.Id, name: c.Name }, files.version, texts, await hostSample(), read);
  }

  /**
   * The stats objects for one request. moby's rules: stream=0 on a stopped container answers
   * zeros at once; stream=0 with one-shot answers one sample without precpu; stream=0 without it
   * waits for a second sample so that precpu (and so CPU %) is filled; a stream sends a sample
   * per interval, each with the previous one as precpu.
   */
  async *stats(ref: string, opts: StatsOptions, signal?: AbortSignal): AsyncGenerator<StatsResponse> {
    const c = this.containers.get(ref);
    const interval = opts.intervalMs ?? 1000;
    if (!opts.stream) {
      if (!isRunning(c) || c.State.Status === 'restarting' || opts.oneShot) {
        yield await this.sample(c);
        return;
      }
      const first = await this.sample(c);
      if (!(await sleep(interval, signal))) return;
      const second = await this.sample(c);
      second.precpu_stats = first.cpu_stats;
      second.preread = first.read;
      yield second;
      return;
    }
    const wasRunning = isRunning(c);
    let prev: StatsResponse | undefined;
    for (;;) {
      if (signal?.aborted) return;
      const current = this.containers.store.find(c.Id);
      if (!current) return;
      if (wasRunning && !isRunning(current)) return;
      const s = await this.sample(current);
      s.precpu_stats = prev?.cpu_stats ?? emptyCpuStats();
      s.preread = prev?.read ?? ZERO_TIME;
      yield s;
      prev = s;
      if (!(await sleep(interval, signal))) return;
    }
  }
}

let memTotalCache: number | undefined;

async function hostSample(): Promise<HostSample> {
  const { systemUsage, onlineCpus } = parseProcStat(await fs.readFile('/proc/stat', 'utf8'));
  memTotalCache ??= parseMemTotal(await fs.readFile('/proc/meminfo', 'utf8')) ?? 0;
  return { systemUsage, onlineCpus, memTotal: memTotalCache };
}

/** Resolves true after ms, or false as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
