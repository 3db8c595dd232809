// A byte stream carried between threads as `chunk` messages with credit-based flow control: the
// sender stays at most WINDOW bytes ahead of what the receiver has taken. Buffers of 64 KiB or more
// that own their memory are moved (transferred), smaller reads are gathered into 64 KiB pieces.
import { Readable } from 'node:stream';
import type { ChunkMessage } from './apply-protocol.js';

/** Bytes sent ahead of the receiver before waiting for its credit. */
const WINDOW = 8 << 20;
/**
 * Small reads (tar headers, short file reads) are gathered into pieces of this size; the last may
 * be shorter. Nothing that feeds a layer waits for the layer's progress, so holding back a partial
 * piece until more comes never stalls.
 */
const PIECE = 64 << 10;

/** A Worker, a MessagePort or parentPort: what the two ends talk through. */
export interface ChunkPort {
  postMessage(m: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', fn: (m: any) => void): unknown;
  off(event: 'message', fn: (m: any) => void): unknown;
}

/**
 * Sends `input` to `port` until it ends (then `end`) or fails (then `fail`, and `onError`).
 * `detach` stops listening, e.g. once the receiver has finished.
 */
export function sendChunks(input: Readable, port: ChunkPort, onError: (err: unknown) => void): { detach(): void } {
  let inFlight = 0;
  let piece: Buffer | null = null;
  let fill = 0;
  const post = (buf: ArrayBuffer, length: number) => {
    port.postMessage({ type: 'chunk', data: new Uint8Array(buf, 0, length) } satisfies ChunkMessage, [buf]);
    if ((inFlight += length) >= WINDOW) input.pause();
  };
  const flush = () => {
    if (!piece || fill === 0) return;
    post(piece.buffer as ArrayBuffer, fill);
    piece = null;
    fill = 0;
  };
  const onData = (chunk: Buffer) => {
    if (chunk.length >= PIECE && chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.length) {
      flush();
      post(chunk.buffer as ArrayBuffer, chunk.length);
      return;
    }
    for (let off = 0; off < chunk.length; ) {
      piece ??= Buffer.allocUnsafeSlow(PIECE);
      const n = chunk.copy(piece, fill, off);
      off += n;
      fill += n;
      if (fill === PIECE) flush();
    }
  };
  const onEnd = () => {
    flush();
    port.postMessage({ type: 'end' } satisfies ChunkMessage);
  };
  const onFail = (err: unknown) => {
    port.postMessage({ type: 'fail', message: err instanceof Error ? err.message : String(err) } satisfies ChunkMessage);
    onError(err);
  };
  const onMessage = (m: { type: string; bytes?: number }) => {
    if (m.type === 'credit' && (inFlight -= m.bytes!) < WINDOW && input.isPaused()) input.resume();
  };
  port.on('message', onMessage);
  input.on('data', onData).on('end', onEnd).on('error', onFail);
  // It may have failed before anyone listened.
  if (input.errored) onFail(input.errored);
  else if (input.destroyed && !input.readableEnded) onFail(new Error('the layer stream was closed before its end'));
  return {
    detach() {
      port.off('message', onMessage);
      input.off('data', onData).off('end', onEnd).off('error', onFail);
    },
  };
}

/** The receiving end: a stream of the chunks arriving on `port`, each credited once taken. */
export function receiveChunks(port: ChunkPort): { stream: Readable; detach(): void } {
  let owed = 0;
  const stream = new Readable({
    highWaterMark: 4 << 20,
    read() {
      if (owed > 0) port.postMessage({ type: 'credit', bytes: owed } satisfies ChunkMessage);
      owed = 0;
    },
  });
  const onMessage = (m: ChunkMessage) => {
    if (m.type === 'chunk') {
      if (stream.destroyed) return;
      if (stream.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))) port.postMessage({ type: 'credit', bytes: m.data.byteLength } satisfies ChunkMessage);
      else owed += m.data.byteLength;
    } else if (m.type === 'end') stream.push(null);
    else if (m.type === 'fail') stream.destroy(new Error(m.message));
  };
  port.on('message', onMessage);
  return { stream, detach: () => port.off('message', onMessage) };
}
