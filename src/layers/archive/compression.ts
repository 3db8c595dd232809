// Recognises a layer's compression by its magic bytes and undoes it: gzip in-process (zlib),
// bzip2, xz and zstd through their programs, as Docker's archive package does for the last three.
import { PassThrough, Readable, Transform, type TransformCallback, Duplex } from 'node:stream';
import { spawn } from 'node:child_process';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { InvalidParameter } from '../../lib/errors.js';

/** Output piece size of in-process gunzip. */
const GUNZIP_CHUNK = 1 << 20;
/** Bytes gunzip may hold on each side, so it keeps inflating while the stages around it work. */
const GUNZIP_BUFFER = 4 << 20;

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGICS: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function detectCompression(head: Buffer): Compression {
  for (const [kind, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

/** Reads the first bytes of `input` and puts them back in front of the rest. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const parts: Buffer[] = [];
  let got = 0;
  let ended = false;
  const iter = input.iterator({ destroyOnReturn: false });
  while (got < n) {
    const r = await iter.next();
    if (r.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
    parts.push(chunk);
    got += chunk.length;
  }
  const head = Buffer.concat(parts);
  if (ended) return { head, stream: Readable.from([head], { objectMode: false }) };
  await iter.return?.();
  input.unshift(head);
  return { head, stream: input };
}

/** A child process as a Duplex: input to stdin, stdout out, failure (exit status, stderr) as an error. */
function programFilter(cmd: string, args: string[]): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const out = new PassThrough();
  const input = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      if (!child.stdin.write(chunk)) child.stdin.once('drain', () => cb());
      else cb();
    },
    flush(cb: TransformCallback) {
      child.stdin.end();
      cb();
    },
  });
  child.stdin.on('error', () => {}); // reported through the exit status
  child.stdout.pipe(out, { end: false });
  let exited = false;
  child.on('error', (err) => out.destroy(new InvalidParameter(`cannot run ${cmd} to decompress the layer: ${err.message}`)));
  child.on('close', (code) => {
    exited = true;
    if (code === 0) out.end();
    else out.destroy(new InvalidParameter(`${cmd} failed to decompress the layer: ${stderr.trim() || `exit status ${code}`}`));
  });
  const duplex = Duplex.from({ writable: input, readable: out });
  duplex.on('close', () => {
    if (!exited) child.kill();
  });
  input.resume();
  return duplex;
}

/** Returns the uncompressed stream of `input`, whatever its compression. */
export async function decompress(input: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const { head, stream } = await peek(input, 6);
  const compression = detectCompression(head);
  switch (compression) {
    case 'none':
      return { compression, stream };
    case 'gzip': {
      // zlib's default 16 KiB output buffer costs a thread-pool round trip per 16 KiB and makes
      // every stage below (hash, tar parse, file writes) work in small pieces.
      // (zlib streams take stream options too; @types/node does not list them.)
      const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK, highWaterMark: GUNZIP_BUFFER } as ZlibOptions);
      stream.on('error', (err) => gunzip.destroy(err));
      return { compression, stream: stream.pipe(gunzip) };
    }
    default: {
      const program = programFilter(compression === 'zstd' ? 'zstd' : compression, ['-d', '-c']);
      stream.on('error', (err) => program.destroy(err));
      return { compression, stream: stream.pipe(program) };
    }
  }
}
