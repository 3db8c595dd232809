// Which registry URL serves a repository: the reference's own domain, or for Docker Hub names only
// the configured `registry-mirrors` (Berth never contacts Docker Hub itself). Registries on
// loopback and those in `insecure-registries` (host[:port] or CIDR) may be spoken to without TLS.
import { isIP } from 'node:net';
import { Forbidden, InvalidParameter } from '../../lib/errors.js';
import { DEFAULT_DOMAIN } from '../../images/reference.js';

export interface RegistryOptions {
  insecureRegistries: string[];
  registryMirrors: string[];
}

export interface Endpoint {
  /** host[:port] as written in references (docker.io for Hub names served by a mirror). */
  domain: string;
  /** Base URL without a trailing slash; the scheme is a first guess, see `insecure`. */
  url: string;
  /** TLS is optional: try https without verification, then plain http (loopback: http only). */
  insecure: boolean;
  /** The endpoint is a pull-through mirror of Docker Hub. */
  mirror: boolean;
}

/** Repository path inside its registry: docker.io/library/busybox → library/busybox. */
export function repoPath(fullName: string): string {
  return fullName.slice(fullName.indexOf('/') + 1);
}

export function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const colon = domain.lastIndexOf(':');
  return colon > 0 ? domain.slice(0, colon) : domain;
}

export function isLoopback(domain: string): boolean {
  const host = hostOf(domain).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => (n << 8) + Number(p), 0) >>> 0;
}

function inCidr(host: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (isIP(host) !== 4 || isIP(net ?? '') !== 4) return false;
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(host) & mask) === (ipv4ToInt(net!) & mask);
}

export function isInsecure(domain: string, opts: RegistryOptions): boolean {
  if (isLoopback(domain)) return true;
  const host = hostOf(domain);
  return opts.insecureRegistries.some((entry) => {
    const e = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return e.includes('/') ? inCidr(host, e) : e === domain || e === host;
  });
}

function endpointFor(domain: string, opts: RegistryOptions, mirror = false): Endpoint {
  const insecure = isInsecure(domain, opts);
  return { domain, url: `${insecure && isLoopback(domain) ? 'http' : 'https'}://${domain}`, insecure, mirror };
}

export class HubRefused extends Forbidden {}

function hubRefusal(action: 'pull' | 'push' | 'login'): HubRefused {
  const why =
    action === 'pull'
      ? `images without a registry in their name come from Docker Hub, which Berth only reaches through a mirror in "registry-mirrors" of daemon.json, and none is configured; name the registry in the reference (e.g. 127.0.0.1:5000/busybox) or configure a mirror`
      : `Berth does not ${action === 'push' ? 'push' : 'log in'} to Docker Hub; name a registry in the reference (e.g. 127.0.0.1:5000/busybox)`;
  return new HubRefused(`Get "https://registry-1.docker.io/v2/": not contacting ${DEFAULT_DOMAIN}: ${why}`);
}

/** Endpoints to try, in order, for pulling from the registry of `domain`. */
export function pullEndpoints(domain: string, opts: RegistryOptions): Endpoint[] {
  if (domain !== DEFAULT_DOMAIN) return [endpointFor(domain, opts)];
  if (opts.registryMirrors.length === 0) throw hubRefusal('pull');
  return opts.registryMirrors.map((m) => {
    let u: URL;
    try {
      u = new URL(m);
    } catch {
      throw new InvalidParameter(`invalid mirror: ${m} is not a valid URI`);
    }
    const insecure = u.protocol === 'http:' || isInsecure(u.host, opts);
    return { domain: DEFAULT_DOMAIN, url: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`, insecure, mirror: true };
  });
}

/** The endpoint a push goes to; mirrors are read-only, so Docker Hub is refused. */
export function pushEndpoint(domain: string, opts: RegistryOptions): Endpoint {
  if (domain === DEFAULT_DOMAIN) throw hubRefusal('push');
  return endpointFor(domain, opts);
}

/** `serveraddress` of docker login: `host:port`, `https://host/v1/` or Docker Hub's index URL. */
export function loginEndpoint(serverAddress: string, opts: RegistryOptions): Endpoint {
  const trimmed = serverAddress.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!trimmed || trimmed === 'index.docker.io' || trimmed === DEFAULT_DOMAIN || trimmed === 'registry-1.docker.io') {
    throw hubRefusal('login');
  }
  return endpointFor(trimmed, opts);
}
