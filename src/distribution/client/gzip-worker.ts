// Worker thread of ParallelGzip: compresses each chunk it is sent into one complete gzip member.
import { parentPort } from 'node:worker_threads';
import { gzipSync, constants } from 'node:zlib';

parentPort?.on('message', (m: { id: number; data: Uint8Array; level: number }) => {
  const out = gzipSync(m.data, { level: m.level ?? constants.Z_DEFAULT_COMPRESSION });
  const ab = out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  parentPort!.postMessage({ id: m.id, data: new Uint8Array(ab) }, [ab]);
});
