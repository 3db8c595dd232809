// The standalone registry process: `main.js serve` configured from REGISTRY_* with TLS, a
// startup line naming its address, and a clean exit on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../../src/distribution/registry/main.js', import.meta.url));

describe('registry serve', () => {
  it('serves TLS configured from the environment and exits 0 on SIGTERM', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-cli-'));
    try {
      try {
        await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
          '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
      } catch {
        t.skip('openssl is not available to make a test certificate');
        return;
      }
      const child = spawn(process.execPath, [MAIN, 'serve', '--addr', '127.0.0.1:0'], {
        env: {
          ...process.env,
          REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'root'),
          REGISTRY_HTTP_TLS_CERTIFICATE: join(dir, 'cert.pem'),
          REGISTRY_HTTP_TLS_KEY: join(dir, 'key.pem'),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = /listening on .*\((https:\/\/[^)]+)\)/.exec(stderr);
          if (m) resolve(m[1]);
        });
        child.on('exit', () => reject(new Error(`registry exited: ${stderr}`)));
      });
      const status = await new Promise<{ code?: number; version?: string | string[] }>((resolve, reject) => {
        https
          .get(`${url}/v2/`, { rejectUnauthorized: false, agent: false }, (res) => {
            res.resume();
            resolve({ code: res.statusCode, version: res.headers['docker-distribution-api-version'] });
          })
          .on('error', reject);
      });
      assert.deepEqual(status, { code: 200, version: 'registry/2.0' });
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
