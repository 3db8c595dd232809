import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readTar, type TarEntry } from '../../../src/layers/archive/tar-reader.js';
import { encodeHeader, writeTar } from '../../../src/layers/archive/tar-writer.js';
import { collect, t, tarOf, withTempDir } from './fixtures.js';

async function readAll(buf: Buffer | Readable): Promise<{ header: TarEntry['header']; data: Buffer }[]> {
  const out = [];
  for await (const e of readTar(Buffer.isBuffer(buf) ? Readable.from([buf]) : buf)) {
    out.push({ header: e.header, data: await collect(e.body) });
  }
  return out;
}

// A capability set as setcap writes it: binary, with bytes that are not valid UTF-8.
const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');

test('PAX round trip keeps long names, binary xattrs, nanosecond times and big ids', async () => {
  const name100 = 'd/' + 'a'.repeat(120);
  const name255 = 'x'.repeat(100) + '/' + 'y'.repeat(100) + '/' + 'z'.repeat(100);
  const tar = await tarOf([
    t.file(name100, 'hello', 0o4755, { xattrs: new Map([['security.capability', CAP], ['user.bin', Buffer.from([0xff, 0xfe, 0x00, 0x80])]]), mtimeNs: 1_700_000_000_123_456_789n }),
    t.file(name255, 'long', 0o644, { uid: 3_000_000, gid: 70_000_000, uname: 'u'.repeat(40) }),
    t.link(name100, 'hard/' + 'l'.repeat(150)),
    t.symlink('/' + 't'.repeat(200), 'sym'),
    { header: { name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 } },
    { header: { name: 'dev/sda', type: 'block', mode: 0o660, devmajor: 8, devminor: 0 } },
    { header: { name: 'fifo', type: 'fifo', mode: 0o600 } },
    t.dir('ünïcode-dir', 0o1777),
  ]);
  const got = await readAll(tar);
  assert.deepEqual(
    got.map((e) => [e.header.type, e.header.name]),
    [
      ['file', name100],
      ['file', name255],
      ['hardlink', 'hard/' + 'l'.repeat(150)],
      ['symlink', 'sym'],
      ['char', 'dev/null'],
      ['block', 'dev/sda'],
      ['fifo', 'fifo'],
      ['dir', 'ünïcode-dir/'],
    ],
  );
  const [f, big, hard, sym, dev] = got;
  assert.equal(f!.data.toString(), 'hello');
  assert.equal(f!.header.mode, 0o4755);
  assert.equal(f!.header.mtimeNs, 1_700_000_000_123_456_789n);
  assert.deepEqual(f!.header.xattrs.get('security.capability'), CAP);
  assert.deepEqual(f!.header.xattrs.get('user.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x80]));
  assert.equal(big!.header.uid, 3_000_000);
  assert.equal(big!.header.gid, 70_000_000);
  assert.equal(big!.header.uname, 'u'.repeat(40));
  assert.equal(big!.data.toString(), 'long');
  assert.equal(hard!.header.linkname, name100);
  assert.equal(sym!.header.linkname, '/' + 't'.repeat(200));
  assert.deepEqual([dev!.header.devmajor, dev!.header.devminor], [1, 3]);
  assert.equal(got[7]!.header.mode, 0o1777);
});

test('GNU tar reads what we write, including PAX names and xattrs', async () => {
  const name = 'p/' + 'q'.repeat(260);
  const tar = await tarOf([t.dir('p'), t.file(name, 'data', 0o2755, { xattrs: new Map([['user.k', Buffer.from('v')]]), mtimeNs: 1_700_000_000_000_000_005n })]);
  const r = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-tvf', '-', '--full-time'], { input: tar, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`-rwxr-sr-x\\*? 0/0\\s+4 2023-11-14 22:13:20\\.0*5 ${name}`));
});

test('reads what GNU tar writes: GNU long names and links, base-256 sizes are parsed', async () => {
  await withTempDir(async (dir) => {
    const long = 'n'.repeat(150);
    await fs.mkdir(join(dir, 'src', long), { recursive: true });
    await fs.writeFile(join(dir, 'src', long, long), 'gnu');
    await fs.link(join(dir, 'src', long, long), join(dir, 'src', 'h'));
    const child = spawn('tar', ['--format=gnu', '-C', join(dir, 'src'), '-cf', '-', long, 'h']);
    const got = await readAll(child.stdout);
    assert.deepEqual(
      got.map((e) => [e.header.type, e.header.name, e.header.linkname, e.data.toString()]),
      [
        ['dir', `${long}/`, '', ''],
        ['file', `${long}/${long}`, '', 'gnu'],
        ['hardlink', 'h', `${long}/${long}`, ''],
      ],
    );
  });
});

test('a global PAX header applies to later entries; a per-entry one overrides it', async () => {
  const globalRecords = Buffer.from('16 uname=global\n');
  const g = encodeHeader({ name: 'pax_global_header', type: 'file', size: globalRecords.length });
  g[156] = 'g'.charCodeAt(0);
  // Recompute the checksum after changing the type flag.
  g.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of g.subarray(0, 512)) sum += b;
  g.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  const rest = await tarOf([t.file('a', 'x'), t.file('b', 'y', 0o644, { uname: 'o'.repeat(40) })]);
  const pad = Buffer.alloc(512 - globalRecords.length);
  const got = await readAll(Buffer.concat([g, globalRecords, pad, rest]));
  assert.deepEqual(
    got.map((e) => [e.header.name, e.header.uname]),
    [
      ['a', 'global'],
      ['b', 'o'.repeat(40)],
    ],
  );
});

test('a bad checksum is refused with a clear error', async () => {
  const tar = await tarOf([t.file('a', 'content')]);
  tar[0] = 'b'.charCodeAt(0);
  await assert.rejects(readAll(tar), /invalid tar header at byte 0: checksum mismatch/);
});

test('a stream that is not a tar is refused', async () => {
  await assert.rejects(readAll(Buffer.alloc(1024, 'x')), /checksum mismatch|not octal/);
});

test('a stream cut off inside a file body is refused', async () => {
  const tar = await tarOf([t.file('a', 'x'.repeat(2000)), t.file('b', 'y')]);
  await assert.rejects(readAll(tar.subarray(0, 512 + 1000)), /unexpected end of tar stream in the data of "a"/);
  await assert.rejects(readAll(tar.subarray(0, 300)), /unexpected end of tar stream in the tar header at byte 0/);
});

test('bodies left unread are skipped and the writer checks sizes', async () => {
  const tar = await tarOf([t.file('a', 'x'.repeat(100_000)), t.file('b', 'second')]);
  const names: string[] = [];
  let second = '';
  for await (const e of readTar(Readable.from([tar]))) {
    names.push(e.header.name);
    if (e.header.name === 'b') second = (await collect(e.body)).toString();
  }
  assert.deepEqual(names, ['a', 'b']);
  assert.equal(second, 'second');
  const bad = writeTar([{ header: { name: 'a', type: 'file', size: 10 }, body: Readable.from([Buffer.from('short')]) }]);
  await assert.rejects(collect(bad), /expected 10 bytes, got 5/);
});
