// The names the embedded DNS answers for, seen from one asking container: on every user-defined
// network it shares with others, a container's name, its network aliases, its short id, the
// aliases of the asker's own links, and `<name>.<network>`; reverse lookups of their addresses.
// Names on networks the asker is not attached to do not exist for it. Pure.

export interface DnsEndpoint {
  containerId: string;
  /** Container name without the leading '/'. */
  name: string;
  networkId: string;
  networkName: string;
  ip: string;
  /** On an `--ipv6` network. */
  ip6?: string;
  /** --network-alias / network connect --alias. */
  aliases: string[];
  /** Links this container declared on this network: `alias` resolves to `target` (a name or id) for it alone. */
  links: { target: string; alias: string }[];
}

const canon = (s: string) => s.toLowerCase().replace(/\.$/, '');

export class NameTable {
  private readonly byNetwork = new Map<string, DnsEndpoint[]>();

  constructor(endpoints: Iterable<DnsEndpoint>) {
    for (const e of endpoints) {
      const list = this.byNetwork.get(e.networkId) ?? [];
      list.push(e);
      this.byNetwork.set(e.networkId, list);
    }
  }

  /** The container whose endpoint on this network has this address (who is asking). */
  endpointAt(networkId: string, ip: string): DnsEndpoint | undefined {
    return this.byNetwork.get(networkId)?.find((e) => e.ip === ip);
  }

  private askerEndpoints(askerId: string): DnsEndpoint[] {
    const out: DnsEndpoint[] = [];
    for (const list of this.byNetwork.values()) for (const e of list) if (e.containerId === askerId) out.push(e);
    return out;
  }

  /**
   * Addresses for a name, or undefined when it is none of the asker's networks' names (then it
   * goes to the upstream servers, unless it is `local`). `v6` asks for the IPv6 addresses of the
   * same endpoints (an empty list: the name is known but has none).
   */
  resolve(askerId: string, qname: string, v6 = false): string[] | undefined {
    const q = canon(qname);
    const found: DnsEndpoint[] = [];
    for (const mine of this.askerEndpoints(askerId)) {
      const peers = this.byNetwork.get(mine.networkId) ?? [];
      const net = canon(mine.networkName);
      const keys = [q];
      if (q.endsWith(`.${net}`)) keys.push(q.slice(0, -net.length - 1));
      for (const key of keys) {
        for (const e of peers) if (matches(e, key)) found.push(e);
        for (const l of mine.links) {
          if (canon(l.alias) !== key) continue;
          const t = peers.find((e) => canon(e.name) === canon(l.target) || e.containerId.startsWith(l.target));
          if (t) found.push(t);
        }
      }
    }
    if (!found.length) return undefined;
    return [...new Set(found.flatMap((e) => (v6 ? (e.ip6 ? [e.ip6] : []) : [e.ip])))];
  }

  /**
   * Names that belong to the asker's networks even when nothing answers to them: single labels
   * and `<anything>.<network>`. Unknown ones get NXDOMAIN here rather than a trip upstream.
   */
  isLocal(askerId: string, qname: string): boolean {
    const q = canon(qname);
    if (!q.includes('.')) return true;
    return this.askerEndpoints(askerId).some((e) => q.endsWith(`.${canon(e.networkName)}`));
  }

  /** `name.network` for an address on one of the asker's networks. */
  reverse(askerId: string, ip: string): string | undefined {
    for (const mine of this.askerEndpoints(askerId)) {
      const e = this.byNetwork.get(mine.networkId)?.find((x) => x.ip === ip);
      if (e) return `${e.name}.${e.networkName}`;
    }
    return undefined;
  }
}

function matches(e: DnsEndpoint, key: string): boolean {
  return canon(e.name) === key || e.containerId.slice(0, 12) === key || e.aliases.some((a) => canon(a) === key);
}

/** The IPv4 address a `d.c.b.a.in-addr.arpa` name asks about, if it is one. */
export function reverseNameToIp(qname: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(qname);
  if (!m) return undefined;
  const parts = [m[4], m[3], m[2], m[1]].map(Number);
  return parts.every((p) => p <= 255) ? parts.join('.') : undefined;
}
