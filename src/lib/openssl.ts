// The one wrapper around the openssl(1) program: ECDSA P-256 keys, a self-signed CA, and
// certificates signed by it with the extensions TLS peers check (SANs, key usages).
// Node can verify X.509 but cannot issue it, and no npm dependency may be added, so openssl does it.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SystemError } from './errors.js';

export const OPENSSL = 'openssl';

/** Runs openssl with args; resolves stdout, rejects with its stderr on a non-zero exit. */
export function openssl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(OPENSSL, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => reject(new SystemError(`cannot run ${OPENSSL}: ${e.message}`)));
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new SystemError(`${OPENSSL} ${args[0]} failed: ${err.trim() || `exit status ${code}`}`));
    });
    if (p.stdin) {
      p.stdin.on('error', () => undefined); // openssl exiting early shows in its status and stderr
      p.stdin.end(input);
    }
  });
}

/** A new ECDSA P-256 private key, PEM (PKCS#8), written to `path` with mode 0600. */
export async function generateKey(path: string): Promise<void> {
  const pem = await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  await fs.writeFile(path, pem, { mode: 0o600 });
}

/** A self-signed CA certificate for the key at `keyPath`. */
export async function selfSignedCa(keyPath: string, certPath: string, commonName: string, days: number): Promise<void> {
  await openssl([
    'req', '-x509', '-new', '-sha256', '-key', keyPath, '-days', String(days), '-subj', `/CN=${escapeSubject(commonName)}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out', certPath,
  ]);
}

export interface LeafRequest {
  keyPath: string;
  certPath: string;
  caCertPath: string;
  caKeyPath: string;
  commonName: string;
  days: number;
  usage: 'server' | 'client';
  /** DNS names and IP addresses for subjectAltName (servers). */
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A certificate for `keyPath` signed by the CA, with serverAuth or clientAuth usage. */
export async function signedLeaf(r: LeafRequest): Promise<void> {
  const work = await fs.mkdtemp(join(tmpdir(), 'berth-openssl-'));
  try {
    const csr = join(work, 'req.csr');
    const ext = join(work, 'ext.cnf');
    await openssl(['req', '-new', '-sha256', '-key', r.keyPath, '-subj', `/CN=${escapeSubject(r.commonName)}`, '-out', csr]);
    const lines = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${r.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ];
    const sans = [...(r.dnsNames ?? []).map((d) => `DNS:${d}`), ...(r.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
    if (sans.length) lines.push(`subjectAltName=${sans.join(',')}`);
    await fs.writeFile(ext, lines.join('\n') + '\n');
    await openssl([
      'x509', '-req', '-sha256', '-in', csr, '-CA', r.caCertPath, '-CAkey', r.caKeyPath,
      '-set_serial', '0x' + randomBytes(16).toString('hex').replace(/^[89a-f]/, '7'),
      '-days', String(r.days), '-extfile', ext, '-out', r.certPath,
    ]);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** The subject and SANs of a certificate, as openssl prints them (for tests and `certs` output). */
export function describeCertificate(certPath: string): Promise<string> {
  return openssl(['x509', '-in', certPath, '-noout', '-subject', '-issuer', '-ext', 'subjectAltName,extendedKeyUsage']);
}

function escapeSubject(s: string): string {
  return s.replace(/[/\\]/g, (c) => '\\' + c);
}
