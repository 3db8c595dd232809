import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyProbeResult,
  effectiveCheck,
  LimitedOutput,
  mergeHealthcheck,
  nextDelayMs,
  probeArgv,
  startingHealth,
  timeoutOutput,
  validateHealthcheck,
  type EffectiveCheck,
} from '../../../src/containers/health-state.js';
import { applyChanges } from '../../../src/images/changes.js';
import { statusText, type HealthState } from '../../../src/containers/model.js';

const MS = 1_000_000;
const STARTED = '2024-01-01T00:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(STARTED) + ms).toISOString();
const probe = (ms: number, exitCode: number) => ({ Start: at(ms), End: at(ms + 1), ExitCode: exitCode, Output: '' });

function check(hc: Record<string, unknown>): EffectiveCheck {
  const c = effectiveCheck({ Test: ['CMD-SHELL', 'true'], ...hc });
  assert.ok(c);
  return c;
}

test('zero durations and retries take Docker defaults', () => {
  const c = check({});
  assert.equal(c.intervalMs, 30_000);
  assert.equal(c.timeoutMs, 30_000);
  assert.equal(c.startPeriodMs, 0);
  assert.equal(c.startIntervalMs, 5_000);
  assert.equal(c.retries, 3);
  assert.equal(c.timeoutText, '30s');
  const d = check({ Interval: 200 * MS, Timeout: 300 * MS, StartPeriod: 2000 * MS, StartInterval: 100 * MS, Retries: 2 });
  assert.deepEqual([d.intervalMs, d.timeoutMs, d.startPeriodMs, d.startIntervalMs, d.retries], [200, 300, 2000, 100, 2]);
  assert.equal(d.timeoutText, '300ms');
});

test('NONE, an empty test, no config and unknown types disable the check', () => {
  assert.equal(effectiveCheck({ Test: ['NONE'] }), undefined);
  assert.equal(effectiveCheck({ Test: [] }), undefined);
  assert.equal(effectiveCheck(null), undefined);
  assert.equal(effectiveCheck(undefined), undefined);
  assert.equal(effectiveCheck({ Test: ['HTTP', 'x'] }), undefined);
});

test('CMD runs as is; CMD-SHELL goes through /bin/sh -c or the container SHELL', () => {
  assert.deepEqual(probeArgv(effectiveCheck({ Test: ['CMD', 'test', '-f', '/x'] })!, undefined), ['test', '-f', '/x']);
  const shell = effectiveCheck({ Test: ['CMD-SHELL', 'test -f /x'] })!;
  assert.deepEqual(probeArgv(shell, undefined), ['/bin/sh', '-c', 'test -f /x']);
  assert.deepEqual(probeArgv(shell, ['/bin/ash', '-euc']), ['/bin/ash', '-euc', 'test -f /x']);
});

test('a success makes a starting container healthy and clears the streak', () => {
  const h = startingHealth(undefined);
  const c = check({ Retries: 2 });
  assert.equal(applyProbeResult(h, probe(100, 1), c, STARTED), undefined);
  assert.equal(h.FailingStreak, 1);
  assert.equal(applyProbeResult(h, probe(200, 0), c, STARTED), 'healthy');
  assert.equal(h.FailingStreak, 0);
  assert.equal(h.Status, 'healthy');
  assert.equal(applyProbeResult(h, probe(300, 0), c, STARTED), undefined, 'no change, no event');
});

test('failures reaching retries make it unhealthy; a success brings it back', () => {
  const h = startingHealth(undefined);
  const c = check({ Retries: 3 });
  applyProbeResult(h, probe(0, 0), c, STARTED);
  assert.equal(applyProbeResult(h, probe(1, 1), c, STARTED), undefined);
  assert.equal(applyProbeResult(h, probe(2, 2), c, STARTED), undefined);
  assert.equal(h.Status, 'healthy', 'still healthy below the retry count');
  assert.equal(applyProbeResult(h, probe(3, -1), c, STARTED), 'unhealthy');
  assert.equal(h.FailingStreak, 3);
  assert.equal(applyProbeResult(h, probe(4, 1), c, STARTED), undefined);
  assert.equal(h.FailingStreak, 4);
  assert.equal(applyProbeResult(h, probe(5, 0), c, STARTED), 'healthy');
  assert.equal(h.FailingStreak, 0);
});

test('failures inside the start period do not count while starting', () => {
  const h = startingHealth(undefined);
  const c = check({ Retries: 1, StartPeriod: 1000 * MS });
  assert.equal(applyProbeResult(h, probe(100, 1), c, STARTED), undefined);
  assert.equal(applyProbeResult(h, probe(900, 1), c, STARTED), undefined);
  assert.equal(h.FailingStreak, 0);
  assert.equal(h.Status, 'starting');
  assert.equal(applyProbeResult(h, probe(1000, 1), c, STARTED), 'unhealthy', 'the start period is over');
  assert.equal(h.FailingStreak, 1);
});

test('once healthy, failures count even inside the start period', () => {
  const h = startingHealth(undefined);
  const c = check({ Retries: 1, StartPeriod: 10_000 * MS });
  applyProbeResult(h, probe(100, 0), c, STARTED);
  assert.equal(applyProbeResult(h, probe(200, 1), c, STARTED), 'unhealthy');
});

