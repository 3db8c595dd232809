// Tar-split: what it takes to give back a layer's tar byte for byte after the layer was extracted.
// While a layer is applied, every header block (PAX and GNU long-name blocks included), padding and
// trailer is recorded verbatim and each file body only as {path, size}; replay reads bodies back
// from the extracted layer. Stored as gzipped JSON lines (tar-split.json.gz), as Docker keeps it.
import { createReadStream, createWriteStream, promises as fs, constants as fsc, type WriteStream } from 'node:fs';
import { join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { InvalidParameter, SystemError } from '../lib/errors.js';
import { BLOCK, F } from './archive/tar-header.js';
import { parseNumeric, parsePaxRecords } from './archive/tar-reader.js';
import { resolveInRoot } from './archive/root-path.js';

/** What applyLayer feeds: the raw uncompressed tar through `tap()`, and where each entry's body went. */
export interface TarSplitSink {
  /** A pass-through placed on the uncompressed tar ahead of the tar reader. */
  tap(): Transform;
  /**
   * Called once per tar entry, in archive order, after the entry was applied: the path (relative
   * to the layer directory) its body was written to, or null when the body was not kept on disk.
   */
  entryApplied(bodyPath: string | null): void;
}

/**
 * One line of the file. `r`: raw bytes (base64); `z`: that many zero bytes; `f`+`n`: a body read
 * from the layer; `d`: a body kept inline (base64); `end`: the total tar size, always last.
 */
type Line = { r: string } | { z: number } | { f: string; n: number } | { d: string } | { end: number } | { tarsplit: number };

/** Bodies the applier does not keep (whiteouts with data, odd markers) are inlined up to this size. */
const INLINE_MAX = 1 << 20;
const META_MAX = 16 << 20;
const FORMAT_VERSION = 1;

interface PendingBody {
  entry: number;
  size: number;
  /** Pieces of the body while it stays under INLINE_MAX; null once it outgrew it. */
  kept: Buffer[] | null;
  complete: boolean;
}

type Item = { raw: Buffer } | { body: PendingBody };

type Mode = 'header' | 'meta' | 'body' | 'pad' | 'trailer';

const allZero = (b: Buffer) => b.every((x) => x === 0);

function cstring(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return (nul < 0 ? buf : buf.subarray(0, nul)).toString('utf8');
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** Records a layer's tar-split while applyLayer runs; `finish()` seals the file. */
export class TarSplitRecorder implements TarSplitSink {
  private gzip: Gzip;
  private file: WriteStream;
  private fileDone: Promise<void>;
  private total = 0;
  private failed: Error | null = null;

  // parser state of the raw stream
  private mode: Mode = 'header';
  private block: Buffer[] = [];
  private blockLen = 0;
  private remaining = 0;
  private metaFlag = '';
  private metaSize = 0;
  private padAfterBody = 0;
  private meta: Buffer[] = [];
  private headerRaw: Buffer[] = [];
  private globalPax = new Map<string, Buffer>();
  private localPax = new Map<string, Buffer>();
  private longName: string | null = null;
  private current: PendingBody | null = null;
  private entries = 0;

  // output ordering: items wait until the body in front of them is decided
  private queue: Item[] = [];
  private decisions: (string | null)[] = [];

  constructor(readonly path: string) {
    this.gzip = createGzip();
    const file = (this.file = createWriteStream(path, { mode: 0o600 }));
    this.gzip.pipe(file);
    this.gzip.on('error', (err) => this.fail(err));
    file.on('error', (err) => this.fail(err));
    this.fileDone = finished(file).then(
      () => undefined,
      (err: Error) => this.fail(err),
    );
    this.writeLine({ tarsplit: FORMAT_VERSION });
  }

  private fail(err: Error): void {
    this.failed ??= err;
  }

  private writeLine(line: Line): boolean {
    return this.gzip.write(JSON.stringify(line) + '\n');
  }

  private emitRaw(b: Buffer): void {
    if (b.length === 0) return;
    this.total += b.length;
    this.writeLine(allZero(b) ? { z: b.length } : { r: b.toString('base64') });
  }

  tap(): Transform {
    return new Transform({
      // As DigestStream: a few pieces of slack between hashing and the tar reader.
      highWaterMark: 4 << 20,
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        try {
          this.consume(chunk);
          this.flushQueue();
        } catch (err) {
          cb(err as Error);
          return;
        }
        if (this.failed) return cb(this.failed);
        // The recorder's own output must not run ahead of the disk without bound.
        if (this.gzip.writableNeedDrain) this.gzip.once('drain', () => cb(null, chunk));
        else cb(null, chunk);
      },
    });
  }

  entryApplied(bodyPath: string | null): void {
    this.decisions.push(bodyPath);
    this.flushQueue();
  }

  /** Splits raw bytes into header groups, bodies, padding and trailer. */
  private consume(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.mode) {
        case 'trailer':
          this.queue.push({ raw: chunk.subarray(pos) });
          return;
        case 'header': {
          const take = Math.min(BLOCK - this.blockLen, chunk.length - pos);
          this.block.push(chunk.subarray(pos, pos + take));
          this.blockLen += take;
          pos += take;
          if (this.blockLen === BLOCK) {
            const block = Buffer.concat(this.block, BLOCK);
            this.block = [];
            this.blockLen = 0;
            this.header(block);
          }
          break;
        }
        case 'meta': {
          const take = Math.min(this.remaining, chunk.length - pos);
          const part = chunk.subarray(pos, pos + take);
          this.meta.push(part);
          this.headerRaw.push(part);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.endMeta();
          break;
        }
        case 'body': {
          const take = Math.min(this.remaining, chunk.length - pos);
          const part = chunk.subarray(pos, pos + take);
          const body = this.current!;
          if (body.kept) body.kept.push(part);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.endBody();
          break;
        }
        case 'pad': {
          const take = Math.min(this.remaining, chunk.length - pos);
          this.queue.push({ raw: chunk.subarray(pos, pos + take) });
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.mode = 'header';
          break;
        }
      }
    }
  }

  private header(block: Buffer): void {
    if (allZero(block)) {
      // The tar reader stops at the first zero block; all that follows is kept as it came.
      this.queue.push({ raw: block });
      this.mode = 'trailer';
      return;
    }
    const flag = String.fromCharCode(block[F.typeflag[0]]!);
    const size = parseNumeric(block.subarray(F.size[0], F.size[0] + F.size[1]), 'size', 0);
    this.headerRaw.push(block);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > META_MAX) throw new InvalidParameter(`tar extended header is too large (${size} bytes)`);
      this.metaFlag = flag;
      this.meta = [];
      this.remaining = size + pad(size);
      this.metaSize = size;
      if (this.remaining === 0) this.endMeta();
      else this.mode = 'meta';
      return;
    }
    const pax = new Map([...this.globalPax, ...this.localPax]);
    this.localPax = new Map();
    const magic = block.subarray(F.magic[0], F.magic[0] + F.magic[1]).toString('latin1');
    const rawName = cstring(block.subarray(F.name[0], F.name[0] + F.name[1]));
    const prefix = magic === 'ustar\0' ? cstring(block.subarray(F.prefix[0], F.prefix[0] + F.prefix[1])) : '';
    const paxPath = pax.get('path');
    const name = paxPath?.length ? paxPath.toString('utf8') : (this.longName ?? (prefix ? `${prefix}/${rawName}` : rawName));
    this.longName = null;
    // Only regular files carry data, whatever the size field of other types says (as Go's reader).
    const isFile = (flag === '\0' || flag === '0' || flag === '7') && !name.endsWith('/');
    const paxSize = pax.get('size');
    const dataSize = !isFile ? 0 : paxSize?.length ? Number(paxSize.toString('latin1')) : size;
    if (!Number.isSafeInteger(dataSize) || dataSize < 0) throw new InvalidParameter(`invalid size for tar entry ${JSON.stringify(name)}`);
    this.queue.push({ raw: Buffer.concat(this.headerRaw) });
    this.headerRaw = [];
    const entry = this.entries++;
    if (dataSize === 0) {
      this.mode = 'header';
      return;
    }
    this.current = { entry, size: dataSize, kept: dataSize <= INLINE_MAX ? [] : null, complete: false };
    this.queue.push({ body: this.current });
    this.remaining = dataSize;
    this.mode = 'body';
    this.padAfterBody = pad(dataSize);
  }

  private endMeta(): void {
    const data = Buffer.concat(this.meta).subarray(0, this.metaSize);
    this.meta = [];
    if (this.metaFlag === 'x') {
      for (const [k, v] of parsePaxRecords(data, 'a PAX header')) this.localPax.set(k, v);
    } else if (this.metaFlag === 'g') {
      for (const [k, v] of parsePaxRecords(data, 'a global PAX header')) {
        if (v.length === 0) this.globalPax.delete(k);
        else this.globalPax.set(k, v);
      }
    } else if (this.metaFlag === 'L') {
      this.longName = cstring(data);
    }
    this.mode = 'header';
  }

  private endBody(): void {
    this.current!.complete = true;
    this.current = null;
    this.remaining = this.padAfterBody;
    this.mode = this.remaining ? 'pad' : 'header';
  }

  private flushQueue(): void {
    while (this.queue.length) {
      const item = this.queue[0]!;
      if ('raw' in item) {
        this.emitRaw(item.raw);
      } else {
        const b = item.body;
        if (!b.complete || this.decisions.length <= b.entry) return;
        const path = this.decisions[b.entry];
        if (path !== null && path !== undefined) {
          this.writeLine({ f: path, n: b.size });
        } else if (b.kept) {
          this.writeLine({ d: Buffer.concat(b.kept).toString('base64') });
        } else {
          throw new InvalidParameter(`cannot record the layer's tar-split: entry ${b.entry} has ${b.size} bytes of data that are not extracted`);
        }
        this.total += b.size;
      }
      this.queue.shift();
    }
  }

  /** Seals the file once the apply succeeded; returns the size of the uncompressed tar. */
  async finish(): Promise<number> {
    this.flushQueue();
    if (this.queue.length || this.decisions.length !== this.entries || !(this.mode === 'header' || this.mode === 'trailer') || this.blockLen) {
      throw new SystemError('tar-split recording is out of step with the applied layer');
    }
    this.writeLine({ end: this.total });
    this.gzip.end();
    await this.fileDone;
    if (this.failed) throw new SystemError(`cannot write ${this.path}: ${this.failed.message}`, { cause: this.failed });
    return this.total;
  }

  /** Drops the file after a failed apply. */
  async abort(): Promise<void> {
    this.gzip.destroy();
    // A file still being opened is created after destroy() returns: remove it once it is closed.
    const closed = this.file.closed ? Promise.resolve() : new Promise<void>((r) => this.file.once('close', () => r()));
    this.file.destroy();
    await this.fileDone;
    await closed;
    await fs.rm(this.path, { force: true });
  }
}

