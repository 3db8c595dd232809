// docker run options that change how a container is isolated and run: --init, host and
// container: namespaces, tmpfs, shm, sysctls, capabilities, read-only roots, users, signals,
// stdin through a pipe, restart policies and wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { busyboxDaemon, sleep } from './harness.js';

const d = busyboxDaemon();

function run(args: string[], input?: string): string {
  const r = d.docker(['run', '--rm', ...args], { input });
  assert.equal(r.code, 0, `run ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('--init puts an init process at PID 1', () => {
  assert.equal(run(['--init', 'busybox', 'cat', '/proc/1/cmdline']).split('\0')[0], '/sbin/docker-init');
});

test('host namespaces: --pid host, --uts host, --ipc host, --network host', () => {
  const out = run(['--pid', 'host', '--uts', 'host', '--ipc', 'host', '--network', 'host', 'busybox', 'sh', '-c', 'for n in pid uts ipc net; do readlink /proc/self/ns/$n; done']);
  assert.deepEqual(out.trim().split('\n'), ['pid', 'uts', 'ipc', 'net'].map((n) => readlinkSync(`/proc/self/ns/${n}`)));
});

test('--network container:<id> and --ipc container:<id> join another container', () => {
  const id = d.docker(['run', '-d', '--hostname', 'first', 'busybox', 'sleep', '60']).stdout.trim();
  const pid = d.docker(['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim();
  const out = run(['--network', `container:${id}`, '--ipc', `container:${id}`, 'busybox', 'sh', '-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc']);
  assert.deepEqual(out.trim().split('\n'), [readlinkSync(`/proc/${pid}/ns/net`), readlinkSync(`/proc/${pid}/ns/ipc`)]);
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('--tmpfs, --shm-size and --read-only', () => {
  const out = run(['--read-only', '--tmpfs', '/scratch:size=1m', '--shm-size', '8m', 'busybox', 'sh', '-c', 'touch /x 2>&1; echo ok > /scratch/f && cat /scratch/f; df -k /dev/shm | tail -1']);
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /Read-only file system/);
  assert.equal(lines[1], 'ok');
  assert.match(lines[2]!, /\s8192\s/);
});

test('--sysctl, --cap-drop, --cap-add and --user', () => {
  assert.equal(run(['--sysctl', 'kernel.shmmax=1048576', 'busybox', 'cat', '/proc/sys/kernel/shmmax']).trim(), '1048576');
  const dropped = d.docker(['run', '--rm', '--cap-drop', 'CHOWN', 'busybox', 'chown', 'nobody', '/tmp']);
  assert.notEqual(dropped.code, 0);
  assert.match(dropped.stderr, /Operation not permitted/);
  const capEff = run(['--cap-add', 'NET_ADMIN', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  assert.match(capEff, /CapEff:\s+00000000a80435fb/);
  assert.equal(run(['-u', '65534:65534', 'busybox', 'id']).trim(), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
  const bad = d.docker(['run', '--rm', '--sysctl', 'kernel.pid_max=100000', 'busybox', 'true']);
  assert.equal(bad.code, 125);
});

test('stdin through a pipe with -i, and env, workdir and entrypoint', () => {
  assert.equal(run(['-i', 'busybox', 'sh', '-c', 'tr a-z A-Z'], 'piped text\n'), 'PIPED TEXT\n');
  assert.equal(run(['-e', 'A=1', '-w', '/tmp', '--entrypoint', 'sh', 'busybox', '-c', 'echo $A $(pwd) $HOSTNAME']).trim().split(' ').slice(0, 2).join(' '), '1 /tmp');
});

test('stop signal, kill -s and wait', async () => {
  const id = d.docker(['run', '-d', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']).stdout.trim();
  await sleep(300);
  assert.equal(d.docker(['stop', id]).code, 0);
  assert.equal(d.docker(['wait', id]).stdout.trim(), '42');
  const id2 = d.docker(['run', '-d', 'busybox', 'sh', '-c', 'trap "exit 3" HUP; while true; do sleep 0.1; done']).stdout.trim();
  await sleep(300);
  assert.equal(d.docker(['kill', '-s', 'HUP', id2]).code, 0);
  assert.equal(d.docker(['wait', id2]).stdout.trim(), '3');
  assert.equal(d.docker(['rm', id, id2]).code, 0);
});

test('restart policies: on-failure:2 gives up after two restarts; unless-stopped stays stopped after stop', async () => {
  const id = d.docker(['run', '-d', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1']).stdout.trim();
  for (let i = 0; i < 60; i++) {
    const s = d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', id]).stdout.trim();
    if (s === 'exited 2') break;
    await sleep(100);
  }
  assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', id]).stdout.trim(), 'exited 2');
  const u = d.docker(['run', '-d', '--restart', 'unless-stopped', 'busybox', 'sleep', '60']).stdout.trim();
  assert.equal(d.docker(['stop', '-t', '0', u]).code, 0);
  await sleep(500);
  assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', u]).stdout.trim(), 'exited');
  const bad = d.docker(['run', '--rm', '--restart', 'always', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /AutoRemove|conflicting options/i);
  assert.equal(d.docker(['rm', id, u]).code, 0);
});

test('restart restarts, and start -a attaches', () => {
  const id = d.docker(['create', 'busybox', 'sh', '-c', 'echo run']).stdout.trim();
  const first = d.docker(['start', '-a', id]);
  assert.equal(first.stdout, 'run\n');
  assert.equal(d.docker(['restart', id]).code, 0);
  const started = d.docker(['inspect', '-f', '{{.State.StartedAt}}', id]).stdout.trim();
  assert.notEqual(started, '0001-01-01T00:00:00Z');
  assert.equal(d.docker(['rm', id]).code, 0);
});
