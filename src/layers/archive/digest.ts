// Content addressing while streaming: a pass-through that hashes every byte with sha256 and, when
// given an expected digest, fails the stream at its end if the content does not match.
import { Transform, type TransformCallback } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { InvalidParameter } from '../../lib/errors.js';

export class DigestMismatch extends InvalidParameter {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected} got ${actual}`);
  }
}

export class DigestStream extends Transform {
  private hash: Hash = createHash('sha256');
  private result: string | undefined;
  /** Bytes seen so far. */
  size = 0;

  constructor(private expected?: string) {
    // Room for a few 1 MiB pieces: the stage before keeps going while the one after is busy.
    super({ highWaterMark: 4 << 20 });
    if (expected !== undefined && !/^sha256:[0-9a-f]{64}$/.test(expected)) {
      throw new InvalidParameter(`invalid digest ${JSON.stringify(expected)}: only sha256 is supported`);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    if (this.expected !== undefined && this.expected !== this.result) {
      cb(new DigestMismatch(this.expected, this.result));
      return;
    }
    cb();
  }

  /** The `sha256:` digest; available once the stream has ended. */
  get digest(): string {
    if (this.result === undefined) throw new Error('digest read before the stream ended');
    return this.result;
  }
}
