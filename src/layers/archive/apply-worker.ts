// A layer-apply worker thread: runs applyLayer (gunzip, diffID hashing, tar parsing, file
// writes, tar-split recording) on the bytes the daemon sends it, so a 200 MiB layer costs the
// daemon's event loop a copy per piece instead of all of that, and its garbage is collected in
// this thread's small heap instead of the daemon's. Protocol: apply-protocol.ts.
import { parentPort } from 'node:worker_threads';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { applyLayer } from './apply.js';
import { TarSplitRecorder } from '../tar-split.js';
import { IdMapping } from '../../userns/id-mapping.js';
import { BerthError } from '../../lib/errors.js';
import type { ApplyJob, FromWorker, ToWorker, SerializedError } from './apply-protocol.js';

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);

/** The running job's input: fed by `chunk` messages, each credited back once taken. */
let input: Readable | null = null;
let owed = 0;

function serialize(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: e instanceof BerthError ? e.kind : undefined, name: e.name, message: e.message, code: (e as NodeJS.ErrnoException).code };
}

async function run(job: ApplyJob): Promise<void> {
  const stream = new Readable({
    highWaterMark: 4 << 20,
    read() {
      if (owed > 0) send({ type: 'credit', bytes: owed });
      owed = 0;
    },
  });
  // A `fail` from the daemon destroys the stream with its error; whoever reads it then fails
  // with it, and the job ends through the catch below (with no listener it would kill the thread).
  stream.on('error', () => undefined);
  input = stream;
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
    input = null;
    send({ type: 'done', diffId, size });
  } catch (err) {
    input = null;
    stream.destroy();
    await kept?.abort();
    await tarSplit?.abort().catch(() => undefined);
    send({ type: 'error', error: serialize(err) });
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

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'job':
      owed = 0;
      void run(m);
      break;
    case 'chunk':
      if (!input) return; // the job already ended (e.g. the tar finished before the padding)
      if (input.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))) send({ type: 'credit', bytes: m.data.byteLength });
      else owed += m.data.byteLength;
      break;
    case 'end':
      input?.push(null);
      break;
    case 'fail':
      input?.destroy(new Error(m.message));
      break;
  }
});
