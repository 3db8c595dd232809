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
// file grows; the first check after restore rotates it. A rotated file exceeds max-size by what
// the container wrote during berthd's reaction time. conmon's own `--log-size-max` is not used:
// its byte counter survives a ctl reopen, so it would later empty a live file Berth just started.
// With compression (the local driver's default), `.2` and older are gzipped; `.1` stays plain so
// a follower still reading it can find it again by inode.
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
 * One rotation (caller holds the lock): shift the rotated files, rename the live file to `.1`,
 * ask conmon to reopen and wait for its new live file. Exported for tests that play conmon.
 */
export async function rotate(t: TrackedLog, reopenTimeoutMs = 2000): Promise<void> {
  const { live, policy } = t;
  const rotated = await listRotated(live);
  for (const f of [...rotated].reverse()) {
    if (f.index + 1 >= policy.maxFile) {
      await fs.rm(f.path, { force: true });
      continue;
    }
    await fs.rename(f.path, rotatedPath(live, f.index + 1, f.gzip));
  }
  const target = policy.maxFile > 1 ? rotatedPath(live, 1, false) : `${live}.dropped`;
  await fs.rename(live, target);
  const reopened = await requestReopen(t.ctl);
  if (reopened) await waitForFile(live, reopenTimeoutMs);
  if (policy.maxFile <= 1) await fs.rm(target, { force: true });
  if (policy.compress && policy.maxFile > 2) {
    const plain = rotatedPath(live, 2, false);
    if (await fs.access(plain).then(() => true, () => false)) await gzipFile(plain, rotatedPath(live, 2, true));
  }
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
