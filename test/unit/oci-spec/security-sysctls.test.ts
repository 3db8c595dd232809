import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import type { HostConfig } from '../../../src/containers/oci-spec/types.js';
import { testCtx, testHost } from './fixtures.js';

function build(hc: HostConfig) {
  return buildSpec({ Cmd: ['true'] }, hc, testCtx({ host: testHost({ seccomp: false }) })).spec;
}

test('no-new-privileges in its accepted spellings', () => {
  assert.equal(build({}).process.noNewPrivileges, undefined);
  assert.equal(build({ SecurityOpt: ['no-new-privileges'] }).process.noNewPrivileges, true);
  assert.equal(build({ SecurityOpt: ['no-new-privileges:true'] }).process.noNewPrivileges, true);
  assert.equal(build({ SecurityOpt: ['no-new-privileges=true'] }).process.noNewPrivileges, true);
  assert.equal(build({ SecurityOpt: ['no-new-privileges=false'] }).process.noNewPrivileges, undefined);
});

test('labels and AppArmor profiles are accepted and ignored; unknown options are errors', () => {
  assert.doesNotThrow(() => build({ SecurityOpt: ['label=disable', 'label:type:svirt_t', 'apparmor=unconfined'] }));
  assert.throws(() => build({ SecurityOpt: ['foo=bar'] }), { name: 'InvalidParameter', message: 'invalid --security-opt 2: "foo=bar"' });
  assert.throws(() => build({ SecurityOpt: ['bogus'] }), { message: 'invalid --security-opt 1: "bogus"' });
  assert.throws(() => build({ SecurityOpt: ['no-new-privileges=maybe'] }), { message: 'invalid --security-opt 2: "no-new-privileges=maybe"' });
});

test('namespaced sysctls are accepted, with Docker\'s network defaults for a private network', () => {
  const s = build({ Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'fs.mqueue.msg_max': '20', 'kernel.msgmax': '9' } });
  assert.deepEqual(s.linux.sysctl, {
    'net.ipv4.ping_group_range': '0 2147483647',
    'net.ipv4.ip_unprivileged_port_start': '0',
    'net.ipv4.ip_forward': '1',
    'kernel.shmmax': '1000',
    'fs.mqueue.msg_max': '20',
    'kernel.msgmax': '9',
  });
  assert.equal(build({ NetworkMode: 'host' }).linux.sysctl, undefined);
});

test('sysctls outside the container\'s namespaces are refused with the runtime\'s wording', () => {
  assert.throws(() => build({ Sysctls: { 'kernel.pid_max': '1' } }), {
    name: 'InvalidParameter',
    message: 'sysctl "kernel.pid_max" is not in a separate kernel namespace',
  });
  assert.throws(() => build({ Sysctls: { 'vm.swappiness': '1' } }), { message: 'sysctl "vm.swappiness" is not in a separate kernel namespace' });
  assert.throws(() => build({ NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } }), {
    message: 'sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace',
  });
  assert.throws(() => build({ IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } }), {
    message: 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace',
  });
  assert.throws(() => build({ Sysctls: { 'kernel.hostname': 'x' } }), { message: /conflicts with the OCI "hostname" field/ });
});
