import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextFreeRange, parseSubIds, rangesOf } from '../../../src/userns/subid.js';
import { IdMapping } from '../../../src/userns/id-mapping.js';
import { parseRemapSetting, prepareRemappedRoot, resolveRemap } from '../../../src/userns/remap-root.js';

test('subuid lines parse, comments and blank lines are skipped', () => {
  const r = parseSubIds('# comment\nalice:100000:65536\n\n1001:231072:1000\n');
  assert.deepEqual(r, [
    { owner: 'alice', start: 100000, length: 65536 },
    { owner: '1001', start: 231072, length: 1000 },
  ]);
});

test('a malformed subuid line is an error naming the file and line', () => {
  assert.throws(() => parseSubIds('alice:100000:65536\nbob:x:1\n', '/etc/subgid'), /invalid line 2 in \/etc\/subgid/);
  assert.throws(() => parseSubIds('alice:100000\n'), /invalid line 1/);
});

test('a user owns the lines with its name or numeric id, sorted by start', () => {
  const all = parseSubIds('alice:300000:10\nbob:100000:65536\n1001:200000:20\n');
  assert.deepEqual(rangesOf(all, 'alice', 1001).map((r) => r.start), [200000, 300000]);
  assert.deepEqual(rangesOf(all, 'carol', 1002), []);
});

test('the first free 65536 range at or above 100000 is allocated', () => {
  assert.equal(nextFreeRange([]), 100000);
  assert.equal(nextFreeRange(parseSubIds('a:100000:65536\n')), 165536);
  // A gap too small for 65536 ids is skipped; one large enough is used.
  assert.equal(nextFreeRange(parseSubIds('a:100000:65536\nb:200000:65536\n')), 265536);
  assert.equal(nextFreeRange(parseSubIds('b:400000:65536\na:100000:65536\n')), 165536);
  // Ranges below 100000 do not matter; one straddling it pushes the start past its end.
  assert.equal(nextFreeRange(parseSubIds('low:1000:5000\n')), 100000);
  assert.equal(nextFreeRange(parseSubIds('x:90000:20000\n')), 110000);
});

test('the mapping lays container ids over the ranges in order and refuses ids outside them', () => {
  const m = IdMapping.fromRanges(parseSubIds('u:100000:1000\nu:500000:2000\n'), parseSubIds('g:200000:65536\n'));
  assert.deepEqual(m.uidMaps, [
    { containerID: 0, hostID: 100000, size: 1000 },
    { containerID: 1000, hostID: 500000, size: 2000 },
  ]);
  assert.deepEqual(m.root, { uid: 100000, gid: 200000 });
  assert.deepEqual(m.toHost(999, 65535), [100999, 265535]);
  assert.deepEqual(m.toHost(1000, 0), [500000, 200000]);
  assert.throws(() => m.toHostUid(3000), /container uid 3000 cannot be mapped/);
  assert.throws(() => m.toHostGid(65536), /container gid 65536 cannot be mapped/);
});

test('the daemon setting splits as dockerd splits it', () => {
  assert.deepEqual(parseRemapSetting('default'), { user: 'dockremap', group: 'dockremap', create: true });
  assert.deepEqual(parseRemapSetting('alice'), { user: 'alice', group: 'alice', create: false });
  assert.deepEqual(parseRemapSetting('alice:staff'), { user: 'alice', group: 'staff', create: false });
  assert.throws(() => parseRemapSetting('a:b:c'), /Invalid user\/group specification/);
  assert.throws(() => parseRemapSetting(''), /empty value/);
});

async function files(dir: string, subuid: string, subgid: string) {
  const f = { passwd: join(dir, 'passwd'), group: join(dir, 'group'), subuid: join(dir, 'subuid'), subgid: join(dir, 'subgid') };
  await fs.writeFile(f.passwd, 'root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n');
  await fs.writeFile(f.group, 'root:x:0:\nalice:x:1001:\nstaff:x:50:\n');
  await fs.writeFile(f.subuid, subuid);
  await fs.writeFile(f.subgid, subgid);
  return f;
}

test('an existing user with ranges resolves to its mapping; one without ranges is refused', async () => {
  const dir = await fs.mkdtemp(join(tmpdir(), 'berth-userns-'));
  try {
    const f = await files(dir, 'alice:300000:65536\n', '50:400000:65536\n');
    const r = await resolveRemap('alice:staff', f);
    assert.deepEqual(r.mapping.root, { uid: 300000, gid: 400000 });
    assert.deepEqual(r.created, []);
    await assert.rejects(resolveRemap('alice', f), /No subgid ranges found for group "alice"/);
    await assert.rejects(resolveRemap('nobody-here', f), /uid lookup for "nobody-here"/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the remapped root is <uid>.<gid>, group-traversable, and a closed parent is refused', async () => {
  const dir = await fs.mkdtemp(join(tmpdir(), 'berth-userns-'));
  try {
    const m = IdMapping.fromRanges(parseSubIds('u:300000:65536\n'), parseSubIds('g:400000:65536\n'));
    const data = join(dir, 'data');
    await fs.mkdir(data, { mode: 0o711 });
    await fs.chmod(dir, 0o700);
    await assert.rejects(prepareRemappedRoot(data, m), /restricts access to the remapped root/);
    await fs.chmod(dir, 0o711);
    const root = await prepareRemappedRoot(data, m);
    assert.equal(root, join(data, '300000.400000'));
    const st = await fs.stat(root);
    assert.equal(st.mode & 0o777, 0o710);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, 400000);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
