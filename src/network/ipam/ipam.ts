// The default IPAM driver: picks a free subnet from the address pools for a new network, and
// hands out, reserves and releases addresses inside one network's subnet (or its --ip-range).
// Pure and in memory; the controller rebuilds it from the stored networks and endpoints at start.
import { Conflict, InvalidParameter, Unavailable } from '../../lib/errors.js';
import { contains, formatCidr, formatIp, last, overlaps, parseCidr, parseIp, subnetsOf, type Cidr } from './cidr.js';

/** One entry of daemon.json `default-address-pools`. */
export interface PoolSpec {
  base: string;
  size: number;
}

/** Docker's built-in pools: 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s. */
export const DEFAULT_POOLS: PoolSpec[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/15', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export function validatePools(pools: PoolSpec[]): void {
  for (const p of pools) {
    if (!p || typeof p.base !== 'string' || typeof p.size !== 'number') throw new InvalidParameter(`invalid default-address-pools entry: ${JSON.stringify(p)}`);
    const c = parseCidr(p.base, true);
    if (p.size < c.bits || p.size > 30) throw new InvalidParameter(`invalid default-address-pools entry: size ${p.size} does not fit ${p.base}`);
  }
}

/**
 * The first subnet of the pools that overlaps neither this daemon's networks nor the host's
 * routes (other daemons' bridges, the host's own networks), as libnetwork picks them.
 */
export function pickSubnet(pools: PoolSpec[], taken: Cidr[]): Cidr {
  for (const p of pools) {
    for (const s of subnetsOf(parseCidr(p.base, true), p.size)) {
      if (!taken.some((t) => overlaps(s, t))) return s;
    }
  }
  throw new Unavailable('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** A user's --subnet/--ip-range/--gateway/--aux-address, checked as dockerd checks them. */
export interface IpamConfigIn {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IpamConfigOut {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** Completes one IPAM config entry: the subnet (given or picked), its gateway, range and aux addresses. */
export function resolveIpamConfig(cfg: IpamConfigIn, pick: () => Cidr, existing: Cidr[]): IpamConfigOut {
  if (!cfg.Subnet && (cfg.IPRange || cfg.Gateway || (cfg.AuxiliaryAddresses && Object.keys(cfg.AuxiliaryAddresses).length))) {
    // dockerd needs the subnet to check the others against.
    const what = cfg.IPRange ? `range ${cfg.IPRange}` : cfg.Gateway ? `gateway ${cfg.Gateway}` : `aux-address ${Object.values(cfg.AuxiliaryAddresses!)[0]}`;
    throw new InvalidParameter(`no matching subnet for ${what}`);
  }
  let subnet: Cidr;
  if (cfg.Subnet) {
    subnet = parseCidr(cfg.Subnet, true);
    if (subnet.bits > 30) throw new InvalidParameter(`invalid subnet ${cfg.Subnet}: it leaves no room for addresses`);
    if (existing.some((e) => overlaps(e, subnet))) throw new Conflict('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    subnet = pick();
  }
  const out: IpamConfigOut = { Subnet: formatCidr(subnet), Gateway: '' };
  if (cfg.IPRange) {
    const range = parseCidr(cfg.IPRange, true);
    if (!contains(subnet, range.base) || !contains(subnet, last(range))) throw new InvalidParameter(`no matching subnet for range ${cfg.IPRange}`);
    out.IPRange = formatCidr(range);
  }
  if (cfg.Gateway) {
    const gw = parseIp(cfg.Gateway);
    if (!contains(subnet, gw)) throw new InvalidParameter(`no matching subnet for gateway ${cfg.Gateway}`);
    out.Gateway = formatIp(gw);
  } else {
    out.Gateway = formatIp(subnet.base + 1);
  }
  if (cfg.AuxiliaryAddresses && Object.keys(cfg.AuxiliaryAddresses).length) {
    for (const ip of Object.values(cfg.AuxiliaryAddresses)) {
      if (!contains(subnet, parseIp(ip))) throw new InvalidParameter(`no matching subnet for aux-address ${ip}`);
    }
    out.AuxiliaryAddresses = { ...cfg.AuxiliaryAddresses };
  }
  return out;
}

/** Addresses of one network: reserved (network, broadcast, gateway, aux) and allocated ones. */
export class AddressPool {
  readonly subnet: Cidr;
  private readonly range: Cidr;
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(cfg: IpamConfigOut) {
    this.subnet = parseCidr(cfg.Subnet);
    this.range = cfg.IPRange ? parseCidr(cfg.IPRange) : this.subnet;
    this.used.add(this.subnet.base);
    this.used.add(last(this.subnet));
    if (cfg.Gateway) this.used.add(parseIp(cfg.Gateway));
    for (const ip of Object.values(cfg.AuxiliaryAddresses ?? {})) this.used.add(parseIp(ip));
    this.cursor = this.range.base;
  }

  /** Marks an address as taken (a stored endpoint at start, or a static --ip). */
  reserve(ipText: string): void {
    const ip = parseIp(ipText);
    if (!contains(this.subnet, ip)) throw new InvalidParameter(`Invalid address ${ipText}: It does not belong to any of this network's subnets`);
    if (this.used.has(ip)) throw new Conflict('Address already in use');
    this.used.add(ip);
  }

  /**
   * The next free address after the last one handed out (libnetwork allocates serially, so a
   * released address is not reused at once and stale ARP entries age out first).
   */
  allocate(): string {
    const n = last(this.range) - this.range.base + 1;
    for (let i = 0; i < n; i++) {
      const ip = this.range.base + ((this.cursor - this.range.base + i) % n);
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.cursor = ip + 1 > last(this.range) ? this.range.base : ip + 1;
      return formatIp(ip);
    }
    throw new Unavailable(`no available IPv4 addresses on this network's address pools: ${formatCidr(this.subnet)}`);
  }

  release(ipText: string): void {
    this.used.delete(parseIp(ipText));
  }

  inUse(ipText: string): boolean {
    return this.used.has(parseIp(ipText));
  }
}
