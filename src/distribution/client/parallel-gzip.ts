// Gzip on every core: the input is cut into fixed-size chunks, each compressed into its own gzip
// member by a pool of worker threads, and the members are emitted in input order. Concatenated
// members are one valid gzip stream (RFC 1952 §2.2), which every gunzip reads whole.
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { GzipJob, GzipResult } from './gzip-worker.js';

/** Bytes per gzip member: large enough that the per-member header and dictionary restart cost nothing. */
const CHUNK = 2 << 20;

interface Task {
  job: GzipJob;
  transfer: ArrayBuffer[];
  resolve(b: Buffer): void;
  reject(e: Error): void;
}

/**
 * Workers take the next chunk as soon as they are free (not round robin), so one worker that the
 * scheduler holds back on a busy machine does not leave the other idle with chunks queued behind it.
 */
class GzipPool {
  private idle: Worker[] = [];
  private running = new Map<Worker, Task>();
  private queue: Task[] = [];
  private started = 0;

  constructor(readonly size: number) {}

  private spawn(): void {
    const w = new Worker(new URL('./gzip-worker.js', import.meta.url));
    this.started++;
    w.unref();
    w.on('message', (m: GzipResult) => {
      const t = this.running.get(w);
      this.running.delete(w);
      t?.resolve(Buffer.from(m.buffer, m.byteOffset, m.byteLength));
      this.idle.push(w);
      this.next();
    });
    w.on('error', (err) => {
      this.running.get(w)?.reject(err);
      this.running.delete(w);
      this.idle = this.idle.filter((x) => x !== w);
      this.started--;
      // The queue is served by a replacement: one crashed worker fails only the chunk it held.
      if (this.queue.length) this.next();
    });
    this.idle.push(w);
  }

  private next(): void {
    while (this.queue.length) {
      if (this.idle.length === 0 && this.started < this.size) this.spawn();
      const w = this.idle.pop();
      if (!w) return;
      const t = this.queue.shift()!;
      this.running.set(w, t);
      w.ref();
      w.postMessage(t.job, t.transfer);
    }
    // Idle workers are unreferenced so they never keep the process alive.
    for (const w of this.idle) w.unref();
  }

  /** Compresses `data[0, length)`; `data`'s memory is handed to the worker and must not be used again. */
  compress(data: Buffer, length: number, level: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (data.byteOffset !== 0 || data.buffer.byteLength !== data.length) {
        // Only a buffer that owns its whole memory can move to a worker; copy anything else.
        const own = Buffer.allocUnsafeSlow(length);
        data.copy(own, 0, 0, length);
        data = own;
      }
      const ab = data.buffer as ArrayBuffer;
      this.queue.push({ job: { buffer: ab, length, level }, transfer: [ab], resolve, reject });
      this.next();
    });
  }
}

let pool: GzipPool | undefined;

export class ParallelGzip extends Transform {
  /** The chunk being filled: memory of its own, so it moves to a worker without a copy. */
  private buf: Buffer | null = null;
  private fill = 0;
  private inFlight: Promise<Buffer>[] = [];
  private dispatched = 0;
  private readonly pool: GzipPool;

  constructor(private readonly level = 6) {
    super();
    pool ??= new GzipPool(Math.max(1, availableParallelism()));
    this.pool = pool;
  }

  private dispatch(): void {
    const p = this.pool.compress(this.buf ?? Buffer.allocUnsafeSlow(0), this.fill, this.level);
    p.catch(() => undefined);
    this.inFlight.push(p);
    this.dispatched++;
    this.buf = null;
    this.fill = 0;
  }

  /** Emits finished members in order until at most `keep` are pending. */
  private async pushMembers(keep: number): Promise<void> {
    while (this.inFlight.length > keep) this.push(await this.inFlight.shift()!);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (let off = 0; off < chunk.length; ) {
      this.buf ??= Buffer.allocUnsafeSlow(CHUNK);
      const n = chunk.copy(this.buf, this.fill, off);
      off += n;
      this.fill += n;
      if (this.fill === CHUNK) this.dispatch();
    }
    // Two chunks per worker in flight: one compressing, one waiting, so no worker waits on us.
    this.pushMembers(this.pool.size * 2).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.fill > 0 || this.dispatched === 0) this.dispatch();
    this.pushMembers(0).then(() => cb(), cb);
  }
}
