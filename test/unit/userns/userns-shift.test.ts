import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { readTar } from '../../../src/layers/archive/tar-reader.js';
import { IdMapping } from '../../../src/userns/id-mapping.js';
import { shiftTree } from '../../../src/userns/ownership.js';
import { TarSplitRecorder, layerTarStream } from '../../../src/layers/tar-split.js';
import { collect, sha256, t, tarOf, withTempDir } from '../layers/fixtures.js';

const mapping = new IdMapping([{ containerID: 0, hostID: 100000, size: 65536 }], [{ containerID: 0, hostID: 200000, size: 65536 }]);

test('applying a layer with an id shift writes host ids and keeps setuid bits; the layer tar is unchanged', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([
      t.dir('etc/'),
      t.file('etc/passwd', 'root:x:0:0\n'),
      t.file('bin/su', 'suid', 0o4755),
      t.file('home/app', 'x', 0o640, { uid: 1000, gid: 1000 }),
      t.symlink('app', 'home/link', { uid: 1000, gid: 50 }),
    ]);
    const out = join(dir, 'diff');
    const recorder = new TarSplitRecorder(join(dir, 'ts.json.gz'));
    const { diffId } = await applyLayer(Readable.from([tar]), out, { idMap: mapping, tarSplit: recorder });
    await recorder.finish();
    assert.equal(diffId, sha256(tar));
    const owner = async (p: string) => {
      const st = await fs.lstat(join(out, p));
      return [st.uid, st.gid, st.mode & 0o7777];
    };
    assert.deepEqual((await owner('.')).slice(0, 2), [100000, 200000]);
    assert.deepEqual(await owner('etc/passwd'), [100000, 200000, 0o644]);
    assert.deepEqual(await owner('bin/su'), [100000, 200000, 0o4755]);
    assert.deepEqual(await owner('home/app'), [101000, 201000, 0o640]);
    assert.deepEqual((await owner('home/link')).slice(0, 2), [101000, 200050]);
    // Exported again (save, push), the layer carries the image's own ids.
    const back = await collect(Readable.from(layerTarStream(out, recorder.path) as AsyncIterable<Buffer>));
    assert.equal(sha256(back), diffId);
    const ids: Record<string, number> = {};
    for await (const { header, body } of readTar(Readable.from([back]))) {
      ids[header.name] = header.uid;
      body.resume();
    }
    assert.equal(ids['home/app'], 1000);
  });
});

test('a layer owned by an id outside the mapping is refused, naming the entry', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([t.file('big-uid', 'x', 0o644, { uid: 70000, gid: 0 })]);
    await assert.rejects(applyLayer(Readable.from([tar]), join(dir, 'diff'), { idMap: mapping }), /"big-uid".*container uid 70000 cannot be mapped/);
  });
});

test('shiftTree moves every entry of a tree to its mapped ids, setuid bits kept', async () => {
  await withTempDir(async (dir) => {
    await fs.mkdir(join(dir, 't/sub'), { recursive: true });
    await fs.writeFile(join(dir, 't/sub/f'), 'x', { mode: 0o2755 });
    await fs.lchown(join(dir, 't/sub/f'), 7, 8);
    await fs.chmod(join(dir, 't/sub/f'), 0o2755);
    await fs.symlink('/nowhere', join(dir, 't/l'));
    assert.equal(await shiftTree(join(dir, 't'), mapping), 4);
    const f = await fs.lstat(join(dir, 't/sub/f'));
    assert.deepEqual([f.uid, f.gid, f.mode & 0o7777], [100007, 200008, 0o2755]);
    const l = await fs.lstat(join(dir, 't/l'));
    assert.deepEqual([l.uid, l.gid], [100000, 200000]);
  });
});
