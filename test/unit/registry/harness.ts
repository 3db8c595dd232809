// Shared test harness: a registry on 127.0.0.1 with an ephemeral port over a temp root, and a
// raw HTTP client (node:http, so tests control Content-Length and can cut requests short).
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startRegistry, type RunningRegistry } from '../../../src/distribution/registry/server.js';
import type { RegistryConfig } from '../../../src/distribution/registry/config.js';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

export interface TestRegistry extends RunningRegistry {
  root: string;
  req(method: string, path: string, body?: Buffer | string, headers?: Record<string, string>): Promise<Reply>;
  cleanup(): Promise<void>;
}

export async function testRegistry(opts: Partial<RegistryConfig> & { root?: string } = {}): Promise<TestRegistry> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'berth-registry-test-')));
  const reg = await startRegistry({ ...opts, addr: '127.0.0.1:0', root });
  return {
    ...reg,
    root,
    req: (method, path, body, headers) => request(reg.url, method, path, body, headers),
    async cleanup() {
      await reg.close();
      if (!opts.root) await rm(root, { recursive: true, force: true });
    },
  };
}

export function request(
  base: string,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const data = body === undefined ? undefined : Buffer.from(body);
    const h: Record<string, string> = { ...headers };
    if (data && h['Content-Length'] === undefined) h['Content-Length'] = String(data.length);
    const r = http.request(url, { method, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString()) });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(data);
  });
}

export function digestOf(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Pushes a blob monolithically and returns its digest. */
export async function pushBlob(reg: TestRegistry, repo: string, data: Buffer | string): Promise<string> {
  const d = digestOf(data);
  const r = await reg.req('POST', `/v2/${repo}/blobs/uploads/?digest=${d}`, data, { 'Content-Type': 'application/octet-stream' });
  if (r.status !== 201) throw new Error(`push blob: ${r.status} ${r.body}`);
  return d;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** Pushes a config and one layer and returns an OCI image manifest (not yet pushed) for them. */
export async function imageManifest(
  reg: TestRegistry,
  repo: string,
  seed: string,
  extra: Record<string, unknown> = {},
): Promise<{ body: string; digest: string; config: string; layer: string }> {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', seed });
  const layer = `layer bytes of ${seed}`;
  const cd = await pushBlob(reg, repo, config);
  const ld = await pushBlob(reg, repo, layer);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: ld, size: layer.length }],
    ...extra,
  });
  return { body, digest: digestOf(body), config: cd, layer: ld };
}

export async function putManifest(reg: TestRegistry, repo: string, ref: string, body: string, type = OCI_MANIFEST): Promise<Reply> {
  return reg.req('PUT', `/v2/${repo}/manifests/${ref}`, body, { 'Content-Type': type });
}
