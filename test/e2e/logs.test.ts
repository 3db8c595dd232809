// Log drivers and rotation through the real docker CLI: bounded files with no gap or repeat in
// `docker logs`, following across rotations, `none`, Docker's option errors, recorded defaults,
// and rotation that resumes after a live restore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, sleep } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = new TestDaemon({ daemonJson: {} });
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  await d?.stop();
});

function run(args: string[]): string {
  const r = d.docker(['run', '-d', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function logFiles(id: string): Promise<{ names: string[]; total: number }> {
  const dir = join(d.dataRoot, 'containers', id);
  const names: string[] = [];
  let total = 0;
  for (const n of (await fs.readdir(dir)).filter((x) => x.startsWith(`${id}-json.log`)).sort()) {
    // A file being rotated (`.rotating`) may be renamed between the listing and its stat.
    const st = await fs.stat(join(dir, n)).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (!st) continue;
    names.push(n);
    total += st.size;
  }
  return { names, total };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The lines are "line N": they must be consecutive (no gap, no repeat) and end at `last`. */
function assertContiguousSuffix(out: string, last: number): number {
  const lines = out.trimEnd().split('\n');
  const first = Number(/^line (\d+)$/.exec(lines[0]!)?.[1]);
  assert.ok(Number.isInteger(first), `unexpected first line ${lines[0]}`);
  lines.forEach((l, i) => assert.equal(l, `line ${first + i}`));
  assert.equal(lines.at(-1), `line ${last}`);
  return first;
}

const LOOP = (n: number, pause = '') => `i=0; while [ $i -lt ${n} ]; do echo line $i; i=$((i+1)); ${pause} done; sleep 60`;

test('max-size/max-file bound the files; docker logs shows a contiguous suffix', async () => {
  const id = run(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', LOOP(3000)]);
  await until('line 2999', () => d.docker(['logs', '--tail', '1', id]).stdout === 'line 2999\n' || undefined);
  const files = await until('rotation to settle', async () => {
    const f = await logFiles(id);
    return f.names.length <= 3 && f.total <= 3 * 10_000 + 8_192 ? f : undefined;
  });
  assert.ok(files.names.length >= 2, `rotated: ${files.names.join(' ')}`);
  const logs = d.docker(['logs', id]);
  assert.equal(logs.code, 0, logs.stderr);
  const first = assertContiguousSuffix(logs.stdout, 2999);
  assert.ok(first > 0, 'older lines were rotated away');
  // --tail reaches across files.
  const n = Math.floor((3000 - first) / 2);
  const tail = d.docker(['logs', '--tail', String(n), id]).stdout;
  assert.equal(assertContiguousSuffix(tail, 2999), 3000 - n);
  const inspect = d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]);
  assert.deepEqual(JSON.parse(inspect.stdout), { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } });
  d.docker(['rm', '-f', id]);
});

test('docker logs -f follows a container whose log rotates meanwhile', async () => {
  const id = run(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=4', 'busybox', 'sh', '-c',
    `i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); [ $((i % 50)) = 0 ] && sleep 0.1; done`]);
  const child = spawn('/usr/local/bin/docker', ['logs', '-f', id], { env: d.env });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  assert.equal(code, 0);
  assert.equal(assertContiguousSuffix(out, 1999), 0);
  const files = await logFiles(id);
  assert.ok(files.names.length > 1 && files.names.length <= 4, files.names.join(' '));
  d.docker(['rm', '-f', id]);
});

test('local driver gzips older rotated files and reads them back', async () => {
  const id = run(['--log-driver', 'local', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=4', 'busybox', 'sh', '-c', LOOP(1500, 'usleep 1000;')]);
  await until('line 1499', () => d.docker(['logs', '--tail', '1', id]).stdout === 'line 1499\n' || undefined);
  const files = await until('a gzipped file', async () => {
    const f = await logFiles(id);
    return f.names.some((n) => n.endsWith('.gz')) && f.names.length <= 4 ? f : undefined;
  });
  assert.ok(files.names.includes(`${id}-json.log.1`), files.names.join(' '));
  const first = assertContiguousSuffix(d.docker(['logs', id]).stdout, 1499);
  assert.ok(first > 0);
  d.docker(['rm', '-f', id]);
});

test('without options the log is bounded at 20m x 5, recorded in the container', () => {
  const id = run(['busybox', 'true']);
  const inspect = d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]);
  assert.deepEqual(JSON.parse(inspect.stdout), { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '5' } });
  d.docker(['rm', '-f', id]);
});

