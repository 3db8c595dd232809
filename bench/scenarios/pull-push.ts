// Scenario pull-push: cold `push` and `pull` of a 200 MiB layer through berthd and dockerd, against
// Berth's registry (`registry serve`) and Debian's docker-registry (distribution 2.8). Two layers:
// `random` (the issue's: one file of random bytes, which gzip cannot shrink) and `files` (about
// 200 MiB of this machine's own programs and libraries, which gzip shrinks as it does most image
// layers). BENCH_PULL_PUSH_LAYERS picks (default both). Every push goes to a fresh registry on a
// fresh port (no blob to skip or mount) from a freshly imported image (no blob kept from a pull);
// every pull starts with the image removed. ROUNDS rounds (BENCH_PULL_PUSH_ROUNDS overrides), rows interleaved;
// prints p50s, the CPU time the daemon and the registry spent (wall time on a shared machine
// moves with everyone's load; CPU time much less), the registry's own time to send the blob to a
// bare HTTP client (no daemon's variance in it), and the issue's targets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import { must, sleep } from '../proc.js';
import { summarize, table, ratio } from '../stats.js';
import { onCleanup } from '../cleanup.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_PULL_PUSH_ROUNDS) || 3);
type LayerKind = 'random' | 'files';
const LAYER_KINDS = (process.env.BENCH_PULL_PUSH_LAYERS ?? 'random,files').split(',').filter((k): k is LayerKind => k === 'random' || k === 'files');
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

/** GET of `url` with a bare HTTP client that discards the body; resolves with the ms it took. */
function timedGet(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; body: Buffer }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const keep: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          // Only a small body (the manifest) is kept.
          if ((n += c.length) <= 1 << 20) keep.push(c);
        });
        res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - t, body: Buffer.concat(keep) }) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The registry alone: GETs of the pushed layer blob by a bare client, no daemon in between. */
async function serveTimes(host: string, repo: string, times: number): Promise<number[]> {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const manifest = JSON.parse((await timedGet(`http://${host}/v2/${repo}/manifests/v1`, { accept })).body.toString()) as { layers: { digest: string }[] };
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push((await timedGet(`http://${host}/v2/${repo}/blobs/${manifest.layers[0]!.digest}`)).ms);
  return out;
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

/**
 * A tar of this machine's programs and libraries (regular files in name order, each inode once:
 * hard links would shrink the tar) up to LAYER_BYTES.
 */
function filesLayerTar(work: string): string {
  const list: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (total >= LAYER_BYTES) return;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = statSync(p);
        if (seen.has(`${st.dev}:${st.ino}`)) continue;
        seen.add(`${st.dev}:${st.ino}`);
        list.push(p.slice(1));
        total += st.size;
      }
    }
  };
  for (const d of ['/usr/bin', '/usr/lib/x86_64-linux-gnu', '/usr/share']) if (existsSync(d)) walk(d);
  const listFile = join(work, 'files.list');
  writeFileSync(listFile, list.join('\n') + '\n');
  const tar = join(work, 'files.tar');
  const r = spawnSync('tar', ['-C', '/', '-cf', tar, '--no-recursion', '-T', listFile]);
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return tar;
}

interface Samples {
  push: number[];
  pull: number[];
  pushCpu: number[];
  pullCpu: number[];
  regPushCpu: number[];
  regPullCpu: number[];
  load: number[];
}

