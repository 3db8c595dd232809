import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import type { HostConfig, SpecContext } from '../../../src/containers/oci-spec/types.js';
import { ID, testCtx, testHost } from './fixtures.js';

function build(hc: HostConfig, ctx: Partial<SpecContext> = {}) {
  return buildSpec({ Cmd: ['true'] }, hc, testCtx(ctx)).spec;
}

test('private namespaces by default; no cgroup namespace on a v1 host, a private one on v2', () => {
  assert.deepEqual(build({}).linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  const v2 = buildSpec({ Cmd: ['true'] }, {}, testCtx({ host: testHost({ cgroupVersion: 2 }) })).spec.linux.namespaces;
  assert.ok(v2.some((n) => n.type === 'cgroup'));
});

test('host modes leave namespaces out; joined ones carry their path', () => {
  const spec = build(
    { NetworkMode: 'host', PidMode: 'container:abc', IpcMode: 'host' },
    { nsPaths: { pid: '/proc/42/ns/pid' } },
  );
  assert.deepEqual(spec.linux.namespaces, [{ type: 'mount' }, { type: 'uts' }, { type: 'pid', path: '/proc/42/ns/pid' }]);
  const daemonNet = build({ NetworkMode: 'bridge' }, { nsPaths: { net: '/run/berth/netns/x' } });
  assert.ok(daemonNet.linux.namespaces.some((n) => n.type === 'network' && n.path === '/run/berth/netns/x'));
  const fromCtx = build({}, { hostNamespaces: new Set(['net'] as const) });
  assert.ok(!fromCtx.linux.namespaces.some((n) => n.type === 'network'));
});

test('hostname: the short id by default, the host\'s with --network host, none with --uts host', () => {
  const s = build({});
  assert.equal(s.hostname, ID.slice(0, 12));
  assert.ok(s.process.env.includes(`HOSTNAME=${ID.slice(0, 12)}`));
  assert.equal(build({ NetworkMode: 'host' }).hostname, 'testhost');
  const uts = build({ UTSMode: 'host' });
  assert.equal(uts.hostname, undefined);
  assert.ok(!uts.linux.namespaces.some((n) => n.type === 'uts'));
  const named = buildSpec({ Cmd: ['x'], Hostname: 'web', Domainname: 'example.org' }, {}, testCtx()).spec;
  assert.equal(named.hostname, 'web');
  assert.equal(named.linux.sysctl?.['kernel.domainname'], 'example.org');
});

test('invalid modes and unresolved container namespaces are errors', () => {
  assert.throws(() => build({ IpcMode: 'bogus' }), { name: 'InvalidParameter', message: 'invalid IPC mode: bogus' });
  assert.throws(() => build({ PidMode: 'bogus' }), { message: 'invalid PID mode: bogus' });
  assert.throws(() => build({ UTSMode: 'container:x' }), { message: 'invalid UTS mode: container:x' });
  assert.throws(() => build({ NetworkMode: 'container:abc' }), { name: 'InvalidParameter' });
});

test('masked and read-only paths: Docker\'s lists, none when privileged, HostConfig overrides', () => {
  const s = build({});
  assert.ok(s.linux.maskedPaths?.includes('/proc/kcore'));
  assert.ok(s.linux.maskedPaths?.includes('/sys/firmware'));
  assert.ok(s.linux.maskedPaths?.includes('/proc/keys'));
  assert.deepEqual(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  const p = build({ Privileged: true });
  assert.equal(p.linux.maskedPaths, undefined);
  assert.equal(p.linux.readonlyPaths, undefined);
  const o = build({ MaskedPaths: ['/proc/foo'], ReadonlyPaths: [] });
  assert.deepEqual(o.linux.maskedPaths, ['/proc/foo']);
  assert.equal(o.linux.readonlyPaths, undefined);
});

test('devices: Docker\'s allow list, --device with its permissions, privileged allows all', () => {
  const s = build({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }] });
  const rules = s.linux.resources.devices;
  assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
  for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2]]) {
    assert.ok(rules.some((r) => r.allow && r.type === 'c' && r.major === maj && r.minor === min && r.access === 'rwm'), `${maj}:${min}`);
  }
  assert.ok(rules.some((r) => r.allow && r.major === 136 && r.minor === undefined));
  assert.deepEqual(rules.at(-1), { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
  assert.deepEqual(s.linux.devices.map((d) => [d.path, d.type, d.major, d.minor]), [['/dev/mynull', 'c', 1, 3]]);
  assert.throws(() => build({ Devices: [{ PathOnHost: '/etc/passwd', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] }), {
    message: 'error gathering device information while adding custom device "/etc/passwd": not a device node',
  });
  const p = build({ Privileged: true });
  assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(p.linux.devices.some((d) => d.path === '/dev/null'));
});
