// Volumes and mounts through the real docker CLI and berth: chapter 4 of the study guide
// (volume create/ls/inspect/rm, --mount and -v in both forms), read-only mounts that refuse
// writes, data that outlives containers, copy-up from an image VOLUME, rm -v / --rm, prune,
// in-use refusal, tmpfs-backed volumes and --volumes-from.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, chownSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, sleep } from './harness.js';

let d: TestDaemon;

function ok(r: { code: number; stdout: string; stderr: string }, what = ''): string {
  assert.equal(r.code, 0, `${what}\n${r.stderr}`);
  return r.stdout;
}

function volumeNames(): string[] {
  return ok(d.docker(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
}

function mounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
}

before(async () => {
  d = new TestDaemon();
  await d.start();
  ok(d.docker(['import', busyboxTar(d.root), 'busybox']));
  // An image whose VOLUME /data already holds a file owned by 1000:1000 with mode 0640.
  const rootfs = join(d.root, 'rootfs');
  mkdirSync(join(rootfs, 'data/sub'), { recursive: true });
  writeFileSync(join(rootfs, 'data/hello.txt'), 'from the image\n');
  writeFileSync(join(rootfs, 'data/sub/deep.txt'), 'deep\n');
  chownSync(join(rootfs, 'data/hello.txt'), 1000, 1000);
  chmodSync(join(rootfs, 'data/hello.txt'), 0o640);
  const tar = join(d.root, 'withdata.tar');
  assert.equal(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status, 0);
  ok(d.docker(['import', '--change', 'VOLUME /data', tar, 'withdata']));
});

after(async () => {
  await d?.stop();
});

test('guide: volume create, ls, inspect, rm', () => {
  assert.equal(ok(d.docker(['volume', 'create', 'guide-vol'])), 'guide-vol\n');
  assert.match(ok(d.docker(['volume', 'ls'])), /^DRIVER\s+VOLUME NAME\nlocal\s+guide-vol$/m);
  const [v] = JSON.parse(ok(d.docker(['volume', 'inspect', 'guide-vol'])));
  assert.equal(v.Name, 'guide-vol');
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.equal(v.Mountpoint, join(d.dataRoot, 'volumes/guide-vol/_data'));
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  assert.ok(!('UsageData' in v));
  assert.ok(existsSync(v.Mountpoint));
  assert.equal(ok(d.docker(['volume', 'rm', 'guide-vol'])), 'guide-vol\n');
  assert.ok(!existsSync(v.Mountpoint));
  const missing = d.docker(['volume', 'inspect', 'guide-vol']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such volume/);
  const bad = d.docker(['volume', 'create', 'bad/name']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /includes invalid characters for a local volume name/);
});

test('data in a named volume survives its container and is seen by the next one', () => {
  ok(d.docker(['run', '--rm', '-v', 'persist:/private', 'busybox', 'sh', '-c', 'echo kept > /private/file']));
  assert.ok(volumeNames().includes('persist'), 'run -v NAME creates the volume');
  assert.equal(ok(d.docker(['run', '--rm', '--mount', 'type=volume,source=persist,destination=/again', 'busybox', 'cat', '/again/file'])), 'kept\n');
  ok(d.docker(['volume', 'rm', 'persist']));
});

test('two containers share one volume', async () => {
  ok(d.docker(['run', '-d', '--name', 'share-a', '-v', 'shared:/shared', 'busybox', 'sh', '-c', 'echo from-a > /shared/a; sleep 60']));
  try {
    let seen = '';
    for (let i = 0; i < 100 && seen !== 'from-a\n'; i++) {
      seen = d.docker(['run', '--rm', '-v', 'shared:/shared', 'busybox', 'cat', '/shared/a']).stdout;
      if (seen !== 'from-a\n') await sleep(100);
    }
    assert.equal(seen, 'from-a\n');
    ok(d.docker(['run', '--rm', '-v', 'shared:/shared', 'busybox', 'sh', '-c', 'echo from-b > /shared/b']));
    assert.equal(ok(d.docker(['exec', 'share-a', 'cat', '/shared/b'])), 'from-b\n');
    // In use: refused with 409 and the user's id.
    const id = ok(d.docker(['inspect', '-f', '{{.Id}}', 'share-a'])).trim();
    const res = await d.api('DELETE', '/volumes/shared');
    assert.equal(res.status, 409);
    assert.equal(res.body.message, `remove shared: volume is in use - [${id}]`);
    const rm = d.docker(['volume', 'rm', 'shared']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /volume is in use/);
  } finally {
    d.docker(['rm', '-f', 'share-a']);
  }
  ok(d.docker(['volume', 'rm', 'shared']));
});

test('guide: --mount type=bind,...,readonly and -v name:/path:ro refuse writes (EROFS)', () => {
  const host = join(d.root, 'home-private');
  mkdirSync(host);
  writeFileSync(join(host, 'secret'), 'host file\n');
  const bindRo = d.docker(['run', '--name', 'ro-bind', '--mount', `type=bind,source=${host},destination=/private,readonly`, 'busybox', 'sh', '-c', 'cat /private/secret; echo x > /private/new']);
  assert.equal(bindRo.code, 1);
  assert.equal(bindRo.stdout, 'host file\n');
  assert.match(bindRo.stderr, /Read-only file system/);
  assert.ok(!existsSync(join(host, 'new')));
  const mounts = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'ro-bind'])));
  assert.deepEqual(mounts, [{ Type: 'bind', Source: host, Destination: '/private', Mode: '', RW: false, Propagation: 'rprivate' }]);
  ok(d.docker(['rm', 'ro-bind']));

  ok(d.docker(['volume', 'create', 'private-volume']));
  ok(d.docker(['run', '--rm', '-v', 'private-volume:/private', 'busybox', 'sh', '-c', 'echo v > /private/f']));
  const volRo = d.docker(['run', '--name', 'ro-vol', '-v', 'private-volume:/private:ro', 'busybox', 'sh', '-c', 'cat /private/f; touch /private/g']);
  assert.equal(volRo.code, 1);
  assert.equal(volRo.stdout, 'v\n');
  assert.match(volRo.stderr, /Read-only file system/);
  const vm = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'ro-vol'])));
  assert.deepEqual(vm, [
    { Type: 'volume', Name: 'private-volume', Source: join(d.dataRoot, 'volumes/private-volume/_data'), Destination: '/private', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
  ]);
  ok(d.docker(['rm', 'ro-vol']));

  const mountRo = d.docker(['run', '--rm', '--mount', 'type=volume,source=private-volume,destination=/private,readonly', 'busybox', 'sh', '-c', 'echo x > /private/h']);
  assert.equal(mountRo.code, 1);
  assert.match(mountRo.stderr, /Read-only file system/);
  ok(d.docker(['volume', 'rm', 'private-volume']));
});

