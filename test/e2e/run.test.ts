// The first vertical slice through the real docker CLI: import → run → logs → rm, exit codes,
// detached containers, stop, and Docker's errors for bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, busyboxTar } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = new TestDaemon();
  await d.start();
  const tar = busyboxTar(d.root);
  const imp = d.docker(['import', tar, 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
});

after(async () => {
  await d?.stop();
});

test('docker run --rm prints the output and removes the container', () => {
  const r = d.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
  const ps = d.docker(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '');
});

test('every run shows all of its output, also when the process exits at once', () => {
  // conmon may pass a container's first output on before it accepts an attach connection;
  // run after run, none of it may be missing.
  for (let i = 0; i < 40; i++) {
    const r = d.docker(['run', '--rm', '--pid', 'host', '--network', 'host', 'busybox', 'sh', '-c', 'echo one; echo two >&2; echo three']);
    assert.equal(r.stdout, 'one\nthree\n', `run ${i}`);
    assert.equal(r.stderr, 'two\n', `run ${i}`);
  }
});

test('exit codes propagate and stderr stays stderr', () => {
  const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('a missing command exits 127 with Docker-shaped message', () => {
  const r = d.docker(['run', '--rm', 'busybox', 'no-such-binary']);
  assert.equal(r.code, 127, r.stderr);
  assert.match(r.stderr, /executable file not found/);
});

test('run -d, logs, stop, rm', () => {
  const run = d.docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'echo started; while true; do sleep 0.1; done']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  let logs = '';
  for (let i = 0; i < 50 && !logs.includes('started'); i++) logs = d.docker(['logs', 'ticker']).stdout;
  assert.equal(logs, 'started\n');
  const ps = d.docker(['ps', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^ticker Up /m);
  const rmRunning = d.docker(['rm', 'ticker']);
  assert.notEqual(rmRunning.code, 0);
  assert.match(rmRunning.stderr, /container is running: stop the container before removing or force remove/);
  const stop = d.docker(['stop', '-t', '1', 'ticker']);
  assert.equal(stop.code, 0, stop.stderr);
  const inspect = d.docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'ticker']);
  assert.match(inspect.stdout.trim(), /^exited (137|143)$/);
  assert.equal(d.docker(['rm', 'ticker']).code, 0);
  assert.notEqual(d.docker(['inspect', 'ticker']).code, 0);
});

test('bad input gets Docker status codes and clear messages', async () => {
  const noImage = await d.api('POST', '/containers/create', { Image: 'nope:latest', Cmd: ['true'] });
  assert.equal(noImage.status, 404);
  assert.equal(noImage.body.message, 'No such image: nope:latest');
  const badJson = await d.api('POST', '/containers/create', '{"Image": ');
  assert.equal(badJson.status, 400);
  assert.match(badJson.body.message, /invalid JSON/);
  const noContainer = await d.api('GET', '/containers/doesnotexist/json');
  assert.equal(noContainer.status, 404);
  assert.equal(noContainer.body.message, 'No such container: doesnotexist');
  const first = d.docker(['create', '--name', 'dup', 'busybox', 'true']);
  assert.equal(first.code, 0, first.stderr);
  const dup = await d.api('POST', '/containers/create?name=dup', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(dup.status, 409);
  assert.match(dup.body.message, /The container name "\/dup" is already in use/);
  assert.equal(d.docker(['rm', 'dup']).code, 0);
  assert.ok(await d.ping(), 'daemon still serving');
});
