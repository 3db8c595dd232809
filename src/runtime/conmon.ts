// Wrapper around conmon, the per-container monitor: it runs `<runtime> create` (or exec), holds
// the container's stdio, writes the k8s-file log and, when the process ends, its exit code into
// the exit directory. conmon daemonizes, so containers outlive berthd (live restore).
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { spawnProcess, type SpawnedProcess } from '../lib/process-spawn.js';
import { SystemError, InvalidParameter } from '../lib/errors.js';
import type { OciRuntime } from './oci-runtime.js';

export const CONMON_PATH = '/usr/bin/conmon';

export interface ConmonOptions {
  id: string;
  name: string;
  runtime: OciRuntime;
  bundle: string;
  /** Directory of files private to this container's monitor: pid files, the `oom` marker, `exit`. */
  persistDir: string;
  /** Directory under which conmon places `<id>` → bundle symlinks for the attach socket. */
  socketDir: string;
  exitDir: string;
  logPath: string;
  /** `none` keeps no log (docker's `--log-driver none`); the default is conmon's k8s-file. */
  logDriver?: 'k8s-file' | 'none';
  terminal: boolean;
  stdin: boolean;
  /** Keep stdin open after an attached client hangs up (docker run -i without --attach stdin close). */
  leaveStdinOpen?: boolean;
}

/** Starts conmon and resolves once the runtime has created the container (before `start`). */
export async function launchConmon(o: ConmonOptions): Promise<{ pid: number }> {
  const args = [
    '--api-version', '1',
    '-c', o.id,
    '-u', o.id,
    '-n', o.name,
    '-r', o.runtime.spec.path,
    '-b', o.bundle,
    '-p', `${o.persistDir}/pidfile`,
    '-P', `${o.persistDir}/conmon.pid`,
    '-l', o.logDriver === 'none' ? 'none' : `k8s-file:${o.logPath}`,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '--persist-dir', o.persistDir,
    '--log-level', 'error',
    '--syslog',
  ];
  for (const a of o.runtime.globalArgs()) args.push('--runtime-arg', a);
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  if (o.leaveStdinOpen) args.push('--leave-stdin-open');

  const child = spawnConmon(args, { _OCI_SYNCPIPE: '3' }, o.persistDir, ['read']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const sync = child.extra[0]!;
  const exited = child.exited;

  const msg = await readSyncMessage(sync);
  sync.destroy();
  if (!msg) {
    throw new SystemError(`conmon failed for ${o.id} (exit ${await exited}): ${stderr.trim() || 'no message on sync pipe'}`);
  }
  if (msg.data < 0) throw runtimeCreateError(msg.message ?? stderr.trim());
  return { pid: msg.data };
}

/**
 * conmon in a session of its own (it daemonizes and outlives berthd), run from `cwd`: conmon 2.1.6
 * also writes its `oom` marker relative to its working directory.
 */
function spawnConmon(args: string[], pipes: Record<string, string>, cwd: string, extra: ('read' | 'write')[]): SpawnedProcess {
  try {
    return spawnProcess(CONMON_PATH, { argv: [CONMON_PATH, ...args], env: { ...process.env, ...pipes }, cwd, stderr: 'pipe', extraPipes: extra, setsid: true });
  } catch (e) {
    throw new SystemError(`conmon: ${(e as Error).message}`);
  }
}

interface SyncMessage {
  data: number;
  message?: string;
}

function readSyncMessage(stream: Readable): Promise<SyncMessage | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (m: SyncMessage | undefined) => {
      stream.removeAllListeners('data');
      resolve(m);
    };
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        try {
          done(JSON.parse(buf.slice(0, nl)) as SyncMessage);
        } catch {
          done({ data: -1, message: buf.slice(0, nl) });
        }
      }
    });
    stream.on('end', () => done(undefined));
    stream.on('error', () => done(undefined));
  });
}

/**
 * Docker reports a command that cannot be found or run as a 400 from start (the CLI then exits
 * 127 or 126); keep the runtime's words but put them in Docker's frame.
 */
