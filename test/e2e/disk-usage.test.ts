// Disk usage and clean-up through the real docker CLI: `system df [-v]` sizes against du of the
// layer, RW-layer and volume directories; prune filters; the legacy build cache in df and
// `builder prune`; and prune really freeing the disk, measured with statfs and du on a data root
// that is a filesystem of its own (a loop-mounted ext4 file, so other tests' writes do not count).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, statfsSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TestDaemon, busyboxTar } from './harness.js';

const MiB = 1024 * 1024;
const RUN = randomBytes(3).toString('hex');
const d = new TestDaemon();
let fresh: { used: number; du: number };

function ok(r: { code: number; stdout: string; stderr: string }, what = ''): string {
  assert.equal(r.code, 0, `${what}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Bytes used on disk by the given trees, each inode once, on their filesystem only. */
function du(...paths: string[]): number {
  const out = sh('du', ['-scx', '--block-size=1', ...paths]).trim().split('\n');
  return Number(out[out.length - 1]!.split(/\s+/)[0]);
}

/** Used bytes of the data root's filesystem, after the kernel has written everything back. */
function fsUsed(): number {
  sh('sync', ['-f', d.dataRoot]);
  const s = statfsSync(d.dataRoot);
  return (s.blocks - s.bfree) * s.bsize;
}

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`);
}

function within5(actual: number, expected: number, what: string): void {
  near(actual, expected, expected * 0.05, what);
}

