import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { writeTar, type TarWriteEntry } from '../../../src/layers/archive/tar-writer.js';
import { readTar } from '../../../src/layers/archive/tar-reader.js';
import { translateTarIds } from '../../../src/layers/archive/tar-ids.js';
import { IdMapping } from '../../../src/userns/id-mapping.js';
import { collect } from '../layers/fixtures.js';

const mapping = new IdMapping([{ containerID: 0, hostID: 100000, size: 65536 }], [{ containerID: 0, hostID: 200000, size: 65536 }]);

async function entriesOf(tar: Readable) {
  const out: { name: string; uid: number; gid: number; body: string; xattrs: number }[] = [];
  for await (const e of readTar(tar)) {
    out.push({ name: e.header.name, uid: e.header.uid, gid: e.header.gid, body: (await collect(e.body)).toString(), xattrs: e.header.xattrs?.size ?? 0 });
  }
  return out;
}

test('owner ids in a tar go back to the container\'s; names, bodies and PAX data stay', async () => {
  const big = 'x'.repeat(1500); // spans blocks, so the rewriter must find the next header by size
  const long = `deep/${'d'.repeat(120)}/file`; // a PAX path record
  const entries: TarWriteEntry[] = [
    { header: { name: 'etc/', type: 'dir', uid: 100000, gid: 200000, mode: 0o755 } },
    { header: { name: 'etc/passwd', type: 'file', uid: 100000, gid: 200000, mode: 0o644, size: big.length }, body: Readable.from([Buffer.from(big)]) },
    { header: { name: 'home/u', type: 'file', uid: 101000, gid: 201000, mode: 0o644, size: 2, xattrs: new Map([['user.k', Buffer.from([0, 1, 2])]]) }, body: Readable.from([Buffer.from('hi')]) },
    { header: { name: long, type: 'file', uid: 100007, gid: 200007, mode: 0o600, size: 0 }, body: Readable.from([]) },
    { header: { name: 'link', type: 'symlink', uid: 100000, gid: 200000, linkname: 'etc/passwd' } },
    { header: { name: 'stray', type: 'file', uid: 0, gid: 0, mode: 0o644, size: 0 }, body: Readable.from([]) },
  ];
  const got = await entriesOf(translateTarIds(writeTar(entries), mapping));
  assert.deepEqual(
    got.map((e) => [e.name, e.uid, e.gid]),
    [
      ['etc/', 0, 0],
      ['etc/passwd', 0, 0],
      ['home/u', 1000, 1000],
      [long, 7, 7],
      ['link', 0, 0],
      // Host root is outside the ranges: shown as the overflow id, as inside the container.
      ['stray', 65534, 65534],
    ],
  );
  assert.equal(got[1]!.body, big);
  assert.equal(got[2]!.body, 'hi');
  assert.equal(got[2]!.xattrs, 1);
});

test('uid and gid PAX records (ids too large for the octal field) are rewritten too', async () => {
  const wide = new IdMapping([{ containerID: 0, hostID: 3_000_000, size: 65536 }], [{ containerID: 0, hostID: 3_000_000, size: 65536 }]);
  const tar = writeTar([{ header: { name: 'f', type: 'file', uid: 3_000_042, gid: 3_000_043, mode: 0o644, size: 3 }, body: Readable.from([Buffer.from('abc')]) }]);
  const got = await entriesOf(translateTarIds(tar, wide));
  assert.deepEqual(got.map((e) => [e.name, e.uid, e.gid, e.body]), [['f', 42, 43, 'abc']]);
});

test('without a mapping the stream is handed back untouched', () => {
  const tar = writeTar([]);
  assert.equal(translateTarIds(tar, undefined), tar);
});
