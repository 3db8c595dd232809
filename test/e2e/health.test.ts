// Health checks run by the engine, driven through the real docker CLI: starting → healthy,
// retries → unhealthy, health_status events, ps status and filter, timeouts, --no-healthcheck
// over an image HEALTHCHECK, pause and restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxDaemon, busyboxTar, sleep } from './harness.js';

const d = busyboxDaemon();

function health(name: string): string {
  return d.docker(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', name]).stdout.trim();
}

/** Polls until the container's health status is `want`; returns the statuses seen on the way. */
async function waitHealth(name: string, want: string, ms = 8000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const s = health(name);
    if (seen[seen.length - 1] !== s) seen.push(s);
    if (s === want) return seen;
    if (Date.now() > deadline) assert.fail(`${name}: health stayed ${s}, wanted ${want} (seen ${seen.join(' → ')})\n${d.log.slice(-2000)}`);
    await sleep(100);
  }
}

function inspectHealth(name: string): { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] } {
  const r = d.docker(['inspect', '-f', '{{json .State.Health}}', name]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a passing check goes from starting to healthy, and ps shows it', async () => {
  const since = Math.floor(Date.now() / 1000);
  const run = d.docker(['run', '-d', '--name', 'hc-ok', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '200ms', '--health-retries', '2', '--health-start-period', '5s', '--health-start-interval', '100ms', 'busybox', 'sh', '-c', 'sleep 1; touch /tmp/ok; sleep 60']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(health('hc-ok'), 'starting');
  const ps0 = d.docker(['ps', '--filter', 'name=hc-ok', '--format', '{{.Status}}']);
  assert.match(ps0.stdout.trim(), /^Up .* \(health: starting\)$/);
  const seen = await waitHealth('hc-ok', 'healthy');
  assert.deepEqual(seen, ['starting', 'healthy'], 'failures inside the start period do not make it unhealthy');
  const h = inspectHealth('hc-ok');
  assert.equal(h.FailingStreak, 0);
  assert.ok(h.Log.length >= 1 && h.Log.length <= 5);
  assert.equal(h.Log[h.Log.length - 1]!.ExitCode, 0);
  assert.ok(Date.parse(h.Log[0]!.End) >= Date.parse(h.Log[0]!.Start));
  const ps = d.docker(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^hc-ok Up .* \(healthy\)$/m);
  assert.equal(d.docker(['ps', '-q', '--filter', 'health=unhealthy', '--filter', 'name=hc-ok']).stdout.trim(), '');
  const ev = d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=hc-ok', '--filter', 'event=health_status', '--format', '{{.Action}}']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.deepEqual(ev.stdout.trim().split('\n'), ['health_status: healthy']);
  d.docker(['rm', '-f', 'hc-ok']);
});

test('a failing check becomes unhealthy after the retries, with the output logged', async () => {
  const run = d.docker(['run', '-d', '--name', 'hc-bad', '--health-cmd', 'echo nope; exit 3', '--health-interval', '150ms', '--health-retries', '2', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  await waitHealth('hc-bad', 'unhealthy');
  const h = inspectHealth('hc-bad');
  assert.ok(h.FailingStreak >= 2, `streak ${h.FailingStreak}`);
  assert.equal(h.Log[0]!.ExitCode, 3);
  assert.equal(h.Log[0]!.Output, 'nope\n');
  await sleep(1200);
  const later = inspectHealth('hc-bad');
  assert.equal(later.Log.length, 5, 'only the last five probes are kept');
  const ps = d.docker(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^hc-bad Up .* \(unhealthy\)$/m);
  // ExecIDs do not fill up with finished probes.
  const execs = JSON.parse(d.docker(['inspect', '-f', '{{json .ExecIDs}}', 'hc-bad']).stdout) as string[] | null;
  assert.ok((execs ?? []).length <= 1, `ExecIDs: ${JSON.stringify(execs)}`);
  d.docker(['rm', '-f', 'hc-bad']);
});

test('a probe over its timeout is killed and recorded with exit code -1', async () => {
  const run = d.docker(['run', '-d', '--name', 'hc-slow', '--health-cmd', 'sleep 10', '--health-timeout', '300ms', '--health-interval', '200ms', '--health-retries', '1', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  const t0 = Date.now();
  await waitHealth('hc-slow', 'unhealthy', 5000);
  assert.ok(Date.now() - t0 < 4000, 'the hanging probe did not run its full 10 seconds');
  const entry = inspectHealth('hc-slow').Log[0]!;
  assert.equal(entry.ExitCode, -1);
  assert.equal(entry.Output, 'Health check exceeded timeout (300ms)');
  assert.ok(Date.parse(entry.End) - Date.parse(entry.Start) < 3000);
  const top = d.docker(['top', 'hc-slow']);
  assert.doesNotMatch(top.stdout, /sleep 10/, 'the killed probe is gone');
  d.docker(['rm', '-f', 'hc-slow']);
});

test('an image HEALTHCHECK from import --change runs; --no-healthcheck turns it off', async () => {
  const imp = d.docker(['import', '--change', 'HEALTHCHECK --interval=200ms --retries=1 CMD ["true"]', busyboxTar(d.root), 'busybox-hc']);
  assert.equal(imp.code, 0, imp.stderr);
  const img = d.docker(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'busybox-hc']);
  assert.deepEqual(JSON.parse(img.stdout), { Test: ['CMD', 'true'], Interval: 200_000_000, Retries: 1 });

  const on = d.docker(['run', '-d', '--name', 'hc-img', 'busybox-hc', 'sleep', '60']);
  assert.equal(on.code, 0, on.stderr);
  await waitHealth('hc-img', 'healthy');

  const off = d.docker(['run', '-d', '--name', 'hc-off', '--no-healthcheck', 'busybox-hc', 'sleep', '60']);
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual(JSON.parse(d.docker(['inspect', '-f', '{{json .Config.Healthcheck.Test}}', 'hc-off']).stdout), ['NONE']);
  await sleep(700);
  assert.equal(health('hc-off'), 'none');
  assert.match(d.docker(['ps', '--filter', 'name=hc-off', '--format', '{{.Status}}']).stdout.trim(), /^Up [^(]*$/);
  assert.match(d.docker(['ps', '--filter', 'health=none', '--format', '{{.Names}}']).stdout, /^hc-off$/m);

  // A container interval overrides the image's; the image's test and retries stay.
  const merged = d.docker(['create', '--name', 'hc-merge', '--health-interval', '5s', 'busybox-hc', 'true']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(JSON.parse(d.docker(['inspect', '-f', '{{json .Config.Healthcheck}}', 'hc-merge']).stdout), { Test: ['CMD', 'true'], Interval: 5_000_000_000, Retries: 1 });
  d.docker(['rm', '-f', 'hc-img', 'hc-off', 'hc-merge']);
});

test('stop leaves the last state, pause stops probing, restart starts over from starting', async () => {
  const run = d.docker(['run', '-d', '--name', 'hc-life', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  await waitHealth('hc-life', 'healthy');

  assert.equal(d.docker(['pause', 'hc-life']).code, 0);
  const pausedLog = inspectHealth('hc-life').Log.length;
  assert.match(d.docker(['ps', '--filter', 'name=hc-life', '--format', '{{.Status}}']).stdout.trim(), /^Up .* \(Paused\)$/);
  await sleep(600);
  const paused = inspectHealth('hc-life');
  assert.equal(paused.Status, 'unhealthy', 'Docker reports unhealthy once the monitor stops');
  assert.equal(paused.Log.length, pausedLog, 'no probes while paused');
  assert.equal(d.docker(['unpause', 'hc-life']).code, 0);
  await waitHealth('hc-life', 'healthy');

  const stop = d.docker(['stop', '-t', '0', 'hc-life']);
  assert.equal(stop.code, 0, stop.stderr);
  const stopped = inspectHealth('hc-life');
  await sleep(500);
  assert.equal(inspectHealth('hc-life').Log.length, stopped.Log.length, 'no probes after exit');

  const since = (Date.now() / 1000).toFixed(3);
  assert.equal(d.docker(['start', 'hc-life']).code, 0);
  assert.equal(health('hc-life'), 'starting');
  assert.equal(inspectHealth('hc-life').FailingStreak, 0);
  await waitHealth('hc-life', 'healthy');
  const ev = d.api('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ event: ['health_status'], container: ['hc-life'] }))}`);
  const actions = (await ev).raw.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
  assert.deepEqual(actions, ['health_status: healthy']);
  d.docker(['rm', '-f', 'hc-life']);
});

test('create rejects a healthcheck interval under 1ms', () => {
  const r = d.docker(['create', '--health-cmd', 'true', '--health-interval', '500us', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Interval in Healthcheck cannot be less than 1ms/);
});

test('a compound probe over its timeout ends in time too', async () => {
  const run = d.docker(['run', '-d', '--name', 'hc-sh', '--health-cmd', 'sleep 10; true', '--health-timeout', '300ms', '--health-interval', '200ms', '--health-retries', '1', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  const t0 = Date.now();
  await waitHealth('hc-sh', 'unhealthy', 5000);
  assert.ok(Date.now() - t0 < 4000);
  assert.equal(inspectHealth('hc-sh').Log[0]!.ExitCode, -1);
  d.docker(['rm', '-f', 'hc-sh']);
});

test('after the daemon is killed, a live-restored container is probed again from starting', async () => {
  const run = d.docker(['run', '-d', '--name', 'hc-restore', '--health-cmd', 'true', '--health-interval', '1s', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  await waitHealth('hc-restore', 'healthy');
  await d.kill9();
  await d.start();
  const h = inspectHealth('hc-restore');
  assert.equal(h.Status, 'starting');
  assert.ok(h.Log.length >= 1, 'the log was persisted');
  await waitHealth('hc-restore', 'healthy');
  d.docker(['rm', '-f', 'hc-restore']);
});
