// IPv4 addresses and CIDR prefixes as numbers: parsing, formatting, containment and overlap.
// Pure; the IPAM allocator and the port parser build on it.
import { InvalidParameter } from '../../lib/errors.js';

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  base: number;
  bits: number;
}

export function parseIp(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) throw new InvalidParameter(`invalid IP address: ${text}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new InvalidParameter(`invalid IP address: ${text}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function isIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses `a.b.c.d/n`; host bits must be zero unless `loose` (then they are cleared). */
export function parseCidr(text: string, loose = false): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || Number(m[2]) > 32) throw new InvalidParameter(`invalid CIDR address: ${text}`);
  const bits = Number(m[2]);
  const ip = parseIp(m[1]!);
  const base = (ip & mask(bits)) >>> 0;
  if (base !== ip && !loose) throw new InvalidParameter(`invalid CIDR address: ${text}: host bits are set (did you mean ${formatIp(base)}/${bits}?)`);
  return { base, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function last(c: Cidr): number {
  return c.base + size(c) - 1;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip <= last(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= last(b) && b.base <= last(a);
}

/** Splits `pool` into consecutive subnets of `bits` (Docker's default-address-pools `size`). */
export function* subnetsOf(pool: Cidr, bits: number): Generator<Cidr> {
  if (bits < pool.bits) throw new InvalidParameter(`invalid pools configuration: size /${bits} is larger than the pool ${formatCidr(pool)}`);
  const step = 2 ** (32 - bits);
  for (let b = pool.base; b <= last(pool); b += step) yield { base: b, bits };
}
