// Where the API listens and who may connect: parses -H hosts (unix://, tcp://), builds the TLS
// server options from --tls/--tlsverify/--tlscacert/--tlscert/--tlskey, and applies dockerd's
// warnings and start-up delay for TCP sockets that anyone on the network could use.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ServerOptions } from 'node:https';
import { InvalidParameter } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ApiServer } from './server.js';

export interface TlsSettings {
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export type ListenAddress = { proto: 'unix'; path: string } | { proto: 'tcp'; host: string; port: number; spec: string };

/** dockerd's defaults: tcp:// without a port is 2376 with TLS and 2375 without; no host is 127.0.0.1. */
export function parseListenAddress(spec: string, tlsOn: boolean): ListenAddress {
  if (spec.startsWith('unix://')) {
    const path = spec.slice('unix://'.length);
    if (!path) throw new InvalidParameter(`invalid bind address (${spec}): unix socket path is empty`);
    return { proto: 'unix', path };
  }
  if (spec.startsWith('tcp://')) {
    const rest = spec.slice('tcp://'.length).replace(/\/+$/, '');
    if (rest.includes('/')) throw new InvalidParameter(`invalid bind address (${spec}): should not contain a path element`);
    let host = rest;
    let port = '';
    const m = /^\[([^\]]+)\](?::(\d*))?$/.exec(rest) ?? /^([^:]*)(?::(\d*))?$/.exec(rest);
    if (!m) throw new InvalidParameter(`invalid bind address (${spec})`);
    host = m[1] || '127.0.0.1';
    port = m[2] ?? '';
    const n = port === '' ? (tlsOn ? 2376 : 2375) : Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidParameter(`invalid bind address (${spec}): invalid port ${port}`);
    return { proto: 'tcp', host, port: n, spec: `tcp://${host.includes(':') ? `[${host}]` : host}:${n}` };
  }
  if (spec.startsWith('fd://')) throw new InvalidParameter(`invalid bind address (${spec}): socket activation (fd://) is not supported by berthd`);
  throw new InvalidParameter(`invalid bind address (${spec}): unsupported proto '${spec.split('://')[0]}'`);
}

/** As dockerd: any explicit --tlsverify (true or false) turns TLS on; client certificates only with --tlsverify. */
export function tlsMode(s: TlsSettings): { tls: boolean; verify: boolean } {
  const tls = s.tls ?? s.tlsVerify !== undefined;
  return { tls: tls || s.tlsVerify === true, verify: s.tlsVerify === true };
}

/** Paths default to $DOCKER_CERT_PATH or ~/.docker, as dockerd's flags do. */
export function tlsServerOptions(s: TlsSettings, env: NodeJS.ProcessEnv = process.env): ServerOptions | undefined {
  const mode = tlsMode(s);
  if (!mode.tls) return undefined;
  const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new InvalidParameter(`could not load ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const opts: ServerOptions = {
    cert: read(s.tlsCert ?? join(dir, 'cert.pem'), 'X509 key pair certificate'),
    key: read(s.tlsKey ?? join(dir, 'key.pem'), 'X509 key pair key'),
    minVersion: 'TLSv1.2',
  };
  if (mode.verify) {
    // Only this CA: a certificate from the system's trust store must not open the daemon.
    opts.ca = read(s.tlsCaCert ?? join(dir, 'ca.pem'), 'CA certificate');
    opts.requestCert = true;
    opts.rejectUnauthorized = true;
  }
  return opts;
}

export interface InsecureNotice {
  warnings: string[];
  /** How long start-up pauses so that the warnings are seen (dockerd: 1 s, then 15 s more). */
  delayMs: number;
}

/**
 * dockerd's treatment of a TCP socket without --tlsverify: three warnings and a one-second pause;
 * when the address is not loopback and TLS was not explicitly turned off (`--tls=false` or
 * `--tlsverify=false`), four more warnings and a further fifteen seconds. Undefined when the
 * socket authenticates its clients.
 */
export function insecureTcpNotice(addr: Extract<ListenAddress, { proto: 'tcp' }>, s: TlsSettings): InsecureNotice | undefined {
  if (tlsMode(s).verify) return undefined;
  const warnings = [
    'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.',
    'Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!',
    '[DEPRECATION NOTICE] In future versions this will be a hard failure preventing the daemon from starting! Learn more at: https://docs.docker.com/go/api-security/',
  ];
  let delayMs = 1000;
  const explicitlyOff = s.tls === false || s.tlsVerify === false;
  if (!explicitlyOff && !isLoopback(addr.host)) {
    warnings.push(
      'Binding to an IP address without --tlsverify is deprecated. Startup is intentionally being slowed down to show this message',
      'Please consider generating tls certificates with client validation to prevent exposing unauthenticated root access to your network',
      "You can override this by explicitly specifying '--tls=false' or '--tlsverify=false'",
      'Support for listening on TCP without authentication or explicit intent to run without authentication will be removed in the next release',
    );
    delayMs += 15_000;
  }
  return { warnings, delayMs };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Opens every -H host on the API server; resolves the specs actually bound (port 0 resolved). */
export async function listenAll(api: ApiServer, hosts: string[], s: TlsSettings & { groupId?: number }, log: Logger): Promise<string[]> {
  const mode = tlsMode(s);
  const addrs = hosts.map((h) => parseListenAddress(h, mode.tls));
  const tls = addrs.some((a) => a.proto === 'tcp') ? tlsServerOptions(s) : undefined;
  const bound: string[] = [];
  for (const a of addrs) {
    if (a.proto === 'unix') {
      await api.listenUnix(a.path, s.groupId);
      log.info(`API listen on ${a.path}`);
      bound.push(`unix://${a.path}`);
      continue;
    }
    const notice = insecureTcpNotice(a, s);
    if (notice) {
      for (const w of notice.warnings) log.warn(`${w} host="${a.spec}"`);
      await new Promise((r) => setTimeout(r, notice.delayMs));
    }
    const port = await api.listenTcp(a.host, a.port, tls);
    const spec = a.spec.replace(/:\d+$/, `:${port}`);
    log.info(`API listen on ${spec.slice('tcp://'.length)}${tls ? (mode.verify ? ' (TLS, client certificates required)' : ' (TLS)') : ''}`);
    bound.push(spec);
  }
  return bound;
}