async function* lines(tarSplitPath: string): AsyncGenerator<Line> {
  const input = createReadStream(tarSplitPath).pipe(createGunzip());
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    let first = true;
    for await (const text of rl) {
      if (text === '') continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        throw new SystemError(`corrupt tar-split file ${tarSplitPath}`);
      }
      if (first) {
        if (!('tarsplit' in line) || line.tarsplit !== FORMAT_VERSION) throw new SystemError(`unsupported tar-split file ${tarSplitPath}`);
        first = false;
        continue;
      }
      yield line;
    }
  } finally {
    rl.close();
    input.destroy();
  }
}

/** The size of the tar a tar-split file gives back (its last line). */
export async function tarSplitSize(tarSplitPath: string): Promise<number> {
  let end: number | undefined;
  for await (const line of lines(tarSplitPath)) if ('end' in line) end = line.end;
  if (end === undefined) throw new SystemError(`tar-split file ${tarSplitPath} is truncated`);
  return end;
}

const ZEROS = Buffer.alloc(64 * 1024);
/** Bodies are read back in large pieces: fewer reads and fewer, larger chunks for push's gzip. */
const BODY_READ = 1 << 20;

/** A body path from the file, refused when it could leave the layer directory. */
async function bodyFile(layerDir: string, rel: string): Promise<string> {
  const clean = posix.normalize(rel);
  if (rel === '' || rel.startsWith('/') || clean === '..' || clean.startsWith('../')) {
    throw new SystemError(`tar-split names a file outside the layer: ${JSON.stringify(rel)}`);
  }
  return resolveInRoot(layerDir, clean, false);
}

