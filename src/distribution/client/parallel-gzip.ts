// Gzip on every core: the input is cut into fixed-size chunks, each compressed into its own gzip
// member by a pool of worker threads, and the members are emitted in input order. Concatenated
// members are one valid gzip stream (RFC 1952 §2.2), which every gunzip reads whole.
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

const CHUNK = 2 << 20;

interface Task {
  resolve(b: Buffer): void;
  reject(e: Error): void;
}

class GzipPool {
  private workers: Worker[] = [];
  private tasks = new Map<number, Task>();
  private nextId = 0;
  private turn = 0;
  private busy = 0;

  constructor(readonly size: number) {}

  private start(): void {
    const url = new URL('./gzip-worker.js', import.meta.url);
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(url);
      w.unref();
      w.on('message', (m: { id: number; data: Uint8Array }) => {
        const t = this.tasks.get(m.id);
        this.tasks.delete(m.id);
        this.release();
        t?.resolve(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      });
      w.on('error', (err) => {
        for (const t of this.tasks.values()) t.reject(err);
        this.tasks.clear();
        this.workers = [];
      });
      this.workers.push(w);
    }
  }

  /** Idle workers are unreferenced so they never keep the process alive. */
  private hold(): void {
    if (this.busy++ === 0) for (const w of this.workers) w.ref();
  }
  private release(): void {
    if (--this.busy === 0) for (const w of this.workers) w.unref();
  }

  compress(data: Buffer, level: number): Promise<Buffer> {
    if (this.workers.length === 0) this.start();
    const id = this.nextId++;
    const w = this.workers[this.turn++ % this.workers.length]!;
    this.hold();
    return new Promise<Buffer>((resolve, reject) => {
      this.tasks.set(id, { resolve, reject });
      // Copy into a transferable buffer: pooled Buffers share memory that must not move.
      const copy = new Uint8Array(data.length);
      copy.set(data);
      w.postMessage({ id, data: copy, level }, [copy.buffer]);
    });
  }
}

let pool: GzipPool | undefined;

export class ParallelGzip extends Transform {
  private parts: Buffer[] = [];
  private partsLen = 0;
  private inFlight: Promise<Buffer>[] = [];
  private dispatched = 0;
  private readonly pool: GzipPool;

  constructor(private readonly level = 6) {
    super();
    pool ??= new GzipPool(Math.max(1, availableParallelism()));
    this.pool = pool;
  }

  private dispatch(buf: Buffer): void {
    const p = this.pool.compress(buf, this.level);
    p.catch(() => undefined);
    this.inFlight.push(p);
    this.dispatched++;
  }

  /** Emits finished members in order until at most `keep` are pending. */
  private async pushMembers(keep: number): Promise<void> {
    while (this.inFlight.length > keep) this.push(await this.inFlight.shift()!);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.parts.push(chunk);
    this.partsLen += chunk.length;
    if (this.partsLen < CHUNK) return cb();
    let all = Buffer.concat(this.parts, this.partsLen);
    while (all.length >= CHUNK) {
      this.dispatch(all.subarray(0, CHUNK));
      all = all.subarray(CHUNK);
    }
    this.parts = all.length ? [all] : [];
    this.partsLen = all.length;
    this.pushMembers(this.pool.size * 2).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.partsLen > 0 || this.dispatched === 0) this.dispatch(Buffer.concat(this.parts, this.partsLen));
    this.parts = [];
    this.pushMembers(0).then(() => cb(), cb);
  }
}
