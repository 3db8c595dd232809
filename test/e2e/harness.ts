// Starts a real berthd in a temp data root with its own socket, cgroup parent and runtime state,
// and drives it with the real docker CLI and with berth. stop() removes everything it made.
import { before, after } from 'node:test';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { promises as fs, mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { teardownDaemonNetworking } from '../../src/network/teardown.js';

export const REPO = new URL('../../../', import.meta.url).pathname;
export const DOCKER = '/usr/local/bin/docker';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class TestDaemon {
  readonly root: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly configFile: string;
  private proc?: ChildProcess;
  log = '';

  constructor(opts: { daemonJson?: Record<string, unknown> } = {}) {
    this.root = mkdtempSync('/tmp/berth-e2e-');
    this.dataRoot = join(this.root, 'data');
    this.execRoot = join(this.root, 'exec');
    this.socket = join(this.root, 'berth.sock');
    this.configFile = join(this.root, 'daemon.json');
    writeFileSync(this.configFile, JSON.stringify(opts.daemonJson ?? {}));
  }

  get cgroupParent(): string {
    return `/berth-${createHash('sha256').update(this.dataRoot).digest('hex').slice(0, 12)}`;
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socket}`, BERTH_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.root, 'docker-config') };
  }

  async start(extraArgs: string[] = []): Promise<void> {
    this.proc = spawn(
      join(REPO, 'bin/berthd'),
      ['--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', `unix://${this.socket}`, '--pidfile', join(this.root, 'berthd.pid'), '--config-file', this.configFile, ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const exited = new Promise<number>((resolve) => this.proc!.once('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < 200; i++) {
      if (await this.ping()) return;
      const code = await Promise.race([exited, sleep(50).then(() => undefined)]);
      if (code !== undefined) throw new Error(`berthd exited with ${code}:\n${this.log}`);
    }
    throw new Error(`berthd did not answer /_ping:\n${this.log}`);
  }

  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.request({ socketPath: this.socket, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Sends a raw API request; returns status and parsed (or raw) body. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; raw: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = http.request(
        { socketPath: this.socket, path, method, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
        (res) => {
          let raw = '';
          res.on('data', (d: Buffer) => (raw += d.toString()));
          res.on('end', () => {
            let parsed: unknown = raw;
            try {
              parsed = JSON.parse(raw);
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, raw });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  docker(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): RunResult {
    return toResult(spawnSync(DOCKER, args, { env: this.env, input: opts.input, timeout: opts.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 }));
  }

  berth(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): RunResult {
    return toResult(spawnSync(process.execPath, [join(REPO, 'bin/berth'), ...args], { env: this.env, input: opts.input, timeout: opts.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 }));
  }

  /** Kills berthd the hard way (live restore tests). */
  async kill9(): Promise<void> {
    if (!this.proc) return;
    const exited = this.exited(this.proc);
    this.proc.kill('SIGKILL');
    await exited;
    this.proc = undefined;
  }

  async terminate(): Promise<void> {
    if (!this.proc) return;
    const exited = this.exited(this.proc);
    this.proc.kill('SIGTERM');
    await exited;
    this.proc = undefined;
  }

  /** Resolves when `proc` has exited, also when that happened before (a daemon that refused to start). */
  private exited(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((r) => proc.once('exit', () => r()));
  }

  /** Removes every container, stops the daemon, unmounts and deletes everything it made. */
  async stop(): Promise<void> {
    if (this.proc && (await this.ping())) {
      const ps = await this.api('GET', '/containers/json?all=1').catch(() => ({ body: [] as { Id: string }[] }));
      for (const c of (ps.body as { Id: string }[]) ?? []) await this.api('DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
    }
    await this.terminate();
    // conmon processes of this daemon that are still alive (a test killed the daemon mid-way)
    for (const pid of await conmonPidsUnder(this.root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const rt of ['crun', 'runc']) {
      const rroot = join(this.execRoot, `runtime-${rt}`);
      if (!existsSync(rroot)) continue;
      const list = spawnSync(`/usr/bin/${rt}`, ['--root', rroot, 'list', '-q'], { encoding: 'utf8' });
      for (const id of (list.stdout ?? '').split('\n').filter(Boolean)) spawnSync(`/usr/bin/${rt}`, ['--root', rroot, 'delete', '--force', id]);
    }
    // Bridges, the nft table and sandboxes outlive berthd (live restore): remove this daemon's,
    // before the unmounts below take away a loop-mounted data root with its network records.
    await teardownDaemonNetworking(this.dataRoot, this.execRoot).catch(() => undefined);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && m.startsWith(this.root))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    await removeCgroups(this.cgroupParent);
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

async function conmonPidsUnder(root: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(root)) out.push(Number(p));
  }
  return out;
}

export async function removeCgroups(parent: string): Promise<void> {
  const base = '/sys/fs/cgroup';
  for (const ctrl of await fs.readdir(base).catch(() => [] as string[])) {
    const dir = join(base, ctrl, parent);
    await rmdirTree(dir);
  }
}

async function rmdirTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  await fs.rmdir(dir).catch(() => undefined);
}

function toResult(r: SpawnSyncReturns<Buffer>): RunResult {
  return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: (r.stderr?.toString() ?? '') + (r.error ? String(r.error) : '') };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A busybox root filesystem tar made from Debian's busybox-static, for `docker import`. */
export function busyboxTar(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  spawnSync('mkdir', ['-p', join(rootfs, 'bin'), join(rootfs, 'etc'), join(rootfs, 'tmp'), join(rootfs, 'proc'), join(rootfs, 'sys'), join(rootfs, 'dev')]);
  spawnSync('cp', ['/bin/busybox', join(rootfs, 'bin/busybox')]);
  const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') spawnSync('ln', ['-sf', 'busybox', join(rootfs, 'bin', a)]);
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  const tar = join(dir, 'busybox.tar');
  const r = spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return tar;
}

/**
 * The set-up most e2e files share: one daemon for the whole file, started before its tests with
 * busybox imported, and stopped (with everything it made) after them.
 */
export function busyboxDaemon(opts: { daemonJson?: Record<string, unknown> } = {}): TestDaemon {
  const d = new TestDaemon(opts);
  before(async () => {
    await d.start();
    const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
    if (imp.code !== 0) throw new Error(`docker import busybox failed: ${imp.stderr}`);
  });
  after(async () => {
    await d.stop();
  });
  return d;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
