import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig, parseFlags } from '../../../src/daemon/config.js';
import { matchesFilters, type EngineEvent } from '../../../src/daemon/events.js';

test('flags: repeatable -H, --flag=value, unknown flags', () => {
  const f = parseFlags(['-H', 'unix:///a.sock', '--host=unix:///b.sock', '--data-root', '/d', '--log-level=debug']);
  assert.deepEqual(f.values.hosts, ['unix:///a.sock', 'unix:///b.sock']);
  assert.equal(f.values.dataRoot, '/d');
  assert.equal(f.values.logLevel, 'debug');
  assert.throws(() => parseFlags(['--bogus']), /unknown flag: --bogus/);
  assert.throws(() => parseFlags(['--log-level', 'loud']), /Unable to parse logging level: loud/);
});

test('daemon.json: Docker keys, defaults, live-restore true, conflicts with flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cfg-'));
  try {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ 'data-root': '/x', 'default-runtime': 'runc', 'unknown-docker-key': 1 }));
    const { config } = loadConfig(['--config-file', file]);
    assert.equal(config.dataRoot, '/x');
    assert.equal(config.defaultRuntime, 'runc');
    assert.equal(config.liveRestore, true);
    assert.match(config.cgroupParent, /^\/berth-[0-9a-f]{12}$/);
    assert.throws(() => loadConfig(['--config-file', file, '--data-root', '/y']), /specified both as a flag and in the configuration file: dataRoot/);
    writeFileSync(file, '{"live-restore": false}');
    assert.equal(loadConfig(['--config-file', file]).config.liveRestore, false);
    writeFileSync(file, '{bad');
    assert.throws(() => loadConfig(['--config-file', file]), /unable to configure the Docker daemon with file/);
    // an explicitly named file must exist; the default one may be absent
    assert.throws(() => loadConfig(['--config-file', join(dir, 'missing.json')]), /unable to read configuration file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('event filters: keys AND, values OR, labels and container names', () => {
  const ev: EngineEvent = { Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'abc123', Attributes: { name: 'web', image: 'busybox', team: 'a' } }, scope: 'local', time: 0, timeNano: 0 };
  const f = (o: Record<string, string[]>) => matchesFilters(ev, new Map(Object.entries(o)));
  assert.ok(f({ type: ['container'], event: ['exec_start'] }));
  assert.ok(f({ container: ['web', 'other'] }));
  assert.ok(f({ container: ['abc'] }));
  assert.ok(f({ label: ['team=a'] }));
  assert.ok(!f({ label: ['team=b'] }));
  assert.ok(!f({ type: ['image'] }));
  assert.ok(f({ image: ['busybox'] }));
});