test('guide: -v /host:/path binds (a missing host directory is created); --mount refuses a missing source', () => {
  const host = join(d.root, 'made-by-v');
  assert.equal(ok(d.docker(['run', '--rm', '-v', `${host}:/private`, 'busybox', 'sh', '-c', 'echo w > /private/out; cat /private/out'])), 'w\n');
  assert.equal(readFileSync(join(host, 'out'), 'utf8'), 'w\n');
  const missing = join(d.root, 'not-there');
  const r = d.docker(['run', '--rm', '--mount', `type=bind,source=${missing},destination=/x`, 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${missing}`));
  assert.ok(!existsSync(missing));
  const badMode = d.docker(['run', '--rm', '-v', `${host}:/x:bogus`, 'busybox', 'true']);
  assert.equal(badMode.code, 125);
  assert.match(badMode.stderr, /invalid mode: bogus/);
  const dup = d.docker(['run', '--rm', '-v', `${host}:/x`, '-v', 'dupvol:/x', 'busybox', 'true']);
  assert.match(dup.stderr, /Duplicate mount point: \/x/);
  assert.ok(!volumeNames().includes('dupvol'), 'a failed create leaves no volume behind');
});

test('an image VOLUME gets the image files copied in, with owner and mode; run --rm removes it', () => {
  const before = volumeNames();
  const out = ok(d.docker(['run', '--rm', 'withdata', 'sh', '-c', 'cat /data/hello.txt /data/sub/deep.txt; stat -c "%u:%g %a" /data/hello.txt; grep " /data " /proc/mounts | wc -l']));
  assert.equal(out, 'from the image\ndeep\n1000:1000 640\n1\n');
  assert.deepEqual(volumeNames(), before, 'run --rm removed its anonymous volume');

  ok(d.docker(['run', '--name', 'keeps-anon', 'withdata', 'sh', '-c', 'echo more > /data/more']));
  const [m] = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'keeps-anon'])));
  assert.equal(m.Type, 'volume');
  assert.match(m.Name, /^[0-9a-f]{64}$/);
  assert.equal(m.Destination, '/data');
  assert.equal(m.Mode, '');
  assert.equal(m.RW, true);
  const [v] = JSON.parse(ok(d.docker(['volume', 'inspect', m.Name])));
  assert.deepEqual(v.Labels, { 'com.docker.volume.anonymous': '' });
  assert.equal(readFileSync(join(v.Mountpoint, 'more'), 'utf8'), 'more\n');
  // nocopy: the same image with an empty named volume that stays empty.
  assert.equal(ok(d.docker(['run', '--rm', '-v', 'nocopy-vol:/data:nocopy', 'withdata', 'ls', '-A', '/data'])), '');
  ok(d.docker(['volume', 'rm', 'nocopy-vol']));
  ok(d.docker(['rm', '-v', 'keeps-anon']));
  assert.ok(!volumeNames().includes(m.Name), 'rm -v removed the anonymous volume');
});

test('volume ls filters and prune (anonymous only, then -a)', () => {
  ok(d.docker(['volume', 'create', '--label', 'team=red', 'red-vol']));
  ok(d.docker(['volume', 'create', 'plain-vol']));
  ok(d.docker(['create', '--name', 'holder', '-v', 'plain-vol:/p', '-v', '/anon', 'busybox', 'true']));
  const anon = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'holder']))).find((x: { Destination: string }) => x.Destination === '/anon').Name;
  assert.deepEqual(ok(d.docker(['volume', 'ls', '-q', '--filter', 'label=team=red'])).trim().split('\n'), ['red-vol']);
  assert.deepEqual(ok(d.docker(['volume', 'ls', '-q', '--filter', 'dangling=true'])).trim().split('\n'), ['red-vol']);
  assert.deepEqual(ok(d.docker(['volume', 'ls', '-q', '--filter', 'name=plain'])).trim().split('\n'), ['plain-vol']);
  assert.equal(ok(d.docker(['volume', 'ls', '--format', '{{.Name}} {{.Labels}}', '--filter', 'name=red'])), 'red-vol team=red\n');
  ok(d.docker(['rm', 'holder'])); // without -v: the anonymous volume stays, unused
  assert.ok(volumeNames().includes(anon));
  const pruned = ok(d.docker(['volume', 'prune', '-f']));
  assert.match(pruned, new RegExp(`^Deleted Volumes:\n${anon}\n\nTotal reclaimed space: `));
  assert.deepEqual(volumeNames().sort(), ['plain-vol', 'red-vol']);
  const all = ok(d.docker(['volume', 'prune', '-a', '-f', '--filter', 'label=team=red']));
  assert.match(all, /^Deleted Volumes:\nred-vol\n/);
  assert.deepEqual(volumeNames(), ['plain-vol']);
  ok(d.docker(['volume', 'prune', '-af']));
  assert.deepEqual(volumeNames(), []);
});

test('a tmpfs-backed local volume is mounted while used and unmounted after', () => {
  ok(d.docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m,mode=0700', 'ramvol']));
  const [v] = JSON.parse(ok(d.docker(['volume', 'inspect', 'ramvol'])));
  assert.deepEqual(v.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=0700' });
  const line = ok(d.docker(['run', '--rm', '-v', 'ramvol:/t', 'busybox', 'sh', '-c', 'echo x > /t/f && grep " /t " /proc/mounts']));
  assert.match(line, /^tmpfs \/t tmpfs rw,.*size=1024k,mode=700/);
  assert.ok(!mounted(v.Mountpoint), 'unmounted after the last user exited');
  ok(d.docker(['volume', 'rm', 'ramvol']));
  // A bind-backed volume writes through to the host directory, and removing it leaves that directory alone.
  const hostDir = join(d.root, 'bind-backed');
  mkdirSync(hostDir);
  ok(d.docker(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${hostDir}`, 'bindvol']));
  ok(d.docker(['run', '--rm', '-v', 'bindvol:/b', 'busybox', 'sh', '-c', 'echo through > /b/f']));
  assert.equal(readFileSync(join(hostDir, 'f'), 'utf8'), 'through\n');
  ok(d.docker(['volume', 'rm', 'bindvol']));
  assert.equal(readFileSync(join(hostDir, 'f'), 'utf8'), 'through\n');
  const bad = d.docker(['volume', 'create', '-o', 'bogus=1', 'badopt']);
  assert.match(bad.stderr, /invalid option: "bogus"/);
});

