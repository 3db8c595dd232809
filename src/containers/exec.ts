// Exec sessions (docker exec): a process started in a running container through conmon, with
// its stdio joined to the client's hijacked connection and its exit code kept for inspect.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { Conflict, NotFound, InvalidParameter, errorMessage } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { launchConmonExec } from '../runtime/conmon.js';
import { joinAttach, parseDetachKeys } from './attach.js';
import type { ContainerService } from './service.js';
import { resolveExecUser } from './exec-user.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  dir: string;
}

export class ExecService {
  private sessions = new Map<string, ExecSession>();

  constructor(private readonly containers: ContainerService) {}

  create(containerRef: string, config: ExecConfig): string {
    const c = this.containers.get(containerRef);
    if (c.State.Status === 'paused') throw new Conflict(`container ${c.Id} is paused, unpause the container before exec`);
    if (c.State.Status !== 'running') throw new Conflict(`container ${c.Id} is not running`);
    if (!config.Cmd || config.Cmd.length === 0) throw new InvalidParameter('No exec command specified');
    if (config.DetachKeys) parseDetachKeys(config.DetachKeys);
    const id = newId();
    this.sessions.set(id, { id, containerId: c.Id, config, running: false, started: false, exitCode: null, pid: 0, dir: join(this.containers.bundleDir(c.Id), 'exec', id) });
    c.ExecIDs.push(id);
    this.containers.event(c, `exec_create: ${config.Cmd.join(' ')}`, { execID: id });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw new NotFound(`No such exec instance: ${id}`);
    return s;
  }

