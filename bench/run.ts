// Berth's benchmark runner: starts berthd (and, when installed, dockerd and podman) in temp roots,
// runs the chosen scenarios side by side, prints a table per scenario and the issue's targets with
// PASS/MISS, and removes everything it made, also on failure or Ctrl-C.
//   npx tsc -p . && node dist/bench/run.js [run-rm] [idle-rss] [per-container] [ps-many] [flags]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar } from '../test/e2e/harness.js';
import { cleanupAll, cleanupOnSignals, onCleanup } from './cleanup.js';
import type { BenchContext, Options } from './context.js';
import { Berthd } from './engines/berthd.js';
import { Dockerd } from './engines/dockerd.js';
import { Podman } from './engines/podman.js';
import type { Engine } from './engines/engine.js';
import { RawRuntime } from './engines/raw-runtime.js';
import { runRm } from './scenarios/run-rm.js';
import { idleRss, recordRssAfterStart } from './scenarios/idle-rss.js';
import { perContainer } from './scenarios/per-container.js';
import { psMany } from './scenarios/ps-many.js';
import { phases } from './scenarios/phases.js';
import { pullPush } from './scenarios/pull-push.js';
import { usernsBench } from './scenarios/userns.js';
import { runRmBridge } from './scenarios/run-rm-bridge.js';
import { buildBench } from './scenarios/build.js';
import { printTargets } from './targets.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  'run-rm': runRm,
  // right after run-rm, before mass create/remove leaves the disk busy with writeback
  phases,
  'idle-rss': idleRss,
  'per-container': perContainer,
  'ps-many': psMany,
  userns: usernsBench,
  'pull-push': pullPush,
  build: buildBench,
  'run-rm-bridge': runRmBridge,
};
/** Diagnostics that run only when named. */
const ON_REQUEST = new Set(['userns', 'phases', 'pull-push', 'run-rm-bridge', 'build']);
const ALL_ENGINES = ['berthd', 'crun', 'runc', 'dockerd', 'podman'];

const USAGE = `Usage: node dist/bench/run.js [SCENARIO...] [OPTIONS]

Scenarios (default: all but phases, in this order): ${Object.keys(SCENARIOS).join(', ')}
  phases breaks one run --rm into API steps per daemon (after run-rm, it also shows the CLI's share)

Options:
  --iterations N     run-rm: timed runs per row (default 30)
  --warmup N         run-rm: untimed runs first (default 3)
  --sleepers K       per-container: running containers per engine (default 20)
  --containers N     ps-many: running containers per engine (default 100; the target needs 1000)
  --ps-iterations N  ps-many: timed ps runs (default 20)
  --concurrency N    ps-many: containers started/removed in parallel (default 8)
  --engines LIST     comma-separated subset of ${ALL_ENGINES.join(',')} (berthd is always on;
                     dockerd and podman only when installed)
  --berthd-cpu-prof DIR  run berthd with node --cpu-prof, profiles written to DIR at exit
  --json FILE        also write the results as JSON
`;

function parseArgs(argv: string[]): Options {
  const o: Options = { scenarios: [], iterations: 30, warmup: 3, sleepers: 20, containers: 100, psIterations: 20, concurrency: 8, engines: ALL_ENGINES };
  const num = (i: number) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${argv[i - 1]} needs a whole number, got ${argv[i]}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--iterations') o.iterations = Math.max(1, num(++i));
    else if (a === '--warmup') o.warmup = num(++i);
    else if (a === '--sleepers') o.sleepers = Math.max(1, num(++i));
    else if (a === '--containers') o.containers = Math.max(1, num(++i));
    else if (a === '--ps-iterations') o.psIterations = Math.max(1, num(++i));
    else if (a === '--concurrency') o.concurrency = Math.max(1, num(++i));
    else if (a === '--engines') o.engines = ['berthd', ...(argv[++i] ?? '').split(',').filter(Boolean)];
    else if (a === '--berthd-cpu-prof') o.cpuProfDir = argv[++i];
    else if (a === '--json') o.jsonOut = argv[++i];
    else if (a in SCENARIOS) o.scenarios.push(a);
    else throw new Error(`unknown scenario or flag: ${a}\n\n${USAGE}`);
  }
  for (const e of o.engines) if (!ALL_ENGINES.includes(e)) throw new Error(`unknown engine ${e}: choose from ${ALL_ENGINES.join(', ')}`);
  // keep the canonical order: idle-rss and phases read what run-rm left behind
  o.scenarios = Object.keys(SCENARIOS).filter((s) => (o.scenarios.length === 0 ? !ON_REQUEST.has(s) : o.scenarios.includes(s)));
  return o;
}

function installed(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  cleanupOnSignals();
  const work = mkdtempSync('/tmp/berth-bench-image-');
  onCleanup('busybox tree', async () => rmSync(work, { recursive: true, force: true }));
  const tar = busyboxTar(work);

  const berthd = new Berthd({ cpuProfDir: opts.cpuProfDir });
  const ctx: BenchContext = { opts, berthd, engines: [berthd], raws: [], results: { runRm: new Map(), idleRss: new Map(), perContainer: new Map(), psMany: new Map() }, served: new Map() };
  const skipped: string[] = [];
  if (opts.engines.includes('dockerd')) installed('dockerd') ? ctx.engines.push(new Dockerd()) : skipped.push('dockerd (not installed)');
  if (opts.engines.includes('podman')) installed('podman') ? ctx.engines.push(new Podman()) : skipped.push('podman (not installed)');

  // berthd first: on this hybrid-cgroup machine it mounts the hugetlb hierarchy raw crun needs
  for (const e of ctx.engines) {
    process.stderr.write(`starting ${e.name} in ${e.root}\n`);
    await e.start(tar);
    await recordRssAfterStart(ctx, e);
  }
  if (opts.scenarios.includes('run-rm')) {
    for (const name of ['crun', 'runc'] as const) {
      if (!opts.engines.includes(name)) continue;
      if (!installed(name)) {
        skipped.push(`raw ${name} (not installed)`);
        continue;
      }
      const raw = new RawRuntime(name, join(work, 'rootfs'));
      await raw.prepare();
      ctx.raws.push(raw);
    }
  }

  console.log(`# Berth benchmark, ${new Date().toISOString()}`);
  console.log(`engines: ${[...ctx.engines.map((e) => e.name), ...ctx.raws.map((r) => `raw ${r.name}`)].join(', ')}${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`);
  for (const s of opts.scenarios) await SCENARIOS[s]!(ctx);
  printTargets(ctx.results);

  if (opts.jsonOut) {
    const plain = Object.fromEntries(Object.entries(ctx.results).map(([k, v]) => [k, Object.fromEntries(v as Map<string, unknown>)]));
    writeFileSync(opts.jsonOut, JSON.stringify({ date: new Date().toISOString(), options: opts, results: plain }, null, 2));
  }
}

main().then(
  () => cleanupAll(),
  async (err) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    await cleanupAll();
    process.exitCode = 1;
  },
);
