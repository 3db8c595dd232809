// Reading container logs from conmon's k8s-file format ("TIME stdout|stderr F|P text"): tail,
// since/until, timestamps, and follow until the container stops.
import { promises as fs, watch, type FSWatcher } from 'node:fs';

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

export function parseLine(line: string): LogEntry | undefined {
  const s1 = line.indexOf(' ');
  const s2 = line.indexOf(' ', s1 + 1);
  const s3 = line.indexOf(' ', s2 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const stamp = line.slice(0, s1);
  const stream = line.slice(s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = s3 < 0 ? line.slice(s2 + 1) : line.slice(s2 + 1, s3);
  const text = s3 < 0 ? '' : line.slice(s3 + 1);
  const { iso, ns } = normalizeTime(stamp);
  const partial = tag.split(':').includes('P');
  return { time: iso, timeNs: ns, stream, data: Buffer.from(partial ? text : text + '\n') };
}

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

/**
 * Yields log entries. With `follow`, keeps reading appended lines until `stopped()` is true and
 * the file is drained, or the consumer stops iterating.
 */
export async function* readLogs(path: string, q: LogQuery, stopped: () => boolean): AsyncGenerator<LogEntry> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  try {
    let pos = 0;
    let rest = '';
    const readMore = async (): Promise<LogEntry[]> => {
      const out: LogEntry[] = [];
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        rest += buf.subarray(0, bytesRead).toString('utf8');
        const lines = rest.split('\n');
        rest = lines.pop()!;
        for (const l of lines) {
          const e = parseLine(l);
          if (e && wanted(e, q)) out.push(e);
        }
      }
      return out;
    };
    let first = await readMore();
    if (q.tail !== undefined && q.tail >= 0) first = q.tail === 0 ? [] : first.slice(-q.tail);
    yield* first;
    if (!q.follow) return;
    watcher = watch(path, () => wake?.());
    for (;;) {
      const done = stopped();
      const more = await readMore();
      yield* more;
      if (done) return;
      if (q.until && Date.now() / 1000 > q.until) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref();
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    await fh.close();
  }
}
