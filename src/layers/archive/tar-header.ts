// The tar entry model shared by the reader and the writer, and the ustar header block layout.
// Times are nanoseconds since the epoch (bigint) so PAX sub-second times survive unchanged;
// PAX values are raw bytes so binary xattrs such as security.capability survive too.

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (no file type bits). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  atimeNs?: bigint;
  ctimeNs?: bigint;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.*` PAX records, values byte for byte. */
  xattrs: Map<string, Buffer>;
  /** Every PAX record that applied to this entry (global then per-entry), raw values. */
  pax: Map<string, Buffer>;
}

export const BLOCK = 512;

/** Offsets and lengths of the ustar header fields. */
export const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

export const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** Entry types whose size field does not announce a body (POSIX; Go's reader agrees). */
export function isHeaderOnly(type: TarEntryType): boolean {
  return type !== 'file';
}

/** Sum of the header bytes with the checksum field counted as spaces. */
export function headerChecksum(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= F.chksum[0] && i < F.chksum[0] + F.chksum[1] ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

const NS = 1_000_000_000n;

/** Formats nanoseconds as a PAX time value ("1700000000.123456789", trailing zeros trimmed). */
export function formatPaxTime(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const sec = abs / NS;
  const frac = (abs % NS).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${sec}${frac ? '.' + frac : ''}`;
}

/** Parses a PAX time value into nanoseconds; digits past nanoseconds are dropped. */
export function parsePaxTime(value: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value);
  if (!m) throw new Error(`invalid PAX time ${JSON.stringify(value)}`);
  const ns = BigInt(m[2]!) * NS + BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return m[1] ? -ns : ns;
}
