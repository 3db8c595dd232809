import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import type { HostConfig, OciMount } from '../../../src/containers/oci-spec/types.js';
import { testCtx } from './fixtures.js';

function mounts(hc: HostConfig, userMounts: OciMount[] = []) {
  return buildSpec({ Cmd: ['true'] }, hc, testCtx({ mounts: userMounts })).spec.mounts;
}
const at = (ms: OciMount[], dest: string) => ms.find((m) => m.destination === dest);

test('Docker\'s default mounts with their options, /dev/shm sized 64 MiB', () => {
  const ms = mounts({});
  assert.deepEqual(ms.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.deepEqual(at(ms, '/dev')?.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  assert.deepEqual(at(ms, '/dev/pts')?.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  assert.deepEqual(at(ms, '/dev/shm')?.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
  assert.ok(at(ms, '/sys')?.options?.includes('ro'));
  assert.ok(at(ms, '/sys/fs/cgroup')?.options?.includes('ro'));
  assert.equal(at(ms, '/dev/shm')?.type, 'tmpfs');
});

test('ShmSize sets /dev/shm; --ipc none removes it', () => {
  assert.ok(at(mounts({ ShmSize: 1048576 }), '/dev/shm')?.options?.includes('size=1048576'));
  assert.equal(at(mounts({ IpcMode: 'none' }), '/dev/shm'), undefined);
});

test('privileged makes /sys and the cgroup mount writable', () => {
  const ms = mounts({ Privileged: true });
  assert.ok(!at(ms, '/sys')?.options?.includes('ro'));
  assert.ok(!at(ms, '/sys/fs/cgroup')?.options?.includes('ro'));
});

test('--tmpfs gets noexec,nosuid,nodev and parses size= and mode=', () => {
  const ms = mounts({ Tmpfs: { '/run': '', '/cache': 'size=64m,mode=1777', '/x': 'exec,size=1g' } });
  assert.deepEqual(at(ms, '/run'), { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] });
  assert.deepEqual(at(ms, '/cache')?.options, ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=64m', 'mode=1777']);
  // A later option overrides Docker's default of the same flag.
  assert.deepEqual(at(ms, '/x')?.options, ['nosuid', 'nodev', 'rprivate', 'exec', 'size=1g']);
});

test('bad --tmpfs options are refused', () => {
  assert.throws(() => mounts({ Tmpfs: { '/run': 'bogus' } }), { name: 'InvalidParameter', message: 'invalid tmpfs option ["bogus"]' });
  assert.throws(() => mounts({ Tmpfs: { '/run': 'size=lots' } }), { message: /invalid tmpfs option \["size" "lots"\]/ });
  assert.throws(() => mounts({ Tmpfs: { '/run': 'mode=999' } }), { message: /invalid tmpfs option/ });
  assert.throws(() => mounts({ Tmpfs: { 'run': '' } }), { message: /mount path must be absolute/ });
});

test('user mounts replace the default at the same destination and follow the defaults, shallowest first', () => {
  const user: OciMount[] = [
    { destination: '/data/a/b', type: 'bind', source: '/srv/b', options: ['rbind'] },
    { destination: '/dev/shm', type: 'bind', source: '/srv/shm', options: ['rbind'] },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind'] },
  ];
  const ms = mounts({ Tmpfs: { '/data/a': '' } }, user);
  assert.deepEqual(ms.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue',
    '/data', '/dev/shm', '/etc/hosts', '/data/a', '/data/a/b',
  ]);
  assert.equal(at(ms, '/dev/shm')?.source, '/srv/shm');
});

test('a user /dev drops every default mount under /dev', () => {
  const ms = mounts({}, [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }]);
  assert.deepEqual(ms.map((m) => m.destination), ['/proc', '/sys', '/sys/fs/cgroup', '/dev']);
});

test('read-only rootfs makes the default mounts that are not special read-only', () => {
  const r = buildSpec({ Cmd: ['true'] }, { ReadonlyRootfs: true, Tmpfs: { '/tmp': '' } }, testCtx());
  assert.equal(r.spec.root.readonly, true);
  assert.ok(!at(r.spec.mounts, '/dev/shm')?.options?.includes('ro'));
  assert.ok(!at(r.spec.mounts, '/proc')?.options?.includes('ro'));
  assert.ok(!at(r.spec.mounts, '/tmp')?.options?.includes('ro'));
});

test('--init binds the init binary read-only and runs it first with --', () => {
  const r = buildSpec({ Entrypoint: ['/entry'], Cmd: ['a'] }, { Init: true }, testCtx({ initPath: '/usr/bin/catatonit' }));
  assert.deepEqual(r.spec.process.args, ['/sbin/docker-init', '--', '/entry', 'a']);
  assert.deepEqual(at(r.spec.mounts, '/sbin/docker-init'), {
    destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/catatonit', options: ['bind', 'ro'],
  });
  // Not in the host's PID namespace, where an init makes no sense.
  const host = buildSpec({ Cmd: ['a'] }, { Init: true, PidMode: 'host' }, testCtx({ initPath: '/usr/bin/catatonit' }));
  assert.deepEqual(host.spec.process.args, ['a']);
});
