// docker update's merge and validation: dockerd's conflicts and messages, what is kept for the
// next start, and the LinuxResources handed to the runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planUpdate } from '../../../src/containers/resource-update.js';
import { Conflict, InvalidParameter } from '../../../src/lib/errors.js';
import { testHost } from '../oci-spec/fixtures.js';

const ID = 'f'.repeat(64);
const MiB = 1024 * 1024;
const host = testHost();

test('memory and swap raised together: kept and sent to the runtime', () => {
  const p = planUpdate(ID, { Memory: 64 * MiB, MemorySwap: 128 * MiB }, { Memory: 128 * MiB, MemorySwap: 256 * MiB }, host);
  assert.equal(p.next.Memory, 128 * MiB);
  assert.equal(p.next.MemorySwap, 256 * MiB);
  assert.deepEqual(p.resources.memory, { disableOOMKiller: false, limit: 128 * MiB, swap: 256 * MiB });
  assert.deepEqual(p.warnings, []);
});

test('memory above the stored swap without new swap is refused as dockerd does', () => {
  assert.throws(
    () => planUpdate(ID, { Memory: 64 * MiB, MemorySwap: 128 * MiB }, { Memory: 512 * MiB }, host),
    (err: unknown) =>
      err instanceof Conflict &&
      err.message === `Cannot update container ${ID}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
  );
  // A record without the stored default counts twice the memory as swap.
  assert.equal(planUpdate(ID, { Memory: 64 * MiB }, { Memory: 100 * MiB }, host).next.Memory, 100 * MiB);
});

test('values the spec builder refuses are a 400 with its message', () => {
  assert.throws(() => planUpdate(ID, {}, { Memory: 4 * MiB, MemorySwap: -1 }, host), (e: unknown) => e instanceof InvalidParameter && /Minimum memory limit allowed is 6MB/.test(e.message));
  assert.throws(() => planUpdate(ID, {}, { Memory: 100 * MiB, MemorySwap: 80 * MiB }, host), /Minimum memoryswap limit should be larger than memory limit/);
  assert.throws(() => planUpdate(ID, {}, { NanoCpus: 5e9 }, host), /range of CPUs is from 0.01 to 2.00/);
});

test('--cpus replaces the quota; NanoCpus and a stored period/quota conflict', () => {
  const p = planUpdate(ID, { NanoCpus: 5e8 }, { NanoCpus: 1e9 }, host);
  assert.equal(p.next.NanoCpus, 1e9);
  assert.deepEqual(p.resources.cpu, { period: 100000, quota: 100000 });
  assert.throws(() => planUpdate(ID, { CpuQuota: 50000 }, { NanoCpus: 1e9 }, host), /Nano CPUs cannot be updated as CPU Quota has already been set/);
  assert.throws(() => planUpdate(ID, { NanoCpus: 1e9 }, { CpuPeriod: 50000 }, host), /CPU Period cannot be updated as NanoCPUs has already been set/);
});

test('pids: a limit is sent; unlimited is flagged for a "max" write and left out of the resources', () => {
  const p = planUpdate(ID, {}, { PidsLimit: 80 }, host);
  assert.deepEqual(p.resources.pids, { limit: 80 });
  const u = planUpdate(ID, { PidsLimit: 80 }, { PidsLimit: -1 }, host);
  assert.equal(u.pidsUnlimited, true);
  assert.equal(u.resources.pids, undefined);
  assert.equal(u.next.PidsLimit, -1);
  // Go's null PidsLimit means "not given".
  assert.equal(planUpdate(ID, { PidsLimit: 80 }, { PidsLimit: null }, host).next.PidsLimit, 80);
});

test('zero and empty request fields leave stored values alone (the CLI sends every field)', () => {
  const cur = { Memory: 64 * MiB, MemorySwap: 128 * MiB, CpuShares: 512, CpusetCpus: '0' };
  const p = planUpdate(ID, cur, { Memory: 0, MemorySwap: 0, CpuShares: 0, CpusetCpus: '', RestartPolicy: { Name: '', MaximumRetryCount: 0 } }, host);
  assert.deepEqual(p.next, cur);
});

test('restart policy: updated, validated, and refused with AutoRemove', () => {
  assert.deepEqual(planUpdate(ID, {}, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }, host).next.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.throws(() => planUpdate(ID, {}, { RestartPolicy: { Name: 'sometimes' } }, host), /unknown policy 'sometimes'/);
  assert.throws(() => planUpdate(ID, { AutoRemove: true }, { RestartPolicy: { Name: 'always' } }, host), /Restart policy cannot be updated because AutoRemove is enabled for the container/);
});

test('a blkio weight the kernel lacks is dropped with Docker\'s warning', () => {
  const p = planUpdate(ID, {}, { BlkioWeight: 300 }, host);
  assert.equal(p.next.BlkioWeight, 0);
  assert.match(p.warnings.join('\n'), /Block I\/O weight/);
});
