// Resource limits enforced through cgroups: an OOM kill is reported, a fork bomb stops at the
// pids limit, and --cpus lands in the CFS quota.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { busyboxDaemon } from './harness.js';

const d = busyboxDaemon();

test('--memory 32m: allocating 64 MiB is killed and inspect shows OOMKilled', () => {
  // dd allocates and fills a buffer of its block size: 64 MiB in a 32 MiB cgroup.
  const r = d.docker(['run', '--name', 'oom', '--memory', '32m', '--memory-swap', '32m', 'busybox', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1']);
  assert.equal(r.code, 137, r.stderr);
  const state = d.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}', 'oom']).stdout.trim();
  assert.equal(state, 'true 137 33554432');
  assert.equal(d.docker(['rm', 'oom']).code, 0);
});

test('--pids-limit 20 stops a fork bomb', () => {
  const id = d.docker(['run', '-d', '--pids-limit', '20', 'busybox', 'sleep', '60']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // busybox sh gives up at the first fork that fails; the sleeps it started stay behind.
  const bomb = d.docker(['exec', id, 'sh', '-c', 'i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done']);
  assert.notEqual(bomb.code, 0);
  assert.match(bomb.stderr, /can't fork|Resource temporarily unavailable/);
  const current = Number(readFileSync(`/sys/fs/cgroup/pids${d.cgroupParent}/${id}/pids.current`, 'utf8'));
  assert.ok(current <= 20 && current >= 10, `pids.current ${current}`);
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('--cpus 0.5 is visible in the cgroup and in inspect', () => {
  const id = d.docker(['run', '-d', '--cpus', '0.5', '--cpu-shares', '512', 'busybox', 'sleep', '60']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const dir = `/sys/fs/cgroup/cpu${d.cgroupParent}/${id}`;
  assert.equal(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
  assert.equal(readFileSync(`${dir}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
  assert.equal(readFileSync(`${dir}/cpu.shares`, 'utf8').trim(), '512');
  assert.equal(d.docker(['inspect', '-f', '{{.HostConfig.NanoCpus}}', id]).stdout.trim(), '500000000');
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('--blkio-weight is discarded with a warning on a kernel without blkio.weight', () => {
  const r = d.docker(['run', '--rm', '--blkio-weight', '300', 'busybox', 'true']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Block I\/O weight/);
});