function runtimeCreateError(raw: string): Error {
  const msg = raw.replace(/^.*?(exec|executable|stat|open)/s, '$1').trim() || raw;
  const base = `failed to create task for container: OCI runtime create failed: ${raw.trim()}`;
  if (/executable file not found|no such file or directory/i.test(msg) && /exec/i.test(raw)) {
    return new InvalidParameter(`${base}: exec: executable file not found in $PATH: unknown`);
  }
  if (/permission denied/i.test(raw) && /exec/i.test(raw)) {
    return new InvalidParameter(`${base}: permission denied: unknown`);
  }
  return new SystemError(base);
}

export interface ExecLaunch {
  /** Resolves once conmon's attach socket for the exec session exists. */
  attachReady: Promise<void>;
  /** Lets conmon run the process (after the caller connected to the attach socket). */
  go(): void;
  /** The exec'd process pid, once started. */
  pid: Promise<number>;
  /** The exit code, when the process ends. */
  exitCode: Promise<number>;
}

/**
 * Runs a process in a running container through conmon (`<runtime> exec`), with an attach
 * socket in `sessionDir` so the caller can join its stdio before it starts.
 */
export function launchConmonExec(o: {
  containerId: string;
  sessionId: string;
  runtime: OciRuntime;
  sessionDir: string;
  socketDir: string;
  processSpec: string;
  terminal: boolean;
  stdin: boolean;
}): ExecLaunch {
  const args = [
    '--api-version', '1',
    '-c', o.containerId,
    '-u', o.sessionId,
    '-r', o.runtime.spec.path,
    '-b', o.sessionDir,
    '-p', `${o.sessionDir}/exec.pid`,
    '-P', `${o.sessionDir}/conmon.pid`,
    '-l', `k8s-file:${o.sessionDir}/exec.log`,
    '--exit-dir', o.sessionDir,
    '--socket-dir-path', o.socketDir,
    '--persist-dir', o.sessionDir,
    '--log-level', 'error',
    '--syslog',
    '-e', '--exec-attach',
    '--exec-process-spec', o.processSpec,
  ];
  for (const a of o.runtime.globalArgs()) args.push('--runtime-arg', a);
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  const child = spawnConmon(args, { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' }, o.sessionDir, ['read', 'write', 'read']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [sync, start, attach] = child.extra as [net.Socket, net.Socket, net.Socket];
  // conmon may be gone before the start byte is written (the container exited): its sync pipe
  // reports that; an EPIPE here must not crash the daemon.
  start.on('error', () => undefined);
  // conmon blocks on a first read of the start pipe before it forks.
  start.write('0');
  const messages = jsonLines(sync);
  const attachReady = readSyncMessage(attach).then((m) => {
    if (!m || m.data < 0) throw new SystemError(`exec attach failed: ${m?.message ?? stderr.trim() ?? 'conmon exited'}`);
  });
  const pid = messages.next().then((m) => {
    if (!m || m.data < 0) throw runtimeCreateError(m?.message ?? (stderr.trim() || 'exec failed'));
    return m.data;
  });
  const exitCode = pid.then(async () => {
    const m = await messages.next();
    sync.destroy();
    return m ? m.data : -1;
  });
  return {
    attachReady,
    go: () => {
      start.end('1');
    },
    pid,
    exitCode,
  };
}

/** Successive JSON lines from a sync pipe. */
function jsonLines(stream: Readable): { next(): Promise<SyncMessage | undefined> } {
  let buf = '';
  const queue: SyncMessage[] = [];
  const waiting: ((m: SyncMessage | undefined) => void)[] = [];
  let ended = false;
  const flush = () => {
    while (waiting.length && (queue.length || ended)) waiting.shift()!(queue.shift());
  };
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        queue.push(JSON.parse(line) as SyncMessage);
      } catch {
        queue.push({ data: -1, message: line });
      }
    }
    flush();
  });
  const end = () => {
    ended = true;
    flush();
  };
  stream.on('end', end);
  stream.on('error', end);
  return {
    next: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        flush();
      }),
  };
}
