// The pull and push byte pipelines at layer scale: a multi-MiB layer compressed by ParallelGzip
// (many members, several workers), applied with its tar-split recorded, and replayed for push.
// Bodies cross every internal piece boundary (gzip members, gunzip output, body reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { ParallelGzip } from '../../../src/distribution/client/parallel-gzip.js';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { TarSplitRecorder, layerTarStream } from '../../../src/layers/tar-split.js';
import { writeTar } from '../../../src/layers/archive/tar-writer.js';
import { withTempDir, collect, sha256, t } from '../layers/fixtures.js';

const MiB = 1 << 20;

/** Content that compresses somewhat (repeated runs) but is not uniform. */
function content(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  const run = randomBytes(4096);
  for (let i = 0; i < n; i += 4096) run.copy(out, i, 0, Math.min(4096, n - i));
  for (let i = seed % 997; i < n; i += 997) out[i] = (i * seed) & 0xff;
  return out;
}

/** Splits a buffer into irregular pieces, as a network delivers it. */
function irregular(buf: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let off = 0, k = 0; off < buf.length; k++) {
    const n = [1, 511, 65536, 3 * MiB + 7, 13][k % 5]!;
    pieces.push(buf.subarray(off, off + n));
    off += n;
  }
  return Readable.from(pieces, { objectMode: false });
}

test('a multi-member gzip layer applies to identical files and replays byte for byte for push', async () => {
  await withTempDir(async (dir) => {
    // Sizes straddle the 1 MiB pieces and 2 MiB gzip members; small entries sit in between.
    const sizes = [MiB - 1, MiB, MiB + 1, 2 * MiB + 513, 0, 5 * MiB + 3, 100];
    const files = sizes.map((n, i) => ({ name: `d/f${i}`, body: content(n, i + 1) }));
    const tar = await collect(writeTar([t.dir('d'), ...files.map((f) => t.file(f.name, f.body)), t.symlink('f0', 'd/link')]));
    const gz = await collect(irregular(tar).pipe(new ParallelGzip()));
    assert.ok(gunzipSync(gz).equals(tar), 'the members gunzip to the tar');

    const layer = join(dir, 'layer');
    const rec = new TarSplitRecorder(join(dir, 'tar-split.json.gz'));
    const { diffId } = await applyLayer(irregular(gz), layer, { tarSplit: rec, expectedDiffId: sha256(tar) });
    const size = await rec.finish();
    assert.equal(diffId, sha256(tar));
    assert.equal(size, tar.length);
    for (const f of files) assert.ok((await fs.readFile(join(layer, f.name))).equals(f.body), `${f.name} has its bytes`);

    const replayed = await collect(layerTarStream(layer, join(dir, 'tar-split.json.gz')));
    assert.equal(replayed.length, tar.length);
    assert.ok(replayed.equals(tar), 'the replayed tar is the original');
  });
});

test('concurrent ParallelGzip streams each get their own bytes back, in order', async () => {
  const inputs = [content(7 * MiB + 5, 3), content(3 * MiB, 4), content(10, 5), Buffer.alloc(0)];
  const outs = await Promise.all(inputs.map((b) => collect(irregular(b).pipe(new ParallelGzip(1)))));
  for (let i = 0; i < inputs.length; i++) {
    const back = gunzipSync(outs[i]!);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(inputs[i]!).digest('hex'), `stream ${i}`);
  }
});

test('a layer whose gzip data is corrupt in a later member is refused', async () => {
  await withTempDir(async (dir) => {
    const tar = await collect(writeTar([t.file('big', content(6 * MiB, 9))]));
    const gz = await collect(irregular(tar).pipe(new ParallelGzip()));
    gz[gz.length - 1000] ^= 0xff;
    await assert.rejects(applyLayer(irregular(gz), join(dir, 'layer'), { expectedDiffId: sha256(tar) }));
  });
});

test('a gzip worker that fails fails its stream, and later streams still compress', async () => {
  const input = content(5 * MiB, 11);
  // zlib refuses level 42 inside the worker, which then dies.
  await assert.rejects(collect(irregular(input).pipe(new ParallelGzip(42))));
  const out = await collect(irregular(input).pipe(new ParallelGzip()));
  assert.ok(gunzipSync(out).equals(input));
});
