// IPv6 for `--ipv6` networks: address and prefix arithmetic on bigints, a network's IPv6 config
// (the given --subnet/--gateway, or a random ULA /64 as dockerd picks from fd00::/8), and the
// pool that hands out its addresses (gateway ::1, then ::2 onwards, serially). Pure.
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { Conflict, InvalidParameter, Unavailable } from '../../lib/errors.js';

export interface Cidr6 {
  base: bigint;
  bits: number;
}

const ALL = (1n << 128n) - 1n;

export function parseIp6(text: string): bigint {
  if (!isIPv6(text) || text.includes('%')) throw new InvalidParameter(`invalid IPv6 address ${JSON.stringify(text)}`);
  let [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = (s: string) => s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  head = v4(head ?? '');
  tail = tail === undefined ? undefined : v4(tail);
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
export function formatIp6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function isIp6(text: string): boolean {
  return isIPv6(text);
}

/** `fd00:1::/64` (host bits must be zero unless `loose`, which clears them). */
export function parseCidr6(text: string, loose = false): Cidr6 {
  const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(text);
  if (!m || Number(m[2]) > 128) throw new InvalidParameter(`invalid CIDR address: ${text}`);
  const bits = Number(m[2]);
  const ip = parseIp6(m[1]!);
  const base = ip & mask(bits);
  if (base !== ip && !loose) throw new InvalidParameter(`invalid subnet ${text}: host bits set (did you mean ${formatCidr6({ base, bits })}?)`);
  return { base, bits };
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIp6(c.base)}/${c.bits}`;
}

function mask(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask(c.bits)) === c.base;
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  return contains6(a, b.base) || contains6(b, a.base);
}

export interface Ipv6ConfigIn {
  Subnet?: string;
  Gateway?: string;
}

/**
 * A network's IPv6 config entry: the given subnet (checked against the daemon's other IPv6
 * subnets) or a random ULA /64, and its gateway (given, or the subnet's first address).
 */
export function resolveIpv6Config(cfg: Ipv6ConfigIn | undefined, existing: Cidr6[]): { Subnet: string; Gateway: string } {
  let subnet: Cidr6;
  if (cfg?.Subnet) {
    subnet = parseCidr6(cfg.Subnet, true);
    if (subnet.bits > 126) throw new InvalidParameter(`invalid subnet ${cfg.Subnet}: it leaves no room for addresses`);
    if (existing.some((e) => overlaps6(e, subnet))) throw new Conflict('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    // RFC 4193: fd + a 40-bit random global id + subnet id 0.
    const id = BigInt(`0x${randomBytes(5).toString('hex')}`);
    subnet = { base: (0xfdn << 120n) | (id << 80n), bits: 64 };
  }
  let gw = subnet.base + 1n;
  if (cfg?.Gateway) {
    gw = parseIp6(cfg.Gateway);
    if (!contains6(subnet, gw)) throw new InvalidParameter(`no matching subnet for gateway ${cfg.Gateway}`);
  }
  return { Subnet: formatCidr6(subnet), Gateway: formatIp6(gw) };
}

/** The IPv6 addresses of one network: the subnet-router anycast address and the gateway are never handed out. */
export class AddressPool6 {
  readonly subnet: Cidr6;
  private readonly used = new Set<bigint>();
  private cursor: bigint;

  constructor(cfg: { Subnet: string; Gateway: string }) {
    this.subnet = parseCidr6(cfg.Subnet);
    this.used.add(this.subnet.base);
    if (cfg.Gateway) this.used.add(parseIp6(cfg.Gateway));
    this.cursor = this.subnet.base + 1n;
  }

  reserve(text: string): void {
    const ip = parseIp6(text);
    if (!contains6(this.subnet, ip)) throw new InvalidParameter(`Invalid address ${text}: It does not belong to any of this network's subnets`);
    if (this.used.has(ip)) throw new Conflict('Address already in use');
    this.used.add(ip);
  }

  /** Serially, as the IPv4 pool: a released address is not handed out again at once. */
  allocate(): string {
    const size = 1n << BigInt(128 - this.subnet.bits);
    const limit = size < 65536n ? size : 65536n;
    for (let i = 0n; i < limit; i++) {
      const ip = this.subnet.base + ((this.cursor - this.subnet.base + i) % size);
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.cursor = ip + 1n;
      return formatIp6(ip);
    }
    throw new Unavailable(`no available IPv6 addresses on this network's address pools: ${formatCidr6(this.subnet)}`);
  }

  release(text: string): void {
    this.used.delete(parseIp6(text));
  }
}
