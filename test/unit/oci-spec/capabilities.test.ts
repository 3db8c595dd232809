import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import { testCtx, testHost } from './fixtures.js';

const DOCKER_DEFAULT = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

function caps(hc: Parameters<typeof buildSpec>[1], host = testHost()) {
  return buildSpec({ Cmd: ['true'] }, hc, testCtx({ host })).spec.process.capabilities;
}

test('default capabilities are exactly Docker\'s 14, none inheritable or ambient', () => {
  const c = caps({});
  assert.deepEqual(c.bounding, DOCKER_DEFAULT);
  assert.deepEqual(c.effective, DOCKER_DEFAULT);
  assert.deepEqual(c.permitted, DOCKER_DEFAULT);
  assert.equal(c.inheritable, undefined);
  assert.equal(c.ambient, undefined);
});

test('cap-add and cap-drop accept names without CAP_ and in any case', () => {
  const c = caps({ CapAdd: ['net_admin', 'CAP_SYS_PTRACE'], CapDrop: ['Chown', 'cap_kill'] });
  assert.ok(c.bounding.includes('CAP_NET_ADMIN'));
  assert.ok(c.bounding.includes('CAP_SYS_PTRACE'));
  assert.ok(!c.bounding.includes('CAP_CHOWN'));
  assert.ok(!c.bounding.includes('CAP_KILL'));
  assert.equal(c.bounding.length, 14);
});

test('cap-drop ALL keeps only the added capabilities', () => {
  assert.deepEqual(caps({ CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE'] }).bounding, ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(caps({ CapDrop: ['all'] }).bounding, []);
});

test('cap-add ALL gives every capability except the dropped ones', () => {
  const c = caps({ CapAdd: ['ALL'], CapDrop: ['SYS_ADMIN'] });
  assert.equal(c.bounding.length, 40);
  assert.ok(!c.bounding.includes('CAP_SYS_ADMIN'));
  assert.ok(c.bounding.includes('CAP_CHECKPOINT_RESTORE'));
});

test('privileged gets all capabilities this kernel knows that the daemon holds', () => {
  assert.equal(caps({ Privileged: true }).bounding.length, 41);
  const older = caps({ Privileged: true }, testHost({ capLastCap: 37 })).bounding;
  assert.equal(older.length, 38);
  assert.ok(!older.includes('CAP_PERFMON'));
  // Like this machine's root: no CAP_SYS_RESOURCE (bit 24).
  const noRes = caps({ Privileged: true }, testHost({ daemonCaps: ((1n << 41n) - 1n) & ~(1n << 24n) })).bounding;
  assert.ok(!noRes.includes('CAP_SYS_RESOURCE'));
  assert.equal(noRes.length, 40);
});

test('unknown and unavailable capabilities are rejected with Docker\'s messages', () => {
  assert.throws(() => caps({ CapAdd: ['FOO'] }), { name: 'InvalidParameter', message: 'unknown capability: "CAP_FOO"' });
  assert.throws(() => caps({ CapAdd: ['BPF'] }, testHost({ capLastCap: 37 })), {
    message: 'capability not supported by your kernel or not available in the current environment: "CAP_BPF"',
  });
});
