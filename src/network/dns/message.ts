// The DNS wire format (RFC 1035) as far as the embedded resolver needs it: header, questions and
// resource records with A, AAAA, PTR and CNAME data decoded (other types kept raw), name
// compression both ways, UDP truncation and the two-byte length prefix of DNS over TCP. Pure.

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Largest DNS message over UDP without EDNS (RFC 1035 4.2.1). */
export const UDP_MAX = 512;

export interface Flags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

/** `data` is an address for A/AAAA, a domain name for PTR/CNAME/NS, the raw RDATA otherwise. */
export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: string | Buffer;
}

export interface Message {
  id: number;
  flags: Flags;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

/** The message does not follow the wire format (answered with FORMERR when its header was readable). */
export class DnsFormatError extends Error {}

const NAME_TYPES = new Set<number>([TYPE.PTR, TYPE.CNAME, TYPE.NS]);

// ---------------------------------------------------------------- decoding

export function decode(buf: Buffer): Message {
  if (buf.length < 12) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than a header`);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  const r = { off: 12 };
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = readName(buf, r);
    need(buf, r.off, 4);
    questions.push({ name, type: buf.readUInt16BE(r.off), class: buf.readUInt16BE(r.off + 2) });
    r.off += 4;
  }
  const section = (n: number) => Array.from({ length: n }, () => readRecord(buf, r));
  return { id: buf.readUInt16BE(0), flags: decodeFlags(buf.readUInt16BE(2)), questions, answers: section(counts[1]), authorities: section(counts[2]), additionals: section(counts[3]) };
}

/** The header's id and flags alone, for answering a message whose body cannot be read. */
export function peekHeader(buf: Buffer): { id: number; flags: Flags } | undefined {
  return buf.length >= 12 ? { id: buf.readUInt16BE(0), flags: decodeFlags(buf.readUInt16BE(2)) } : undefined;
}

function decodeFlags(f: number): Flags {
  return { qr: !!(f & 0x8000), opcode: (f >> 11) & 0xf, aa: !!(f & 0x400), tc: !!(f & 0x200), rd: !!(f & 0x100), ra: !!(f & 0x80), rcode: f & 0xf };
}

function need(buf: Buffer, off: number, n: number): void {
  if (off + n > buf.length) throw new DnsFormatError(`message ends at byte ${buf.length}, inside a field at ${off}`);
}

function readRecord(buf: Buffer, r: { off: number }): ResourceRecord {
  const name = readName(buf, r);
  need(buf, r.off, 10);
  const type = buf.readUInt16BE(r.off);
  const cls = buf.readUInt16BE(r.off + 2);
  const ttl = buf.readUInt32BE(r.off + 4);
  const len = buf.readUInt16BE(r.off + 8);
  r.off += 10;
  need(buf, r.off, len);
  const end = r.off + len;
  let data: string | Buffer;
  if (type === TYPE.A && len === 4) data = [...buf.subarray(r.off, end)].join('.');
  else if (type === TYPE.AAAA && len === 16) data = formatIpv6(buf.subarray(r.off, end));
  else if (NAME_TYPES.has(type)) {
    const inner = { off: r.off };
    data = readName(buf, inner);
    if (inner.off !== end) throw new DnsFormatError(`record data of ${name} is ${len} bytes but holds a name of ${inner.off - r.off}`);
  } else data = Buffer.from(buf.subarray(r.off, end));
  r.off = end;
  return { name, type, class: cls, ttl, data };
}

/** Reads a possibly compressed name; pointers must point backwards, so a loop cannot exist. */
function readName(buf: Buffer, r: { off: number }): string {
  const labels: string[] = [];
  let off = r.off;
  let jumped = false;
  let total = 0;
  for (;;) {
    need(buf, off, 1);
    const len = buf[off]!;
    if ((len & 0xc0) === 0xc0) {
      need(buf, off, 2);
      const target = buf.readUInt16BE(off) & 0x3fff;
      if (target >= off) throw new DnsFormatError(`compression pointer at ${off} does not point backwards`);
      if (!jumped) r.off = off + 2;
      jumped = true;
      off = target;
      continue;
    }
    if (len & 0xc0) throw new DnsFormatError(`unknown label type 0x${len.toString(16)} at ${off}`);
    off++;
    if (len === 0) break;
    need(buf, off, len);
    total += len + 1;
    if (total > 255) throw new DnsFormatError('name longer than 255 bytes');
    labels.push(buf.toString('latin1', off, off + len));
    off += len;
  }
  if (!jumped) r.off = off;
  return labels.join('.');
}

// ---------------------------------------------------------------- encoding

class Writer {
  private buf = Buffer.alloc(512);
  len = 0;
  /** Lower-cased name suffix → offset of its first occurrence, for compression. */
  private readonly names = new Map<string, number>();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  u8(v: number): void {
    this.room(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }

  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  name(name: string): void {
    const labels = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.len < 0x4000) this.names.set(suffix, this.len);
      const label = Buffer.from(labels[i]!, 'latin1');
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function splitName(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (!trimmed) return [];
  const labels = trimmed.split('.');
  let total = 1;
  for (const l of labels) {
    if (!l.length || l.length > 63) throw new DnsFormatError(`invalid label ${JSON.stringify(l)} in name ${JSON.stringify(name)}`);
    total += l.length + 1;
  }
  if (total > 255) throw new DnsFormatError(`name ${name.slice(0, 40)}… is longer than 255 bytes`);
  return labels;
}

function encodeFlags(f: Flags): number {
  return (f.qr ? 0x8000 : 0) | ((f.opcode & 0xf) << 11) | (f.aa ? 0x400 : 0) | (f.tc ? 0x200 : 0) | (f.rd ? 0x100 : 0) | (f.ra ? 0x80 : 0) | (f.rcode & 0xf);
}

export function encode(m: Message): Buffer {
  const w = new Writer();
  w.u16(m.id);
  w.u16(encodeFlags(m.flags));
  for (const n of [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length]) w.u16(n);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) {
    w.name(rr.name);
    w.u16(rr.type);
    w.u16(rr.class);
    w.u32(rr.ttl);
    const lenAt = w.len;
    w.u16(0);
    if (typeof rr.data !== 'string') w.bytes(rr.data);
    else if (rr.type === TYPE.A) w.bytes(parseIpv4(rr.data));
    else if (rr.type === TYPE.AAAA) w.bytes(parseIpv6(rr.data));
    else if (NAME_TYPES.has(rr.type)) w.name(rr.data);
    else w.bytes(Buffer.from(rr.data, 'latin1'));
    w.setU16(lenAt, w.len - lenAt - 2);
  }
  return w.done();
}

/**
 * The message as it may go over UDP: when longer than `max`, the same header and question with
 * TC set and no records, so the client asks again over TCP (RFC 2181 9).
 */
export function encodeForUdp(m: Message, max = UDP_MAX): Buffer {
  const full = encode(m);
  if (full.length <= max) return full;
  return encode({ ...m, flags: { ...m.flags, tc: true }, answers: [], authorities: [], additionals: [] });
}

// ---------------------------------------------------------------- DNS over TCP

/** A message with the two-byte length prefix of DNS over TCP (RFC 1035 4.2.2). */
export function frameTcp(msg: Buffer): Buffer {
  if (msg.length > 0xffff) throw new DnsFormatError(`message of ${msg.length} bytes does not fit a TCP frame`);
  const out = Buffer.alloc(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/** Collects a TCP stream's chunks and hands out the whole messages in it, in order. */
export class TcpFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.pending.length >= 2) {
      const len = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + len) break;
      out.push(Buffer.from(this.pending.subarray(2, 2 + len)));
      this.pending = this.pending.subarray(2 + len);
    }
    return out;
  }
}

// ---------------------------------------------------------------- addresses

function parseIpv4(s: string): Buffer {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new DnsFormatError(`invalid IPv4 address ${s}`);
  return Buffer.from(parts.map(Number));
}

function parseIpv6(s: string): Buffer {
  const [head, tail, extra] = s.split('::');
  if (extra !== undefined) throw new DnsFormatError(`invalid IPv6 address ${s}`);
  const groups = (x: string | undefined) => (x ? x.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...Array<string>(Math.max(fill, 0)).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) throw new DnsFormatError(`invalid IPv6 address ${s}`);
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function formatIpv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 prints addresses.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
