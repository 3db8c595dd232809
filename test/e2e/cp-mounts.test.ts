// `docker cp` sees a container's mounts as the container does: /etc/hosts, /etc/hostname and
// /etc/resolv.conf with their contents (they are bind mounts from the container's directory, not
// the empty placeholders of the rootfs), volumes and bind mounts, read-only mounts refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxDaemon } from './harness.js';

const d = busyboxDaemon();

function ok(r: { code: number; stdout: string; stderr: string }, what = ''): string {
  assert.equal(r.code, 0, `${what}\n${r.stderr}`);
  return r.stdout;
}

function helpersLeft(): string[] {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => l.includes('archive-view') && l.includes(d.root));
}

test('docker cp of /etc/hosts, /etc/hostname and /etc/resolv.conf gives the files the container sees', () => {
  const name = `cpnet-${process.pid}`;
  ok(d.docker(['run', '-d', '--name', name, '--hostname', 'guidehost', '--add-host', 'db.example:10.1.2.3', 'busybox', 'sleep', '300']));
  const out = join(d.root, 'out-running');
  mkdirSync(out);
  for (const f of ['hosts', 'hostname', 'resolv.conf']) {
    ok(d.docker(['cp', `${name}:/etc/${f}`, out]), f);
    const inside = ok(d.docker(['exec', name, 'cat', `/etc/${f}`]));
    assert.equal(readFileSync(join(out, f), 'utf8'), inside, f);
    assert.equal(statSync(join(out, f)).mode & 0o777, 0o644, f);
  }
  assert.match(readFileSync(join(out, 'hosts'), 'utf8'), /10\.1\.2\.3\tdb\.example/);
  assert.equal(readFileSync(join(out, 'hostname'), 'utf8'), 'guidehost\n');

  // A tar of the whole directory carries the mounted files too.
  const etc = d.docker(['cp', `${name}:/etc`, '-']);
  assert.equal(etc.code, 0, etc.stderr);
  const list = spawnSync('tar', ['-tvf', '-'], { input: etc.stdout, encoding: 'utf8' }).stdout;
  assert.match(list, /\s\d+ \S+ \S+ etc\/hostname\n/);
  assert.doesNotMatch(list, /\s0 \S+ \S+ etc\/hostname\n/);

  // Stopped, the container still has its files.
  ok(d.docker(['stop', '-t', '1', name]));
  const out2 = join(d.root, 'out-stopped');
  mkdirSync(out2);
  ok(d.docker(['cp', `${name}:/etc/hostname`, out2]));
  assert.equal(readFileSync(join(out2, 'hostname'), 'utf8'), 'guidehost\n');
  ok(d.docker(['rm', name]));
  assert.deepEqual(helpersLeft(), []);
});

test('docker cp reads and writes volumes and bind mounts, and refuses read-only ones', () => {
  const name = `cpvol-${process.pid}`;
  const vol = `cpvol-${process.pid}`;
  const bind = join(d.root, 'bind');
  mkdirSync(bind);
  writeFileSync(join(bind, 'from-host.txt'), 'host file\n');
  ok(d.docker(['run', '-d', '--name', name, '-v', `${vol}:/data`, '-v', `${vol}:/ro:ro`, '-v', `${bind}:/bind`, 'busybox', 'sh', '-c', 'echo in-volume > /data/made-inside; sleep 300']));
  let made = '';
  for (let i = 0; i < 100 && !made; i++) made = d.docker(['exec', name, 'cat', '/data/made-inside']).stdout;
  assert.equal(made, 'in-volume\n');

  const got = d.docker(['cp', `${name}:/data/made-inside`, '-']);
  assert.equal(spawnSync('tar', ['-xOf', '-'], { input: got.stdout, encoding: 'utf8' }).stdout, 'in-volume\n');
  const gotBind = d.docker(['cp', `${name}:/bind/from-host.txt`, '-']);
  assert.equal(spawnSync('tar', ['-xOf', '-'], { input: gotBind.stdout, encoding: 'utf8' }).stdout, 'host file\n');

  const src = join(d.root, 'copied-in.txt');
  writeFileSync(src, 'copied in\n');
  ok(d.docker(['cp', src, `${name}:/data/`]));
  assert.equal(ok(d.docker(['exec', name, 'cat', '/data/copied-in.txt'])), 'copied in\n');
  ok(d.docker(['cp', src, `${name}:/bind/`]));
  assert.equal(readFileSync(join(bind, 'copied-in.txt'), 'utf8'), 'copied in\n');

  const ro = d.docker(['cp', src, `${name}:/ro/`]);
  assert.equal(ro.code, 1);
  assert.match(ro.stderr, /mounted volume is marked read-only/);
  assert.equal(d.docker(['exec', name, 'ls', '/data']).stdout.split('\n').filter(Boolean).sort().join(' '), 'copied-in.txt made-inside');
  ok(d.docker(['rm', '-f', name]));
  ok(d.docker(['volume', 'rm', vol]));
  assert.deepEqual(helpersLeft(), []);
});
