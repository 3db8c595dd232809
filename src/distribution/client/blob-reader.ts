// Reads one blob from a registry as a stream that survives broken connections: a failed or
// truncated response is retried with `Range: bytes=N-` from where it stopped, so whoever consumes
// the stream (hashing and extraction) never sees the interruption, only the bytes in order.
import { Readable } from 'node:stream';
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

export function readBlob(session: RegistrySession, repo: string, digest: string, size: number | undefined, o: BlobReadOptions = {}): Readable {
  const retries = o.retries ?? 3;
  const backoff = o.backoff ?? ((k: number) => 500 * 2 ** (k - 1));
  async function* generate(): AsyncGenerator<Buffer> {
    let offset = 0;
    let failures = 0;
    for (;;) {
      o.signal?.throwIfAborted();
      const startedAt = offset;
      try {
        const res = await session.request(`/v2/${repo}/blobs/${digest}`, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, idleTimeout: 20_000 });
        const status = res.statusCode ?? 0;
        if (status === 404) throw new Permanent(`blob ${digest} not found in ${repo}: ${(await errorText(res)).text}`);
        if (status === 401 || status === 403) throw new Permanent(`access to blob ${digest} in ${repo} denied: ${(await errorText(res)).text}`);
        if (status !== 200 && status !== 206) throw new Error(`GET blob ${digest}: ${(await errorText(res)).text}`);
        // A server that ignores Range sends everything again: skip what was already passed on.
        let skip = status === 200 ? offset : 0;
        if (status === 200) offset = 0;
        for await (const chunk of res as AsyncIterable<Buffer>) {
          let c = chunk;
          if (skip > 0) {
            const n = Math.min(skip, c.length);
            skip -= n;
            offset += n;
            c = c.subarray(n);
            if (c.length === 0) continue;
          }
          offset += c.length;
          if (size !== undefined && offset > size) throw new Permanent(`blob ${digest} is larger than the ${size} bytes its manifest declares`);
          o.onBytes?.(offset);
          yield c;
        }
        if (size === undefined || offset === size) return;
        throw new Error(`connection closed after ${offset} of ${size} bytes`);
      } catch (err) {
        if (err instanceof Permanent) throw new (/not found/.test(err.message) ? NotFound : InvalidParameter)(err.message);
        if (o.signal?.aborted) throw err;
        if (offset > startedAt) failures = 0;
        failures++;
        if (failures > retries) throw new Unavailable(`downloading ${digest}: ${(err as Error).message} (gave up after ${retries} retries)`);
        await sleep(backoff(failures), undefined, { signal: o.signal });
      }
    }
  }
  return Readable.from(generate(), { objectMode: false });
}
