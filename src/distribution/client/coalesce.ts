// Gathers a byte stream's small pieces (a socket hands over ≤ 64 KiB at a time) into large ones,
// so every stage behind it — hashing, the kept copy's writes, gunzip on the thread pool — does a
// few hundred pieces of work per 200 MiB instead of thousands of thread hand-offs.
import { Transform, type TransformCallback } from 'node:stream';

export class Coalesce extends Transform {
  private buf: Buffer | null = null;
  private fill = 0;

  constructor(private readonly size = 1 << 20) {
    super({ writableHighWaterMark: size, readableHighWaterMark: size });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.fill === 0 && chunk.length >= this.size) {
      this.push(chunk);
      return cb();
    }
    for (let off = 0; off < chunk.length; ) {
      // A fresh buffer per piece: what was pushed is never written to again.
      this.buf ??= Buffer.allocUnsafeSlow(this.size);
      const n = chunk.copy(this.buf, this.fill, off);
      off += n;
      this.fill += n;
      if (this.fill === this.size) {
        this.push(this.buf);
        this.buf = null;
        this.fill = 0;
      }
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.fill > 0) this.push(this.buf!.subarray(0, this.fill));
    this.buf = null;
    this.fill = 0;
    cb();
  }
}
