// A layer-apply worker thread. An `apply` job runs applyLayer (gunzip, diffID hashing, tar parsing,
// file writes, tar-split recording, the kept copy of the input) on bytes that arrive as messages;
// a `download` job fetches a registry blob, checks its digest and sends it on to an apply job's
// worker. A 200 MiB layer thus costs the daemon's event loop nothing but a few messages, and its
// garbage is collected in these threads' small heaps instead of the daemon's. Protocol:
// apply-protocol.ts.
import { parentPort } from 'node:worker_threads';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { applyLayer } from './apply.js';
import { DigestStream } from './digest.js';
import { receiveChunks, sendChunks } from './chunk-pump.js';
import { TarSplitRecorder } from '../tar-split.js';
import { IdMapping } from '../../userns/id-mapping.js';
import { BerthError } from '../../lib/errors.js';
import { readBlobFrom, type BlobRequest } from '../../distribution/client/blob-reader.js';
import { send as httpSend } from '../../distribution/client/http.js';
import type { ApplyJob, BlobAuth, DownloadJob, FromWorker, ToWorker, SerializedError } from './apply-protocol.js';

const daemon = parentPort!;
const tell = (m: FromWorker) => daemon.postMessage(m);

function serialize(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: e instanceof BerthError ? e.kind : undefined, name: e.name, message: e.message, code: (e as NodeJS.ErrnoException).code };
}

/** An apply job's input read from a file, with its byte count reported as it goes. */
function fileInput(file: string): { stream: Readable; detach(): void } {
  let read = 0;
  let reported = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      read += chunk.length;
      if (read - reported >= 1 << 20) tell({ type: 'progress', bytes: (reported = read) });
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      tell({ type: 'progress', bytes: read });
      cb();
    },
  });
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  source.on('error', (err) => counted.destroy(err));
  return { stream: source.pipe(counted), detach: () => source.destroy() };
}

async function apply(job: ApplyJob): Promise<void> {
  const from = job.from;
  const received = from && 'file' in from ? fileInput(from.file) : receiveChunks(from?.port ?? daemon);
  const stream = received.stream;
  // A `fail` destroys the stream with its error; whoever reads it then fails with it and the job
  // ends through the catch below (with no listener it would end the thread).
  stream.on('error', () => undefined);
  const tarSplit = job.tarSplitPath ? new TarSplitRecorder(job.tarSplitPath) : undefined;
  const kept = job.keepInputAt ? keepCopy(stream, job.keepInputAt) : undefined;
  try {
    const idMap = job.idMap ? new IdMapping(job.idMap.uidMaps, job.idMap.gidMaps) : undefined;
    const source = kept?.stream ?? stream;
    const { diffId, size } = await applyLayer(source, job.dir, { whiteouts: job.whiteouts, expectedDiffId: job.expectedDiffId, tarSplit, idMap });
    await tarSplit?.finish();
    // The input is read to its end (bytes after the tar's end belong to the kept copy too).
    if (!source.readableEnded) await finished(source.resume());
    await kept?.close();
    tell({ type: 'done', diffId, size });
  } catch (err) {
    stream.destroy();
    await kept?.abort();
    await tarSplit?.abort().catch(() => undefined);
    tell({ type: 'error', error: serialize(err) });
  } finally {
    received.detach();
    if (from && 'port' in from) from.port.close();
  }
}

/** A pass-through that also writes every byte to `path`, with back-pressure. */
function keepCopy(from: Readable, path: string): { stream: Readable; close(): Promise<void>; abort(): Promise<void> } {
  const file = createWriteStream(path, { mode: 0o600, highWaterMark: 4 << 20 });
  let fileError: Error | undefined;
  file.on('error', (err) => (fileError ??= err));
  const closed = new Promise<void>((resolve) => file.once('close', () => resolve()));
  const tee = new Transform({
    highWaterMark: 4 << 20,
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      if (fileError) return cb(fileError);
      if (file.write(chunk)) cb(null, chunk);
      else file.once('drain', () => cb(fileError ?? null, chunk));
    },
  });
  from.on('error', (err) => tee.destroy(err));
  from.pipe(tee);
  return {
    stream: tee,
    close: async () => {
      file.end();
      await closed;
      if (fileError) throw fileError;
    },
    // The caller removes the file; a file still being opened appears only before 'close'.
    abort: async () => {
      file.destroy();
      await closed;
    },
  };
}

/** The daemon's answer to the download's `auth` request (one at a time: requests are sequential). */
let authAnswer: ((a: BlobAuth) => void) | null = null;
/** The running download, which a `fail` from the daemon cancels. */
let downloading: Readable | null = null;

function askAuth(renew: boolean): Promise<BlobAuth> {
  return new Promise<BlobAuth>((resolve) => {
    authAnswer = resolve;
    tell({ type: 'auth', renew });
  });
}

function download(job: DownloadJob): void {
  const request: BlobRequest = async (extra) => {
    for (let attempt = 0; ; attempt++) {
      const a = await askAuth(attempt > 0);
      const res = await httpSend(new URL(a.url), { headers: { ...a.headers, ...extra }, insecureTls: a.insecureTls, idleTimeout: 20_000 });
      // An expired token: once more with fresh credentials.
      if (res.statusCode === 401 && attempt === 0) {
        res.resume();
        continue;
      }
      return res;
    }
  };
  let reported = 0;
  const onBytes = (n: number) => {
    if (n - reported >= 1 << 20 || n === job.size) tell({ type: 'progress', bytes: (reported = n) });
  };
  const blob = readBlobFrom(request, job.repo, job.digest, job.size, { onBytes });
  const check = new DigestStream(job.digest);
  blob.on('error', (err) => check.destroy(err));
  // Cancelled or failed: the connection goes too.
  check.on('close', () => blob.destroy());
  blob.pipe(check);
  downloading = check;
  const done = () => tell({ type: 'done', diffId: '', size: job.size });
  const failed = (err: unknown) => tell({ type: 'error', error: serialize(err) });
  const to = job.to;
  if ('file' in to) {
    pipeline(check, createWriteStream(to.file, { mode: 0o600 })).then(done, failed).finally(() => (downloading = null));
    return;
  }
  let failedAlready = false;
  const pump = sendChunks(check, to.port, (err) => {
    failedAlready = true;
    finish();
    failed(err);
  });
  const finish = () => {
    downloading = null;
    pump.detach();
    to.port.close();
  };
  check.on('end', () => {
    if (failedAlready) return;
    finish();
    done();
  });
}

daemon.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'apply':
      void apply(m);
      break;
    case 'download':
      download(m);
      break;
    case 'auth': {
      const answer = authAnswer;
      authAnswer = null;
      answer?.({ url: m.url, headers: m.headers, insecureTls: m.insecureTls });
      break;
    }
    case 'fail':
      downloading?.destroy(new Error(m.message));
      break;
    // `chunk` and `end` of an apply job without a port are read by its receiveChunks.
  }
});
