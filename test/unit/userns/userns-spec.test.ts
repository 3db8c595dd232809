import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import { ownedUserns } from '../../../src/userns/join.js';
import { IdMapping } from '../../../src/userns/id-mapping.js';
import { testCtx } from '../oci-spec/fixtures.js';

const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];
const mapping = new IdMapping(maps, maps);

function spec(userns: { path?: string }, nsPaths: { net?: string }) {
  return buildSpec({ Cmd: ['true'] }, {}, testCtx({ nsPaths, userns: { uidMappings: maps, gidMappings: maps, ...userns } })).spec;
}

test('a container joining the user namespace that owns its netns gets sysfs and the low-port sysctl', () => {
  const s = spec({ path: '/run/berth/netns/abc.user' }, { net: '/run/berth/netns/abc' });
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'user'), { type: 'user', path: '/run/berth/netns/abc.user' });
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/berth/netns/abc' });
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
  assert.equal(s.linux.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '0');
  // The ping range names gids the user namespace does not map: dockerd leaves it out too.
  assert.equal(s.linux.sysctl?.['net.ipv4.ping_group_range'], undefined);
  assert.deepEqual(s.linux.uidMappings, maps);
});

test('a netns the host\'s user namespace owns gets the host\'s /sys bound read-only and no port sysctl', () => {
  const s = spec({}, { net: '/proc/42/ns/net' });
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'user'), { type: 'user' });
  const sys = s.mounts.find((m) => m.destination === '/sys');
  assert.equal(sys?.type, 'bind');
  assert.ok(sys?.options?.includes('ro'));
  assert.equal(s.linux.sysctl?.['net.ipv4.ip_unprivileged_port_start'], undefined);
});

test('a netns the runtime makes with the user namespace keeps sysfs', () => {
  const s = spec({}, {});
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
});

test('which user namespace a remapped container joins', () => {
  const peers: Record<string, { HostConfig: { UsernsMode?: string }; State: { Pid?: number } }> = {
    remapped: { HostConfig: {}, State: { Pid: 42 } },
    hostns: { HostConfig: { UsernsMode: 'host' }, State: { Pid: 43 } },
  };
  const lookup = (ref: string) => peers[ref]!;
  assert.equal(ownedUserns('/x/netns/c1', { net: 'bridge' }, lookup, mapping), '/x/netns/c1.user');
  assert.equal(ownedUserns(undefined, { net: 'container:remapped' }, lookup, mapping), '/proc/42/ns/user');
  assert.equal(ownedUserns(undefined, { net: 'container:hostns' }, lookup, mapping), undefined);
  assert.equal(ownedUserns(undefined, { net: 'none', ipc: 'container:remapped' }, lookup, mapping), '/proc/42/ns/user');
  assert.equal(ownedUserns(undefined, { net: 'none' }, lookup, mapping), undefined);
});
