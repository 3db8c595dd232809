// Starting short-lived helper programs (crun, runc, conmon) with glibc's posix_spawn through
// koffi. node:child_process forks the whole daemon and blocks the event loop for ~3 ms per child
// on this machine; posix_spawn uses CLONE_VFORK and returns in ~0.1 ms. The child is reaped by a
// blocking waitpid on a worker thread, so libuv, which only reaps children it spawned, never races us.
import koffi from 'koffi';
import net from 'node:net';
import { closeSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { SystemError, errorMessage } from './errors.js';

const libc = koffi.load('libc.so.6');

const posixSpawnFn = libc.func(
  'int posix_spawn(_Out_ int *pid, const char *path, const void *actions, const void *attr, const char **argv, const char **envp)',
);
const attrInit = libc.func('int posix_spawnattr_init(_Inout_ void *attr)');
const attrDestroy = libc.func('int posix_spawnattr_destroy(_Inout_ void *attr)');
const attrSetFlags = libc.func('int posix_spawnattr_setflags(_Inout_ void *attr, short flags)');
const attrSetSigMask = libc.func('int posix_spawnattr_setsigmask(_Inout_ void *attr, const void *set)');
const attrSetSigDefault = libc.func('int posix_spawnattr_setsigdefault(_Inout_ void *attr, const void *set)');
const actionsInit = libc.func('int posix_spawn_file_actions_init(_Inout_ void *actions)');
const actionsDestroy = libc.func('int posix_spawn_file_actions_destroy(_Inout_ void *actions)');
const actionsAddDup2 = libc.func('int posix_spawn_file_actions_adddup2(_Inout_ void *actions, int fd, int newfd)');
const actionsAddOpen = libc.func('int posix_spawn_file_actions_addopen(_Inout_ void *actions, int fd, const char *path, int oflag, uint32_t mode)');
const actionsAddChdir = libc.func('int posix_spawn_file_actions_addchdir_np(_Inout_ void *actions, const char *path)');
const sigFillSet = libc.func('int sigfillset(_Inout_ void *set)');
const sigEmptySet = libc.func('int sigemptyset(_Inout_ void *set)');
const pipe2Fn = libc.func('int pipe2(_Out_ int *fds, int flags)');
const waitpidFn = libc.func('int waitpid(int pid, _Out_ int *status, int options)');

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const EINTR = 4;
// glibc's opaque structs are 336 (attr), 80 (file actions) and 128 (sigset) bytes on x86-64 and
// arm64; the buffers are larger so a different layout cannot overrun them.
const ATTR_SIZE = 512;
const ACTIONS_SIZE = 256;
const SIGSET_SIZE = 128;

export interface SpawnOptions {
  /** argv[0] included. */
  argv: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** 'pipe' gives `stdin` to write to; otherwise /dev/null. */
  stdin?: 'pipe' | 'ignore';
  stdout?: 'pipe' | 'ignore';
  stderr?: 'pipe' | 'ignore';
  /** Extra pipes as the child's fds 3, 4, …: 'read' ones the daemon reads, 'write' ones it writes. */
  extraPipes?: ('read' | 'write')[];
  /** A new session, so the child outlives the daemon's process group (conmon). */
  setsid?: boolean;
}

export interface SpawnedProcess {
  pid: number;
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  extra: net.Socket[];
  /** Exit code, or 128 + signal number for a child killed by a signal. */
  exited: Promise<number>;
}

function check(rc: number, what: string): void {
  if (rc !== 0) {
    const code = getSystemErrorName(-rc);
    throw Object.assign(new Error(`${what}: ${code}`), { code, errno: rc });
  }
}

function newPipe(): [number, number] {
  const fds = new Int32Array(2);
  if (pipe2Fn(fds, O_CLOEXEC) !== 0) {
    const errno = koffi.errno();
    throw Object.assign(new Error(`pipe2: ${getSystemErrorName(-errno)}`), { code: getSystemErrorName(-errno) });
  }
  return [fds[0]!, fds[1]!];
}

function envArray(env: Record<string, string | undefined>): (string | null)[] {
  const out: (string | null)[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out.push(`${k}=${v}`);
  out.push(null);
  return out;
}

/** Waits for `pid` on a worker thread and decodes its status. */
function reap(pid: number): Promise<number> {
  return new Promise((resolve) => {
    const status = new Int32Array(1);
    const again = (): void => {
      waitpidFn.async(pid, status, 0, (err: unknown, rc: number) => {
        if (err || rc < 0) {
          if (!err && koffi.errno() === EINTR) return again();
          return resolve(-1);
        }
        const s = status[0]!;
        const sig = s & 0x7f;
        resolve(sig === 0 ? (s >> 8) & 0xff : 128 + sig);
      });
    };
    again();
  });
}

/** Starts `path` with posix_spawn: signals reset to default, an empty signal mask, no fds but 0–2 and the extra pipes. */
export function spawnProcess(path: string, o: SpawnOptions): SpawnedProcess {
  const attr = Buffer.alloc(ATTR_SIZE);
  const actions = Buffer.alloc(ACTIONS_SIZE);
  const parentEnds: { fd: number; dir: 'read' | 'write' }[] = [];
  const childEnds: number[] = [];
  check(attrInit(attr), 'posix_spawnattr_init');
  check(actionsInit(actions), 'posix_spawn_file_actions_init');
  try {
    const all = Buffer.alloc(SIGSET_SIZE);
    const none = Buffer.alloc(SIGSET_SIZE);
    sigFillSet(all);
    sigEmptySet(none);
    check(attrSetSigDefault(attr, all), 'posix_spawnattr_setsigdefault');
    check(attrSetSigMask(attr, none), 'posix_spawnattr_setsigmask');
    check(attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (o.setsid ? POSIX_SPAWN_SETSID : 0)), 'posix_spawnattr_setflags');

    const wire = (childFd: number, mode: 'pipe' | 'ignore' | undefined, dir: 'read' | 'write'): void => {
      if (mode !== 'pipe') {
        check(actionsAddOpen(actions, childFd, '/dev/null', O_RDWR, 0), 'posix_spawn_file_actions_addopen');
        return;
      }
      const [r, w] = newPipe();
      // The child gets one end (dup2 clears its close-on-exec flag); the daemon keeps the other.
      const [mine, theirs] = dir === 'write' ? [w, r] : [r, w];
      parentEnds.push({ fd: mine, dir });
      childEnds.push(theirs);
      check(actionsAddDup2(actions, theirs, childFd), 'posix_spawn_file_actions_adddup2');
    };
    wire(0, o.stdin, 'write');
    wire(1, o.stdout, 'read');
    wire(2, o.stderr, 'read');
    (o.extraPipes ?? []).forEach((dir, i) => wire(3 + i, 'pipe', dir));
    if (o.cwd) check(actionsAddChdir(actions, o.cwd), 'posix_spawn_file_actions_addchdir_np');

    const pid = new Int32Array(1);
    const rc = posixSpawnFn(pid, path, actions, attr, [...o.argv, null], envArray(o.env ?? process.env));
    for (const fd of childEnds) closeSync(fd);
    childEnds.length = 0;
    if (rc !== 0) {
      const code = getSystemErrorName(-rc);
      throw Object.assign(new Error(`spawn ${path} ${code}`), { code, errno: -rc, path });
    }
    const streams = parentEnds.map(({ fd, dir }) => new net.Socket({ fd, readable: dir === 'read', writable: dir === 'write' }));
    parentEnds.length = 0;
    let next = 0;
    const take = (mode: 'pipe' | 'ignore' | undefined) => (mode === 'pipe' ? streams[next++] : undefined);
    const stdin = take(o.stdin);
    const stdout = take(o.stdout);
    const stderr = take(o.stderr);
    return { pid: pid[0]!, stdin, stdout, stderr, extra: streams.slice(next), exited: reap(pid[0]!) };
  } finally {
    for (const fd of childEnds) closeSync(fd);
    for (const { fd } of parentEnds) closeSync(fd);
    actionsDestroy(actions);
    attrDestroy(attr);
  }
}

export interface ProgramResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion with `input` on its stdin and collects its output: what every
 * wrapper of an external program (ip, nft, iptables-restore, crun, runc) needs. A spawn failure
 * (missing program) rejects; a non-zero exit resolves, for the wrapper to word its error.
 */
export async function runProgram(path: string, args: string[], input = ''): Promise<ProgramResult> {
  const child = spawnProcess(path, { argv: [path, ...args], stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  // A program that exits without reading its input must not crash the daemon with EPIPE.
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input);
  const [stdout, stderr, code] = await Promise.all([readText(child.stdout!), readText(child.stderr!), child.exited]);
  return { code, stdout, stderr };
}

/**
 * runProgram for a program that must succeed: its stdout, or a SystemError `what: <stderr>` (or the
 * exit status, or why it could not start). `oneLine` folds a multi-line stderr into one line.
 */
export async function runChecked(path: string, args: string[], input: string, what: string, oneLine = false): Promise<string> {
  let r;
  try {
    r = await runProgram(path, args, input);
  } catch (e) {
    throw new SystemError(`${what}: ${errorMessage(e)}`);
  }
  const stderr = oneLine ? r.stderr.trim().replace(/\n/g, '; ') : r.stderr.trim();
  if (r.code !== 0) throw new SystemError(`${what}: ${stderr || `exit status ${r.code}`}`);
  return r.stdout;
}

function readText(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('error', () => resolve(text));
    stream.on('end', () => resolve(text));
  });
}
