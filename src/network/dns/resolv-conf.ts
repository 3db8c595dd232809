// /etc/resolv.conf for a container that has the embedded DNS (a user-defined network), as Docker
// writes it: `nameserver 127.0.0.11`, the host's (or --dns-search) search domains, `options
// ndots:0` unless --dns-option says otherwise, and a comment naming the servers it forwards to.
// Pure; the host's file is passed in.
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
