import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Progress, humanSize, progressBar, type JSONMessage } from '../../../src/distribution/client/progress.js';
import { pullEndpoints, pushEndpoint, isInsecure, loginEndpoint } from '../../../src/distribution/client/endpoints.js';
import { ParallelGzip } from '../../../src/distribution/client/parallel-gzip.js';

test('progress messages have dockerd’s shape; byte updates are throttled but the last one always goes', () => {
  const out: JSONMessage[] = [];
  const p = new Progress((m) => out.push(m), 10_000);
  p.status('Pulling from library/x', 'latest');
  p.status('Pulling fs layer', 'abc');
  p.bytes('abc', 'Downloading', 10, 100);
  p.bytes('abc', 'Downloading', 20, 100);
  p.bytes('abc', 'Downloading', 100, 100);
  p.aux({ Tag: 'v1' });
  assert.deepEqual(out[0], { status: 'Pulling from library/x', progressDetail: {}, id: 'latest' });
  assert.equal(out.filter((m) => m.status === 'Downloading').length, 2);
  assert.deepEqual(out[3]!.progressDetail, { current: 100, total: 100 });
  assert.match(out[3]!.progress!, /^\[=+>\]  100B\/100B$/);
  assert.deepEqual(out[4], { progressDetail: {}, aux: { Tag: 'v1' } });
  assert.equal(humanSize(3_146_000), '3.146MB');
  assert.match(progressBar(1, 2), /^\[={24}> {25}\]  1B\/2B$/);
});

test('Docker Hub names are refused without a mirror and go to the mirror when one is set', () => {
  const none = { insecureRegistries: [], registryMirrors: [] };
  assert.throws(() => pullEndpoints('docker.io', none), /registry-mirrors/);
  assert.throws(() => pushEndpoint('docker.io', none), /does not push to Docker Hub/);
  assert.throws(() => loginEndpoint('https://index.docker.io/v1/', none), /Docker Hub/);
  const [m] = pullEndpoints('docker.io', { insecureRegistries: [], registryMirrors: ['http://127.0.0.1:5001/'] });
  assert.deepEqual(m, { domain: 'docker.io', url: 'http://127.0.0.1:5001', insecure: true, mirror: true });
});

test('loopback is plain http; insecure-registries by name or CIDR; other hosts need TLS', () => {
  const o = { insecureRegistries: ['10.1.0.0/16', 'reg.test:5000'], registryMirrors: [] };
  assert.equal(pullEndpoints('127.0.0.1:5000', o)[0]!.url, 'http://127.0.0.1:5000');
  assert.equal(pullEndpoints('localhost:5000', o)[0]!.url, 'http://localhost:5000');
  assert.equal(isInsecure('10.1.2.3:5000', o), true);
  assert.equal(isInsecure('10.2.0.1', o), false);
  assert.equal(isInsecure('reg.test:5000', o), true);
  assert.deepEqual(pullEndpoints('reg.example:443', o)[0], { domain: 'reg.example:443', url: 'https://reg.example:443', insecure: false, mirror: false });
});

test('parallel gzip members concatenate into one stream gunzip reads back whole', async () => {
  const input = randomBytes(5 << 20);
  const parts: Buffer[] = [];
  for await (const c of Readable.from([input.subarray(0, 3), input.subarray(3)]).pipe(new ParallelGzip(1))) parts.push(c as Buffer);
  assert.ok(gunzipSync(Buffer.concat(parts)).equals(input));
  const empty: Buffer[] = [];
  for await (const c of Readable.from([]).pipe(new ParallelGzip())) empty.push(c as Buffer);
  assert.equal(gunzipSync(Buffer.concat(empty)).length, 0);
});
