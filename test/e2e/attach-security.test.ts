// docker attach with detach keys, and the security options of docker run: --privileged,
// --security-opt no-new-privileges and seccomp, --device and --ulimit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { busyboxDaemon, sleep, DOCKER } from './harness.js';

const d = busyboxDaemon();

test('attach to a tty container streams output and takes input; the detach keys leave it running', async () => {
  const id = d.docker(['run', '-d', '-it', 'busybox', 'sh', '-c', 'while read line; do echo "got $line"; done']).stdout.trim();
  // script(1) gives the docker CLI a terminal, as a person at a shell would have.
  const child = spawn('script', ['-qec', `${DOCKER} attach --detach-keys ctrl-x ${id}`, '/dev/null'], { env: d.env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  await sleep(700);
  child.stdin.write('hello\r');
  for (let i = 0; i < 60 && !out.includes('got hello'); i++) await sleep(50);
  assert.match(out, /got hello/);
  child.stdin.write('\x18');
  // The CLI itself recognises the keys on a terminal and says so; it must not hang.
  assert.notEqual(await Promise.race([exited, sleep(5000).then(() => -99)]), -99);
  assert.match(out, /read escape sequence/);
  assert.equal(d.docker(['inspect', '-f', '{{.State.Running}}', id]).stdout.trim(), 'true');
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('--privileged gets every capability the daemon has and no seccomp', () => {
  const r = d.docker(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev | grep -c .']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Seccomp:\s+0/);
  assert.doesNotMatch(r.stdout, /CapEff:\s+00000000a80425fb/);
  const devices = Number(r.stdout.trim().split('\n').pop());
  assert.ok(devices > 15, `host devices visible (${devices})`);
});

test('default seccomp blocks unshare -U without any capability; seccomp=unconfined lifts it', () => {
  const blocked = d.docker(['run', '--rm', '-u', '65534', 'busybox', 'unshare', '-U', 'true']);
  assert.notEqual(blocked.code, 0);
  assert.match(blocked.stderr, /Operation not permitted/);
  const unconfined = d.docker(['run', '--rm', '-u', '65534', '--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true']);
  assert.equal(unconfined.code, 0, unconfined.stderr);
});

test('no-new-privileges shows in the process status', () => {
  const r = d.docker(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.match(r.stdout, /NoNewPrivs:\s+1/);
  const without = d.docker(['run', '--rm', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.match(without.stdout, /NoNewPrivs:\s+0/);
});

test('--device maps a host device; --ulimit sets limits within the daemon own', () => {
  const dev = d.docker(['run', '--rm', '--device', '/dev/null:/dev/mynull', 'busybox', 'sh', '-c', 'echo x > /dev/mynull && ls -l /dev/mynull']);
  assert.equal(dev.code, 0, dev.stderr);
  assert.match(dev.stdout, /^c.* 1,\s+3 /);
  const ul = d.docker(['run', '--rm', '--ulimit', 'nofile=1024:2048', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']);
  assert.equal(ul.stdout, '1024\n2048\n');
  const tooHigh = d.docker(['run', '--rm', '--ulimit', 'nofile=1048576:1048576', 'busybox', 'true']);
  assert.notEqual(tooHigh.code, 0);
});
