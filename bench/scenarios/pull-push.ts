// Scenario pull-push: cold `push` and `pull` of a 200 MiB random layer (gzip cannot shrink it)
// through berthd and dockerd, against Berth's registry (`registry serve`) and Debian's
// docker-registry (distribution 2.8). Every push goes to a fresh registry on a fresh port (no blob
// to skip or mount) from a freshly imported image (no blob kept from a pull); every pull starts
// with the image removed. ROUNDS rounds (BENCH_PULL_PUSH_ROUNDS overrides), rows interleaved;
// prints p50s, the CPU time the daemon and the registry spent (wall time on a shared machine
// moves with everyone's load; CPU time much less), and the targets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import type { Engine } from '../engines/engine.js';
import { must, sleep } from '../proc.js';
import { summarize, table, ratio } from '../stats.js';
import { onCleanup } from '../cleanup.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_PULL_PUSH_ROUNDS) || 3);
const LAYER_BYTES = 200 << 20;
const REPO = new URL('../../../', import.meta.url).pathname;

type RegistryKind = 'berth registry' | 'distribution 2.8';

interface Registry {
  host: string;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => http.get(url, (res) => resolve(!!res.resume())).on('error', () => resolve(false)));
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${url} did not answer`);
}

/** A fresh registry of `kind` on a free port with an empty root of its own. */
async function startRegistry(kind: RegistryKind, work: string): Promise<Registry> {
  const dir = mkdtempSync(join(work, 'registry-'));
  const port = await freePort();
  let p: ChildProcess;
  if (kind === 'berth registry') {
    p = spawn(process.execPath, [join(REPO, 'dist/src/distribution/registry/main.js'), 'serve', '--addr', `127.0.0.1:${port}`, '--root', join(dir, 'data')], { stdio: 'ignore' });
  } else {
    const cfg = join(dir, 'config.yml');
    mkdirSync(join(dir, 'data'));
    const yml = `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`;
    await import('node:fs/promises').then((f) => f.writeFile(cfg, yml));
    p = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' });
  }
  const stop = async () => {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  onCleanup(`${kind} on port ${port}`, stop);
  await waitHttp(`http://127.0.0.1:${port}/v2/`);
  return { host: `127.0.0.1:${port}`, pid: p.pid!, stop };
}

/** CPU time (user + system, all threads) the processes have used so far, in ms; gone ones count 0. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** Runs `op`, returning its wall time and the CPU time `pids` spent meanwhile. */
async function withCpu(pids: number[], op: () => Promise<{ ms: number }>): Promise<{ ms: number; cpu: number }> {
  const before = cpuMs(pids);
  const { ms } = await op();
  return { ms, cpu: cpuMs(pids) - before };
}