/** A one-layer image tar holding `mib` MiB of random bytes (which no compression shrinks). */
function randomImageTar(name: string, mib: number): string {
  const dir = join(d.root, `ctx-${name}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const fd = openSync(join(dir, 'data', `${name}.bin`), 'w');
  for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(MiB));
  closeSync(fd);
  const tar = join(d.root, `${name}.tar`);
  sh('tar', ['-C', dir, '-cf', tar, '.']);
  sh('rm', ['-rf', dir]);
  return tar;
}

function legacyBuild(args: string[], dockerfile: string): string {
  const ctx = join(d.root, `build-${randomBytes(4).toString('hex')}`);
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  const r = spawnSync('/usr/local/bin/docker', ['build', '-q', ...args, ctx], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function df(query = ''): Promise<any> {
  const r = await d.api('GET', `/system/df${query}`);
  assert.equal(r.status, 200, r.raw);
  return r.body;
}

async function inspectImage(name: string): Promise<any> {
  return (await d.api('GET', `/images/${name}/json`)).body;
}

function layerDirs(img: any): string[] {
  const g = img.GraphDriver.Data;
  return [g.UpperDir, ...(g.LowerDir ? String(g.LowerDir).split(':') : [])];
}

const names = {
  base: `dfbase-${RUN}`,
  child1: `dfchild1-${RUN}`,
  child2: `dfchild2-${RUN}`,
  solo: `dfsolo-${RUN}`,
  named: `dfnamed-${RUN}`,
  keep: `dfkeep-${RUN}`,
  work: `dfwork-${RUN}`,
};

before(async () => {
  mkdirSync(d.dataRoot, { recursive: true });
  const img = join(d.root, 'disk.img');
  sh('truncate', ['-s', '1G', img]);
  sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', img]);
  sh('mount', ['-o', 'loop', img, d.dataRoot]);
  await d.start();
  fresh = { used: fsUsed(), du: du(d.dataRoot) };
  ok(d.docker(['import', busyboxTar(d.root), 'busybox']));
});

after(async () => {
  await d.stop(); // unmounts everything under its root (the loop mount too) and deletes it
});

test('system df -v: image, shared, container and volume sizes agree with du', async () => {
  // ~170 MiB: a base shared by two built images, a lone image, and one left dangling.
  ok(d.docker(['import', '--change', 'CMD ["/bin/sh"]', randomImageTar('base', 50), names.base]));
  // Built images are busybox + base content + their own layer: import cannot stack layers.
  const baseDockerfile = `FROM busybox\nRUN head -c ${40 * MiB} /dev/urandom > /base.bin\n`;
  ok(d.docker(['tag', legacyBuild([], baseDockerfile), `${names.base}-stack`]));
  legacyBuild(['-t', names.child1], `FROM ${names.base}-stack\nRUN head -c ${15 * MiB} /dev/urandom > /c1.bin\n`);
  legacyBuild(['-t', names.child2], `FROM ${names.base}-stack\nRUN head -c ${10 * MiB} /dev/urandom > /c2.bin\n`);
  ok(d.docker(['import', randomImageTar('solo', 25), names.solo]));
  ok(d.docker(['import', randomImageTar('old', 15), `${names.solo}-old`]));
  ok(d.docker(['import', randomImageTar('new', 1), `${names.solo}-old`])); // the 15 MiB one is dangling now

  // Containers with RW data and logs; a named and an anonymous volume.
  ok(d.docker(['run', '--name', names.work, '-v', `${names.named}:/named`, '-v', '/anon', 'busybox', 'sh', '-c',
    `head -c ${12 * MiB} /dev/urandom > /rw.bin; head -c ${8 * MiB} /dev/urandom > /named/n.bin; head -c ${6 * MiB} /dev/urandom > /anon/a.bin; head -c 1500000 /dev/urandom | base64`]));
  ok(d.docker(['create', '--name', names.keep, '--label', 'keep=1', names.solo, '/nothing']));

  const u = await df();
  const byTag = (t: string) => u.Images.find((i: any) => i.RepoTags.includes(`${t}:latest`));
  for (const t of [names.base, names.child1, names.child2, names.solo]) {
    const i = byTag(t);
    assert.ok(i, `${t} listed`);
    within5(i.Size, du(...layerDirs(await inspectImage(t))), `${t} Size vs du of its layers`);
  }
  // The stacked images share busybox and the 40 MiB layer; the imported ones share nothing.
  const stackShared = du(...layerDirs(await inspectImage(`${names.base}-stack`)));
  within5(byTag(names.child1).SharedSize, stackShared, 'child1 SharedSize');
  within5(byTag(names.child2).SharedSize, stackShared, 'child2 SharedSize');
  assert.equal(byTag(names.solo).SharedSize, 0);
  assert.equal(byTag(names.solo).Containers, 1);
  assert.ok(u.Images.some((i: any) => i.RepoTags.length === 0), 'the dangling image is listed');
  // LayersSize: every committed layer once; du of those dirs (driver dirs minus containers').
  assert.equal(u.Containers.length, 2);
  let rwTotal = 0;
  for (const c of u.Containers) {
    const upper = (await d.api('GET', `/containers/${c.Id}/json`)).body.GraphDriver.Data.UpperDir;
    if (c.Names[0] === `/${names.work}`) within5(c.SizeRw, du(upper), 'container SizeRw vs du of its upper dir');
    assert.ok(c.SizeRootFs >= c.SizeRw);
    rwTotal += du(upper);
  }
  const overlay = du(join(d.dataRoot, 'overlay2'));
  within5(u.LayersSize + rwTotal, overlay, 'LayersSize + RW layers vs du of overlay2/');
  const vols = new Map<string, any>(u.Volumes.map((v: any) => [v.Name, v]));
  const named = vols.get(names.named);
  within5(named.UsageData.Size, du(named.Mountpoint), 'named volume size');
  assert.equal(named.UsageData.RefCount, 1);
  const anon = u.Volumes.find((v: any) => v.Labels && 'com.docker.volume.anonymous' in v.Labels);
  within5(anon.UsageData.Size, du(anon.Mountpoint), 'anonymous volume size');

  // type= selects parts; unknown types are refused.
  const onlyVolumes = await df('?type=volume');
  assert.equal(onlyVolumes.Images, null);
  assert.equal(onlyVolumes.Volumes.length, u.Volumes.length);
  assert.equal((await d.api('GET', '/system/df?type=layers')).status, 400);

  // The CLI renders both forms from this.
  const summary = ok(d.docker(['system', 'df']));
  assert.match(summary, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
  assert.match(summary, /Local Volumes\s+2\s+2\s/);
  const verbose = ok(d.docker(['system', 'df', '-v']));
  assert.match(verbose, new RegExp(`${names.child1}\\s+latest\\s+\\w{12}\\s+.*\\s+\\d+(\\.\\d+)?MB\\s+\\d+(\\.\\d+)?MB`));
  assert.match(verbose, new RegExp(`${names.named}\\s+1\\s+8\\.\\d+MB`));
  assert.match(verbose, /Build cache usage: /);
});

test('build cache: untagged build results are records of their own, builder prune frees them', async () => {
  const id = legacyBuild(['--label', `dfbuild=${RUN}`], `FROM busybox\nRUN head -c ${3 * MiB} /dev/urandom > /r.bin\nRUN echo done > /done\n`);
  const u = await df('?type=build-cache');
  const mine = u.BuildCache.filter((b: any) => !b.Shared);
  assert.ok(mine.length >= 3, JSON.stringify(u.BuildCache));
  const big = mine.find((b: any) => b.Description.includes('head -c'));
  within5(big.Size, 3 * MiB, 'RUN step record size');
  // Records shared with tagged images (the earlier builds) are not what a plain prune removes.
  assert.ok(u.BuildCache.some((b: any) => b.Shared));
  assert.match(ok(d.docker(['system', 'df'])), /Build Cache\s+\d+\s+0\s+3\.\d+MB/);

  const r = await d.api('POST', '/build/prune?filters=' + encodeURIComponent(JSON.stringify({ until: ['1h'] })));
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.CachesDeleted, [], 'nothing is older than an hour');
  assert.equal((await d.api('POST', '/build/prune?filters=' + encodeURIComponent(JSON.stringify({ colour: ['red'] })))).status, 400);

  const out = ok(d.docker(['builder', 'prune', '-f']));
  assert.match(out, /Total reclaimed space: 3\.\d+MB/);
  assert.equal((await d.api('GET', `/images/${id}/json`)).status, 404, 'the untagged build result is gone');
  const after = await df('?type=build-cache');
  assert.equal(after.BuildCache.filter((b: any) => !b.Shared).length, 0);
  assert.ok(after.BuildCache.length > 0, 'records of tagged builds stay without -a');
});

test('prune filters, and system prune without -a keeps tagged images and named volumes', async () => {
  const before = await df();
  const work = before.Containers.find((c: any) => c.Names[0] === `/${names.work}`);
  const workDirs = { upper: (await d.api('GET', `/containers/${work.Id}/json`)).body.GraphDriver.Data.UpperDir, dir: join(d.dataRoot, 'containers', work.Id) };
  assert.ok(existsSync(join(workDirs.dir, `${work.Id}-json.log`)), 'the log file exists before prune');

  assert.equal((await d.api('POST', '/containers/prune?filters=' + encodeURIComponent(JSON.stringify({ dangling: ['true'] })))).status, 400);
  assert.equal((await d.api('POST', '/containers/prune?filters=' + encodeURIComponent(JSON.stringify({ until: ['soon'] })))).status, 400);
  const notYet = await d.api('POST', '/containers/prune?filters=' + encodeURIComponent(JSON.stringify({ until: ['1h'] })));
  assert.deepEqual(notYet.body.ContainersDeleted, [], 'created less than an hour ago');
  const pr = await d.api('POST', '/containers/prune?filters=' + encodeURIComponent(JSON.stringify({ 'label!': ['keep=1'] })));
  assert.deepEqual(pr.body.ContainersDeleted, [work.Id]);
  within5(pr.body.SpaceReclaimed, work.SizeRw, 'container prune SpaceReclaimed');
  assert.ok(!existsSync(workDirs.upper), 'the RW layer directory is gone');
  assert.ok(!existsSync(workDirs.dir), 'the container directory and its log are gone');

  // Networks: label! spares, until takes Go durations (0s = now).
  const net = `dfnet-${RUN}`;
  ok(d.docker(['network', 'create', '--label', 'dfkeep=1', net]));
  const prune = (f: object) => d.api('POST', '/networks/prune?filters=' + encodeURIComponent(JSON.stringify(f)));
  assert.equal((await prune({ dangling: ['true'] })).status, 400);
  assert.deepEqual((await prune({ 'label!': ['dfkeep=1'] })).body.NetworksDeleted, []);
  assert.deepEqual((await prune({ until: ['1h'] })).body.NetworksDeleted, []);
  assert.deepEqual((await prune({ until: ['0s'], label: ['dfkeep'] })).body.NetworksDeleted, [net]);

  const dangling = before.Images.find((i: any) => i.RepoTags.length === 0);
  const out = ok(d.docker(['system', 'prune', '--volumes', '-f']));
  assert.match(out, /Deleted Containers:/);
  assert.match(out, /Total reclaimed space: /);
  const after = await df();
  assert.equal(after.Containers.length, 0);
  assert.ok(!after.Images.some((i: any) => i.Id === dangling.Id), 'dangling image pruned');
  for (const t of [names.base, names.child1, names.child2, names.solo, 'busybox']) {
    assert.ok(after.Images.some((i: any) => i.RepoTags.includes(`${t}:latest`)), `${t} kept`);
  }
  assert.deepEqual(after.Volumes.map((v: any) => v.Name), [names.named], 'only the anonymous volume went');
});

test('system prune -a --volumes plus volume prune -a bring the data root back to its fresh size', async () => {
  const full = fsUsed();
  assert.ok(full - fresh.used > 100 * MiB, `the data root holds over 100 MiB (${full - fresh.used})`);
  const out = ok(d.docker(['system', 'prune', '-a', '--volumes', '-f']));
  assert.match(out, /Deleted Images:/);
  assert.match(ok(d.docker(['volume', 'ls', '-q'])), new RegExp(names.named), '--volumes leaves named volumes even with -a');
  ok(d.docker(['volume', 'prune', '-a', '-f']));
  ok(d.docker(['builder', 'prune', '-a', '-f']));
  const u = await df();
  assert.deepEqual([u.Images.length, u.Containers.length, u.Volumes.length, u.BuildCache.length], [0, 0, 0, 0]);
  assert.equal(u.LayersSize, 0);
  near(fsUsed(), fresh.used, 10 * MiB, 'statfs used bytes vs a fresh data root');
  near(du(d.dataRoot), fresh.du, 10 * MiB, 'du of the data root vs a fresh one');
  assert.match(ok(d.docker(['system', 'df'])), /Images\s+0\s+0\s+0B/);
});
