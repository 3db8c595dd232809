// What the scenarios share within one run: the options, the engines that were started, and the
// measurements that the final target summary reads.
import type { Engine } from './engines/engine.js';
import type { Berthd } from './engines/berthd.js';
import type { RawRuntime } from './engines/raw-runtime.js';
import type { Summary } from './stats.js';

export interface Options {
  scenarios: string[];
  iterations: number;
  warmup: number;
  sleepers: number;
  containers: number;
  psIterations: number;
  concurrency: number;
  engines: string[];
  cpuProfDir?: string;
  jsonOut?: string;
}

export interface Results {
  /** run-rm rows by label; `berthd` is the reference row. */
  runRm: Map<string, Summary>;
  /** Daemon RSS in KiB by engine: right after start, and after the run-rm loop. */
  idleRss: Map<string, { afterStart: number; afterRuns?: number; runs?: number }>;
  perContainer: Map<string, { k: number; monitors: number; pssKiB: number; ussKiB: number; rssKiB: number; daemonGrowthKiB: number }>;
  /** cliFloor: the docker CLI alone, served the same answer at once (bench/cli-floor.ts). */
  psMany: Map<string, { containers: number; summary: Summary; api?: Summary; cliFloor?: Summary }>;
}

export interface BenchContext {
  opts: Options;
  berthd: Berthd;
  /** berthd first, then dockerd and podman when installed and selected. */
  engines: Engine[];
  raws: RawRuntime[];
  results: Results;
  /** `run --rm` containers each daemon has served so far (idle-rss reports it). */
  served: Map<string, number>;
}

export function countServed(ctx: BenchContext, engine: string, n = 1): void {
  ctx.served.set(engine, (ctx.served.get(engine) ?? 0) + n);
}

export const RUN_RM_ARGS = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
