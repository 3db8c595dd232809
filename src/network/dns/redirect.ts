// Inside a container's namespace: an nft table that sends 127.0.0.11:53 (udp and tcp) to the
// embedded DNS on its network's gateway, with the source rewritten to the container's address
// so the listener knows who asks and the reply can come back; route_localnet lets a packet that
// left from 127.0.0.1 be routed out of eth0 at all. The table dies with the namespace.
import { applyScriptInNetns } from '../nft/nft.js';

/** The address resolv.conf names, as Docker's. */
export const EMBEDDED_DNS_IP = '127.0.0.11';
export const SANDBOX_TABLE = 'berth_dns';

/** The nft script (declare, delete, define: replacing a table left from an earlier start). Pure. */
export function redirectScript(gateway: string, containerIp: string): string {
  const t = SANDBOX_TABLE;
  return [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${EMBEDDED_DNS_IP} udp dport 53 dnat to ${gateway}:53`,
    `    ip daddr ${EMBEDDED_DNS_IP} tcp dport 53 dnat to ${gateway}:53`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr 127.0.0.0/8 ip daddr ${gateway} meta l4proto { tcp, udp } th dport 53 snat to ${containerIp}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** route_localnet lets a packet from 127.0.0.1 be routed out of eth0 at all. */
export function installRedirect(netns: string, gateway: string, containerIp: string): Promise<void> {
  return applyScriptInNetns(netns, redirectScript(gateway, containerIp), { 'net/ipv4/conf/all/route_localnet': '1' });
}
