// applyLayer on worker threads (apply-worker.ts), for LayerStore.register. A stream's bytes are
// moved across to an apply worker; a registry blob is fetched by a second, download worker that
// hands the bytes straight to the apply worker, so the two halves of a pull (network and digest,
// then gunzip, diffID and files) run on two threads and none of the bytes touch the daemon's heap.
// Workers are reused while busy and leave after a few idle seconds, so an idle daemon holds none.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { BerthError, Conflict, Forbidden, InvalidParameter, NotFound, NotImplemented, SystemError, Unavailable } from '../../lib/errors.js';
import type { IdMapping } from '../../userns/id-mapping.js';
import { trimMemoryWhenQuiet } from '../../lib/trim-memory.js';
import type { ApplyResult } from './apply.js';
import { sendChunks, type ChunkPort } from './chunk-pump.js';
import type { BlobAuth, FromWorker, SerializedError, ToWorker } from './apply-protocol.js';

export interface WorkerApplyOptions {
  whiteouts: 'overlay' | 'naive';
  expectedDiffId?: string;
  tarSplitPath?: string;
  /** A file that receives the input's bytes as they were read (e.g. a pulled layer's compressed blob). */
  keepInputAt?: string;
  idMap?: IdMapping;
}

/** A file the apply worker reads itself (a blob downloaded earlier). */
export interface LocalBlob {
  file: string;
  onBytes?(n: number): void;
}

/** A registry blob the download worker fetches itself (the daemon answers for credentials). */
export interface RemoteBlob {
  repo: string;
  digest: string;
  size: number;
  /** URL, headers and TLS setting for the next request; `renew` after a 401. */
  prepare(renew: boolean): Promise<BlobAuth>;
  onBytes?(n: number): void;
  signal?: AbortSignal;
}

const IDLE_MS = 5_000;
const idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];

