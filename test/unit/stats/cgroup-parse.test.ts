// Parsing of the cgroup and /proc files `docker stats` is computed from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlkio, parseCpuacctStat, parseFlatKeyed, parseIoStat, parseMemTotal, parsePerCpu, parseProcStat, parseSingle } from '../../../src/containers/stats/cgroup-parse.js';

test('memory.stat keeps exact values beyond 2^53 (the unlimited hierarchical limit)', () => {
  const m = parseFlatKeyed('cache 4096\nrss 1208320\nhierarchical_memory_limit 9223372036854771712\ntotal_inactive_file 8192\n');
  assert.equal(m.get('rss'), 1208320);
  assert.equal(m.get('total_inactive_file'), 8192);
  assert.equal(m.get('hierarchical_memory_limit'), 9223372036854771712n);
});

test('a single-value file reads "max" as no limit', () => {
  assert.equal(parseSingle('max\n'), undefined);
  assert.equal(parseSingle('50\n'), 50);
});

test('/proc/stat: host CPU time in ns from the first seven fields, and the cpuN count', () => {
  const text = 'cpu  100 0 50 1000 10 0 5 7 0 0\ncpu0 50 0 25 500 5 0 2 3 0 0\ncpu1 50 0 25 500 5 0 3 4 0 0\nintr 1 2 3\n';
  const s = parseProcStat(text);
  assert.equal(s.systemUsage, 1165n * 10_000_000n);
  assert.equal(s.onlineCpus, 2);
  assert.throws(() => parseProcStat('intr 1\n'), /parse \/proc\/stat/);
});

test('cpuacct.stat ticks become nanoseconds; per-CPU usage is a list', () => {
  assert.deepEqual(parseCpuacctStat('user 12\nsystem 3\n'), { user: 120_000_000, system: 30_000_000 });
  assert.deepEqual(parsePerCpu('1000 2000 \n'), [1000, 2000]);
});

test('blkio v1 lines without the Total line; io.stat as read/write bytes', () => {
  assert.deepEqual(parseBlkio('8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 8192 },
    { major: 8, minor: 0, op: 'Total', value: 12288 },
  ]);
  assert.deepEqual(parseIoStat('259:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n'), [
    { major: 259, minor: 0, op: 'read', value: 100 },
    { major: 259, minor: 0, op: 'write', value: 200 },
  ]);
});

test('MemTotal in bytes', () => {
  assert.equal(parseMemTotal('MemTotal:       24684092 kB\nMemFree: 1 kB\n'), 24684092 * 1024);
});