test('--volumes-from (rw and :ro) and --mount type=tmpfs', () => {
  ok(d.docker(['create', '--name', 'datac', '-v', 'fromvol:/shared', 'busybox', 'true']));
  ok(d.docker(['run', '--rm', '--volumes-from', 'datac', 'busybox', 'sh', '-c', 'echo via-from > /shared/x']));
  const ro = d.docker(['run', '--rm', '--volumes-from', 'datac:ro', 'busybox', 'sh', '-c', 'cat /shared/x; echo y > /shared/y']);
  assert.equal(ro.stdout, 'via-from\n');
  assert.match(ro.stderr, /Read-only file system/);
  ok(d.docker(['rm', 'datac']));
  ok(d.docker(['volume', 'rm', 'fromvol']));

  ok(d.docker(['create', '--name', 'tmpc', '--mount', 'type=tmpfs,destination=/scratch,tmpfs-size=1m,tmpfs-mode=1770', 'busybox', 'grep', ' /scratch ', '/proc/mounts']));
  assert.deepEqual(JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'tmpc']))), [
    { Type: 'tmpfs', Source: '', Destination: '/scratch', Mode: '', RW: true, Propagation: '' },
  ]);
  assert.match(ok(d.docker(['start', '-a', 'tmpc'])), /^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,.*size=1024k,mode=1770/);
  ok(d.docker(['rm', 'tmpc']));
});

