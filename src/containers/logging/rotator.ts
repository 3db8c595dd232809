// Log rotation for running containers. conmon 2.1.6 only empties its file at `--log-size-max`,
// so berthd rotates: when the live file reaches max-size it renames it to `.1` (shifting older
// files, dropping those beyond max-file) and asks conmon to reopen through its ctl fifo.
//
// Why nothing is lost: conmon writes through its open fd, so whatever it writes between the rename
// and the reopen lands at the end of the renamed file; on "2 0 0\n" conmon creates a fresh file at
// the live path (`<path>.tmp` + rename). The rotator waits for that file before it lets readers
// look at the directory again (`withLock`), so readers never see a half-done rotation.
// Triggers: an inotify watch on the container directory (reacts within milliseconds of a write),
// a slow timer as a backstop, and every read. While berthd is down nothing rotates and the live
// file grows; the first check after restore rotates it. A rotated file may exceed max-size by
// what the container wrote during berthd's reaction time, by at most a quarter: a file larger
// than that is cut into max-size pieces and only max-file of them are kept. conmon's own `--log-size-max` is not used:
// its byte counter survives a ctl reopen, so it would later empty a live file Berth just started.
// With compression (the local driver's default), `.2` and older are gzipped; `.1` stays plain so
// a follower still reading it can find it again by inode. Oversized files are cut (see rotate).
import { promises as fs, watch, createReadStream, createWriteStream, constants as fsConstants, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { LogPolicy } from './options.js';
import { listRotated, rotatedPath } from './files.js';

export interface TrackedLog {
  /** The live file conmon appends to. */
  live: string;
  /** conmon's control fifo (`<bundle>/ctl`). */
  ctl: string;
  policy: LogPolicy;
}

interface Entry extends TrackedLog {
  watcher?: FSWatcher;
  running: boolean;
  again: boolean;
}

export class LogRotator {
  private tracked = new Map<string, Entry>();
  private locks = new Map<string, Promise<unknown>>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: { warn?: (msg: string) => void; intervalMs?: number; reopenTimeoutMs?: number } = {}) {}

  /** Starts rotating a running container's log (after conmon launched, and on live restore). */
  track(t: TrackedLog): void {
    this.untrack(t.live);
    if (t.policy.maxSize <= 0 || !t.policy.readable) return;
    const e: Entry = { ...t, running: false, again: false };
    const name = basename(t.live);
    try {
      e.watcher = watch(dirname(t.live), (_ev, f) => {
        if (f === name) this.kick(e);
      });
      e.watcher.on('error', () => undefined);
    } catch {
      // the timer still checks it
    }
    this.tracked.set(t.live, e);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const x of this.tracked.values()) this.kick(x);
      }, this.o.intervalMs ?? 2000);
      this.timer.unref();
    }
    this.kick(e);
  }

  untrack(live: string): void {
    const e = this.tracked.get(live);
    if (!e) return;
    e.watcher?.close();
    this.tracked.delete(live);
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  close(): void {
    for (const live of [...this.tracked.keys()]) this.untrack(live);
  }

  /** Runs `fn` while no rotation of this log is under way (readers open their files in here). */
  withLock<T>(live: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(live) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(live, tail);
    void tail.then(() => {
      if (this.locks.get(live) === tail) this.locks.delete(live);
    });
    return run;
  }

  /** Rotates now if the live file is over its limit (readers call this before reading). */
  async check(live: string): Promise<void> {
    const e = this.tracked.get(live);
    if (e) await this.rotateIfFull(e);
  }

  private kick(e: Entry): void {
    if (e.running) {
      e.again = true;
      return;
    }
    void this.rotateIfFull(e);
  }

  private async rotateIfFull(e: Entry): Promise<void> {
    if (e.running) return;
    e.running = true;
    try {
      do {
        e.again = false;
        const st = await fs.stat(e.live).catch(() => undefined);
        if (!st || st.size < e.policy.maxSize) continue;
        await this.withLock(e.live, () => rotate(e, this.o.reopenTimeoutMs ?? 2000)).catch((err) => this.o.warn?.(`log rotation of ${e.live}: ${(err as Error).message}`));
      } while (e.again && this.tracked.get(e.live) === e);
    } finally {
      e.running = false;
    }
  }
}

/**
 * One rotation (caller holds the lock): rename the live file aside, ask conmon to reopen and wait
 * for its new live file, then file the old one as `.1` (shifting older files, dropping those
 * beyond max-file). A file that outgrew max-size by more than a quarter (a burst faster than
 * berthd reacts, or growth while berthd was down) is cut at line boundaries into max-size pieces,
 * of which only as many as max-file allows are kept. Exported for tests that play conmon.
 */
export async function rotate(t: TrackedLog, reopenTimeoutMs = 2000): Promise<void> {
  const { live, policy } = t;
  const pending = `${live}.rotating`;
  await fs.rename(live, pending);
  if (await requestReopen(t.ctl)) await waitForFile(live, reopenTimeoutMs);
  const keep = policy.maxFile - 1;
  let pieces: string[] = [];
  if (keep <= 0) {
    await fs.rm(pending, { force: true });
  } else if ((await fs.stat(pending)).size <= policy.maxSize * 1.25) {
    pieces = [pending];
  } else {
    pieces = await splitFile(pending, policy.maxSize, keep);
  }
  const shift = pieces.length;
  for (const f of (await listRotated(live)).reverse()) {
    if (f.index + shift > keep) await fs.rm(f.path, { force: true });
    else if (shift > 0) await fs.rename(f.path, rotatedPath(live, f.index + shift, f.gzip));
  }
  for (let i = 0; i < shift; i++) await fs.rename(pieces[i]!, rotatedPath(live, shift - i, false));
  if (policy.compress) {
    for (const f of await listRotated(live)) if (f.index >= 2 && !f.gzip) await gzipFile(f.path, rotatedPath(live, f.index, true));
  }
}

/**
 * Cuts `path` into pieces of at most `size` bytes ending at newlines (a longer line is a piece of
 * its own) and keeps the newest `keep` of them as new files, oldest first; `path` is removed.
 */
export async function splitFile(path: string, size: number, keep: number): Promise<string[]> {
  const bounds: number[] = [0];
  const fh = await fs.open(path, 'r');
  let total = 0;
  try {
    const buf = Buffer.alloc(64 * 1024);
    let lineEnd = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      for (let nl = buf.indexOf(0x0a); nl >= 0 && nl < bytesRead; nl = buf.indexOf(0x0a, nl + 1)) {
        const end = total + nl + 1;
        const start = bounds[bounds.length - 1]!;
        if (end - start > size && lineEnd > start) bounds.push(lineEnd);
        lineEnd = end;
      }
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
  if (total > bounds[bounds.length - 1]!) bounds.push(total);
  const pieces: string[] = [];
  const first = Math.max(0, bounds.length - 1 - keep);
  for (let i = first; i < bounds.length - 1; i++) {
    const out = `${path}.${i - first}`;
    await pipeline(createReadStream(path, { start: bounds[i]!, end: bounds[i + 1]! - 1 }), createWriteStream(out, { mode: 0o600 }));
    pieces.push(out);
  }
  await fs.rm(path, { force: true });
  return pieces;
}

/** Writes conmon's "reopen logs" control message; false when no conmon listens any more. */
async function requestReopen(ctl: string): Promise<boolean> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(ctl, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    await fh.write('2 0 0\n');
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fs.access(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function gzipFile(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.tmp`;
  await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
  await fs.rename(tmp, dst);
  await fs.rm(src, { force: true });
}
