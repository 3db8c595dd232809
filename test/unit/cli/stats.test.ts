// The stats columns berth prints, computed as docker/cli computes them from a StatsResponse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, cpuPercent, formatPercentage, memUsageNoCache, statsEntry, statsRow } from '../../../src/cli/commands/stats.js';

test('CPU %: container delta over host delta times online CPUs', () => {
  const pre = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 10_000_000_000 };
  const cur = { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 12_000_000_000, online_cpus: 2 };
  assert.equal(cpuPercent(pre, cur), 50);
  // Without a previous sample the CLI shows 0 only when a delta is not positive.
  assert.equal(cpuPercent(cur, cur), 0);
  // online_cpus missing: the per-CPU list length stands in.
  assert.equal(cpuPercent(pre, { ...cur, online_cpus: undefined, cpu_usage: { total_usage: 1_500_000_000, percpu_usage: [1, 2, 3, 4] } }), 100);
});

test('memory usage leaves out inactive file pages (v1 total_inactive_file, v2 inactive_file)', () => {
  assert.equal(memUsageNoCache({ usage: 1000, stats: { total_inactive_file: 300 } }), 700);
  assert.equal(memUsageNoCache({ usage: 1000, stats: { inactive_file: 100 } }), 900);
  assert.equal(memUsageNoCache({ usage: 1000, stats: { total_inactive_file: 3000 } }), 1000);
});

test('a row: binary memory sizes, decimal I/O sizes, name without its slash', () => {
  const e = statsEntry('web', {
    id: 'a'.repeat(64),
    name: '/web',
    memory_stats: { usage: 2 * 1024 * 1024, limit: 64 * 1024 * 1024, stats: { total_inactive_file: 0 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 4096 }, { op: 'Write', value: 1_500_000 }, { op: 'Total', value: 1 }] },
    pids_stats: { current: 3 },
  });
  assert.deepEqual(statsRow(e, true), {
    Container: 'web',
    Name: 'web',
    ID: 'aaaaaaaaaaaa',
    CPUPerc: '0.00%',
    MemUsage: '2MiB / 64MiB',
    MemPerc: '3.12%',
    NetIO: '0B / 0B',
    BlockIO: '4.1kB / 1.5MB',
    PIDs: '3',
  });
  assert.equal(statsRow({ ...e, invalid: true }, true).MemUsage, '-- / --');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(0), '0B');
});

test('percentages round exact ties to even, as Go formats them', () => {
  assert.equal(formatPercentage(3.125), '3.12%');
  assert.equal(formatPercentage(3.375), '3.38%');
  assert.equal(formatPercentage(0.5), '0.50%');
  assert.equal(formatPercentage(49.996), '50.00%');
});
