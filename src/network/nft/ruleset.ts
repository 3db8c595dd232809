// The daemon's whole nftables table as text, from its bridges and published ports: NAT for
// published ports (from other hosts and from the host itself, 127.0.0.1 included through
// route_localnet), masquerade for outbound traffic, and isolation between bridges. Pure.

export interface BridgeRules {
  /** Linux bridge name. */
  name: string;
  subnet: string;
  internal: boolean;
  /** com.docker.network.bridge.enable_icc */
  icc: boolean;
  /** com.docker.network.bridge.enable_ip_masquerade */
  masquerade: boolean;
}

export interface PortRule {
  proto: 'tcp' | 'udp';
  /** '' or 0.0.0.0 for every host address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  bridge: string;
}

export interface RulesetInput {
  table: string;
  bridges: BridgeRules[];
  ports: PortRule[];
  /** DNAT the host's own connections to 127.0.0.1 too (route_localnet); false with a userland proxy. */
  loopbackDnat: boolean;
}

const q = (s: string) => JSON.stringify(s);

/**
 * A script for `nft -f` that replaces the table in one transaction: declaring it first makes the
 * delete valid when the table does not exist yet.
 */
export function renderRuleset(r: RulesetInput): string {
  const t = r.table;
  const L: string[] = [`table ip ${t} {}`, `delete table ip ${t}`, `table ip ${t} {`];
  L.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;', '    fib daddr type local jump ports', '  }');
  L.push('  chain output {', '    type nat hook output priority -100; policy accept;', `    ${r.loopbackDnat ? '' : 'ip daddr != 127.0.0.0/8 '}fib daddr type local jump ports`, '  }');
  L.push('  chain ports {');
  for (const p of r.ports) {
    const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `ip daddr ${p.hostIp} ` : '';
    L.push(`    ${dst}${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`);
  }
  L.push('  }');
  L.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;');
  for (const b of r.bridges) {
    // Host-originated connections to 127.0.0.1 were DNATed onto the bridge: give them a source
    // the container can answer.
    L.push(`    oifname ${q(b.name)} ip saddr 127.0.0.0/8 masquerade`);
    if (b.masquerade && !b.internal) L.push(`    ip saddr ${b.subnet} oifname != ${q(b.name)} masquerade`);
  }
  L.push('  }');
  L.push('  chain forward {', '    type filter hook forward priority filter; policy accept;');
  const names = r.bridges.map((b) => b.name);
  for (const b of r.bridges) {
    const others = names.filter((n) => n !== b.name);
    if (others.length) L.push(`    iifname ${q(b.name)} oifname { ${others.map(q).join(', ')} } drop`);
    if (b.internal) {
      L.push(`    iifname ${q(b.name)} oifname != ${q(b.name)} drop`);
      L.push(`    oifname ${q(b.name)} iifname != ${q(b.name)} drop`);
    }
    if (!b.icc) L.push(`    iifname ${q(b.name)} oifname ${q(b.name)} drop`);
  }
  L.push('  }');
  L.push('}');
  return L.join('\n') + '\n';
}

/** Accept rules for a foreign forward chain (policy drop elsewhere is final in nftables). */
export function foreignAcceptRules(bridges: string[]): string[] {
  const out: string[] = [];
  for (const b of bridges) {
    out.push(`oifname ${q(b)} ct state established,related accept`);
    out.push(`oifname ${q(b)} ct status dnat accept`);
    out.push(`iifname ${q(b)} accept`);
  }
  return out;
}
