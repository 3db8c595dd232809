// Progress on a terminal: `berth pull` and `berth push` through a pty (script(1)) redraw one line
// per layer with docker's bar, and leave the same screen as docker's CLI does for the same pull;
// an error in the stream is shown and gives exit 1 as in docker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, DOCKER, REPO, freePort } from './harness.js';
import { berthRegistry } from './registry-helpers.js';

const d = new TestDaemon();
let registry: ChildProcess | undefined;
let port = 0;
let ref = '';

function sh(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Runs a command on a 200-column pty; returns what the terminal received and the exit code. */
function onPty(argv: string[]): { raw: string; code: number } {
  const r = spawnSync('script', ['-qfec', `stty cols 200 rows 50; exec ${argv.map(sh).join(' ')}`, '/dev/null'], { env: d.env, timeout: 60_000 });
  return { raw: r.stdout.toString(), code: r.status ?? -1 };
}

const berthArgv = (args: string[]): string[] => [process.execPath, join(REPO, 'bin/berth'), ...args];

/** The screen a terminal shows after `raw`: enough of a VT100 for jsonmessage's moves and erases. */
function screen(raw: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(raw.slice(i, i + 12));
      assert.ok(m, `unexpected escape at ${JSON.stringify(raw.slice(i, i + 12))}`);
      const n = Number(m[1] || 1);
      if (m[2] === 'A') row = Math.max(0, row - n);
      else if (m[2] === 'B') row += n;
      else if (m[2] === 'K') lines[row] = '';
      else assert.fail(`unexpected escape ${m[0]}`);
      while (lines.length <= row) lines.push('');
      i += m[0].length - 1;
    } else if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      col = 0;
      while (lines.length <= row) lines.push('');
    } else {
      const l = lines[row]!.padEnd(col);
      lines[row] = l.slice(0, col) + c + l.slice(col + 1);
      col++;
    }
  }
  const out = lines.map((l) => l.trimEnd());
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

before(async () => {
  await d.start();
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  port = await freePort();
  registry = await berthRegistry([], join(d.root, 'registry'), port);
  // An image of three layers, two of them big enough to report progress more than once.
  ref = `127.0.0.1:${port}/progress/img:v1`;
  let from = 'busybox';
  for (const [i, size] of [3000000, 2000000].entries()) {
    const name = `progress-${process.pid}-${i}`;
    const run = d.docker(['run', '--name', name, from, 'sh', '-c', `head -c ${size} /dev/urandom > /f${i}`]);
    assert.equal(run.code, 0, run.stderr);
    from = i === 0 ? `progress-base-${process.pid}` : ref;
    assert.equal(d.docker(['commit', name, from]).code, 0);
    assert.equal(d.docker(['rm', name]).code, 0);
  }
  assert.equal(d.docker(['rmi', `progress-base-${process.pid}`]).code, 0);
});

after(async () => {
  registry?.kill('SIGKILL');
  await d.stop();
});

test('berth push on a terminal redraws one line per layer and ends like docker push', () => {
  const push = onPty(berthArgv(['push', ref]));
  assert.equal(push.code, 0, push.raw);
  const lines = screen(push.raw);
  assert.match(lines[0]!, /^The push refers to repository \[127\.0\.0\.1:\d+\/progress\/img\]$/);
  assert.ok(lines.filter((l) => /^[0-9a-f]{12}: Pushed$/.test(l)).length >= 2, lines.join('\n'));
  assert.match(lines.at(-1)!, /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/);
  // The line of a layer was revisited: cursor moves, erased lines, a bar.
  assert.match(push.raw, /\x1b\[\d+A/);
  assert.match(push.raw, /\x1b\[2K\r[0-9a-f]{12}: Pushing \[=*>\s*\]/);
});

test('berth pull on a terminal shows per-layer bars and leaves the screen docker leaves', () => {
  const screens: Record<string, string[]> = {};
  for (const side of ['docker', 'berth'] as const) {
    assert.equal(d.docker(['rmi', ref]).code, 0);
    const pull = onPty(side === 'docker' ? [DOCKER, 'pull', ref] : berthArgv(['pull', ref]));
    assert.equal(pull.code, 0, pull.raw);
    if (side === 'berth') {
      assert.match(pull.raw, /[0-9a-f]{12}: Downloading \[=*>\s*\]\s+\d[\d.]*[kM]?B\/\d[\d.]*[kM]?B/);
      assert.match(pull.raw, /\x1b\[\d+A\x1b\[2K\r/);
    }
    screens[side] = screen(pull.raw);
  }
  const lines = screens.berth!;
  assert.equal(lines[0], 'v1: Pulling from progress/img');
  assert.ok(lines.filter((l) => /^[0-9a-f]{12}: Pull complete$/.test(l)).length >= 2, lines.join('\n'));
  assert.equal(lines.at(-2), `Status: Downloaded newer image for ${ref}`);
  assert.equal(lines.at(-1), ref);
  assert.deepEqual(screens.berth, screens.docker);
});

test('an error in the stream is printed and exits 1, on a terminal as without one', () => {
  const missing = `127.0.0.1:${port}/progress/img:nope`;
  const tty = [onPty([DOCKER, 'pull', missing]), onPty(berthArgv(['pull', missing]))];
  assert.equal(tty[1]!.code, tty[0]!.code);
  assert.equal(tty[1]!.code, 1);
  assert.deepEqual(screen(tty[1]!.raw), screen(tty[0]!.raw));
  const plain = d.berth(['pull', missing]);
  assert.equal(plain.code, 1);
  assert.equal(plain.stderr, d.docker(['pull', missing]).stderr);
});
