// berthd under test: started by the runner in a temp data root with its own socket, exec root and
// cgroup parent, in its own process group (Ctrl-C reaches the runner, which then cleans up in
// order). Driven through the real docker CLI, and through `berth` for one extra row.
import { teardownDaemonNetworking } from '../../src/network/teardown.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, mkdtempSync, openSync, closeSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { onCleanup } from '../cleanup.js';
import { findProcesses, kill, waitGone, inBatches, type Command, timed } from '../proc.js';
import { ping, runDetached, containerIds, removeForce } from '../engine-api.js';
import { sweepCgroup } from '../cgroup-sweep.js';
import { DOCKER_CLI, awaitDaemon, type Engine } from './engine.js';

export const REPO = new URL('../../../', import.meta.url).pathname;

export class Berthd implements Engine {
  readonly name = 'berthd';
  readonly root = mkdtempSync('/tmp/berth-bench-');
  readonly socket = join(this.root, 'berth.sock');
  private proc?: ChildProcess;
  pid = 0;

  constructor(private readonly opts: { cpuProfDir?: string } = {}) {}

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socket}`, BERTH_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.root, 'docker-config') };
  }

  /** The cgroup parent berthd picks for a non-default data root (see src/daemon/config.ts). */
  get cgroupParent(): string {
    return `/berth-${createHash('sha256').update(join(this.root, 'data')).digest('hex').slice(0, 12)}`;
  }

  async start(busyboxTar: string): Promise<void> {
    onCleanup('berthd', () => this.stop());
    writeFileSync(join(this.root, 'daemon.json'), '{}');
    const log = openSync(join(this.root, 'berthd.log'), 'a');
    // bin/berthd's own node flags (its shebang) apply as they do for users; node refuses
    // --cpu-prof in NODE_OPTIONS, so the profiling run spells them out.
    const bin = join(REPO, 'bin/berthd');
    const shebangFlags = readFileSync(bin, 'utf8').split('\n')[0]!.split(/\s+/).filter((a) => a.startsWith('--'));
    const argv0 = this.opts.cpuProfDir ? [...shebangFlags, '--cpu-prof', '--cpu-prof-dir', this.opts.cpuProfDir, bin] : [];
    this.proc = spawn(
      this.opts.cpuProfDir ? process.execPath : bin,
      [...argv0, '--data-root', join(this.root, 'data'), '--exec-root', join(this.root, 'exec'), '-H', `unix://${this.socket}`,
        '--pidfile', join(this.root, 'berthd.pid'), '--config-file', join(this.root, 'daemon.json'), '--log-level', 'warn'],
      { stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    this.pid = this.proc.pid!;
    await awaitDaemon({ name: 'berthd', proc: this.proc, socket: this.socket, logFile: join(this.root, 'berthd.log'), attempts: 300, busyboxTar, env: this.env });
  }

  cli(args: string[]): Command {
    return { cmd: DOCKER_CLI, args, env: this.env };
  }

  /** The berth CLI (a Node.js process) instead of the docker CLI. */
  berth(args: string[]): Command {
    return { cmd: process.execPath, args: [join(REPO, 'bin/berth'), ...args], env: this.env };
  }

  async daemonPids(): Promise<number[]> {
    return this.pid ? [this.pid] : [];
  }

  monitorPids(): Promise<number[]> {
    return findProcesses(/conmon$/, this.root);
  }

  async startSleepers(n: number, concurrency: number): Promise<void> {
    await inBatches(Array.from({ length: n }, (_, i) => i), concurrency, async () => {
      await runDetached(this.socket, 'busybox', ['sleep', '3600']);
    });
  }

  async removeAllContainers(concurrency: number): Promise<void> {
    await inBatches(await containerIds(this.socket), concurrency, (id) => removeForce(this.socket, id));
  }

  private async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && (await ping(this.socket))) await this.removeAllContainers(8);
    if (this.pid) {
      kill(this.pid, 'SIGTERM');
      if (!(await waitGone(this.pid, 20_000))) kill(this.pid, 'SIGKILL');
      await waitGone(this.pid, 5_000);
    }
    // conmons left by a daemon that died mid-way, then the runtimes' own state
    for (const pid of await this.monitorPids()) kill(pid, 'SIGKILL');
    for (const rt of ['crun', 'runc']) {
      const rroot = join(this.root, 'exec', `runtime-${rt}`);
      if (!existsSync(rroot)) continue;
      const list = await timed({ cmd: `/usr/bin/${rt}`, args: ['--root', rroot, 'list', '-q'] });
      for (const id of list.stdout.split('\n').filter(Boolean)) await timed({ cmd: `/usr/bin/${rt}`, args: ['--root', rroot, 'delete', '--force', id] });
    }
    // the daemon's bridge, nft table and network namespaces (berthd keeps them across restarts)
    await teardownDaemonNetworking(join(this.root, 'data'), join(this.root, 'exec')).catch(() => undefined);
    await unmountUnder(this.root);
    await sweepCgroup(this.cgroupParent);
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

/** Lazily unmounts every mount point below `root`, deepest first. */
export async function unmountUnder(root: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === root || m.startsWith(root + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await timed({ cmd: 'umount', args: ['-l', m] });
}