/** A tar holding one file of LAYER_BYTES random bytes. */
async function randomLayerTar(work: string): Promise<string> {
  const tree = join(work, 'tree');
  mkdirSync(tree, { recursive: true });
  const out = createWriteStream(join(tree, 'random.bin'));
  for (let left = LAYER_BYTES; left > 0; left -= 1 << 20) {
    if (!out.write(randomBytes(Math.min(left, 1 << 20)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
  const tar = join(work, 'random.tar');
  const r = spawnSync('tar', ['-C', tree, '-cf', tar, 'random.bin']);
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  rmSync(tree, { recursive: true, force: true });
  return tar;
}

export async function pullPush(ctx: BenchContext): Promise<void> {
  const engines = ctx.engines.filter((e) => e.name === 'berthd' || e.name === 'dockerd');
  const kinds: RegistryKind[] = ['berth registry', ...(spawnSync('sh', ['-c', 'command -v /usr/bin/docker-registry']).status === 0 ? (['distribution 2.8'] as const) : [])];
  const work = mkdtempSync('/tmp/berth-bench-pull-push-');
  onCleanup('pull-push work dir', async () => rmSync(work, { recursive: true, force: true }));
  process.stderr.write(`pull-push: writing a ${LAYER_BYTES >> 20} MiB random layer\n`);
  const tar = await randomLayerTar(work);

  const samples = new Map<string, { push: number[]; pull: number[]; pushCpu: number[]; pullCpu: number[]; regPushCpu: number[]; regPullCpu: number[]; load: number[] }>();
  const key = (e: Engine, k: RegistryKind) => `${e.name}\0${k}`;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of kinds) {
      for (const e of engines) {
        process.stderr.write(`pull-push: round ${round}/${ROUNDS}, ${e.name} against ${kind}\n`);
        const reg = await startRegistry(kind, work);
        const ref = `${reg.host}/bench/random:v1`;
        try {
          await must(e.cli(['import', tar, ref]), { timeoutMs: 300_000 });
          const daemon = await e.daemonPids();
          const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
          const regBeforePush = cpuMs([reg.pid]);
          const push = await withCpu(daemon, () => must(e.cli(['push', ref]), { timeoutMs: 300_000 }));
          const regPush = cpuMs([reg.pid]) - regBeforePush;
          await must(e.cli(['rmi', '-f', ref]));
          const regBeforePull = cpuMs([reg.pid]);
          const pull = await withCpu(daemon, () => must(e.cli(['pull', ref]), { timeoutMs: 300_000 }));
          const regPull = cpuMs([reg.pid]) - regBeforePull;
          await must(e.cli(['rmi', '-f', ref]));
          const s = samples.get(key(e, kind)) ?? { push: [], pull: [], pushCpu: [], pullCpu: [], regPushCpu: [], regPullCpu: [], load: [] };
          s.push.push(push.ms);
          s.pull.push(pull.ms);
          s.pushCpu.push(push.cpu);
          s.pullCpu.push(pull.cpu);
          s.regPushCpu.push(regPush);
          s.regPullCpu.push(regPull);
          s.load.push(load);
          samples.set(key(e, kind), s);
        } finally {
          await reg.stop();
        }
      }
    }
  }

  const p50 = (e: string, k: RegistryKind, what: 'push' | 'pull') => {
    const s = samples.get(`${e}\0${k}`);
    return s ? summarize(s[what]).p50 : NaN;
  };
  const sec = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : '-');
  console.log(`\n## pull-push: cold push and pull of a ${LAYER_BYTES >> 20} MiB random layer (p50 of ${ROUNDS})\n`);
  const rows: string[][] = [];
  for (const kind of kinds) {
    for (const e of engines) {
      const s = samples.get(key(e, kind));
      rows.push([e.name, kind, sec(p50(e.name, kind, 'push')), sec(p50(e.name, kind, 'pull')), s ? `${sec(Math.min(...s.push))} / ${sec(Math.min(...s.pull))}` : '-', ratio(p50(e.name, kind, 'push'), p50('dockerd', kind, 'push')), ratio(p50(e.name, kind, 'pull'), p50('dockerd', kind, 'pull'))]);
    }
  }
  console.log(table(['engine', 'registry', 'push p50', 'pull p50', 'min push / pull', 'push vs dockerd', 'pull vs dockerd'], rows, [1]));

  console.log(`\n## pull-push: CPU time (p50; daemon processes / the registry process), load average at the start\n`);
  const med = (v: number[]) => summarize(v).p50;
  const cpuRows: string[][] = [];
  for (const kind of kinds) {
    for (const e of engines) {
      const s = samples.get(key(e, kind));
      if (!s) continue;
      cpuRows.push([e.name, kind, `${sec(med(s.pushCpu))} / ${sec(med(s.regPushCpu))}`, `${sec(med(s.pullCpu))} / ${sec(med(s.regPullCpu))}`, s.load.map((l) => l.toFixed(1)).join(' ')]);
    }
  }
  console.log(table(['engine', 'registry', 'push CPU', 'pull CPU', 'load per round'], cpuRows, [1]));

  console.log(`\n## pull-push targets\n`);
  const verdict = (v: number, limit: number) => (Number.isFinite(v) ? (v <= limit ? 'PASS' : 'MISS') : 'n/a');
  const targets: string[][] = [];
  for (const kind of kinds) {
    const pullR = p50('berthd', kind, 'pull') / p50('dockerd', kind, 'pull');
    const pushR = p50('berthd', kind, 'push') / p50('dockerd', kind, 'push');
    targets.push([`cold pull ≤ 0.6x dockerd (${kind})`, Number.isFinite(pullR) ? `${pullR.toFixed(2)}x` : '-', verdict(pullR, 0.6)]);
    targets.push([`cold push ≤ 0.6x dockerd (${kind})`, Number.isFinite(pushR) ? `${pushR.toFixed(2)}x` : '-', verdict(pushR, 0.6)]);
  }
  for (const e of engines) {
    const r = p50(e.name, 'berth registry', 'pull') / p50(e.name, 'distribution 2.8', 'pull');
    targets.push([`berth registry serves ${e.name}'s pull ≤ 1.0x distribution 2.8`, Number.isFinite(r) ? `${r.toFixed(2)}x` : '-', verdict(r, 1)]);
  }
  console.log(table(['target', 'measured', ''], targets));
}
