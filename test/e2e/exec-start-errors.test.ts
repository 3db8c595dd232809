// An exec whose process cannot start: the client is told why on its stream (as dockerd writes
// it), the exit code is 126, and berthd keeps running (a failed launch once killed it through an
// unhandled rejection when the client had a TTY).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxDaemon } from './harness.js';

const d = busyboxDaemon();

test('docker exec of a missing command says why and exits 126, with and without a TTY', async () => {
  const name = `exerr-${process.pid}`;
  assert.equal(d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
  for (let i = 0; i < 3; i++) {
    const plain = d.docker(['exec', name, 'no-such-command']);
    assert.equal(plain.code, 126, plain.stderr);
    assert.match(plain.stdout + plain.stderr, /no-such-command.*not found in \$PATH/);
    const tty = d.docker(['exec', '-t', name, 'no-such-command']);
    assert.equal(tty.code, 126, tty.stderr);
    assert.match(tty.stdout + tty.stderr, /OCI runtime create failed/);
    assert.ok(await d.ping(), `berthd died:\n${d.log.slice(-2000)}`);
  }
  const after = d.docker(['exec', name, 'sh', '-c', 'echo still here; exit 4']);
  assert.equal(after.stdout, 'still here\n');
  assert.equal(after.code, 4);
  assert.equal(d.docker(['rm', '-f', name]).code, 0);
});
