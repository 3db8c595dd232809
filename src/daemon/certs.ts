// The certificates that protect berthd's TCP socket: a CA, a server certificate for the daemon
// (SANs for every name and address clients dial) and a client certificate, under the file names
// dockerd's --tlscacert/--tlscert/--tlskey examples and the docker CLI's DOCKER_CERT_PATH expect.
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { Conflict } from '../lib/errors.js';
import { generateKey, selfSignedCa, signedLeaf } from '../lib/openssl.js';

/** File names inside the directory; the client trio is what DOCKER_CERT_PATH points at. */
export const CERT_FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server-cert.pem',
  serverKey: 'server-key.pem',
  clientCert: 'cert.pem',
  clientKey: 'key.pem',
} as const;

export interface CreateCertsOptions {
  dir: string;
  /** Extra DNS names or IP addresses for the server certificate (localhost and loopback always). */
  hostnames?: string[];
  days?: number;
}

export interface CreatedCerts {
  files: Record<keyof typeof CERT_FILES, string>;
  dnsNames: string[];
  ipAddresses: string[];
}

/**
 * Creates a CA, a server and a client certificate in `dir`. Refuses to overwrite an existing CA:
 * certificates already handed out would silently stop working.
 */
export async function createCertificates(opts: CreateCertsOptions): Promise<CreatedCerts> {
  const days = opts.days ?? 825;
  await fs.mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const files = Object.fromEntries(Object.entries(CERT_FILES).map(([k, v]) => [k, join(opts.dir, v)])) as CreatedCerts['files'];
  for (const p of Object.values(files)) {
    const exists = await fs.stat(p).then(() => true, () => false);
    if (exists) throw new Conflict(`${p} already exists: remove the old certificates first or choose another --dir`);
  }
  const names = new Set(['localhost', osHostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const h of opts.hostnames ?? []) (isIP(h) ? ips : names).add(h);
  const dnsNames = [...names];
  const ipAddresses = [...ips];

  await generateKey(files.caKey);
  await selfSignedCa(files.caKey, files.caCert, 'Berth CA', days * 2);
  await generateKey(files.serverKey);
  await signedLeaf({
    keyPath: files.serverKey, certPath: files.serverCert, caCertPath: files.caCert, caKeyPath: files.caKey,
    commonName: dnsNames.find((n) => n !== 'localhost') ?? 'localhost', days, usage: 'server', dnsNames, ipAddresses,
  });
  await generateKey(files.clientKey);
  await signedLeaf({
    keyPath: files.clientKey, certPath: files.clientCert, caCertPath: files.caCert, caKeyPath: files.caKey,
    commonName: 'client', days, usage: 'client',
  });
  // Docker's guide: keys readable by their owner only, certificates world-readable but not writable.
  for (const k of [files.caKey, files.serverKey, files.clientKey]) await fs.chmod(k, 0o400);
  for (const c of [files.caCert, files.serverCert, files.clientCert]) await fs.chmod(c, 0o444);
  return { files, dnsNames, ipAddresses };
}
