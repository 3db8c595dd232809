// Scenario ps-many: N running containers per engine (started through the API in parallel
// batches), then `ps` through the engine's CLI timed over repeated runs; for daemons also the bare
// `GET /containers/json` over the socket, to tell the daemon's share from the CLI's.
import type { BenchContext } from '../context.js';
import { timed } from '../proc.js';
import { apiCall } from '../engine-api.js';
import { dockerCliFloor } from '../cli-floor.js';
import { summarize, table, ms, ratio } from '../stats.js';

export async function psMany(ctx: BenchContext): Promise<void> {
  const n = ctx.opts.containers;
  for (const e of ctx.engines) {
    process.stderr.write(`ps-many: starting ${n} containers on ${e.name}\n`);
    const t0 = Date.now();
    await e.startSleepers(n, ctx.opts.concurrency);
    process.stderr.write(`ps-many: ${n} started on ${e.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const samples: number[] = [];
    for (let i = 0; i < 2 + ctx.opts.psIterations; i++) {
      const r = await timed(e.cli(['ps']));
      if (r.code !== 0) throw new Error(`${e.name} ps: ${r.stderr.trim()}`);
      const lines = r.stdout.trim().split('\n').length - 1;
      if (lines !== n) throw new Error(`${e.name} ps listed ${lines} containers, expected ${n}`);
      if (i >= 2) samples.push(r.ms);
    }
    const api: number[] = [];
    const socket = (e as { socket?: string }).socket;
    let answer: unknown;
    for (let i = 0; socket && i < 2 + ctx.opts.psIterations; i++) {
      const t0 = performance.now();
      const r = await apiCall(socket, 'GET', '/containers/json');
      if (r.status !== 200) throw new Error(`${e.name} GET /containers/json: ${r.status}`);
      if (i >= 2) api.push(performance.now() - t0);
      answer = r.body;
    }
    // The docker CLI alone, handed this daemon's answer at once: the floor under ps for any daemon.
    const cliFloor = answer === undefined ? undefined : await dockerCliFloor(['ps'], '/containers/json', JSON.stringify(answer), ctx.opts.psIterations);
    ctx.results.psMany.set(e.name, { containers: n, summary: summarize(samples), api: api.length ? summarize(api) : undefined, cliFloor });
    process.stderr.write(`ps-many: removing ${n} containers from ${e.name}\n`);
    await e.removeAllContainers(ctx.opts.concurrency);
  }
  const base = ctx.results.psMany.get('berthd')?.summary.p50 ?? NaN;
  console.log(`\n## ps-many: \`ps\` with ${n} running containers\n`);
  console.log(
    table(
      ['engine', 'p50', 'p90', 'min', 'n', 'ratio vs berthd', 'API only p50', 'docker CLI alone p50'],
      [...ctx.results.psMany].map(([name, { summary: s, api, cliFloor }]) => [name, ms(s.p50), ms(s.p90), ms(s.min), String(s.n), ratio(s.p50, base), api ? ms(api.p50) : '-', cliFloor ? ms(cliFloor.p50) : '-']),
    ),
  );
}
