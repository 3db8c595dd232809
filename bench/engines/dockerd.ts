// Debian's dockerd (docker.io), when installed: started by the runner in a temp data root with its
// own socket and cgroup parent, and never allowed to touch the firewall or make a bridge
// (--iptables=false --ip6tables=false --bridge=none). Driven through the same docker CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, mkdtempSync, openSync, closeSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { onCleanup } from '../cleanup.js';
import { must, findProcesses, kill, waitGone, inBatches, listProcesses, type Command } from '../proc.js';
import { ping, runDetached, containerIds, removeForce } from '../engine-api.js';
import { sweepCgroup } from '../cgroup-sweep.js';
import { DOCKER_CLI, awaitDaemon, type Engine } from './engine.js';
import { unmountUnder } from './berthd.js';

// libnetwork keeps sandbox namespaces here whatever --exec-root says
const DOCKER_NETNS = '/run/docker/netns';

export class Dockerd implements Engine {
  readonly name = 'dockerd';
  readonly root = mkdtempSync('/tmp/dockerd-bench-');
  readonly socket = join(this.root, 'docker.sock');
  readonly cgroupParent = `/bench-dockerd-${randomBytes(4).toString('hex')}`;
  private proc?: ChildProcess;
  private preexisting = { runDocker: existsSync('/run/docker'), etcDocker: existsSync('/etc/docker'), keyJson: existsSync('/etc/docker/key.json') };
  pid = 0;

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.root, 'docker-config') };
  }

  async start(busyboxTar: string): Promise<void> {
    onCleanup('dockerd', () => this.stop());
    writeFileSync(join(this.root, 'daemon.json'), '{}');
    const log = openSync(join(this.root, 'dockerd.log'), 'a');
    this.proc = spawn(
      '/usr/sbin/dockerd',
      ['--data-root', join(this.root, 'data'), '--exec-root', join(this.root, 'exec'), '-H', `unix://${this.socket}`,
        '--pidfile', join(this.root, 'dockerd.pid'), '--config-file', join(this.root, 'daemon.json'),
        '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge=none', '--userland-proxy=false',
        '--cgroup-parent', this.cgroupParent, '--exec-opt', 'native.cgroupdriver=cgroupfs', '--storage-driver', 'overlay2', '--log-level', 'warn'],
      { stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    this.pid = this.proc.pid!;
    await awaitDaemon({ name: 'dockerd', proc: this.proc, socket: this.socket, logFile: join(this.root, 'dockerd.log'), attempts: 600, busyboxTar, env: this.env });
  }

  cli(args: string[]): Command {
    return { cmd: DOCKER_CLI, args, env: this.env };
  }

  /** dockerd and the containerd it started. */
  async daemonPids(): Promise<number[]> {
    if (!this.pid) return [];
    const children = (await listProcesses()).filter((p) => p.ppid === this.pid && /containerd$/.test(p.argv[0] ?? '')).map((p) => p.pid);
    return [this.pid, ...children];
  }

  /** containerd-shim-runc-v2 processes of this instance (their -address names our exec root). */
  monitorPids(): Promise<number[]> {
    return findProcesses(/containerd-shim/, this.root);
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
    const netnsBefore = this.netnsMounts();
    if (this.proc && this.proc.exitCode === null && (await ping(this.socket))) await this.removeAllContainers(8);
    const daemon = await this.daemonPids();
    if (this.pid) {
      kill(this.pid, 'SIGTERM');
      if (!(await waitGone(this.pid, 30_000))) kill(this.pid, 'SIGKILL');
    }
    for (const pid of [...daemon, ...(await this.monitorPids())]) {
      kill(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
    await unmountUnder(this.root);
    for (const m of netnsBefore) await must({ cmd: 'umount', args: ['-l', m] }).catch(() => undefined);
    await sweepCgroup(this.cgroupParent);
    await fs.rm(this.root, { recursive: true, force: true });
    // what dockerd 20.10 leaves outside its roots, removed only if it was not there before
    if (!this.preexisting.keyJson) await fs.rm('/etc/docker/key.json', { force: true });
    if (!this.preexisting.etcDocker) await fs.rmdir('/etc/docker').catch(() => undefined);
    if (!this.preexisting.runDocker) await fs.rm('/run/docker', { recursive: true, force: true }).catch(() => undefined);
  }

  private netnsMounts(): string[] {
    if (this.preexisting.runDocker) return [];
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && m.startsWith(DOCKER_NETNS + '/'));
  }
}
