// posix_spawn wrapper: stdio and extra pipes, exit codes and signals, cwd, errors, a clean child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { spawnProcess, runProgram } from '../../../src/lib/process-spawn.js';

function readAll(s: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => resolve(text));
  });
}

test('pipes: stdin, stdout, stderr and extra fds in both directions; cwd; exit code', async () => {
  const p = spawnProcess('/bin/sh', {
    argv: ['sh', '-c', 'cat; echo err >&2; pwd; read x <&4; echo "fd3 $x" >&3; exit 3'],
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    extraPipes: ['read', 'write'],
    cwd: '/proc',
  });
  p.stdin!.end('hello\n');
  p.extra[1]!.end('ping\n');
  const [out, err, fd3, code] = await Promise.all([readAll(p.stdout!), readAll(p.stderr!), readAll(p.extra[0]!), p.exited]);
  assert.equal(out, 'hello\n/proc\n');
  assert.equal(err, 'err\n');
  assert.equal(fd3, 'fd3 ping\n');
  assert.equal(code, 3);
  assert.ok(p.pid > 0);
});

test('a child killed by a signal exits 128 + signal', async () => {
  assert.equal(await spawnProcess('/bin/sh', { argv: ['sh', '-c', 'kill -TERM $$'] }).exited, 143);
});

test('the child starts with default signal handling and no blocked signals, in the given environment', async () => {
  // Node ignores SIGPIPE; a runtime started with it ignored would behave differently.
  const p = spawnProcess('/bin/sh', { argv: ['sh', '-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status; echo "v=$ONLY"'], stdout: 'pipe', env: { ONLY: 'me', PATH: '/usr/bin:/bin' } });
  const out = await readAll(p.stdout!);
  const ign = BigInt('0x' + /SigIgn:\s*(\w+)/.exec(out)![1]);
  assert.equal(ign & (1n << 12n), 0n, 'SIGPIPE not ignored');
  assert.equal(ign & (1n << 14n), 0n, 'SIGTERM not ignored');
  assert.match(out, /SigBlk:\s*0+\n/);
  assert.match(out, /v=me\n/);
  assert.equal(await p.exited, 0);
});

test('a missing program is an ENOENT error at spawn, and no fd leaks', async () => {
  const { readdirSync } = await import('node:fs');
  const before = readdirSync('/proc/self/fd').length;
  assert.throws(() => spawnProcess('/nonexistent/prog', { argv: ['prog'], stdout: 'pipe', stderr: 'pipe' }), { code: 'ENOENT' });
  assert.equal(readdirSync('/proc/self/fd').length, before);
});

test('runProgram feeds stdin, collects output and resolves a failing exit with its code', async () => {
  assert.deepEqual(await runProgram('/bin/sh', ['-c', 'tr a-z A-Z; echo oops >&2; exit 2'], 'hi\n'), { code: 2, stdout: 'HI\n', stderr: 'oops\n' });
  assert.deepEqual(await runProgram('/bin/true', []), { code: 0, stdout: '', stderr: '' });
  await assert.rejects(runProgram('/nonexistent/prog', []), { code: 'ENOENT' });
});