  /** Starts the process; with a client, joins its stdio and resolves when it exits. */
  async start(id: string, client: Duplex | undefined, opts: { tty?: boolean; detachKeys?: string; onStarted?: (pid: number) => void }): Promise<void> {
    const s = this.get(id);
    if (s.started) throw new Conflict(`Error: Exec command ${id} has already run`);
    const c = this.containers.get(s.containerId);
    if (c.State.Status !== 'running') throw new Conflict(`container ${c.Id} is not running`);
    s.started = true;
    const tty = opts.tty ?? !!s.config.Tty;
    await fs.mkdir(s.dir, { recursive: true });
    const bundle = this.containers.bundleDir(c.Id);
    const spec = JSON.parse(await fs.readFile(join(bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown>; root: { path: string } };
    const proc = { ...spec.process } as Record<string, unknown>;
    proc.args = s.config.Cmd;
    proc.terminal = tty;
    if (s.config.WorkingDir) proc.cwd = s.config.WorkingDir;
    proc.env = mergeEnv((proc.env as string[]) ?? [], s.config.Env ?? []);
    if (s.config.User) proc.user = await resolveExecUser(spec.root.path, s.config.User);
    if (s.config.Privileged) {
      const caps = await allCaps();
      proc.capabilities = { bounding: caps, effective: caps, permitted: caps };
    }
    delete proc.rlimits;
    if (tty && s.config.ConsoleSize) proc.consoleSize = { height: s.config.ConsoleSize[0], width: s.config.ConsoleSize[1] };
    const specPath = join(s.dir, 'process.json');
    await writeFileAtomic(specPath, JSON.stringify(proc));

    const launch = launchConmonExec({
      containerId: c.Id,
      sessionId: id,
      runtime: this.containers.runtimeFor(c),
      sessionDir: s.dir,
      socketDir: this.containers.socketDir,
      processSpec: specPath,
      terminal: tty,
      stdin: !!s.config.AttachStdin && !!client,
    });
    // When the launch fails early (the container exited meanwhile), the later promises reject
    // too; they are awaited only on success, so mark them handled or the daemon would crash.
    launch.pid.catch(() => undefined);
    launch.exitCode.catch(() => undefined);
    s.running = true;
    let attached: Promise<unknown> = Promise.resolve();
    try {
      await launch.attachReady;
      if (client) {
        const { done } = joinAttach(join(s.dir, 'attach'), client, {
          stdin: !!s.config.AttachStdin,
          stdout: s.config.AttachStdout ?? true,
          stderr: s.config.AttachStderr ?? true,
          tty,
          detachKeys: parseDetachKeys(opts.detachKeys ?? s.config.DetachKeys),
          // The CLI reads the exit code right after the stream ends: record it first.
          // (a failed launch rejects exitCode: the stream still ends, and the daemon must not die)
          beforeEnd: () => launch.exitCode.then(() => undefined, () => undefined),
        });
        attached = done;
      }
      launch.go();
      s.pid = await launch.pid;
      opts.onStarted?.(s.pid);
      this.containers.event(c, `exec_start: ${s.config.Cmd!.join(' ')}`, { execID: id });
    } catch (err) {
      s.running = false;
      s.exitCode = 126;
      throw err; // the caller owns the client stream and tells it why
    }
    const finished = launch.exitCode.then(
      async (code) => {
        s.exitCode = code;
        s.running = false;
        s.pid = 0;
        this.containers.event(c, 'exec_die', { execID: id, exitCode: String(code) });
        await fs.rm(s.dir, { recursive: true, force: true }).catch(() => undefined);
      },
      (err) => {
        s.running = false;
        s.exitCode = 126;
        throw new InvalidParameter(errorMessage(err));
      },
    );
    if (client) await Promise.all([attached, finished]);
    else void finished.catch(() => undefined);
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const s = this.get(id);
    if (!s.running) throw new Conflict(`Exec ${id} is not running`);
    await fs.appendFile(join(s.dir, 'ctl'), `1 ${height} ${width}\n`);
  }

  inspect(id: string): Record<string, unknown> {
    const s = this.get(id);
    return {
      ID: s.id,
      Running: s.running,
      ExitCode: s.exitCode,
      ProcessConfig: {
        tty: !!s.config.Tty,
        entrypoint: s.config.Cmd?.[0] ?? '',
        arguments: s.config.Cmd?.slice(1) ?? [],
        privileged: !!s.config.Privileged,
        ...(s.config.User ? { user: s.config.User } : {}),
      },
      OpenStdin: !!s.config.AttachStdin,
      OpenStderr: !!s.config.AttachStderr,
      OpenStdout: !!s.config.AttachStdout,
      CanRemove: false,
      ContainerID: s.containerId,
      DetachKeys: s.config.DetachKeys ?? '',
      Pid: s.pid,
    };
  }

  /**
   * Runs a command in the container with no client attached (health probes): output goes to
   * `onOutput`; past `timeoutMs` after the process started, or on `signal`, it is killed. The
   * session is forgotten once it ends, so probes do not pile up in ExecIDs.
   */
  async runInternal(
    containerRef: string,
    cmd: string[],
    o: { timeoutMs: number; onOutput: (data: Buffer) => void; signal?: AbortSignal },
  ): Promise<{ exitCode: number; timedOut: boolean }> {
    const id = this.create(containerRef, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const s = this.get(id);
    let pending: Buffer = Buffer.alloc(0);
    // Without a TTY the attach stream carries Docker's 8-byte frame header before each chunk.
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (pending.length >= 8) {
          const len = pending.readUInt32BE(4);
          if (pending.length < 8 + len) break;
          o.onOutput(pending.subarray(8, 8 + len));
          pending = pending.subarray(8 + len);
        }
        cb();
      },
    });
    sink.push(null);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (s.pid && s.running) {
        try {
          process.kill(s.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const onAbort = () => kill();
    o.signal?.addEventListener('abort', onAbort);
    try {
      await this.start(id, sink, {
        onStarted: () => {
          if (o.signal?.aborted) return kill();
          timer = setTimeout(() => {
            timedOut = true;
            kill();
          }, o.timeoutMs);
        },
      });
      return { exitCode: s.exitCode ?? -1, timedOut };
    } finally {
      sink.end();
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      this.sessions.delete(id);
      const c = this.containers.store.find(s.containerId);
      if (c) c.ExecIDs = c.ExecIDs.filter((x) => x !== id);
    }
  }

  /** Forgets the sessions of a removed container. */
  dropContainer(containerId: string): void {
    for (const [id, s] of this.sessions) if (s.containerId === containerId) this.sessions.delete(id);
  }
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const e of extra) {
    const k = e.split('=')[0];
    const i = out.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

async function allCaps(): Promise<string[]> {
  const last = Number((await fs.readFile('/proc/sys/kernel/cap_last_cap', 'utf8').catch(() => '40')).trim());
  return CAP_NAMES.slice(0, last + 1);
}
