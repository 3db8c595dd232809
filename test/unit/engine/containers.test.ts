import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRestart, validateRestartPolicy, restartOnDaemonStart, backoffMs } from '../../../src/containers/restart-policy.js';
import { signalNumber } from '../../../src/containers/signals.js';
import { validateName } from '../../../src/containers/names.js';
import { statusText, newState, transition, type ContainerRecord } from '../../../src/containers/model.js';
import { mergeImageConfig } from '../../../src/containers/image-config.js';
import { parseDetachKeys } from '../../../src/containers/attach.js';
import { parseLine, normalizeTime } from '../../../src/containers/logs.js';
import { applyChanges } from '../../../src/images/changes.js';

test('restart policies decide as Docker does', () => {
  const f = { exitCode: 1, restartCount: 0, manuallyStopped: false };
  assert.equal(shouldRestart({ Name: 'no' }, f), false);
  assert.equal(shouldRestart({ Name: 'always' }, { ...f, exitCode: 0 }), true);
  assert.equal(shouldRestart({ Name: 'always' }, { ...f, manuallyStopped: true }), false);
  assert.equal(shouldRestart({ Name: 'on-failure' }, { ...f, exitCode: 0 }), false);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, { ...f, restartCount: 1 }), true);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, { ...f, restartCount: 2 }), false);
  assert.equal(restartOnDaemonStart({ Name: 'unless-stopped' }, true), false);
  assert.equal(restartOnDaemonStart({ Name: 'unless-stopped' }, false), true);
  assert.equal(restartOnDaemonStart({ Name: 'on-failure' }, false), false);
  assert.throws(() => validateRestartPolicy({ Name: 'sometimes' }, false), /unknown policy 'sometimes'/);
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 3 }, false), /only be used with 'on-failure'/);
  assert.throws(() => validateRestartPolicy({ Name: 'always' }, true), /AutoRemove/);
  assert.equal(backoffMs(0), 100);
  assert.equal(backoffMs(3), 800);
  assert.equal(backoffMs(20), 60_000);
});

test('signals by name, number and real-time offset', () => {
  assert.equal(signalNumber('SIGTERM'), 15);
  assert.equal(signalNumber('term'), 15);
  assert.equal(signalNumber('9'), 9);
  assert.equal(signalNumber('SIGRTMIN+3'), 37);
  assert.throws(() => signalNumber('SIGNOPE'), /Invalid signal: SIGNOPE/);
  assert.throws(() => signalNumber('0'), /Invalid signal/);
});

test('container names', () => {
  assert.equal(validateName('web-1'), '/web-1');
  assert.equal(validateName('/db'), '/db');
  assert.throws(() => validateName('-x'), /Invalid container name \(-x\)/);
  assert.throws(() => validateName('a'), /Invalid container name/);
});

test('ps status text and the state machine', () => {
  const s = newState();
  assert.equal(statusText(s), 'Created');
  const now = Date.parse('2026-01-01T00:10:00Z');
  s.Status = 'running';
  s.StartedAt = '2026-01-01T00:05:00Z';
  assert.equal(statusText(s, now), 'Up 5 minutes');
  s.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
  assert.equal(statusText(s, now), 'Up 5 minutes (health: starting)');
  s.Health = undefined;
  s.Status = 'exited';
  s.ExitCode = 3;
  s.FinishedAt = '2026-01-01T00:09:58Z';
  assert.equal(statusText(s, now), 'Exited (3) 2 seconds ago');
  const rec = { Id: 'abc', State: newState() } as ContainerRecord;
  assert.throws(() => transition(rec, 'paused'), /cannot go from created to paused/);
  transition(rec, 'running');
  transition(rec, 'paused');
  assert.equal(rec.State.Status, 'paused');
});

test('image config merge: user values win, cmd and entrypoint as Docker', () => {
  const img = { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Entrypoint: ['/init'], WorkingDir: '/w', Labels: { a: '1' } };
  const m = mergeImageConfig({ Env: ['A=2', 'B=3'], Labels: { b: '2' } }, img);
  assert.deepEqual(m.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(m.Cmd, ['sh']);
  assert.deepEqual(m.Entrypoint, ['/init']);
  assert.deepEqual(m.Labels, { a: '1', b: '2' });
  assert.equal(m.WorkingDir, '/w');
  const withCmd = mergeImageConfig({ Cmd: ['echo', 'hi'] }, img);
  assert.deepEqual(withCmd.Cmd, ['echo', 'hi']);
  assert.deepEqual(withCmd.Entrypoint, ['/init']);
  const noEntry = mergeImageConfig({ Entrypoint: [''], Cmd: ['ls'] }, img);
  assert.equal(noEntry.Entrypoint, null);
  assert.deepEqual(noEntry.Cmd, ['ls']);
});

test('detach keys', () => {
  assert.deepEqual(parseDetachKeys(undefined), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
  assert.throws(() => parseDetachKeys('ctrl-'), /Invalid escape keys/);
});

test("conmon's k8s-file lines become docker log entries", () => {
  const e = parseLine('2026-11-27T19:34:46.772322227+00:00 stdout F hi there')!;
  assert.equal(e.stream, 'stdout');
  assert.equal(e.data.toString(), 'hi there\n');
  assert.equal(e.time, '2026-11-27T19:34:46.772322227Z');
  const p = parseLine('2026-11-27T19:34:46.7+00:00 stderr P part')!;
  assert.equal(p.data.toString(), 'part');
  assert.equal(p.time, '2026-11-27T19:34:46.700000000Z');
  assert.equal(parseLine('garbage'), undefined);
  assert.equal(normalizeTime('2026-11-27T20:34:46.5+01:00').iso, '2026-11-27T19:34:46.500000000Z');
});

test('--change instructions', () => {
  const c = applyChanges({ Env: ['A=1'] }, ['ENV A=2 B="x y"', 'CMD echo hi', 'ENTRYPOINT ["/e"]', 'EXPOSE 80 53/udp', 'LABEL k=v', 'USER nobody', 'WORKDIR /w', 'VOLUME /data']);
  assert.deepEqual(c.Env, ['A=2', 'B=x y']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(c.Entrypoint, ['/e']);
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Labels, { k: 'v' });
  assert.equal(c.User, 'nobody');
  assert.equal(c.WorkingDir, '/w');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.throws(() => applyChanges({}, ['RUN echo']), /RUN is not a valid change command/);
  assert.deepEqual(applyChanges({}, ['ENV K V W']).Env, ['K=V W']);
});

test('--tail counts lines, not the partial entries conmon splits a line into', async () => {
  const { lastLines, parseLine: parse } = await import('../../../src/containers/logs.js');
  const e = (s: string) => parse(`2026-11-27T19:34:46.1+00:00 stdout ${s}`)!;
  const entries = [e('F line 1'), e('P li'), e('F ne 2'), e('F line 3'), e('P li'), e('F ne 4')];
  const text = (xs: typeof entries) => xs.map((x) => x.data.toString()).join('');
  assert.equal(text(lastLines(entries, 2)), 'line 3\nline 4\n');
  assert.equal(text(lastLines(entries, 3)), 'line 2\nline 3\nline 4\n');
  assert.equal(text(lastLines(entries, 9)), 'line 1\nline 2\nline 3\nline 4\n');
  assert.equal(lastLines(entries, 0).length, 0);
});