/** Reproduces the original uncompressed layer tar from its tar-split and the extracted layer. */
export function layerTarStream(layerDir: string, tarSplitPath: string): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    let total = 0;
    let sealed = false;
    for await (const line of lines(tarSplitPath)) {
      if ('r' in line) {
        const b = Buffer.from(line.r, 'base64');
        total += b.length;
        yield b;
      } else if ('z' in line) {
        for (let left = line.z; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
        total += line.z;
      } else if ('d' in line) {
        const b = Buffer.from(line.d, 'base64');
        total += b.length;
        yield b;
      } else if ('f' in line) {
        const path = await bodyFile(layerDir, line.f);
        const fh = await fs.open(path, fsc.O_RDONLY | fsc.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
          throw new SystemError(`layer file ${JSON.stringify(line.f)} cannot be read back: ${err.message}`, { cause: err });
        });
        let got = 0;
        try {
          if (line.n > 0) {
            for await (const chunk of fh.createReadStream({ start: 0, end: line.n - 1, autoClose: false, highWaterMark: BODY_READ }) as AsyncIterable<Buffer>) {
              got += chunk.length;
              yield chunk;
            }
          }
        } finally {
          await fh.close();
        }
        if (got !== line.n) throw new SystemError(`layer file ${JSON.stringify(line.f)} has ${got} bytes, its tar entry ${line.n}: the layer changed`);
        total += got;
      } else if ('end' in line) {
        if (line.end !== total) throw new SystemError(`tar-split file ${tarSplitPath} does not add up (${total} of ${line.end} bytes)`);
        sealed = true;
      }
    }
    if (!sealed) throw new SystemError(`tar-split file ${tarSplitPath} is truncated`);
  }
  return Readable.from(generate(), { objectMode: false });
}

/** The tar-split file of a layer in its layerdb directory. */
export function tarSplitPathIn(layerDbDir: string): string {
  return join(layerDbDir, 'tar-split.json.gz');
}
