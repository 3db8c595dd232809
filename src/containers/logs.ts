// Reading container logs from conmon's k8s-file format ("TIME stdout|stderr F|P text") across
// the rotated files (oldest first, gzipped ones decompressed on the fly) and the live file: tail,
// since/until, and follow until the container stops, continuing into the new live file when a
// rotation renames the one being followed (see logging/rotator.ts for how rotation works).
import { promises as fs, watch, createReadStream, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { listRotated } from './logging/files.js';

export interface LogEntry {
  /** RFC 3339 with nanoseconds, in UTC ("Z"), as docker logs -t prints. */
  time: string;
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface LogQuery {
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds (may be fractional); 0 for none. */
  since: number;
  until: number;
  /** Number of lines from the end, or undefined for all. */
  tail?: number;
  follow: boolean;
}

/** How a reader cooperates with the rotator of a live log; both optional (no rotation). */
export interface LogReadHooks {
  /** Runs `fn` while no rotation is under way. */
  lock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Rotates first if the live file is full. */
  beforeRead?: () => Promise<void>;
  /** Settles when the container stops, so a follower drains at once instead of at its next poll. */
  stopped?: Promise<unknown>;
}

export function parseLine(line: string): LogEntry | undefined {
  return parseLineBuffer(Buffer.from(line));
}

const SPACE = 0x20;

/** Parses one line (without its newline); the data keeps the container's bytes as they were. */
export function parseLineBuffer(line: Buffer): LogEntry | undefined {
  const s1 = line.indexOf(SPACE);
  const s2 = s1 < 0 ? -1 : line.indexOf(SPACE, s1 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const s3 = line.indexOf(SPACE, s2 + 1);
  const stamp = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = (s3 < 0 ? line.subarray(s2 + 1) : line.subarray(s2 + 1, s3)).toString('latin1');
  const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  const { iso, ns } = normalizeTime(stamp);
  const partial = tag.split(':').includes('P');
  return { time: iso, timeNs: ns, stream, data: partial ? Buffer.from(text) : Buffer.concat([text, NL]) };
}

const NL = Buffer.from('\n');

/** conmon writes "2026-11-27T19:34:46.772322227+00:00"; Docker prints "…46.772322227Z". */
export function normalizeTime(stamp: string): { iso: string; ns: bigint } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(stamp);
  if (!m) return { iso: stamp, ns: 0n };
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  const ns = BigInt(ms) * 1_000_000n + BigInt(frac);
  const iso = new Date(ms).toISOString().slice(0, 19) + '.' + frac + 'Z';
  return { iso, ns };
}

function wanted(e: LogEntry, q: LogQuery): boolean {
  if (e.stream === 'stdout' ? !q.stdout : !q.stderr) return false;
  const sec = Number(e.timeNs / 1_000_000n) / 1000;
  if (q.since && sec < q.since) return false;
  if (q.until && sec > q.until) return false;
  return true;
}

/** Splits a byte stream into lines; a trailing line without newline is held back. */
class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      lines.push(buf.subarray(start, nl));
      start = nl + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return lines;
  }
}

/** One file of the log, opened (so renames and unlinks by the rotator do not affect it). */
interface Source {
  fh: fs.FileHandle;
  ino: number;
  gzip: boolean;
  pos: number;
  lines: LineSplitter;
}

