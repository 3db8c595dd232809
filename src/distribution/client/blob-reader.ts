// Reads one blob from a registry as a stream that survives broken connections: a failed or
// truncated response is retried with `Range: bytes=N-` from where it stopped, so whoever consumes
// the stream (hashing and extraction) never sees the interruption, only the bytes in order.
// The response's chunks are passed on as they arrive (no async iteration per chunk: at 64 KiB a
// piece that costs measurable CPU and garbage over a 200 MiB layer), paused by back-pressure.
import { Readable } from 'node:stream';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidParameter, NotFound, Unavailable } from '../../lib/errors.js';
import type { RegistrySession } from './session.js';
import { errorText } from './http.js';

export interface BlobReadOptions {
  /** Attempts after the first failure. */
  retries?: number;
  /** Called with the running byte count. */
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
  /** Delay before retry k (1-based), ms. */
  backoff?: (k: number) => number;
}

class Permanent extends Error {}

/** One GET of the blob with these extra headers (a Range to resume). */
export type BlobRequest = (headers: OutgoingHttpHeaders) => Promise<IncomingMessage>;

export function readBlob(session: RegistrySession, repo: string, digest: string, size: number | undefined, o: BlobReadOptions = {}): Readable {
  return readBlobFrom((headers) => session.request(`/v2/${repo}/blobs/${digest}`, { headers, idleTimeout: 20_000 }), repo, digest, size, o);
}

/** readBlob over any way of asking for the blob (the layer-apply worker asks with plain `send`). */
export function readBlobFrom(request: BlobRequest, repo: string, digest: string, size: number | undefined, o: BlobReadOptions = {}): Readable {
  const retries = o.retries ?? 3;
  const backoff = o.backoff ?? ((k: number) => 500 * 2 ** (k - 1));
  let offset = 0;
  let current: IncomingMessage | undefined;
  let started = false;

  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (!started) {
        started = true;
        run().catch((err: Error) => out.destroy(err));
      } else current?.resume();
    },
    destroy(err, cb) {
      current?.destroy();
      cb(err);
    },
  });

  /** Streams one response's body into `out`; resolves when it ended (whole or cut short). */
  function drain(res: IncomingMessage, status: number): Promise<void> {
    // A server that ignores Range sends everything again: skip what was already passed on.
    let skip = status === 200 ? offset : 0;
    if (status === 200) offset = 0;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        current = undefined;
        if (err) reject(err);
        else resolve();
      };
      current = res;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        let c = chunk;
        if (skip > 0) {
          const n = Math.min(skip, c.length);
          skip -= n;
          offset += n;
          c = c.subarray(n);
          if (c.length === 0) return;
        }
        offset += c.length;
        if (size !== undefined && offset > size) {
          res.destroy();
          settle(new Permanent(`blob ${digest} is larger than the ${size} bytes its manifest declares`));
          return;
        }
        o.onBytes?.(offset);
        if (!out.push(c)) res.pause();
      });
      let ended = false;
      res.on('end', () => {
        ended = true;
        settle();
      });
      res.on('error', (err) => settle(err));
      // A connection closed mid-body closes the response without 'end'.
      res.on('close', () => settle(ended ? undefined : new Error(`connection closed after ${offset} bytes`)));
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    for (;;) {
      if (out.destroyed) return;
      o.signal?.throwIfAborted();
      const startedAt = offset;
      try {
        const res = await request(offset > 0 ? { range: `bytes=${offset}-` } : {});
        const status = res.statusCode ?? 0;
        if (status === 404) throw new Permanent(`blob ${digest} not found in ${repo}: ${(await errorText(res)).text}`);
        if (status === 401 || status === 403) throw new Permanent(`access to blob ${digest} in ${repo} denied: ${(await errorText(res)).text}`);
        if (status !== 200 && status !== 206) throw new Error(`GET blob ${digest}: ${(await errorText(res)).text}`);
        if (out.destroyed) {
          res.destroy();
          return;
        }
        await drain(res, status);
        if (out.destroyed) return;
        if (size === undefined || offset === size) {
          out.push(null);
          return;
        }
        throw new Error(`connection closed after ${offset} of ${size} bytes`);
      } catch (err) {
        if (err instanceof Permanent) throw new (/not found/.test(err.message) ? NotFound : InvalidParameter)(err.message);
        if (o.signal?.aborted || out.destroyed) throw err;
        if (offset > startedAt) failures = 0;
        failures++;
        if (failures > retries) throw new Unavailable(`downloading ${digest}: ${(err as Error).message} (gave up after ${retries} retries)`);
        await sleep(backoff(failures), undefined, { signal: o.signal });
      }
    }
  }

  return out;
}
