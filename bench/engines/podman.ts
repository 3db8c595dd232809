// Podman (Debian's, daemonless), when installed: every command gets temp --root/--runroot/--tmpdir
// and a containers.conf of ours (cgroupfs, file events, no journald), so nothing it does lands in
// the machine's own podman storage. Containers get rlimits root may set here (podman asks for
// nofile 1048576 and nproc 32768 by default, which this machine refuses; see FIELD-NOTES).
import { promises as fs, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { onCleanup } from '../cleanup.js';
import { must, timed, findProcesses, kill, waitGone, inBatches, type Command } from '../proc.js';
import { sweepCgroup } from '../cgroup-sweep.js';
import type { Engine } from './engine.js';
import { unmountUnder } from './berthd.js';

const LOCK = '/dev/shm/libpod_lock';

export class Podman implements Engine {
  readonly name = 'podman';
  readonly root = mkdtempSync('/tmp/podman-bench-');
  readonly cgroupParent = `/bench-podman-${randomBytes(4).toString('hex')}`;
  private hadLock = existsSync(LOCK);
  private hadLibpodParent = existsSync('/sys/fs/cgroup/memory/libpod_parent');

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, CONTAINERS_CONF: join(this.root, 'containers.conf') };
  }

  /** Flags every podman command gets; `run` and `create` also get runFlags. */
  private get globalFlags(): string[] {
    return ['--root', join(this.root, 'storage'), '--runroot', join(this.root, 'run'), '--tmpdir', join(this.root, 'tmp'), '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  }

  get runFlags(): string[] {
    return ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=20000:20000', '--cgroup-parent', this.cgroupParent];
  }

  async start(busyboxTar: string): Promise<void> {
    onCleanup('podman', () => this.stop());
    writeFileSync(
      join(this.root, 'containers.conf'),
      `[containers]\nlog_driver = "k8s-file"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "${join(this.root, 'events.log')}"\n` +
        `tmp_dir = "${join(this.root, 'tmp')}"\nvolume_path = "${join(this.root, 'volumes')}"\n`,
    );
    await must(this.cli(['import', busyboxTar, 'busybox:latest']));
  }

  /** podman with our roots; `run` and `create` also get settable rlimits and our cgroup parent. */
  cli(args: string[]): Command {
    const [sub, ...rest] = args;
    const extra = sub === 'run' || sub === 'create' ? this.runFlags : [];
    return { cmd: '/usr/bin/podman', args: [...this.globalFlags, sub!, ...extra, ...rest], env: this.env };
  }

  async daemonPids(): Promise<number[]> {
    return [];
  }

  monitorPids(): Promise<number[]> {
    return findProcesses(/conmon$/, this.root);
  }

  async startSleepers(n: number, concurrency: number): Promise<void> {
    await inBatches(Array.from({ length: n }, (_, i) => i), concurrency, async () => {
      await must(this.cli(['run', '-d', '--network', 'none', 'busybox', 'sleep', '3600']));
    });
  }

  async removeAllContainers(): Promise<void> {
    await timed(this.cli(['rm', '-af', '-t', '0']), { timeoutMs: 600_000 });
  }

  private async stop(): Promise<void> {
    await this.removeAllContainers();
    for (const pid of await this.monitorPids()) {
      kill(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
    const rroot = join(this.root, 'run', 'crun');
    if (existsSync(rroot)) {
      const list = await timed({ cmd: '/usr/bin/crun', args: ['--root', rroot, 'list', '-q'] });
      for (const id of list.stdout.split('\n').filter(Boolean)) await timed({ cmd: '/usr/bin/crun', args: ['--root', rroot, 'delete', '--force', id] });
    }
    await unmountUnder(this.root);
    await sweepCgroup(this.cgroupParent);
    if (!this.hadLibpodParent) await sweepCgroup('/libpod_parent');
    await fs.rm(this.root, { recursive: true, force: true });
    if (!this.hadLock) await fs.rm(LOCK, { force: true });
  }
}
