import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import type { HostConfig } from '../../../src/containers/oci-spec/types.js';
import { DEFAULT_PROFILE_PATH, toOciSeccomp, type DockerSeccompProfile } from '../../../src/runtime/seccomp.js';
import { testCtx, testHost } from './fixtures.js';

const haveProfile = existsSync(DEFAULT_PROFILE_PATH);
function seccomp(hc: HostConfig, host = testHost()) {
  return buildSpec({ Cmd: ['true'] }, hc, testCtx({ host })).spec.linux.seccomp;
}
function allowed(s: ReturnType<typeof seccomp>): Set<string> {
  return new Set((s?.syscalls ?? []).filter((c) => c.action === 'SCMP_ACT_ALLOW').flatMap((c) => c.names));
}

test('Docker\'s default profile: errno by default, x86 architectures, no mount or unshare', { skip: !haveProfile }, () => {
  const s = seccomp({});
  assert.equal(s?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(s?.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const ok = allowed(s);
  for (const name of ['read', 'write', 'execve', 'arch_prctl']) assert.ok(ok.has(name), name);
  for (const name of ['mount', 'unshare', 'setns', 'reboot', 's390_runtime_instr']) assert.ok(!ok.has(name), name);
  // ptrace needs kernel 4.8: allowed here, not on an old kernel.
  assert.ok(ok.has('ptrace'));
  assert.ok(!allowed(seccomp({}, testHost({ kernelRelease: '4.4.0' }))).has('ptrace'));
});

test('adding CAP_SYS_ADMIN allows mount and unshare, as Docker\'s profile says', { skip: !haveProfile }, () => {
  const ok = allowed(seccomp({ CapAdd: ['SYS_ADMIN'] }));
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone']) assert.ok(ok.has(name), name);
  assert.ok(allowed(seccomp({ CapAdd: ['SYS_TIME'] })).has('settimeofday'));
});

test('privileged and seccomp=unconfined run without a filter', { skip: !haveProfile }, () => {
  assert.equal(seccomp({ Privileged: true }), undefined);
  assert.equal(seccomp({ SecurityOpt: ['seccomp=unconfined'] }), undefined);
  assert.equal(seccomp({ SecurityOpt: ['seccomp:unconfined'] }), undefined);
});

test('a custom profile, as JSON (what the docker CLI sends) or as a file path', () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { name: 'fchmod', action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  const expected = {
    defaultAction: 'SCMP_ACT_ALLOW',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  assert.deepEqual(seccomp({ SecurityOpt: [`seccomp=${JSON.stringify(profile)}`] }), expected);
  const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
  try {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(profile));
    assert.deepEqual(seccomp({ SecurityOpt: [`seccomp=${file}`] }), expected);
    // A custom profile still applies to a privileged container (moby 25+).
    assert.equal(seccomp({ Privileged: true, SecurityOpt: [`seccomp=${file}`] })?.defaultAction, 'SCMP_ACT_ALLOW');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => seccomp({ SecurityOpt: ['seccomp={nope'] }), { name: 'InvalidParameter', message: /^Decoding seccomp profile failed/ });
});

test('excludes: a rule is dropped when the container holds an excluded capability or runs on an excluded arch', () => {
  const profile: DockerSeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    archMap: [{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
    syscalls: [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['s390only'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['arm64'] } },
    ],
  };
  const arm = toOciSeccomp(profile, { bounding: [], nodeArch: 'arm64', kernelRelease: '6.1' });
  assert.deepEqual(arm?.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(arm?.syscalls?.map((s) => s.names[0]), ['clone']);
  const admin = toOciSeccomp(profile, { bounding: ['CAP_SYS_ADMIN'], nodeArch: 'x64', kernelRelease: '6.1' });
  assert.equal(admin?.architectures, undefined);
  assert.deepEqual(admin?.syscalls?.map((s) => s.names[0]), ['s390only']);
});