function acquire(): Worker {
  const reused = idle.pop();
  if (reused) {
    clearTimeout(reused.timer);
    reused.worker.ref();
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

interface Job {
  result: Promise<Extract<FromWorker, { type: 'done' }>>;
  /** The job's worker while the job runs; afterwards it may serve another job and hears nothing. */
  port: ChunkPort;
}

/**
 * One job on a pooled worker: resolves with its `done`, rejects with its `error` (or its death),
 * then puts the worker back. Other messages go to `onMessage`.
 */
function runJob(job: ToWorker, transfer: MessagePort[], onMessage: (m: FromWorker, port: ChunkPort) => void = () => undefined): Job {
  const worker = acquire();
  let running = true;
  const port: ChunkPort = {
    postMessage: (m, t) => running && worker.postMessage(m, t),
    on: (event, fn) => worker.on(event, fn),
    off: (event, fn) => worker.off(event, fn),
  };
  const result = new Promise<Extract<FromWorker, { type: 'done' }>>((resolve, reject) => {
    const finish = () => {
      running = false;
      worker.off('message', message).off('error', failed).off('exit', exited);
    };
    const message = (m: FromWorker) => {
      if (m.type === 'done' || m.type === 'error') {
        finish();
        release(worker);
        if (m.type === 'done') resolve(m);
        else reject(revive(m.error));
      } else onMessage(m, port);
    };
    // A worker that died is not reused.
    const failed = (err: Error) => {
      finish();
      reject(new SystemError(`layer apply worker failed: ${err.message}`));
    };
    const exited = (code: number) => {
      finish();
      reject(new SystemError(`layer apply worker exited (${code})`));
    };
    worker.on('message', message).on('error', failed).on('exit', exited);
  });
  worker.postMessage(job, transfer);
  return { result, port };
}

function applyJob(dir: string, opts: WorkerApplyOptions, from?: { port: MessagePort } | { file: string }): ToWorker {
  return {
    type: 'apply',
    dir,
    whiteouts: opts.whiteouts,
    expectedDiffId: opts.expectedDiffId,
    tarSplitPath: opts.tarSplitPath,
    keepInputAt: opts.keepInputAt,
    idMap: opts.idMap ? { uidMaps: opts.idMap.uidMaps, gidMaps: opts.idMap.gidMaps } : undefined,
    from,
  };
}

/**
 * applyLayer(input, dir, …) on workers, which read the input to its end; the tar-split (when asked
 * for) is finished there, and with `keepInputAt` the input's bytes are also written to that file.
 * An error of the input itself (the network, a digest) wins over what the apply saw.
 */
export async function applyLayerInWorker(from: Readable | RemoteBlob | LocalBlob, dir: string, opts: WorkerApplyOptions): Promise<ApplyResult> {
  if (from instanceof Readable) return applyStream(from, dir, opts);
  return 'file' in from ? applyFile(from, dir, opts) : applyRemote(from, dir, opts);
}

/** The worker reads the file itself; `onBytes` hears how far it got. */
async function applyFile(blob: LocalBlob, dir: string, opts: WorkerApplyOptions): Promise<ApplyResult> {
  const { result } = runJob(applyJob(dir, opts, { file: blob.file }), [], (m) => {
    if (m.type === 'progress') blob.onBytes?.(m.bytes);
  });
  const done = await result;
  return { diffId: done.diffId, size: done.size };
}

/** A registry blob downloaded by a worker into `file`, which is whole (digest checked) once this resolves. */
export async function downloadToFile(blob: RemoteBlob, file: string): Promise<void> {
  const job = startDownload(blob, { file });
  try {
    await job.result;
  } catch (err) {
    throw blob.signal?.aborted ? (blob.signal.reason ?? err) : (job.prepareError() ?? err);
  } finally {
    job.stop();
  }
}

/** A download job: the daemon answers its credential requests and passes its progress on. */
function startDownload(blob: RemoteBlob, to: { port: MessagePort } | { file: string }): Job & { cancel(): void; stop(): void; prepareError(): unknown } {
  let prepareError: unknown;
  const job = runJob({ type: 'download', repo: blob.repo, digest: blob.digest, size: blob.size, to }, 'port' in to ? [to.port] : [], (m, worker) => {
    if (m.type === 'auth') {
      blob.prepare(m.renew).then(
        (a) => worker.postMessage({ type: 'auth', ...a } satisfies ToWorker),
        // The request cannot be made: the download fails with this.
        (err: unknown) => {
          prepareError ??= err;
          worker.postMessage({ type: 'fail', message: err instanceof Error ? err.message : String(err) } satisfies ToWorker);
        },
      );
    } else if (m.type === 'progress') blob.onBytes?.(m.bytes);
  });
  const cancel = () => job.port.postMessage({ type: 'fail', message: String(blob.signal?.reason ?? 'cancelled') } satisfies ToWorker);
  blob.signal?.addEventListener('abort', cancel);
  if (blob.signal?.aborted) cancel();
  return { ...job, cancel, stop: () => blob.signal?.removeEventListener('abort', cancel), prepareError: () => prepareError };
}

async function applyStream(input: Readable, dir: string, opts: WorkerApplyOptions): Promise<ApplyResult> {
  const { result, port } = runJob(applyJob(dir, opts), []);
  let inputError: unknown;
  const pump = sendChunks(input, port, (err) => (inputError ??= err));
  try {
    const done = await result;
    return { diffId: done.diffId, size: done.size };
  } catch (err) {
    input.destroy();
    throw inputError ?? err;
  } finally {
    pump.detach();
  }
}

async function applyRemote(blob: RemoteBlob, dir: string, opts: WorkerApplyOptions): Promise<ApplyResult> {
  const { port1, port2 } = new MessageChannel();
  const applying = runJob(applyJob(dir, opts, { port: port2 }), [port2]);
  const downloading = startDownload(blob, { port: port1 });
  // Both jobs end either way, and the first failure is the one reported: a failed download fails
  // the apply through its input; a failed apply leaves the download nobody to send to, so it is
  // cancelled.
  let first: unknown;
  let failed = false;
  const noteFailure = (err: unknown) => {
    if (!failed) first = err;
    failed = true;
  };
  const [got, applied] = await Promise.allSettled([
    downloading.result.catch((err: unknown) => {
      noteFailure(downloading.prepareError() ?? err);
      throw err;
    }),
    applying.result.catch((err: unknown) => {
      noteFailure(err);
      downloading.cancel();
      throw err;
    }),
  ]);
  downloading.stop();
  if (blob.signal?.aborted) throw blob.signal.reason ?? first;
  if (got.status === 'rejected' || applied.status === 'rejected') throw first;
  return { diffId: applied.value.diffId, size: applied.value.size };
}
