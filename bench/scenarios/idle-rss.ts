// Scenario idle-rss: resident memory of each daemon (berthd; dockerd + its containerd) right
// after start, and again once it has served the run-rm loop (run here if run-rm was not chosen).
import type { BenchContext } from '../context.js';
import { RUN_RM_ARGS, countServed } from '../context.js';
import type { Engine } from '../engines/engine.js';
import { rssKiB, timed, sleep } from '../proc.js';
import { table, mib } from '../stats.js';

export async function daemonRss(e: Engine): Promise<number> {
  let sum = 0;
  for (const pid of await e.daemonPids()) sum += await rssKiB(pid);
  return sum;
}

/** Called by the runner as soon as an engine has started. */
export async function recordRssAfterStart(ctx: BenchContext, e: Engine): Promise<void> {
  if ((await e.daemonPids()).length) ctx.results.idleRss.set(e.name, { afterStart: await daemonRss(e) });
}

export async function idleRss(ctx: BenchContext): Promise<void> {
  const ranRunRm = ctx.results.runRm.size > 0;
  const runs = ctx.opts.warmup + ctx.opts.iterations;
  for (const e of ctx.engines) {
    const entry = ctx.results.idleRss.get(e.name);
    if (!entry) continue;
    if (!ranRunRm) {
      process.stderr.write(`idle-rss: ${runs} runs on ${e.name}\n`);
      for (let i = 0; i < runs; i++) await timed(e.cli(RUN_RM_ARGS));
      countServed(ctx, e.name, runs);
    }
    await sleep(1000);
    entry.afterRuns = await daemonRss(e);
    entry.runs = ctx.served.get(e.name) ?? 0;
  }
  console.log(`\n## idle-rss: daemon VmRSS (dockerd = dockerd + containerd)\n`);
  console.log(
    table(
      ['engine', 'after start', 'after run --rm loop', 'runs served'],
      [...ctx.results.idleRss].map(([name, r]) => [name, mib(r.afterStart), mib(r.afterRuns ?? NaN), String(r.runs ?? '-')]),
    ),
  );
}
