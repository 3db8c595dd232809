// Rewrites the owner ids of every entry in a tar stream (ustar uid/gid fields and PAX uid/gid
// records), leaving names, bodies and everything else as they are. userns-remap uses it to show a
// remapped container's files with the ids they have inside (docker cp out, export, commit, build).
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { BLOCK, F, headerChecksum } from './tar-header.js';
import { parseNumeric, parsePaxRecords } from './tar-reader.js';
import { encodePaxRecords } from './tar-writer.js';

/** Host ids → the ids a container sees (src/userns/id-mapping.ts implements it). */
export interface IdUnshift {
  toContainer(uid: number, gid: number): [number, number];
}

// Entry types whose size field announces no body (Go's reader ignores it for them too).
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
const PAX = new Set(['x', 'g']);

function fitsOctal(value: number, width: number): boolean {
  return value >= 0 && value < 8 ** (width - 1);
}

function writeOctal(block: Buffer, f: readonly [number, number], value: number): void {
  block.write(value.toString(8).padStart(f[1] - 1, '0') + '\0', f[0], f[1], 'latin1');
}

function num(block: Buffer, f: readonly [number, number], name: string, at: number): number {
  return parseNumeric(block.subarray(f[0], f[0] + f[1]), name, at);
}

function setChecksum(block: Buffer): void {
  block.write(headerChecksum(block).unsigned.toString(8).padStart(6, '0') + '\0 ', F.chksum[0], F.chksum[1], 'latin1');
}

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

class IdRewriter extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  /** Body bytes (with padding) still to pass through unchanged. */
  private passLeft = 0;
  /** A PAX header whose body is being collected: its header block and announced size. */
  private pax?: { header: Buffer; size: number };
  private offset = 0;

  constructor(private readonly ids: IdUnshift) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      this.drain();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.pending.length) this.push(this.pending);
    cb();
  }

  private drain(): void {
    for (;;) {
      if (this.passLeft > 0) {
        if (!this.pending.length) return;
        const n = Math.min(this.passLeft, this.pending.length);
        this.push(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        this.passLeft -= n;
        this.offset += n;
        continue;
      }
      if (this.pax) {
        const total = this.pax.size + padding(this.pax.size);
        if (this.pending.length < total) return;
        this.emitPax(this.pax.header, this.pending.subarray(0, this.pax.size));
        this.pending = this.pending.subarray(total);
        this.offset += total;
        this.pax = undefined;
        continue;
      }
      if (this.pending.length < BLOCK) return;
      const header = Buffer.from(this.pending.subarray(0, BLOCK));
      this.pending = this.pending.subarray(BLOCK);
      const at = this.offset;
      this.offset += BLOCK;
      if (header.every((b) => b === 0)) {
        this.push(header);
        continue;
      }
      const flag = String.fromCharCode(header[F.typeflag[0]]!);
      const size = num(header, F.size, 'size', at);
      if (PAX.has(flag)) {
        this.pax = { header, size };
        continue;
      }
      this.rewriteHeader(header, at);
      this.push(header);
      this.passLeft = HEADER_ONLY.has(flag) ? 0 : size + padding(size);
    }
  }

  private rewriteHeader(header: Buffer, at: number): void {
    const [uid, gid] = this.ids.toContainer(num(header, F.uid, 'uid', at), num(header, F.gid, 'gid', at));
    // A value too large for the octal field lives in a PAX record, rewritten separately.
    if (fitsOctal(uid, F.uid[1])) writeOctal(header, F.uid, uid);
    if (fitsOctal(gid, F.gid[1])) writeOctal(header, F.gid, gid);
    setChecksum(header);
  }

  private emitPax(header: Buffer, body: Buffer): void {
    const records = parsePaxRecords(body, 'PAX header');
    const uid = records.get('uid');
    const gid = records.get('gid');
    if (!uid && !gid) {
      this.push(header);
      this.push(body);
      this.push(Buffer.alloc(padding(body.length)));
      return;
    }
    const [u, g] = this.ids.toContainer(uid ? Number(uid.toString()) : 0, gid ? Number(gid.toString()) : 0);
    if (uid) records.set('uid', Buffer.from(String(u)));
    if (gid) records.set('gid', Buffer.from(String(g)));
    const out = encodePaxRecords(records);
    writeOctal(header, F.size, out.length);
    setChecksum(header);
    this.push(header);
    this.push(out);
    this.push(Buffer.alloc(padding(out.length)));
  }
}

/** `input` with every owner id translated; `ids` undefined returns `input` itself. */
export function translateTarIds(input: Readable, ids: IdUnshift | undefined): Readable {
  if (!ids) return input;
  const out = new IdRewriter(ids);
  input.on('error', (e) => out.destroy(e));
  return input.pipe(out);
}
