// Streaming tar parser: ustar, GNU long names/links (L/K) and base-256 numbers, PAX per-entry (x)
// and global (g) records kept as raw bytes. Each entry's body is a stream that the caller reads or
// leaves; moving to the next entry skips what was left. Malformed or truncated input is refused.
import { Readable } from 'node:stream';
import { InvalidParameter } from '../../lib/errors.js';
import { BLOCK, F, headerChecksum, isHeaderOnly, parsePaxTime, type TarEntryType, type TarHeader } from './tar-header.js';

export interface TarEntry {
  header: TarHeader;
  /** The entry's data (empty for non-files). Read it to the end, or ignore it to skip it. */
  body: Readable;
}

/** Largest PAX or GNU long-name body accepted, so a hostile header cannot exhaust memory. */
const MAX_META_SIZE = 16 << 20;
const EMPTY = Buffer.alloc(0);
/** Bodies are handed on in pieces as large as the input gives, up to this: large file writes. */
const BODY_PIECE = 1 << 20;

export class TarFormatError extends InvalidParameter {}

/** Pulls exact byte counts out of a Readable without destroying it when the archive ends early. */
class ByteSource {
  private chunk: Buffer = EMPTY;
  private iter: AsyncIterator<Buffer>;
  offset = 0;
  private done = false;

  constructor(input: Readable) {
    this.iter = input.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async fill(): Promise<boolean> {
    while (this.chunk.length === 0) {
      if (this.done) return false;
      const r = await this.iter.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      this.chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
    return true;
  }

  /** Up to `max` bytes (at least one), or null at the end of the input. */
  async readUpTo(max: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const out = this.chunk.subarray(0, max);
    this.chunk = this.chunk.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** Exactly `n` bytes; null if the input ended before the first byte; short input throws `what`. */
  async readExact(n: number, what: () => string): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const part = await this.readUpTo(n - got);
      if (!part) {
        if (got === 0) return null;
        throw new TarFormatError(`unexpected end of tar stream ${what()}`);
      }
      parts.push(part);
      got += part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  async skip(n: number, what: () => string): Promise<void> {
    while (n > 0) {
      const part = await this.readUpTo(Math.min(n, 1 << 20));
      if (!part) throw new TarFormatError(`unexpected end of tar stream ${what()}`);
      n -= part.length;
    }
  }

  async drain(): Promise<void> {
    while (await this.readUpTo(1 << 20));
  }
}

/** The data of one entry, read from the shared source only while it is the current entry. */
class EntryBody extends Readable {
  remaining: number;
  pending: Promise<void> | null = null;

  constructor(
    private src: ByteSource,
    size: number,
    private label: string,
  ) {
    super({ highWaterMark: BODY_PIECE });
    this.remaining = size;
    if (size === 0) this.push(null);
  }

  override _read(size: number): void {
    if (this.remaining === 0 || this.pending) return;
    this.pending = this.src.readUpTo(Math.min(this.remaining, Math.max(size, BODY_PIECE))).then(
      (chunk) => {
        this.pending = null;
        if (!chunk) {
          this.destroy(new TarFormatError(`unexpected end of tar stream in the data of ${this.label}`));
          return;
        }
        this.remaining -= chunk.length;
        this.push(chunk);
        if (this.remaining === 0) this.push(null);
      },
      (err: Error) => {
        this.pending = null;
        this.destroy(err);
      },
    );
  }
}

function cstring(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return (nul < 0 ? buf : buf.subarray(0, nul)).toString('utf8');
}

function field(block: Buffer, f: readonly [number, number]): Buffer {
  return block.subarray(f[0], f[0] + f[1]);
}

/** Octal ASCII (NUL/space padded) or GNU base-256 (high bit of the first byte set). */
export function parseNumeric(buf: Buffer, name: string, offset: number): number {
  if (buf.length > 0 && buf[0]! & 0x80) {
    const negative = buf[0] === 0xff;
    let v = BigInt(buf[0]! & 0x7f);
    for (let i = 1; i < buf.length; i++) v = (v << 8n) | BigInt(buf[i]!);
    if (negative) v -= 1n << BigInt(buf.length * 8 - 1);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TarFormatError(`invalid tar header at byte ${offset}: ${name} out of range`);
    }
    return Number(v);
  }
  const text = buf.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new TarFormatError(`invalid tar header at byte ${offset}: ${name} field ${JSON.stringify(text)} is not octal`);
  }
  return parseInt(text, 8);
}

/** Parses PAX records ("LEN key=value\n") keeping every value as raw bytes. */
export function parsePaxRecords(data: Buffer, label: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record block with NULs
    const sp = data.indexOf(0x20, pos);
    const len = sp < 0 ? NaN : Number(data.toString('latin1', pos, sp));
    const end = pos + len;
    if (!Number.isInteger(len) || len <= sp - pos + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw new TarFormatError(`invalid PAX record in ${label}`);
    }
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end) throw new TarFormatError(`invalid PAX record in ${label}`);
    out.set(data.toString('utf8', sp + 1, eq), data.subarray(eq + 1, end - 1));
    pos = end;
  }
  return out;
}

function typeOf(flag: number, name: string): TarEntryType | null {
  switch (String.fromCharCode(flag)) {
    case '\0':
    case '0':
    case '7':
      // Pre-POSIX archives mark directories only by a trailing slash.
      return name.endsWith('/') ? 'dir' : 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return null;
  }
}

function paxNumber(pax: Map<string, Buffer>, key: string, fallback: number, label: string): number {
  const v = pax.get(key);
  if (v === undefined || v.length === 0) return fallback;
  const s = v.toString('latin1');
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new TarFormatError(`invalid PAX ${key} ${JSON.stringify(s)} for ${label}`);
  return Number(s);
}

