// Splits the Engine API's multiplexed stdout/stderr stream (non-TTY attach, logs, exec): each frame
// is an 8-byte header [stream, 0, 0, 0, size uint32 BE] followed by size bytes of payload.
// Stream 0 is stdin (written to stdout, as moby's stdcopy does), 1 stdout, 2 stderr, 3 systemerr.

import type { Readable } from 'node:stream';

export type StreamSink = (chunk: Buffer) => void;

/** Incremental frame decoder: feed it socket chunks in any split; it calls the sinks per frame. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private systemErr: Buffer[] = [];

  constructor(
    private readonly stdout: StreamSink,
    private readonly stderr: StreamSink,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (this.pending.length - off >= 8) {
      const kind = this.pending[off]!;
      const size = this.pending.readUInt32BE(off + 4);
      if (this.pending.length - off - 8 < size) break;
      const payload = this.pending.subarray(off + 8, off + 8 + size);
      off += 8 + size;
      switch (kind) {
        case 0:
        case 1:
          this.stdout(payload);
          break;
        case 2:
          this.stderr(payload);
          break;
        case 3:
          this.systemErr.push(Buffer.from(payload));
          break;
        default:
          throw new Error(`Unrecognized input header: ${kind}`);
      }
    }
    this.pending = off === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(off);
  }

  /** Call at end of stream: an error the daemon sent in-band (stream 3) becomes an Error. */
  finish(): void {
    if (this.systemErr.length) throw new Error(`error from daemon in stream: ${Buffer.concat(this.systemErr).toString()}`);
  }
}

/** Demultiplexes a whole readable into two writables; resolves at end of input. */
export async function demultiplex(input: Readable, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<void> {
  const decoder = new FrameDecoder(
    (b) => stdout.write(b),
    (b) => stderr.write(b),
  );
  for await (const chunk of input) decoder.push(chunk as Buffer);
  decoder.finish();
}

/** Encodes one frame; the fake servers in tests and any in-process producer use it. */
export function encodeFrame(stream: 0 | 1 | 2 | 3, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
