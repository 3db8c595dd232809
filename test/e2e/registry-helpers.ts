// Registry peers for the distribution e2e tests: Berth's registry and Debian's docker-registry as
// processes of their own (so a test can kill them), the docker CLI run without blocking this
// process (in-process servers must keep answering), and a minimal Docker token server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { createSign, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO, sleep, type TestDaemon } from './harness.js';

export async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get(url, (res) => {
        res.resume();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${url} did not answer`);
}

/** Berth's registry server as its own process; `children` collects it for the final kill. */
export async function berthRegistry(children: ChildProcess[], root: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const p = spawn(process.execPath, [join(REPO, 'dist/src/distribution/registry/main.js'), 'serve', '--addr', `127.0.0.1:${port}`, '--root', root], { stdio: 'ignore', env: { ...process.env, ...env } });
  children.push(p);
  await waitHttp(`http://127.0.0.1:${port}/v2/`);
  return p;
}

/** Debian's docker-registry with a config of our own (the packaged one turns on htpasswd). */
export async function distributionRegistry(children: ChildProcess[], dir: string, port: number): Promise<ChildProcess> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const cfg = join(dir, 'config.yml');
  writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const p = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' });
  children.push(p);
  await waitHttp(`http://127.0.0.1:${port}/v2/`);
  return p;
}

export async function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

export function dockerAsync(d: TestDaemon, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('/usr/local/bin/docker', args, { env: d.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** POST /images/create, calling `onMessage` for each JSON message; resolves with all of them (or rejects when the connection drops). */
export function pullStream(d: TestDaemon, ref: string, onMessage: (m: any) => void): Promise<any[]> {
  return progressStream(d, `/v1.45/images/create?fromImage=${encodeURIComponent(ref)}`, onMessage);
}

/** POST /images/{name}/push with empty credentials, as the docker CLI sends them. */
export function pushStream(d: TestDaemon, ref: string, onMessage: (m: any) => void): Promise<any[]> {
  return progressStream(d, `/v1.45/images/${encodeURIComponent(ref)}/push`, onMessage, { 'X-Registry-Auth': Buffer.from('{}').toString('base64') });
}

/** A JSON-message progress stream, each message handed over as it arrives; resolves with all of them. */
function progressStream(d: TestDaemon, path: string, onMessage: (m: any) => void, headers: Record<string, string> = {}): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method: 'POST', path, headers }, (res) => {
      const all: any[] = [];
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const m = JSON.parse(line);
          all.push(m);
          onMessage(m);
        }
      });
      res.on('end', () => resolve(all));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An ES256 signing key and its self-signed certificate (the registry's rootcertbundle). */
export interface TokenIssuer {
  keyPem: string;
  certPem: string;
  certFile: string;
  issuer: string;
  service: string;
  sign(claims: Record<string, unknown>): string;
}

export function tokenIssuer(dir: string, issuer = 'berth-test-issuer', service = 'berth-test-registry'): TokenIssuer {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=berth test token signer'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const keyPem = readFileSync(keyFile, 'utf8');
  const certPem = readFileSync(certFile, 'utf8');
  const der = Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
  return {
    keyPem,
    certPem,
    certFile,
    issuer,
    service,
    sign(claims) {
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [der] })).toString('base64url');
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const sig = createSign('sha256').update(`${header}.${body}`).sign({ key: keyPem, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      return `${header}.${body}.${sig}`;
    },
  };
}

/**
 * Docker's token protocol: GET ?service=&scope=… with Basic credentials. `grant(user, type, name,
 * asked)` says which of the asked actions a user gets; unknown users and wrong passwords get 401.
 */
export async function tokenServer(issuer: TokenIssuer, users: Record<string, string>, grant: (user: string | undefined, type: string, name: string, asked: string[]) => string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    let user: string | undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [u, ...rest] = Buffer.from(basic[1]!, 'base64').toString().split(':');
      if (users[u!] === undefined || users[u!] !== rest.join(':')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = u;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean).map((s) => {
      const [type, ...mid] = s.split(':');
      const actions = mid.pop()!.split(',');
      const name = mid.join(':');
      return { type: type!, name, actions: grant(user, type!, name, actions) };
    });
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.sign({ iss: issuer.issuer, sub: user ?? '', aud: url.searchParams.get('service') ?? '', exp: now + 300, nbf: now - 1, iat: now, jti: randomBytes(8).toString('hex'), access });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
