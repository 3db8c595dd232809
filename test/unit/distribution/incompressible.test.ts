// The push side's choice to store a chunk instead of deflating it: only data that deflate could
// not shrink anyway is stored, and the gzip stream stays valid either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { incompressible } from '../../../src/distribution/client/incompressible.js';
import { ParallelGzip } from '../../../src/distribution/client/parallel-gzip.js';
import { collect } from '../layers/fixtures.js';

const MiB = 1 << 20;

function text(n: number): Buffer {
  const words = ['layer', 'container', 'image', 'registry', 'manifest', 'overlay', 'digest', 'volume'];
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 0 ? '\n' : ' ');
  return Buffer.from(s.slice(0, n));
}

test('random bytes are incompressible; text, zeros and short-period repeats are not', () => {
  assert.equal(incompressible(randomBytes(2 * MiB)), true);
  assert.equal(incompressible(text(2 * MiB)), false);
  assert.equal(incompressible(Buffer.alloc(2 * MiB)), false);
  // A 16 KiB random block repeated: deflate's 32 KiB window finds every repeat.
  const block = randomBytes(16 << 10);
  const repeated = Buffer.alloc(2 * MiB);
  for (let i = 0; i < repeated.length; i += block.length) block.copy(repeated, i);
  assert.ok(gzipSync(repeated).length < repeated.length / 10);
  assert.equal(incompressible(repeated), false);
});

test('a chunk that is partly compressible is deflated', () => {
  const mixed = Buffer.concat([randomBytes(MiB + 12345), text(MiB - 12345)]);
  assert.equal(incompressible(mixed), false);
  const mostlyRandom = Buffer.concat([randomBytes(2 * MiB - (256 << 10)), text(256 << 10)]);
  assert.equal(incompressible(mostlyRandom), false, 'the last sample falls in the text');
});

test('small chunks are always deflated', () => {
  assert.equal(incompressible(randomBytes(64 << 10)), false);
  assert.equal(incompressible(new Uint8Array(0)), false);
});

test('a stream mixing random and text chunks gzips to the same bytes, stored where deflate cannot help', async () => {
  const input = Buffer.concat([randomBytes(4 * MiB), text(4 * MiB), randomBytes(MiB + 3)]);
  const gz = await collect(Readable.from([input]).pipe(new ParallelGzip()));
  assert.ok(gunzipSync(gz).equals(input));
  // Random chunks cost at most their stored-block framing; text chunks still compress.
  assert.ok(gz.length < 5 * MiB + 3 + 4 * (MiB / 4), `gzip of ${input.length} bytes is ${gz.length}`);
});