function paxString(pax: Map<string, Buffer>, key: string): string | undefined {
  const v = pax.get(key);
  return v === undefined || v.length === 0 ? undefined : v.toString('utf8');
}

function paxTime(pax: Map<string, Buffer>, key: string, label: string): bigint | undefined {
  const v = paxString(pax, key);
  if (v === undefined) return undefined;
  try {
    return parsePaxTime(v);
  } catch {
    throw new TarFormatError(`invalid PAX ${key} ${JSON.stringify(v)} for ${label}`);
  }
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * Iterates over the entries of a tar stream. The input is read to its end (trailing padding
 * included, so a digest computed upstream covers every byte) unless iteration stops early,
 * in which case the input is destroyed.
 */
export async function* readTar(input: Readable): AsyncGenerator<TarEntry, void, undefined> {
  const src = new ByteSource(input);
  let globalPax = new Map<string, Buffer>();
  let localPax: Map<string, Buffer> | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  let finished = false;
  try {
    for (;;) {
      const at = src.offset;
      const block = await src.readExact(BLOCK, () => `in the tar header at byte ${at}`);
      if (!block) {
        if (localPax || longName !== null || longLink !== null) {
          throw new TarFormatError('unexpected end of tar stream after an extended header');
        }
        break;
      }
      if (block.every((b) => b === 0)) break;
      const sum = parseNumeric(field(block, F.chksum), 'checksum', at);
      const want = headerChecksum(block);
      if (sum !== want.unsigned && sum !== want.signed) {
        throw new TarFormatError(`invalid tar header at byte ${at}: checksum mismatch (not a tar archive, or corrupt)`);
      }
      const flag = block[F.typeflag[0]]!;
      const size = parseNumeric(field(block, F.size), 'size', at);
      const flagChar = String.fromCharCode(flag);
      if (flagChar === 'x' || flagChar === 'g' || flagChar === 'L' || flagChar === 'K') {
        if (size > MAX_META_SIZE) throw new TarFormatError(`tar extended header at byte ${at} is too large (${size} bytes)`);
        const what = () => `in the extended header at byte ${at}`;
        const data = (await src.readExact(size, what)) ?? EMPTY;
        if (size > 0 && data.length === 0) throw new TarFormatError(`unexpected end of tar stream ${what()}`);
        await src.skip(padding(size), what);
        if (flagChar === 'x') {
          localPax = new Map([...(localPax ?? []), ...parsePaxRecords(data, `the PAX header at byte ${at}`)]);
        } else if (flagChar === 'g') {
          for (const [k, v] of parsePaxRecords(data, `the global PAX header at byte ${at}`)) {
            if (v.length === 0) globalPax.delete(k);
            else globalPax.set(k, v);
          }
          globalPax = new Map(globalPax);
        } else if (flagChar === 'L') {
          longName = cstring(data);
        } else {
          longLink = cstring(data);
        }
        continue;
      }

      const pax = new Map([...globalPax, ...(localPax ?? [])]);
      localPax = null;
      const magic = field(block, F.magic).toString('latin1');
      const rawName = cstring(field(block, F.name));
      const prefix = magic === 'ustar\0' ? cstring(field(block, F.prefix)) : '';
      const name = paxString(pax, 'path') ?? longName ?? (prefix ? `${prefix}/${rawName}` : rawName);
      const linkname = paxString(pax, 'linkpath') ?? longLink ?? cstring(field(block, F.linkname));
      longName = longLink = null;
      const label = JSON.stringify(name);
      const type = typeOf(flag, name);
      if (!type) {
        throw new TarFormatError(`unsupported tar entry type ${JSON.stringify(flagChar)} for ${label}`);
      }
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
      const header: TarHeader = {
        name,
        type,
        mode: parseNumeric(field(block, F.mode), 'mode', at) & 0o7777,
        uid: paxNumber(pax, 'uid', parseNumeric(field(block, F.uid), 'uid', at), label),
        gid: paxNumber(pax, 'gid', parseNumeric(field(block, F.gid), 'gid', at), label),
        size: paxNumber(pax, 'size', size, label),
        mtimeNs: paxTime(pax, 'mtime', label) ?? BigInt(parseNumeric(field(block, F.mtime), 'mtime', at)) * 1_000_000_000n,
        linkname,
        uname: paxString(pax, 'uname') ?? cstring(field(block, F.uname)),
        gname: paxString(pax, 'gname') ?? cstring(field(block, F.gname)),
        devmajor: type === 'char' || type === 'block' ? parseNumeric(field(block, F.devmajor), 'devmajor', at) : 0,
        devminor: type === 'char' || type === 'block' ? parseNumeric(field(block, F.devminor), 'devminor', at) : 0,
        xattrs,
        pax,
      };
      const atime = paxTime(pax, 'atime', label);
      if (atime !== undefined) header.atimeNs = atime;
      const ctime = paxTime(pax, 'ctime', label);
      if (ctime !== undefined) header.ctimeNs = ctime;

      const dataSize = isHeaderOnly(type) ? 0 : header.size;
      const body = new EntryBody(src, dataSize, label);
      yield { header, body };
      // Whatever the caller did not read is skipped here, once its last read has settled.
      if (body.pending) await body.pending;
      const what = () => `in the data of ${label}`;
      const left = body.remaining;
      body.remaining = 0;
      if (!body.readableEnded) body.destroy();
      await src.skip(left + padding(dataSize), what);
    }
    await src.drain();
    finished = true;
  } finally {
    if (!finished) input.destroy();
  }
}