export async function pullPush(ctx: BenchContext): Promise<void> {
  const engines = ctx.engines.filter((e) => e.name === 'berthd' || e.name === 'dockerd');
  const registries: RegistryKind[] = ['berth registry', ...(spawnSync('sh', ['-c', 'command -v /usr/bin/docker-registry']).status === 0 ? (['distribution 2.8'] as const) : [])];
  const work = mkdtempSync('/tmp/berth-bench-pull-push-');
  onCleanup('pull-push work dir', async () => rmSync(work, { recursive: true, force: true }));
  const tars = new Map<LayerKind, string>();
  for (const layer of LAYER_KINDS) {
    process.stderr.write(`pull-push: writing the ${layer} layer (${LAYER_BYTES >> 20} MiB)\n`);
    tars.set(layer, layer === 'random' ? await randomLayerTar(work) : filesLayerTar(work));
  }

  const samples = new Map<string, Samples>();
  /** Per layer and registry: ms for a bare client to GET the layer blob. */
  const serve = new Map<string, number[]>();
  for (const layer of LAYER_KINDS) for (const kind of registries) serve.set(`${layer}\0${kind}`, []);
  const key = (layer: LayerKind, e: string, k: RegistryKind) => `${layer}\0${e}\0${k}`;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const layer of LAYER_KINDS) {
      for (const kind of registries) {
        for (const e of engines) {
          process.stderr.write(`pull-push: round ${round}/${ROUNDS}, ${layer} layer, ${e.name} against ${kind}\n`);
          const reg = await startRegistry(kind, work);
          const ref = `${reg.host}/bench/${layer}:v1`;
          try {
            await must(e.cli(['import', tars.get(layer)!, ref]), { timeoutMs: 300_000 });
            const daemon = await e.daemonPids();
            const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
            const regBeforePush = cpuMs([reg.pid]);
            const push = await withCpu(daemon, () => must(e.cli(['push', ref]), { timeoutMs: 300_000 }));
            const regPush = cpuMs([reg.pid]) - regBeforePush;
            serve.get(`${layer}\0${kind}`)!.push(...(await serveTimes(reg.host, `bench/${layer}`, 3)));
            await must(e.cli(['rmi', '-f', ref]));
            const regBeforePull = cpuMs([reg.pid]);
            const pull = await withCpu(daemon, () => must(e.cli(['pull', ref]), { timeoutMs: 300_000 }));
            const regPull = cpuMs([reg.pid]) - regBeforePull;
            await must(e.cli(['rmi', '-f', ref]));
            const s = samples.get(key(layer, e.name, kind)) ?? { push: [], pull: [], pushCpu: [], pullCpu: [], regPushCpu: [], regPullCpu: [], load: [] };
            s.push.push(push.ms);
            s.pull.push(pull.ms);
            s.pushCpu.push(push.cpu);
            s.pullCpu.push(pull.cpu);
            s.regPushCpu.push(regPush);
            s.regPullCpu.push(regPull);
            s.load.push(load);
            samples.set(key(layer, e.name, kind), s);
          } finally {
            await reg.stop();
          }
        }
      }
    }
  }

  const p50 = (layer: LayerKind, e: string, k: RegistryKind, what: 'push' | 'pull') => {
    const s = samples.get(key(layer, e, k));
    return s ? summarize(s[what]).p50 : NaN;
  };
  const sec = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : '-');
  const med = (v: number[]) => summarize(v).p50;
  for (const layer of LAYER_KINDS) {
    console.log(`\n## pull-push: cold push and pull of the ${layer} layer (${LAYER_BYTES >> 20} MiB, p50 of ${ROUNDS})\n`);
    const rows: string[][] = [];
    for (const kind of registries) {
      for (const e of engines) {
        const s = samples.get(key(layer, e.name, kind));
        rows.push([e.name, kind, sec(p50(layer, e.name, kind, 'push')), sec(p50(layer, e.name, kind, 'pull')), s ? `${sec(Math.min(...s.push))} / ${sec(Math.min(...s.pull))}` : '-', ratio(p50(layer, e.name, kind, 'push'), p50(layer, 'dockerd', kind, 'push')), ratio(p50(layer, e.name, kind, 'pull'), p50(layer, 'dockerd', kind, 'pull'))]);
      }
    }
    console.log(table(['engine', 'registry', 'push p50', 'pull p50', 'min push / pull', 'push vs dockerd', 'pull vs dockerd'], rows, [1]));

    console.log(`\n## pull-push: CPU time of the ${layer} layer (p50; daemon processes / the registry process), load average at the start\n`);
    const cpuRows: string[][] = [];
    for (const kind of registries) {
      for (const e of engines) {
        const s = samples.get(key(layer, e.name, kind));
        if (!s) continue;
        cpuRows.push([e.name, kind, `${sec(med(s.pushCpu))} / ${sec(med(s.regPushCpu))}`, `${sec(med(s.pullCpu))} / ${sec(med(s.regPullCpu))}`, s.load.map((l) => l.toFixed(1)).join(' ')]);
      }
    }
    console.log(table(['engine', 'registry', 'push CPU', 'pull CPU', 'load per round'], cpuRows, [1]));

    console.log(`\n## pull-push: the registry alone, the ${layer} layer's blob sent to a bare HTTP client (p50 of ${serve.get(`${layer}\0${registries[0]}`)!.length})\n`);
    console.log(table(['registry', 'GET p50', 'min'], registries.map((k) => {
      const v = serve.get(`${layer}\0${k}`)!;
      return [k, `${summarize(v).p50.toFixed(1)} ms`, `${Math.min(...v).toFixed(1)} ms`];
    }), [1]));
  }

  // The issue's targets are stated for the random layer; the files layer's rows are for comparison.
  console.log(`\n## pull-push targets\n`);
  const verdict = (v: number, limit: number) => (Number.isFinite(v) ? (v <= limit ? 'PASS' : 'MISS') : 'n/a');
  const shown = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '-');
  const targets: string[][] = [];
  for (const layer of LAYER_KINDS) {
    for (const kind of registries) {
      const pullR = p50(layer, 'berthd', kind, 'pull') / p50(layer, 'dockerd', kind, 'pull');
      const pushR = p50(layer, 'berthd', kind, 'push') / p50(layer, 'dockerd', kind, 'push');
      targets.push([`${layer} layer: cold pull ≤ 0.6x dockerd (${kind})`, shown(pullR), verdict(pullR, 0.6)]);
      targets.push([`${layer} layer: cold push ≤ 0.6x dockerd (${kind})`, shown(pushR), verdict(pushR, 0.6)]);
    }
    for (const e of engines) {
      const r = p50(layer, e.name, 'berth registry', 'pull') / p50(layer, e.name, 'distribution 2.8', 'pull');
      targets.push([`${layer} layer: berth registry serves ${e.name}'s pull ≤ 1.0x distribution 2.8`, shown(r), verdict(r, 1)]);
    }
    const alone = serve.get(`${layer}\0distribution 2.8`)?.length ? summarize(serve.get(`${layer}\0berth registry`)!).p50 / summarize(serve.get(`${layer}\0distribution 2.8`)!).p50 : NaN;
    targets.push([`${layer} layer: berth registry sends the blob ≤ 1.0x distribution 2.8 (bare client)`, shown(alone), verdict(alone, 1)]);
  }
  console.log(table(['target', 'measured', ''], targets));
}
