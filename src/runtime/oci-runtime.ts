// Wrapper around an OCI runtime binary (crun or runc): the one place that knows their command
// lines. Each daemon passes its own --root so runtimes' state never mixes between daemons.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemError, NotFound } from '../lib/errors.js';

export interface RuntimeSpec {
  name: string;
  path: string;
  /** The runtime's state directory (`--root`), private to this daemon. */
  root: string;
}

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  bundle: string;
}

export class OciRuntime {
  constructor(readonly spec: RuntimeSpec) {}

  get name(): string {
    return this.spec.name;
  }

  /** Arguments conmon passes before the runtime's subcommand. */
  globalArgs(): string[] {
    return ['--root', this.spec.root];
  }

  start(id: string): Promise<string> {
    return this.run(['start', id]);
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  async delete(id: string, force = false): Promise<void> {
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (err) {
      if (err instanceof NotFound) return;
      throw err;
    }
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id])) as RuntimeState;
    } catch (err) {
      if (err instanceof NotFound) return undefined;
      throw err;
    }
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /**
   * Applies new cgroup limits (OCI LinuxResources) to a running container (`docker update`).
   * The JSON goes through a file: crun reads `--resources -` by opening /dev/stdin, which fails
   * (ENXIO) on the socket pair Node gives a child as stdin.
   */
  async update(id: string, resources: unknown): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-update-'));
    try {
      const file = join(dir, 'resources.json');
      await writeFile(file, JSON.stringify(resources), { mode: 0o600 });
      return await this.run(['update', '--resources', file, id]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  version(): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.spec.path, ['--version'], (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n')[0] ?? '')));
    });
  }

  private run(args: string[], stdin?: string): Promise<string> {
    const argv = [...this.globalArgs(), ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(this.spec.path, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => reject(new SystemError(`${this.spec.name}: ${e.message}`)));
      child.on('close', (code) => {
        if (code === 0) return resolve(out);
        const msg = cleanRuntimeError(err || out);
        if (/does not exist|not found|No such file/i.test(msg) && /container/i.test(msg)) {
          reject(new NotFound(`${this.spec.name} ${args[0]}: ${msg}`));
        } else {
          reject(new SystemError(`${this.spec.name} ${args[0]} failed: ${msg}`));
        }
      });
      // A runtime that exits without reading stdin (fork failed, container gone) must not take
      // the daemon down with an unhandled EPIPE; its exit status reports the failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin ?? '');
    });
  }
}

/** runc logs as JSON lines or logfmt; keep only the human message. */
export function cleanRuntimeError(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  const msgs = lines.map((line) => {
    try {
      const j = JSON.parse(line) as { msg?: string };
      if (j.msg) return j.msg;
    } catch {
      /* not JSON */
    }
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
    return m ? m[1]!.replace(/\\"/g, '"') : line;
  });
  return msgs.join(': ') || 'unknown error';
}
