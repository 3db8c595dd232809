// Wrapper around an OCI runtime binary (crun or runc): the one place that knows their command
// lines. Each daemon passes its own --root so runtimes' state never mixes between daemons.
import { execFile } from 'node:child_process';
import { runProgram } from '../lib/process-spawn.js';
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

  private async run(args: string[], stdin?: string): Promise<string> {
    let r;
    try {
      r = await runProgram(this.spec.path, [...this.globalArgs(), ...args], stdin);
    } catch (e) {
      throw new SystemError(`${this.spec.name}: ${(e as Error).message}`);
    }
    if (r.code === 0) return r.stdout;
    const msg = cleanRuntimeError(r.stderr || r.stdout);
    if (/does not exist|not found|No such file/i.test(msg) && /container/i.test(msg)) {
      throw new NotFound(`${this.spec.name} ${args[0]}: ${msg}`);
    }
    throw new SystemError(`${this.spec.name} ${args[0]} failed: ${msg}`);
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
