// applyLayer on a worker thread (apply-worker.ts), for LayerStore.register: the daemon only copies
// the layer's bytes across, a few MiB ahead of the worker, and the worker does the rest. Workers
// are reused while busy and leave after a few idle seconds, so an idle daemon holds none.
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { BerthError, Conflict, Forbidden, InvalidParameter, NotFound, NotImplemented, SystemError, Unavailable } from '../../lib/errors.js';
import type { IdMapping } from '../../userns/id-mapping.js';
import { trimMemoryWhenQuiet } from '../../lib/trim-memory.js';
import type { ApplyResult } from './apply.js';
import type { FromWorker, SerializedError, ToWorker } from './apply-protocol.js';

export interface WorkerApplyOptions {
  whiteouts: 'overlay' | 'naive';
  expectedDiffId?: string;
  tarSplitPath?: string;
  /** A file that receives the input's bytes as they were read (e.g. a pulled layer's compressed blob). */
  keepInputAt?: string;
  idMap?: IdMapping;
}

/** Bytes sent ahead of the worker before waiting for its credit. */
const WINDOW = 8 << 20;
/**
 * Small reads (tar headers, short file reads) are gathered into pieces of this size before they
 * are sent; the last piece may be shorter. Nothing that feeds a layer waits for the layer's
 * progress, so holding back a partial piece until more comes never stalls.
 */
const PIECE = 64 << 10;
const IDLE_MS = 5_000;

const idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];

function acquire(): Worker {
  const reused = idle.pop();
  if (reused) {
    clearTimeout(reused.timer);
    return reused.worker;
  }
  const worker = new Worker(new URL('./apply-worker.js', import.meta.url));
  // Between jobs nobody else listens: a worker that dies idle just leaves the pool.
  const forget = () => {
    const i = idle.findIndex((e) => e.worker === worker);
    if (i >= 0) idle.splice(i, 1).forEach((e) => clearTimeout(e.timer));
  };
  worker.on('error', forget).on('exit', forget);
  return worker;
}

function release(worker: Worker): void {
  worker.unref();
  const timer = setTimeout(() => {
    const i = idle.findIndex((e) => e.worker === worker);
    if (i >= 0) idle.splice(i, 1);
    void worker.terminate().then(trimMemoryWhenQuiet);
  }, IDLE_MS);
  timer.unref();
  idle.push({ worker, timer });
}

const KINDS: Record<string, new (m: string) => BerthError> = {
  'not-found': NotFound,
  conflict: Conflict,
  'invalid-parameter': InvalidParameter,
  forbidden: Forbidden,
  unavailable: Unavailable,
  'not-implemented': NotImplemented,
  system: SystemError,
};

function revive(e: SerializedError): Error {
  const Kind = e.kind ? KINDS[e.kind] : undefined;
  const err: Error & { code?: string } = Kind ? new Kind(e.message) : new Error(e.message);
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

/**
 * applyLayer(input, dir, …) on a worker, which reads `input` to its end; the tar-split (when asked
 * for) is finished there, and with `keepInputAt` the input's bytes are also written to that file.
 */
export function applyLayerInWorker(input: Readable, dir: string, opts: WorkerApplyOptions): Promise<ApplyResult> {
  const worker = acquire();
  worker.ref();
  const send = (m: ToWorker, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
  send({
    type: 'job',
    dir,
    whiteouts: opts.whiteouts,
    expectedDiffId: opts.expectedDiffId,
    tarSplitPath: opts.tarSplitPath,
    keepInputAt: opts.keepInputAt,
    idMap: opts.idMap ? { uidMaps: opts.idMap.uidMaps, gidMaps: opts.idMap.gidMaps } : undefined,
  });

  return new Promise<ApplyResult>((resolve, reject) => {
    let inFlight = 0;
    let piece: Buffer | null = null;
    let fill = 0;
    let inputError: unknown;
    let settled = false;

    const post = (buf: ArrayBuffer, length: number) => {
      send({ type: 'chunk', data: new Uint8Array(buf, 0, length) }, [buf]);
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
        // A buffer of its own (a socket read, a file read) moves to the worker as it is.
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
      send({ type: 'end' });
    };
    const onError = (err: unknown) => {
      inputError ??= err;
      send({ type: 'fail', message: err instanceof Error ? err.message : String(err) });
    };
    const settle = (err: unknown, result?: ApplyResult) => {
      if (settled) return;
      settled = true;
      input.off('data', onData).off('end', onEnd).off('error', onError);
      if (err) {
        input.destroy();
        reject(inputError ?? err);
      } else resolve(result!);
    };

    const onMessage = (m: FromWorker) => {
      if (m.type === 'credit') {
        if ((inFlight -= m.bytes) < WINDOW && input.isPaused() && !settled) input.resume();
        return;
      }
      worker.off('message', onMessage).off('error', onWorkerError).off('exit', onExit);
      release(worker);
      if (m.type === 'done') settle(undefined, { diffId: m.diffId, size: m.size });
      else settle(revive(m.error));
    };
    // A worker that died is not reused.
    const onWorkerError = (err: Error) => settle(new SystemError(`layer apply worker failed: ${err.message}`));
    const onExit = (code: number) => settle(new SystemError(`layer apply worker exited (${code})`));
    worker.on('message', onMessage).on('error', onWorkerError).on('exit', onExit);

    input.on('data', onData).on('end', onEnd).on('error', onError);
    // It may have failed before anyone listened.
    if (input.errored) onError(input.errored);
    else if (input.destroyed && !input.readableEnded) onError(new Error('the layer stream was closed before its end'));
  });
}
