import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readLogs, type LogQuery, type LogEntry } from '../../../src/containers/logs.js';
import { rotate, LogRotator } from '../../../src/containers/logging/rotator.js';
import { listRotated } from '../../../src/containers/logging/files.js';

const ALL: LogQuery = { stdout: true, stderr: true, since: 0, until: 0, follow: false };

function stamp(sec: number): string {
  return new Date(1_700_000_000_000 + sec * 1000).toISOString().replace('Z', '000000+00:00');
}

function lines(from: number, to: number, stream = 'stdout'): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${stamp(i)} ${stream} F line ${i}\n`;
  return s;
}

async function collect(it: AsyncGenerator<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(e.data.toString().trimEnd());
  return out;
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `line ${from + i}`);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Plays conmon: appends through an open fd, and on reopen replaces the live path by a new file. */
class FakeConmon {
  private fh?: fs.FileHandle;
  constructor(readonly live: string) {}
  async open(): Promise<void> {
    this.fh = await fs.open(this.live, 'a');
  }
  async write(s: string): Promise<void> {
    await this.fh!.write(s);
  }
  async reopen(): Promise<void> {
    await this.fh!.close();
    await fs.writeFile(`${this.live}.tmp`, '');
    await fs.rename(`${this.live}.tmp`, this.live);
    await this.open();
  }
  async close(): Promise<void> {
    await this.fh?.close();
  }
}

test('reads gzipped and plain rotated files oldest first, then the live file', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    await fs.writeFile(`${live}.3.gz`, gzipSync(lines(0, 10)));
    await fs.writeFile(`${live}.2`, lines(10, 20));
    await fs.writeFile(`${live}.1`, lines(20, 30));
    await fs.writeFile(live, lines(30, 35));
    assert.deepEqual(await collect(readLogs(live, ALL, () => true)), range(0, 35));
  }));

test('--tail counts across files; --tail 0 prints nothing', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    await fs.writeFile(`${live}.2.gz`, gzipSync(lines(0, 10)));
    await fs.writeFile(`${live}.1`, lines(10, 20));
    await fs.writeFile(live, lines(20, 23));
    assert.deepEqual(await collect(readLogs(live, { ...ALL, tail: 5 }, () => true)), range(18, 23));
    assert.deepEqual(await collect(readLogs(live, { ...ALL, tail: 15 }, () => true)), range(8, 23));
    assert.deepEqual(await collect(readLogs(live, { ...ALL, tail: 100 }, () => true)), range(0, 23));
    assert.deepEqual(await collect(readLogs(live, { ...ALL, tail: 0 }, () => true)), []);
  }));

test('since/until and stream selection apply across files', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    await fs.writeFile(`${live}.1`, lines(0, 10) + lines(100, 101, 'stderr'));
    await fs.writeFile(live, lines(10, 20));
    const base = 1_700_000_000;
    assert.deepEqual(await collect(readLogs(live, { ...ALL, since: base + 8, until: base + 11 }, () => true)), range(8, 12));
    assert.deepEqual(await collect(readLogs(live, { ...ALL, stdout: false }, () => true)), ['line 100']);
  }));

test('a missing log reads as empty', () =>
  withDir(async (dir) => {
    assert.deepEqual(await collect(readLogs(join(dir, 'nope.log'), ALL, () => true)), []);
  }));

test('rotate shifts files, drops those beyond max-file and gzips from .2 on', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    const policy = { driver: 'local' as const, readable: true, maxSize: 1000, maxFile: 3, compress: true };
    const conmon = new FakeConmon(live);
    await conmon.open();
    for (let i = 0; i < 4; i++) {
      await conmon.write(lines(i * 10, i * 10 + 10));
      await rotate({ live, ctl: join(dir, 'no-ctl'), policy }, 0);
      await conmon.reopen();
    }
    await conmon.write(lines(40, 45));
    await conmon.close();
    const files = await listRotated(live);
    assert.deepEqual(files.map((f) => [f.index, f.gzip]), [[1, false], [2, true]]);
    assert.deepEqual(await collect(readLogs(live, ALL, () => true)), range(20, 45));
  }));

test('what is written between the rename and the reopen stays in order', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    const policy = { driver: 'json-file' as const, readable: true, maxSize: 1000, maxFile: 2, compress: false };
    const conmon = new FakeConmon(live);
    await conmon.open();
    await conmon.write(lines(0, 5));
    await rotate({ live, ctl: join(dir, 'no-ctl'), policy }, 0);
    await conmon.write(lines(5, 8)); // conmon has not seen the reopen request yet
    await conmon.reopen();
    await conmon.write(lines(8, 10));
    await conmon.close();
    assert.deepEqual(await collect(readLogs(live, ALL, () => true)), range(0, 10));
  }));

test('follow continues into the new live file across rotations, without gaps or repeats', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    const policy = { driver: 'json-file' as const, readable: true, maxSize: 10_000, maxFile: 4, compress: false };
    const rotator = new LogRotator();
    const conmon = new FakeConmon(live);
    await conmon.open();
    await conmon.write(lines(0, 3));
    let stopped = false;
    const got = collect(readLogs(live, { ...ALL, follow: true }, () => stopped, { lock: (fn) => rotator.withLock(live, fn) }));
    for (let i = 3; i < 60; i++) {
      await conmon.write(lines(i, i + 1));
      if (i % 7 === 0) {
        // Two rotations in a row now and then, as when a burst outruns the follower.
        await rotator.withLock(live, () => rotate({ live, ctl: join(dir, 'no-ctl'), policy }, 0));
        await conmon.reopen();
        if (i % 14 === 0) {
          await conmon.write(lines(++i, i + 1));
          await rotator.withLock(live, () => rotate({ live, ctl: join(dir, 'no-ctl'), policy }, 0));
          await conmon.reopen();
        }
      }
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 30));
    }
    stopped = true;
    await conmon.close();
    assert.deepEqual(await got, range(0, 60));
  }));

test('the rotator rotates a tracked log when it reaches max-size', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    const policy = { driver: 'json-file' as const, readable: true, maxSize: 900, maxFile: 3, compress: false };
    const rotator = new LogRotator({ reopenTimeoutMs: 0 });
    await fs.writeFile(live, lines(0, 20));
    rotator.track({ live, ctl: join(dir, 'no-ctl'), policy });
    try {
      for (let i = 0; i < 100 && !(await fs.access(`${live}.1`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual((await listRotated(live)).map((f) => f.index), [1]);
      assert.deepEqual(await collect(readLogs(`${live}.1`, ALL, () => true)), range(0, 20));
    } finally {
      rotator.close();
    }
  }));

test('an oversized file is cut at line boundaries and only max-file pieces are kept', () =>
  withDir(async (dir) => {
    const live = join(dir, 'c-json.log');
    const policy = { driver: 'json-file' as const, readable: true, maxSize: 1000, maxFile: 3, compress: false };
    await fs.writeFile(`${live}.1`, lines(0, 10));
    const conmon = new FakeConmon(live);
    await conmon.open();
    await conmon.write(lines(10, 200)); // a burst far beyond max-size before anyone rotated
    await rotate({ live, ctl: join(dir, 'no-ctl'), policy }, 0);
    await conmon.reopen();
    await conmon.write(lines(200, 203));
    await conmon.close();
    const files = await listRotated(live);
    assert.deepEqual(files.map((f) => f.index), [1, 2]);
    for (const f of files) assert.ok((await fs.stat(f.path)).size <= 1000);
    const got = await collect(readLogs(live, ALL, () => true));
    const first = Number(got[0]!.split(' ')[1]);
    assert.ok(first > 150, `kept from line ${first}`);
    assert.deepEqual(got, range(first, 203));
  }));
