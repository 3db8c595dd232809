// Tar encoder: ustar headers, with a PAX extended header (as Go's archive/tar writes for Docker)
// whenever a value does not fit ustar: long or non-ASCII names, large sizes or ids, sub-second
// mtimes and xattrs (raw bytes). Streams entries out of an async iterable with backpressure.
import { Readable } from 'node:stream';
import { BLOCK, F, formatPaxTime, TYPE_FLAGS, type TarHeader } from './tar-header.js';

export type TarWriteHeader = Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>;

export interface TarWriteEntry {
  header: TarWriteHeader;
  /** File contents; its length must equal header.size. */
  body?: Readable | Buffer;
}

const NS = 1_000_000_000n;

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

function fitsOctal(value: number, width: number): boolean {
  return value >= 0 && value < 8 ** (width - 1);
}

function writeString(block: Buffer, f: readonly [number, number], value: string): void {
  Buffer.from(value, 'utf8').copy(block, f[0], 0, f[1]);
}

/** Octal with a NUL terminator, or GNU base-256 when the value does not fit. */
function writeNumeric(block: Buffer, f: readonly [number, number], value: number): void {
  const [off, len] = f;
  if (fitsOctal(value, len)) {
    block.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
    return;
  }
  let v = BigInt(value);
  for (let i = off + len - 1; i > off; i--) {
    block[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[off] = value < 0 ? 0xff : 0x80;
}

/** Encodes PAX records in sorted key order, each "LEN key=value\n" with LEN counting itself. */
export function encodePaxRecords(records: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const key of [...records.keys()].sort()) {
    const value = records.get(key)!;
    const bodyLen = Buffer.byteLength(key) + value.length + 3; // ' ' '=' '\n'
    let len = bodyLen + String(bodyLen).length;
    if (String(len).length !== String(bodyLen).length) len = bodyLen + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=`), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

function ustarBlock(h: Required<Pick<TarHeader, 'name' | 'mode' | 'uid' | 'gid' | 'size' | 'linkname' | 'uname' | 'gname' | 'devmajor' | 'devminor'>> & { flag: string; mtime: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, F.name, h.name);
  writeNumeric(block, F.mode, h.mode);
  writeNumeric(block, F.uid, h.uid);
  writeNumeric(block, F.gid, h.gid);
  writeNumeric(block, F.size, h.size);
  writeNumeric(block, F.mtime, h.mtime);
  block.write(h.flag, F.typeflag[0], 1, 'latin1');
  writeString(block, F.linkname, h.linkname);
  block.write('ustar\x0000', F.magic[0], 8, 'latin1');
  writeString(block, F.uname, h.uname);
  writeString(block, F.gname, h.gname);
  writeNumeric(block, F.devmajor, h.devmajor);
  writeNumeric(block, F.devminor, h.devminor);
  block.fill(0x20, F.chksum[0], F.chksum[0] + F.chksum[1]);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', F.chksum[0], 8, 'latin1');
  return block;
}

function padTo(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

/** The header blocks (PAX header when needed, then ustar) for one entry. */
export function encodeHeader(h: TarWriteHeader): Buffer {
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  const uname = h.uname ?? '';
  const gname = h.gname ?? '';
  const linkname = h.linkname ?? '';
  const mtimeNs = h.mtimeNs ?? 0n;
  const name = h.type === 'dir' && !h.name.endsWith('/') ? h.name + '/' : h.name;

  const pax = new Map<string, Buffer>();
  const str = (k: string, v: string) => pax.set(k, Buffer.from(v, 'utf8'));
  if (Buffer.byteLength(name) > F.name[1] || !isAscii(name)) str('path', name);
  if (Buffer.byteLength(linkname) > F.linkname[1] || !isAscii(linkname)) str('linkpath', linkname);
  if (!fitsOctal(size, F.size[1])) str('size', String(size));
  if (!fitsOctal(uid, F.uid[1])) str('uid', String(uid));
  if (!fitsOctal(gid, F.gid[1])) str('gid', String(gid));
  if (Buffer.byteLength(uname) > F.uname[1] || !isAscii(uname)) str('uname', uname);
  if (Buffer.byteLength(gname) > F.gname[1] || !isAscii(gname)) str('gname', gname);
  if (mtimeNs % NS !== 0n || mtimeNs < 0n || !fitsOctal(Number(mtimeNs / NS), F.mtime[1])) str('mtime', formatPaxTime(mtimeNs));
  if (h.atimeNs !== undefined) str('atime', formatPaxTime(h.atimeNs));
  if (h.ctimeNs !== undefined) str('ctime', formatPaxTime(h.ctimeNs));
  for (const [k, v] of h.xattrs ?? []) pax.set(`SCHILY.xattr.${k}`, v);

  let mtimeSec = Number(mtimeNs / NS);
  if (mtimeNs < 0n && mtimeNs % NS !== 0n) mtimeSec -= 1;
  const main = ustarBlock({
    name: name.slice(0, F.name[1]),
    flag: TYPE_FLAGS[h.type],
    mode: (h.mode ?? 0) & 0o7777,
    uid,
    gid,
    size,
    mtime: Math.max(0, mtimeSec),
    linkname,
    uname,
    gname,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  });
  if (pax.size === 0) return main;

  const records = encodePaxRecords(pax);
  // Go names the PAX header "<dir>/PaxHeaders.0/<base>"; readers ignore it, so only its form matters.
  const slash = name.replace(/\/$/, '').lastIndexOf('/');
  const paxName = (slash >= 0 ? `${name.slice(0, slash)}/PaxHeaders.0/${name.slice(slash + 1)}` : `PaxHeaders.0/${name}`).replace(/\/$/, '');
  const paxHeader = ustarBlock({
    name: Buffer.from(paxName).subarray(0, F.name[1]).toString('latin1').replace(/[^\x00-\x7f]/g, '_'),
    flag: 'x',
    mode: 0,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0,
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHeader, records, padTo(records.length), main]);
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

/** Encodes entries into a tar stream. A body shorter or longer than header.size is an error. */
export function writeTar(entries: AsyncIterable<TarWriteEntry> | Iterable<TarWriteEntry>): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for await (const { header, body } of entries) {
      yield encodeHeader(header);
      if (header.type !== 'file') continue;
      const size = header.size ?? 0;
      let written = 0;
      if (Buffer.isBuffer(body)) {
        written = body.length;
        if (written === size) yield body;
      } else if (body) {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          written += chunk.length;
          if (written > size) break;
          yield chunk;
        }
      }
      if (written !== size) {
        throw new Error(`tar: ${header.name} changed while it was archived: expected ${size} bytes, got ${written}${written > size ? '+' : ''}`);
      }
      if (size % BLOCK) yield padTo(size);
    }
    yield END_OF_ARCHIVE;
  }
  return Readable.from(generate(), { objectMode: false });
}
