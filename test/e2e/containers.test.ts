// The engine-core acceptance checks through the real docker CLI: exec, cp both ways, top, diff,
// commit, rename, pause/unpause, the guide's flatten recipe, history, and real isolation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { busyboxDaemon } from './harness.js';

const d = busyboxDaemon();

function ok(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test('exec runs in the container, with exit codes, env, user and workdir', () => {
  ok(d.docker(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '60']));
  assert.equal(ok(d.docker(['exec', 'ex', 'cat', '/proc/1/cmdline'])), 'sleep\u000060\u0000');
  assert.equal(d.docker(['exec', 'ex', 'sh', '-c', 'exit 5']).code, 5);
  assert.equal(ok(d.docker(['exec', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', 'ex', 'sh', '-c', 'echo $FOO $(pwd) $(id -u)'])), 'bar /tmp 65534\n');
  assert.equal(ok(d.docker(['exec', '-i', 'ex', 'cat'], { input: 'through stdin\n' })), 'through stdin\n');
  const ps = ok(d.docker(['exec', 'ex', 'ps', '-o', 'pid,comm']));
  assert.match(ps, /^\s*1 sleep$/m);
  ok(d.docker(['rm', '-f', 'ex']));
});

test('cp both ways, diff and commit', () => {
  ok(d.docker(['run', '--name', 'fs', 'busybox', 'sh', '-c', 'mkdir -p /data && echo hello > /data/greeting && rm /etc/group']));
  const out = join(d.root, 'cp-out');
  mkdirSync(out);
  ok(d.docker(['cp', 'fs:/data/greeting', out]));
  assert.equal(readFileSync(join(out, 'greeting'), 'utf8'), 'hello\n');
  ok(d.docker(['cp', 'fs:/data', join(out, 'datadir')]));
  assert.equal(readFileSync(join(out, 'datadir', 'greeting'), 'utf8'), 'hello\n');
  const src = join(d.root, 'upload.txt');
  writeFileSync(src, 'uploaded\n');
  ok(d.docker(['cp', src, 'fs:/data/']));
  const diff = ok(d.docker(['diff', 'fs'])).trim().split('\n').sort();
  assert.deepEqual(diff, ['A /data', 'A /data/greeting', 'A /data/upload.txt', 'C /etc', 'D /etc/group']);
  const id = ok(d.docker(['commit', '-c', 'CMD ["cat", "/data/upload.txt"]', 'fs', 'committed:v1'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(ok(d.docker(['run', '--rm', 'committed:v1'])), 'uploaded\n');
  assert.equal(d.docker(['run', '--rm', 'committed:v1', 'cat', '/etc/group']).code, 1);
  const layers = ok(d.docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', 'committed:v1'])).trim();
  assert.equal(layers, '2');
  ok(d.docker(['rm', 'fs']));
});

test("the guide's flatten recipe gives a one-layer image that runs", () => {
  ok(d.docker(['run', '--name', 'toflat', 'committed:v1', 'true']));
  const history = ok(d.docker(['image', 'history', '-q', 'committed:v1'])).trim().split('\n');
  assert.equal(history.length, 2);
  const tar = join(d.root, 'toflat.tar');
  const exp = spawnSync('/usr/local/bin/docker', ['export', 'toflat'], { env: d.env, maxBuffer: 64 << 20 });
  assert.equal(exp.status, 0, exp.stderr?.toString());
  writeFileSync(tar, exp.stdout);
  ok(d.docker(['import', '-', 'flat:latest'], { input: readFileSync(tar) }));
  assert.equal(ok(d.docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', 'flat:latest'])).trim(), '1');
  assert.equal(ok(d.docker(['image', 'history', '-q', 'flat:latest'])).trim().split('\n').length, 1);
  assert.equal(ok(d.docker(['run', '--rm', 'flat', 'cat', '/data/upload.txt'])), 'uploaded\n');
  ok(d.docker(['rm', 'toflat']));
});

test('top, rename, pause and unpause', () => {
  ok(d.docker(['run', '-d', '--name', 'svc', 'busybox', 'sleep', '300']));
  const top = ok(d.docker(['top', 'svc']));
  assert.match(top.split('\n')[0]!, /PID/);
  assert.match(top, /sleep 300/);
  ok(d.docker(['rename', 'svc', 'svc2']));
  assert.equal(ok(d.docker(['inspect', '-f', '{{.Name}}', 'svc2'])).trim(), '/svc2');
  ok(d.docker(['pause', 'svc2']));
  assert.match(ok(d.docker(['ps', '--filter', 'name=svc2', '--format', '{{.Status}}'])), /\(Paused\)/);
  assert.equal(ok(d.docker(['inspect', '-f', '{{.State.Status}}', 'svc2'])).trim(), 'paused');
  ok(d.docker(['unpause', 'svc2']));
  assert.equal(ok(d.docker(['inspect', '-f', '{{.State.Status}}', 'svc2'])).trim(), 'running');
  ok(d.docker(['rm', '-f', 'svc2']));
});

test('isolation: own pid 1, hostname, only lo without a network, own mount and ipc namespaces', () => {
  const out = ok(
    d.docker(['run', '--rm', '--network', 'none', '--hostname', 'boxy', 'busybox', 'sh', '-c', 'echo pid1=$(cat /proc/1/comm); hostname; ls /sys/class/net; for n in mnt ipc pid; do readlink /proc/self/ns/$n; done']),
  );
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'pid1=sh');
  assert.equal(lines[1], 'boxy');
  assert.equal(lines[2], 'lo');
  const host = (ns: string) => spawnSync('readlink', [`/proc/self/ns/${ns}`], { encoding: 'utf8' }).stdout.trim();
  assert.notEqual(lines[3], host('mnt'));
  assert.notEqual(lines[4], host('ipc'));
  assert.notEqual(lines[5], host('pid'));
});

test('a tty through -t: the container sees a terminal', () => {
  const r = spawnSync('script', ['-qec', `/usr/local/bin/docker run --rm -it busybox sh -c 'tty; exit 4'`, '/dev/null'], { env: d.env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
});

test('malicious layer tars are refused and nothing is written outside', () => {
  const dir = join(d.root, 'evil');
  mkdirSync(dir);
  writeFileSync(join(dir, 'x'), 'x');
  const tar = join(d.root, 'evil.tar');
  spawnSync('tar', ['-C', dir, '-cf', tar, '--transform', 's,^x$,../../../../tmp/berth-evil-escape,', 'x'], { encoding: 'utf8' });
  const r = d.docker(['import', tar, 'evil']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /refusing|climbs out/);
  assert.equal(existsSync('/tmp/berth-evil-escape'), false);
  assert.ok(d.ping());
});
