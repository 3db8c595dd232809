// /etc/resolv.conf for a container that has the embedded DNS (a user-defined network), as Docker
// writes it: `nameserver 127.0.0.11`, the host's (or --dns-search) search domains, `options
// ndots:0` unless --dns-option says otherwise, and a comment naming the servers it forwards to.
// Pure but for rewriteResolvConf (a running container that got the embedded DNS late).
import { promises as fs } from 'node:fs';
import { EMBEDDED_DNS_IP } from './redirect.js';

export interface DnsSettings {
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
}

export function embeddedResolvConf(hostText: string, s: DnsSettings): string {
  const host = hostText.split('\n').map((l) => l.trim());
  const hostServers = host.flatMap((l) => /^nameserver\s+(\S+)/.exec(l)?.[1] ?? []);
  const ext = (s.Dns?.length ? s.Dns : hostServers).map((x) => `host(${x})`);
  const search = s.DnsSearch?.length ? s.DnsSearch : (host.find((l) => /^search\s/.test(l))?.split(/\s+/).slice(1) ?? []);
  const hostOptions = host.find((l) => /^options\s/.test(l))?.split(/\s+/).slice(1) ?? [];
  const options = s.DnsOptions?.length ? [...s.DnsOptions] : hostOptions.filter((o) => !o.startsWith('ndots:'));
  // The embedded server answers single-label names itself, so search domains must not be tried first.
  if (!options.some((o) => o.startsWith('ndots:'))) options.unshift('ndots:0');
  const out = [`nameserver ${EMBEDDED_DNS_IP}`];
  // "." means no search domain (Docker's --dns-search=.).
  const domains = search.filter((d) => d && d !== '.');
  if (domains.length) out.push(`search ${domains.join(' ')}`);
  out.push(`options ${options.join(' ')}`);
  out.push('', `# ExtServers: [${ext.join(' ')}]`);
  return out.join('\n') + '\n';
}

/**
 * Rewrites a running container's resolv.conf in place (truncate and write: the file is
 * bind-mounted, so a new inode would not be seen), as dockerd does when a container on the
 * default bridge is connected to its first user-defined network.
 */
export async function rewriteResolvConf(path: string, s: DnsSettings): Promise<void> {
  const host = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await fs.writeFile(path, embeddedResolvConf(host, s));
}
