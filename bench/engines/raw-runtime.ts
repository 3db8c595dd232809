// The floor under every engine: `crun run` / `runc run` of a plain OCI bundle whose rootfs is the
// same busybox tree the engines import. runc's default spec (new network namespace, read-only
// root) stands in for `--network none`; each run gets a fresh id and is deleted after timing.
import { promises as fs, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { onCleanup } from '../cleanup.js';
import { must, timed, type Command } from '../proc.js';
import { sweepCgroup } from '../cgroup-sweep.js';

export class RawRuntime {
  readonly root: string;
  readonly bundle: string;
  readonly cgroupParent = `/bench-raw-${randomBytes(4).toString('hex')}`;
  private seq = 0;

  /** `rootfs` is a directory holding the busybox tree (it is used read-only). */
  constructor(readonly name: 'crun' | 'runc', private readonly rootfs: string) {
    this.root = mkdtempSync(`/tmp/${name}-bench-`);
    this.bundle = join(this.root, 'bundle');
  }

  get path(): string {
    return `/usr/bin/${this.name}`;
  }

  async prepare(): Promise<void> {
    onCleanup(`raw ${this.name}`, () => this.stop());
    await fs.mkdir(this.bundle, { recursive: true });
    // one spec for both runtimes, so the rows differ only in the runtime
    await must({ cmd: '/usr/bin/runc', args: ['spec', '--bundle', this.bundle] });
    const spec = JSON.parse(readFileSync(join(this.bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['true'];
    spec.root = { path: this.rootfs, readonly: true };
    spec.linux.cgroupsPath = this.cgroupParent;
    writeFileSync(join(this.bundle, 'config.json'), JSON.stringify(spec));
  }

  /** A command line for one run with a new container id, and the id to delete afterwards. */
  next(): { command: Command; id: string } {
    const id = `bench-${process.pid}-${++this.seq}`;
    return { id, command: { cmd: this.path, args: ['--root', join(this.root, 'state'), 'run', '--bundle', this.bundle, id] } };
  }

  async remove(id: string): Promise<void> {
    await timed({ cmd: this.path, args: ['--root', join(this.root, 'state'), 'delete', '--force', id] });
  }

  private async stop(): Promise<void> {
    const list = await timed({ cmd: this.path, args: ['--root', join(this.root, 'state'), 'list', '-q'] });
    for (const id of list.stdout.split('\n').filter(Boolean)) await this.remove(id);
    await sweepCgroup(this.cgroupParent);
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
