import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../src/containers/oci-spec/index.js';
import type { HostConfig } from '../../../src/containers/oci-spec/types.js';
import { testCtx, testHost } from './fixtures.js';

const MiB = 1024 * 1024;
function build(hc: HostConfig, host = testHost()) {
  return buildSpec({ Cmd: ['true'] }, hc, testCtx({ host }));
}

test('memory limit alone allows twice as much memory+swap', () => {
  const m = build({ Memory: 100 * MiB }).spec.linux.resources.memory;
  assert.deepEqual(m, { disableOOMKiller: false, limit: 100 * MiB, swap: 200 * MiB });
});

test('MemorySwap -1 leaves swap unlimited; an explicit value is kept; reservation is passed', () => {
  assert.equal(build({ Memory: 100 * MiB, MemorySwap: -1 }).spec.linux.resources.memory?.swap, undefined);
  const m = build({ Memory: 100 * MiB, MemorySwap: 300 * MiB, MemoryReservation: 50 * MiB }).spec.linux.resources.memory;
  assert.equal(m?.swap, 300 * MiB);
  assert.equal(m?.reservation, 50 * MiB);
});

test('memory settings Docker refuses are refused', () => {
  assert.throws(() => build({ Memory: 1 * MiB }), { name: 'InvalidParameter', message: 'Minimum memory limit allowed is 6MB' });
  assert.throws(() => build({ Memory: 100 * MiB, MemorySwap: 50 * MiB }), {
    message: 'Minimum memoryswap limit should be larger than memory limit, see usage',
  });
  assert.throws(() => build({ MemorySwap: 50 * MiB }), {
    message: 'You should always set the Memory limit when using Memoryswap limit, see usage',
  });
});

test('without swap accounting the swap limit is dropped with Docker\'s warning', () => {
  const r = build({ Memory: 100 * MiB }, testHost({ swapLimit: false }));
  assert.equal(r.spec.linux.resources.memory?.swap, undefined);
  assert.deepEqual(r.warnings, ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
});

test('NanoCpus 0.5 becomes quota 50000 over period 100000', () => {
  assert.deepEqual(build({ NanoCpus: 500_000_000 }).spec.linux.resources.cpu, { period: 100000, quota: 50000 });
  assert.deepEqual(build({ NanoCpus: 1_500_000_000 }).spec.linux.resources.cpu, { period: 100000, quota: 150000 });
});

test('shares, cpusets, period and quota pass through; conflicts and ranges are checked', () => {
  assert.deepEqual(build({ CpuShares: 512, CpusetCpus: '0-1', CpusetMems: '0', CpuPeriod: 50000, CpuQuota: 25000 }).spec.linux.resources.cpu, {
    shares: 512, cpus: '0-1', mems: '0', period: 50000, quota: 25000,
  });
  assert.throws(() => build({ NanoCpus: 1e9, CpuQuota: 50000 }), { message: 'Conflicting options: Nano CPUs and CPU Quota cannot both be set' });
  assert.throws(() => build({ NanoCpus: 3e9 }), { message: 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available' });
  assert.throws(() => build({ CpusetCpus: '0-7' }), { message: 'Requested CPUs are not available - requested 0-7, available: 0-1' });
});

test('pids limit: positive kept, 0 and -1 mean unlimited, absent means unset', () => {
  assert.deepEqual(build({ PidsLimit: 100 }).spec.linux.resources.pids, { limit: 100 });
  assert.equal(build({ PidsLimit: 0 }).spec.linux.resources.pids, undefined);
  assert.equal(build({ PidsLimit: -1 }).spec.linux.resources.pids, undefined);
  assert.equal(build({}).spec.linux.resources.pids, undefined);
});

test('blkio weight is dropped with Docker\'s warning when the kernel lacks it', () => {
  const r = build({ BlkioWeight: 300 });
  assert.equal(r.spec.linux.resources.blockIO, undefined);
  assert.deepEqual(r.warnings, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
  assert.deepEqual(build({ BlkioWeight: 300 }, testHost({ blkioWeight: true })).spec.linux.resources.blockIO, { weight: 300 });
});

test('OomKillDisable is passed and warns without a memory limit', () => {
  const r = build({ OomKillDisable: true });
  assert.equal(r.spec.linux.resources.memory?.disableOOMKiller, true);
  assert.match(r.warnings[0] ?? '', /OOM killer is disabled for the container, but no memory limit is set/);
});
