// docker stats and docker update against cgroups: the limits a container runs with show up in
// `docker stats`, `docker update` changes the cgroup files and inspect, the stats stream ticks,
// and berth prints the same table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { busyboxDaemon } from './harness.js';

const d = busyboxDaemon();

const cg = (controller: string, id: string, file: string): string => readFileSync(`/sys/fs/cgroup/${controller}${d.cgroupParent}/${id}/${file}`, 'utf8').trim();

/** Reads `count` objects of a streaming stats response, then hangs up. */
function streamStats(id: string, count: number): Promise<Record<string, any>[]> {
  return new Promise((resolve, reject) => {
    const out: Record<string, any>[] = [];
    const req = http.get({ socketPath: d.socket, path: `/v1.47/containers/${id}/stats`, agent: false }, (res) => {
      let buf = '';
      res.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          out.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          if (out.length === count) {
            req.destroy();
            resolve(out);
            return;
          }
        }
      });
      res.on('end', () => resolve(out));
    });
    req.on('error', (err) => (out.length >= count ? undefined : reject(err)));
  });
}

test('limits from run are enforced in the cgroup and shown by docker stats; docker update changes them', async () => {
  const id = d.docker(['run', '-d', '--name', 'limited', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', 'busybox', 'sleep', '60']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '50000');
  assert.equal(cg('memory', id, 'memory.limit_in_bytes'), '67108864');

  const r = d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', id]);
  assert.equal(r.code, 0, r.stderr);
  const m = /^limited (\S+) \/ (\S+) (\d+)$/.exec(r.stdout.trim());
  assert.ok(m, r.stdout);
  assert.equal(m[2], '64MiB');
  assert.ok(Number(m[3]) >= 1, r.stdout);

  const table = d.docker(['stats', '--no-stream']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout.split('\n')[0]!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.match(table.stdout, new RegExp(`^${id.slice(0, 12)}\\s+limited\\s+\\d+\\.\\d\\d%\\s+\\S+ / 64MiB\\s+\\d+\\.\\d\\d%`, 'm'));

  const up = d.docker(['update', '--memory', '128m', '--memory-swap', '256m', id]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout.trim(), id);
  assert.equal(cg('memory', id, 'memory.limit_in_bytes'), '134217728');
  assert.equal(cg('memory', id, 'memory.memsw.limit_in_bytes'), '268435456');
  assert.equal(d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', id]).stdout.trim(), '134217728 268435456');

  assert.equal(d.docker(['update', '--cpus', '1', '--pids-limit', '80', id]).code, 0);
  assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '100000');
  assert.equal(cg('pids', id, 'pids.max'), '80');
  assert.equal(d.docker(['inspect', '-f', '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', id]).stdout.trim(), '1000000000 80');

  // Lifting the pids limit writes "max", which crun cannot spell on its own.
  assert.equal(d.docker(['update', '--pids-limit', '-1', id]).code, 0);
  assert.equal(cg('pids', id, 'pids.max'), 'max');

  const after = d.docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', id]);
  assert.match(after.stdout.trim(), / \/ 128MiB$/);
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('docker update refuses what dockerd refuses, with its messages', () => {
  const id = d.docker(['run', '-d', '--memory', '64m', 'busybox', 'sleep', '60']).stdout.trim();
  const tooBig = d.docker(['update', '--memory', '512m', id]);
  assert.notEqual(tooBig.code, 0);
  assert.match(tooBig.stderr, new RegExp(`Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`));
  const tooSmall = d.docker(['update', '--memory', '4m', id]);
  assert.notEqual(tooSmall.code, 0);
  assert.match(tooSmall.stderr, /Minimum memory limit allowed is 6MB/);
  const swapBelow = d.docker(['update', '--memory', '100m', '--memory-swap', '80m', id]);
  assert.match(swapBelow.stderr, /Minimum memoryswap limit should be larger than memory limit/);
  // Nothing changed.
  assert.equal(cg('memory', id, 'memory.limit_in_bytes'), '67108864');
  assert.equal(d.docker(['inspect', '-f', '{{.HostConfig.Memory}}', id]).stdout.trim(), '67108864');
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('a stopped container is updated on record and starts with the new limits', () => {
  const id = d.docker(['create', '--cpus', '0.5', 'busybox', 'sleep', '60']).stdout.trim();
  assert.equal(d.docker(['update', '--cpus', '1.5', '--restart', 'on-failure:3', id]).code, 0);
  assert.equal(d.docker(['inspect', '-f', '{{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', id]).stdout.trim(), '1500000000 on-failure:3');
  assert.equal(d.docker(['start', id]).code, 0);
  assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '150000');
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('the stats stream yields samples with increasing read times and precpu of the previous one', async () => {
  const id = d.docker(['run', '-d', 'busybox', 'sh', '-c', 'while :; do :; done']).stdout.trim();
  const samples = await streamStats(id, 3);
  assert.equal(samples.length, 3);
  const reads = samples.map((s) => Date.parse(s.read));
  assert.ok(reads[0]! < reads[1]! && reads[1]! < reads[2]!, JSON.stringify(reads));
  assert.equal(samples[0]!.preread, '0001-01-01T00:00:00Z');
  assert.equal(samples[1]!.preread, samples[0]!.read);
  assert.equal(samples[1]!.precpu_stats.cpu_usage.total_usage, samples[0]!.cpu_stats.cpu_usage.total_usage);
  // Over two intervals the busy loop must have run (one interval alone can starve on a loaded machine).
  assert.ok(samples[2]!.cpu_stats.cpu_usage.total_usage >= samples[1]!.cpu_stats.cpu_usage.total_usage);
  assert.ok(samples[2]!.cpu_stats.cpu_usage.total_usage > samples[0]!.cpu_stats.cpu_usage.total_usage);
  assert.ok(samples[2]!.cpu_stats.system_cpu_usage > samples[1]!.cpu_stats.system_cpu_usage);
  assert.equal(samples[0]!.name, `/${d.docker(['inspect', '-f', '{{.Name}}', id]).stdout.trim().slice(1)}`);
  assert.equal(samples[0]!.memory_stats.limit, Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)![1]) * 1024);

  // A busy loop shows up as CPU use in docker stats.
  const cpu = d.docker(['stats', '--no-stream', '--format', '{{.CPUPerc}}', id]).stdout.trim();
  assert.ok(parseFloat(cpu) > 10, cpu);

  // one-shot answers at once, without a previous sample.
  const one = await d.api('GET', `/containers/${id}/stats?stream=0&one-shot=1`);
  assert.equal(one.status, 200);
  assert.equal(one.body.preread, '0001-01-01T00:00:00Z');
  assert.ok(one.body.pids_stats.current >= 1);
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('a stopped container has zeroed stats; an unknown one is a 404', async () => {
  const id = d.docker(['create', '--name', 'idle', 'busybox', 'true']).stdout.trim();
  const r = await d.api('GET', `/containers/${id}/stats?stream=0`);
  assert.equal(r.status, 200);
  assert.equal(r.body.read, '0001-01-01T00:00:00Z');
  assert.equal(r.body.id, id);
  assert.equal(r.body.name, '/idle');
  assert.deepEqual(r.body.memory_stats, {});
  const all = d.docker(['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}']);
  assert.match(all.stdout, /^idle 0\.00% 0B \/ 0B$/m);
  const missing = await d.api('GET', '/containers/nope/stats?stream=0');
  assert.equal(missing.status, 404);
  assert.equal(d.docker(['rm', id]).code, 0);
});

test('a stream ends when the container stops', async () => {
  const id = d.docker(['run', '-d', 'busybox', 'sleep', '2']).stdout.trim();
  const started = Date.now();
  const samples = await streamStats(id, 100);
  assert.ok(samples.length >= 1 && samples.length < 10, `${samples.length} samples`);
  assert.ok(Date.now() - started < 15_000);
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});

test('berth stats --no-stream prints docker\'s columns; berth update changes the cgroup', () => {
  const id = d.docker(['run', '-d', '--name', 'viaberth', '--memory', '32m', 'busybox', 'sleep', '60']).stdout.trim();
  const r = d.berth(['stats', '--no-stream']);
  assert.equal(r.code, 0, r.stderr);
  const [head, ...rows] = r.stdout.trimEnd().split('\n');
  assert.match(head!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.ok(rows.some((l) => new RegExp(`^${id.slice(0, 12)}\\s+viaberth\\s+\\d+\\.\\d\\d%\\s+\\S+ / 32MiB\\s+\\d+\\.\\d\\d%\\s+0B / 0B\\s+\\S+ / \\S+\\s+1$`).test(l)), r.stdout);
  // The same numbers as docker's rendering of the same template.
  const tmpl = '{{.Name}} {{.MemUsage}} {{.PIDs}}';
  const limitOf = (s: string) => s.trim().split(' / ')[1];
  assert.equal(limitOf(d.berth(['stats', '--no-stream', '--format', tmpl, 'viaberth']).stdout), limitOf(d.docker(['stats', '--no-stream', '--format', tmpl, 'viaberth']).stdout));

  const up = d.berth(['update', '--memory', '48m', '--memory-swap', '96m', 'viaberth']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout.trim(), 'viaberth');
  assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(48 * 1024 * 1024));
  const none = d.berth(['update', 'viaberth']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /you must provide one or more flags when using this command/);
  const missing = d.berth(['stats', '--no-stream', 'nosuchcontainer']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such container: nosuchcontainer/);
  assert.equal(d.docker(['rm', '-f', id]).code, 0);
});