test('berth volume create/ls/inspect/rm/prune and berth run -v', () => {
  assert.equal(ok(d.berth(['volume', 'create', '--label', 'by=berth', 'bvol'])), 'bvol\n');
  assert.match(ok(d.berth(['volume', 'ls'])), /^DRIVER\s+VOLUME NAME\nlocal\s+bvol$/m);
  assert.equal(ok(d.berth(['volume', 'ls', '-q', '--filter', 'label=by'])), 'bvol\n');
  assert.equal(ok(d.berth(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels.by}}', 'bvol'])), 'bvol local berth\n');
  ok(d.berth(['run', '--rm', '-v', 'bvol:/b', 'busybox', 'sh', '-c', 'echo berth > /b/f']));
  const ro = d.berth(['run', '--rm', '--mount', 'type=volume,source=bvol,destination=/b,readonly', 'busybox', 'sh', '-c', 'cat /b/f; echo z > /b/z']);
  assert.equal(ro.stdout, 'berth\n');
  assert.match(ro.stderr, /Read-only file system/);
  ok(d.berth(['create', '--name', 'bholder', '-v', 'bvol:/b', 'busybox', 'true']));
  const inUse = d.berth(['volume', 'rm', 'bvol']);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /Error response from daemon: remove bvol: volume is in use - \[[0-9a-f]{64}\]/);
  ok(d.berth(['rm', 'bholder']));
  assert.equal(ok(d.berth(['volume', 'rm', 'bvol'])), 'bvol\n');
  const missing = d.berth(['volume', 'rm', 'bvol']);
  assert.match(missing.stderr, /get bvol: no such volume/);
  ok(d.berth(['volume', 'create', 'bgone']));
  assert.match(ok(d.berth(['volume', 'prune', '-a', '-f'])), /^Deleted Volumes:\nbgone\n\nTotal reclaimed space: 0B\n$/);
});

test('volume events: create, mount, unmount, destroy', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  ok(d.docker(['run', '--rm', '-v', 'evvol:/e', 'busybox', 'true']));
  ok(d.docker(['volume', 'rm', 'evvol']));
  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = ok(d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']));
  // --since has one-second granularity: earlier tests' events may be in the window too.
  const mine = ev.trim().split('\n').filter((l) => l.endsWith(' evvol'));
  assert.deepEqual(mine, ['create evvol', 'mount evvol', 'unmount evvol', 'destroy evvol']);
});
