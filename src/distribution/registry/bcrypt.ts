// bcrypt password verification ($2a$, $2b$, $2y$), the only hash distribution's htpasswd
// accepts. Blowfish's initial tables are the hex digits of pi, computed once on first use
// instead of being carried as a 4 KiB table.
import { timingSafeEqual } from 'node:crypto';

const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

let piWords: Uint32Array | undefined;

/** The first `count` 32-bit words of pi's fractional part (Machin's formula on BigInt). */
export function piFractionWords(count: number): Uint32Array {
  const guard = 64n;
  const bits = BigInt(count * 32) + guard;
  const one = 1n << bits;
  const arctanInv = (x: bigint): bigint => {
    let sum = 0n;
    let power = one / x;
    const x2 = x * x;
    for (let n = 1n, positive = true; power !== 0n; n += 2n, positive = !positive) {
      sum += positive ? power / n : -(power / n);
      power /= x2;
    }
    return sum;
  };
  const pi = 16n * arctanInv(5n) - 4n * arctanInv(239n);
  const hex = ((pi - 3n * one) >> guard).toString(16).padStart(count * 8, '0');
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return out;
}

class Blowfish {
  readonly P: Uint32Array;
  readonly S: Uint32Array; // four boxes of 256 words, back to back
  private readonly lr = new Uint32Array(2);

  constructor() {
    piWords ??= piFractionWords(18 + 1024);
    this.P = piWords.slice(0, 18);
    this.S = piWords.slice(18);
  }

  private f(x: number): number {
    const S = this.S;
    return ((((S[x >>> 24] + S[256 + ((x >>> 16) & 0xff)]) >>> 0) ^ S[512 + ((x >>> 8) & 0xff)]) + S[768 + (x & 0xff)]) >>> 0;
  }

  encipher(lr: Uint32Array, off: number): void {
    let l = lr[off];
    let r = lr[off + 1];
    const P = this.P;
    for (let i = 0; i < 16; i += 2) {
      l ^= P[i];
      r ^= this.f(l >>> 0);
      r ^= P[i + 1];
      l ^= this.f(r >>> 0);
    }
    lr[off] = (r ^ P[17]) >>> 0;
    lr[off + 1] = (l ^ P[16]) >>> 0;
  }

  /** Blowfish key schedule, optionally mixing in a salt (bcrypt's EksBlowfish expand step). */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    const kp = { pos: 0 };
    for (let i = 0; i < 18; i++) this.P[i] ^= streamWord(key, kp);
    const sp = { pos: 0 };
    const lr = this.lr;
    lr[0] = 0;
    lr[1] = 0;
    const fill = (table: Uint32Array, n: number): void => {
      for (let i = 0; i < n; i += 2) {
        if (salt) {
          lr[0] ^= streamWord(salt, sp);
          lr[1] ^= streamWord(salt, sp);
        }
        this.encipher(lr, 0);
        table[i] = lr[0];
        table[i + 1] = lr[1];
      }
    };
    fill(this.P, 18);
    fill(this.S, 1024);
  }
}

function streamWord(data: Uint8Array, p: { pos: number }): number {
  let w = 0;
  for (let i = 0; i < 4; i++) {
    w = ((w << 8) | data[p.pos]) >>> 0;
    p.pos = (p.pos + 1) % data.length;
  }
  return w;
}

function decode64(s: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let acc = 0;
  let nbits = 0;
  let o = 0;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error('invalid bcrypt base64');
    acc = (acc << 6) | v;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      if (o < bytes) out[o++] = (acc >>> nbits) & 0xff;
    }
  }
  return out;
}

function encode64(data: Uint8Array): string {
  let out = '';
  let acc = 0;
  let nbits = 0;
  for (const b of data) {
    acc = ((acc << 8) | b) & 0xffff;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out += ALPHABET[(acc >>> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += ALPHABET[(acc << (6 - nbits)) & 0x3f];
  return out;
}

/** Computes the bcrypt hash of `password` with the salt and cost taken from `setting`. */
export function bcryptHash(password: string, setting: string): string {
  const m = /^\$(2[aby]?)\$(\d\d)\$([./A-Za-z0-9]{22})/.exec(setting);
  if (!m) throw new Error('not a bcrypt hash');
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) throw new Error('bcrypt cost out of range');
  const salt = decode64(m[3], 16);
  const pw = Buffer.from(password, 'utf8');
  const key = new Uint8Array(Math.min(pw.length + 1, 72));
  key.set(pw.subarray(0, key.length));
  const bf = new Blowfish();
  bf.expand(key, salt);
  for (let i = 0, rounds = 2 ** cost; i < rounds; i++) {
    bf.expand(key);
    bf.expand(salt);
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt', 'latin1');
  const words = new Uint32Array(6);
  for (let i = 0; i < 6; i++) words[i] = text.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(words, j);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(words[i], i * 4);
  return `$${m[1]}$${m[2]}$${m[3]}${encode64(out.subarray(0, 23))}`;
}

export function bcryptVerify(password: string, hash: string): boolean {
  let computed: string;
  try {
    computed = bcryptHash(password, hash);
  } catch {
    return false;
  }
  const a = Buffer.from(computed);
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