async function openSource(path: string, gzip: boolean): Promise<Source | undefined> {
  try {
    const fh = await fs.open(path, 'r');
    const st = await fh.stat();
    return { fh, ino: st.ino, gzip, pos: 0, lines: new LineSplitter() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads what is there now, from the source's position, as parsed entries. */
async function* drain(s: Source, q: LogQuery): AsyncGenerator<LogEntry> {
  if (s.gzip) {
    const input = createReadStream('', { fd: s.fh.fd, start: 0, autoClose: false });
    for await (const chunk of input.pipe(createGunzip())) {
      for (const l of s.lines.push(chunk as Buffer)) {
        const e = parseLineBuffer(l);
        if (e && wanted(e, q)) yield e;
      }
    }
    return;
  }
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const { bytesRead } = await s.fh.read(buf, 0, buf.length, s.pos);
    if (bytesRead === 0) return;
    s.pos += bytesRead;
    for (const l of s.lines.push(buf.subarray(0, bytesRead))) {
      const e = parseLineBuffer(l);
      if (e && wanted(e, q)) yield e;
    }
  }
}

async function closeAll(sources: (Source | undefined)[]): Promise<void> {
  await Promise.all(sources.map((s) => s?.fh.close().catch(() => undefined)));
}

/** Opens every file of the log, oldest first; the live file (if any) is last and flagged. */
async function openAll(live: string): Promise<{ rotated: Source[]; live?: Source }> {
  const rotated: Source[] = [];
  for (const f of (await listRotated(live)).reverse()) {
    const s = await openSource(f.path, f.gzip);
    if (s) rotated.push(s);
  }
  return { rotated, live: await openSource(live, false) };
}

/**
 * The files that follow `ino` once it has been rotated away: newer rotated files and the new
 * live file. A file that was rotated out of reach (a follower far behind) continues at live.
 */
async function successorsOf(live: string, ino: number): Promise<{ rotated: Source[]; live?: Source }> {
  const rotated = await listRotated(live);
  const newer: Source[] = [];
  for (const f of rotated) {
    if (f.gzip) break;
    const st = await fs.stat(f.path).catch(() => undefined);
    if (st?.ino === ino) {
      for (const g of rotated.filter((x) => x.index < f.index).reverse()) {
        const s = await openSource(g.path, g.gzip);
        if (s) newer.push(s);
      }
      break;
    }
  }
  return { rotated: newer, live: await openSource(live, false) };
}

/**
 * Yields log entries. With `follow`, keeps reading appended lines until `stopped()` is true and
 * the file is drained, or the consumer stops iterating.
 */
export async function* readLogs(path: string, q: LogQuery, stopped: () => boolean, hooks: LogReadHooks = {}): AsyncGenerator<LogEntry> {
  const lock = hooks.lock ?? (<T>(fn: () => Promise<T>) => fn());
  await hooks.beforeRead?.();
  const files = await lock(() => openAll(path));
  let current = files.live;
  const opened: (Source | undefined)[] = [...files.rotated, current];
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  try {
    if (q.tail !== undefined && q.tail >= 0) {
      yield* tailOf([...files.rotated, ...(current ? [current] : [])], q, q.tail);
    } else {
      for (const s of files.rotated) yield* drain(s, q);
      if (current) yield* drain(current, q);
    }
    await closeAll(files.rotated);
    if (!q.follow) return;
    const name = basename(path);
    try {
      watcher = watch(dirname(path), (_ev, f) => {
        if (f === name || (typeof f === 'string' && f.startsWith(name))) wake?.();
      });
      watcher.on('error', () => undefined);
    } catch {
      // polling below still works
    }
    for (;;) {
      const done = stopped();
      if (current) yield* drain(current, q);
      const st = await fs.stat(path).catch(() => undefined);
      if (st && st.ino !== current?.ino) {
        // conmon has reopened: the file we followed is complete.
        if (current) yield* drain(current, q);
        const next = current ? await lock(() => successorsOf(path, current!.ino)) : { rotated: [], live: await openSource(path, false) };
        await current?.fh.close().catch(() => undefined);
        opened.push(...next.rotated, next.live);
        for (const s of next.rotated) {
          yield* drain(s, q);
          await s.fh.close().catch(() => undefined);
        }
        current = next.live;
        continue;
      }
      if (done) return;
      if (q.until && Date.now() / 1000 > q.until) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref();
        void hooks.stopped?.then(() => resolve());
      });
      wake = undefined;
      await hooks.beforeRead?.();
    }
  } finally {
    watcher?.close();
    await closeAll(opened.filter((s) => s !== undefined));
  }
}

/** The last `n` wanted entries across the sources (newest file first, stops once it has `n`). */
async function* tailOf(sources: Source[], q: LogQuery, n: number): AsyncGenerator<LogEntry> {
  const live = sources.at(-1);
  if (n === 0) {
    // Skip to the end of the live file so a follower starts with new lines only.
    if (live && !live.gzip) for await (const _ of drain(live, q)) void _;
    return;
  }
  // conmon splits a line it read in two pieces into a partial (P) and a final (F) entry, so
  // count line ends, not entries; one more line end than asked for bounds the search.
  const chunks: LogEntry[][] = [];
  let lineEnds = 0;
  for (let i = sources.length - 1; i >= 0 && lineEnds <= n; i--) {
    let ring: LogEntry[] = [];
    for await (const e of drain(sources[i]!, q)) {
      ring.push(e);
      if (ring.length > 4 * n + 1024) ring = ring.slice(-(2 * n + 512));
    }
    chunks.unshift(ring);
    lineEnds += ring.filter(endsLine).length;
  }
  yield* lastLines(chunks.flat(), n);
}

function endsLine(e: LogEntry): boolean {
  return e.data[e.data.length - 1] === 0x0a;
}

/** The entries that make up the last `n` lines (a trailing unfinished line comes along). */
export function lastLines(entries: LogEntry[], n: number): LogEntry[] {
  let seen = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (!endsLine(entries[i]!)) continue;
    if (seen === n) return entries.slice(i + 1);
    seen++;
  }
  return entries;
}