test('the log keeps the last five probes, oldest first', () => {
  const h = startingHealth(undefined);
  const c = check({});
  for (let i = 0; i < 7; i++) applyProbeResult(h, { ...probe(i, 0), Output: `run ${i}` }, c, STARTED);
  assert.deepEqual(h.Log.map((l) => l.Output), ['run 2', 'run 3', 'run 4', 'run 5', 'run 6']);
});

test('a restart goes back to starting with a fresh streak and keeps the log', () => {
  const prev: HealthState = { Status: 'unhealthy', FailingStreak: 7, Log: [probe(0, 1)] };
  assert.deepEqual(startingHealth(prev), { Status: 'starting', FailingStreak: 0, Log: prev.Log });
});

test('the schedule uses the start interval while starting inside the start period', () => {
  const c = check({ Interval: 10_000 * MS, StartPeriod: 60_000 * MS, StartInterval: 1000 * MS });
  assert.equal(nextDelayMs(c, 0, 'starting'), 1000);
  assert.equal(nextDelayMs(c, 5000, 'healthy'), 10_000);
  assert.equal(nextDelayMs(c, 55_000, 'starting'), 5000, 'never later than the end of the start period');
  assert.equal(nextDelayMs(c, 60_000, 'starting'), 10_000);
  assert.equal(nextDelayMs(check({}), 0, 'starting'), 30_000, 'no start period: the interval, first probe included');
});

test('image and container checks merge field by field', () => {
  const image = { Test: ['CMD', 'true'], Interval: 1000 * MS, Retries: 5, Timeout: 2000 * MS };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image), { Test: ['NONE'], Interval: 1000 * MS, Timeout: 2000 * MS, StartPeriod: undefined, StartInterval: undefined, Retries: 5 });
  assert.deepEqual(mergeHealthcheck({ Interval: 200 * MS }, image)!.Test, ['CMD', 'true']);
  assert.equal(mergeHealthcheck({ Interval: 200 * MS }, image)!.Interval, 200 * MS);
  assert.deepEqual(mergeHealthcheck({ Test: ['CMD-SHELL', 'x'] }, undefined), { Test: ['CMD-SHELL', 'x'] });
});

test('create rejects durations under 1ms and negative retries with Docker messages', () => {
  assert.throws(() => validateHealthcheck({ Interval: 500_000 }), /Interval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Interval: -10 * MS }), /Interval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Timeout: -100 * MS }), /Timeout in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Retries: -10 }), /Retries in Healthcheck cannot be negative/);
  assert.throws(() => validateHealthcheck({ StartPeriod: 100 }), /StartPeriod in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ StartInterval: 100 }), /StartInterval in Healthcheck cannot be less than 1ms/);
  validateHealthcheck({ Interval: 0, Timeout: 1 * MS, Retries: 0 });
});

test('probe output is capped at 4096 bytes and marked as cut', () => {
  const out = new LimitedOutput();
  out.write(Buffer.alloc(4000, 'a'));
  out.write(Buffer.alloc(200, 'b'));
  const s = out.toString();
  assert.equal(s.length, 4096 + 3);
  assert.ok(s.endsWith('b...'));
  const small = new LimitedOutput();
  small.write(Buffer.from('ok\n'));
  assert.equal(small.toString(), 'ok\n');
});

test('a timed-out probe reports Docker wording', () => {
  const c = check({ Timeout: 300 * MS });
  assert.equal(timeoutOutput(c, ''), 'Health check exceeded timeout (300ms)');
  assert.equal(timeoutOutput(c, 'partial'), 'Health check exceeded timeout (300ms): partial');
});

test('docker ps status text shows the health state', () => {
  const now = Date.parse(STARTED) + 5000;
  const base = { Status: 'running' as const, Pid: 1, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: STARTED, FinishedAt: STARTED };
  assert.equal(statusText({ ...base, Health: { Status: 'starting', FailingStreak: 0, Log: [] } }, now), 'Up 5 seconds (health: starting)');
  assert.equal(statusText({ ...base, Health: { Status: 'healthy', FailingStreak: 0, Log: [] } }, now), 'Up 5 seconds (healthy)');
  assert.equal(statusText({ ...base, Health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }, now), 'Up 5 seconds (unhealthy)');
  assert.equal(statusText(base, now), 'Up 5 seconds');
});

test('import --change HEALTHCHECK sets the image check through the Dockerfile parser', () => {
  const c = applyChanges({}, ['HEALTHCHECK --interval=1s --retries=4 CMD test -f /ok']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'test -f /ok'], Interval: 1000 * MS, Retries: 4 });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK CMD ["true"]']).Healthcheck, { Test: ['CMD', 'true'] });
  assert.deepEqual(applyChanges({ Healthcheck: { Test: ['CMD', 'true'] } }, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --interval=10us CMD true']), /Interval "interval" cannot be less than 1ms/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK FOO true']), /Unknown type "FOO" in HEALTHCHECK/);
});
