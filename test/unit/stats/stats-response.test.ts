// The StatsResponse the docker CLI computes its columns from: v1 and v2 assembly, the host's
// memory as the limit of an unlimited container, zeroed stats for a stopped one, exact JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleStats, emptyStats, statsJson, type CgroupTexts } from '../../../src/containers/stats/stats-response.js';

const host = { systemUsage: 123456789012345678n, onlineCpus: 2, memTotal: 1024 * 1024 * 1024 };
const meta = { id: 'abc', name: '/web' };
const read = new Date('2025-01-02T03:04:05.678Z');

const v1: CgroupTexts = {
  memoryUsage: '10485760\n',
  memoryMaxUsage: '20971520\n',
  memoryLimit: '67108864\n',
  memoryFailcnt: '0\n',
  memoryStat: 'cache 4096\nrss 1048576\ntotal_inactive_file 2097152\nhierarchical_memory_limit 67108864\n',
  cpuUsage: '5000000\n',
  cpuUsagePerCpu: '3000000 2000000\n',
  cpuacctStat: 'user 1\nsystem 2\n',
  cpuStat: 'nr_periods 10\nnr_throttled 4\nthrottled_time 999\n',
  pidsCurrent: '3\n',
  pidsMax: '50\n',
  blkioServiceBytes: '8:0 Read 4096\n8:0 Write 1024\nTotal 5120\n',
  blkioServiced: '8:0 Read 1\n8:0 Write 1\nTotal 2\n',
};

test('cgroup v1: the fields docker stats reads', () => {
  const s = assembleStats(meta, 1, v1, host, read);
  assert.equal(s.read, '2025-01-02T03:04:05.678Z');
  assert.equal(s.memory_stats.usage, 10485760);
  assert.equal(s.memory_stats.limit, 67108864);
  // The CLI subtracts total_inactive_file from usage.
  assert.equal(s.memory_stats.stats!['total_inactive_file'], 2097152);
  assert.equal(s.memory_stats.stats!['total_rss'], 0);
  assert.equal(s.cpu_stats.cpu_usage.total_usage, 5000000);
  assert.deepEqual(s.cpu_stats.cpu_usage.percpu_usage, [3000000, 2000000]);
  assert.equal(s.cpu_stats.cpu_usage.usage_in_usermode, 10_000_000);
  assert.equal(s.cpu_stats.cpu_usage.usage_in_kernelmode, 20_000_000);
  assert.deepEqual(s.cpu_stats.throttling_data, { periods: 10, throttled_periods: 4, throttled_time: 999 });
  assert.equal(s.cpu_stats.online_cpus, 2);
  assert.deepEqual(s.pids_stats, { current: 3, limit: 50 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 1024 },
  ]);
  assert.equal(s.blkio_stats.io_queue_recursive, null);
});

test('an unlimited container reports the host memory as its limit, and no pids limit', () => {
  const s = assembleStats(meta, 1, { ...v1, memoryLimit: '9223372036854771712\n', pidsMax: 'max\n' }, host, read);
  assert.equal(s.memory_stats.limit, host.memTotal);
  assert.deepEqual(s.pids_stats, { current: 3 });
});

test('cgroup v2: usage from cpu.stat in µs, memory.max "max", OOM events as failcnt', () => {
  const s = assembleStats(meta, 2, {
    memoryUsage: '4096\n',
    memoryLimit: 'max\n',
    memoryStat: 'anon 1024\ninactive_file 512\n',
    memoryEvents: 'low 0\nhigh 0\nmax 0\noom 2\noom_kill 1\n',
    cpuStat: 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\nthrottled_usec 7\n',
    pidsCurrent: '1\n',
    pidsMax: 'max\n',
    ioStat: '8:0 rbytes=10 wbytes=20 rios=1 wios=1\n',
  }, host, read);
  assert.equal(s.cpu_stats.cpu_usage.total_usage, 1_500_000);
  assert.equal(s.cpu_stats.throttling_data.throttled_time, 7000);
  assert.equal(s.memory_stats.limit, host.memTotal);
  assert.equal(s.memory_stats.failcnt, 2);
  assert.equal(s.memory_stats.stats!['inactive_file'], 512);
  assert.equal(s.blkio_stats.io_service_bytes_recursive!.length, 2);
});

test('a stopped container: id and name, Go zero times, empty memory and pids', () => {
  const j = JSON.parse(statsJson(emptyStats('abc', '/idle')));
  assert.equal(j.read, '0001-01-01T00:00:00Z');
  assert.equal(j.preread, '0001-01-01T00:00:00Z');
  assert.equal(j.name, '/idle');
  assert.equal(j.os_type, 'linux');
  assert.deepEqual(j.memory_stats, {});
  assert.deepEqual(j.pids_stats, {});
  assert.equal(j.cpu_stats.system_cpu_usage, undefined);
  assert.equal(j.cpu_stats.cpu_usage.total_usage, 0);
});

test('counters past 2^53 are written as exact JSON numbers', () => {
  const text = statsJson(assembleStats(meta, 1, v1, host, read));
  assert.match(text, /"system_cpu_usage":123456789012345678[,}]/);
});