test('--log-driver none: output still reaches an attached client, docker logs refuses', async () => {
  const r = d.docker(['run', '--name', 'nolog', '--log-driver', 'none', 'busybox', 'echo', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  const logs = d.docker(['logs', 'nolog']);
  assert.notEqual(logs.code, 0);
  assert.match(logs.stderr, /configured logging driver does not support reading/);
  const id = d.docker(['inspect', '-f', '{{.Id}}', 'nolog']).stdout.trim();
  assert.deepEqual((await logFiles(id)).names, []);
  d.docker(['rm', '-f', 'nolog']);
});

test('log options are checked with Docker messages', () => {
  const unknown = d.docker(['run', '--rm', '--log-opt', 'foo=bar', 'busybox', 'true']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown log opt 'foo' for json-file log driver/);
  const driver = d.docker(['create', '--log-driver', 'nope', 'busybox', 'true']);
  assert.match(driver.stderr, /no log driver named 'nope' is registered/);
  const size = d.docker(['create', '--log-opt', 'max-size=lots', 'busybox', 'true']);
  assert.match(size.stderr, /invalid size: 'lots'/);
  const count = d.docker(['create', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=0', 'busybox', 'true']);
  assert.match(count.stderr, /max-file cannot be less than 1/);
});

test('logs written while the daemon is down are kept and rotation resumes after restore', async () => {
  const id = run(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c',
    `i=0; while [ $i -lt 1200 ]; do echo line $i; i=$((i+1)); [ $((i % 100)) = 0 ] && sleep 0.2; done; sleep 60`]);
  await sleep(300);
  await d.kill9();
  await sleep(2000);
  // Nobody rotated while berthd was down: the live file grew past max-size.
  const grown = await fs.stat(join(d.dataRoot, 'containers', id, `${id}-json.log`));
  assert.ok(grown.size > 10_000, `live file ${grown.size} bytes`);
  await d.start();
  await until('line 1199', () => d.docker(['logs', '--tail', '1', id]).stdout === 'line 1199\n' || undefined);
  await until('rotation after restore', async () => {
    const f = await logFiles(id);
    return f.names.length <= 3 && f.names.includes(`${id}-json.log.1`) ? f : undefined;
  });
  assertContiguousSuffix(d.docker(['logs', id]).stdout, 1199);
  d.docker(['rm', '-f', id]);
});

test('daemon.json log-driver and log-opts are the defaults of new containers', async () => {
  const d2 = new TestDaemon({ daemonJson: { 'log-driver': 'local', 'log-opts': { 'max-size': '1m', 'max-file': '2' } } });
  try {
    await d2.start();
    assert.equal(d2.docker(['import', busyboxTar(d2.root), 'busybox']).code, 0);
    const id = d2.docker(['create', 'busybox', 'true']).stdout.trim();
    const inspect = d2.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]);
    assert.deepEqual(JSON.parse(inspect.stdout), { Type: 'local', Config: { 'max-size': '1m', 'max-file': '2' } });
    // compress defaults to true for local, and cannot apply to two files... it can: max-file 2 > 1.
    const other = d2.docker(['create', '--log-driver', 'json-file', 'busybox', 'true']).stdout.trim();
    assert.deepEqual(JSON.parse(d2.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', other]).stdout), { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '5' } });
  } finally {
    await d2.stop();
  }
});
