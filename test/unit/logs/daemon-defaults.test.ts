import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../../src/daemon/config.js';

function withConfig(json: unknown, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logcfg-'));
  try {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify(json));
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('daemon.json log-driver and log-opts become the daemon defaults', () =>
  withConfig({ 'log-driver': 'local', 'log-opts': { 'max-size': '5m' } }, (file) => {
    const { config } = loadConfig(['--config-file', file]);
    assert.equal(config.logDriver, 'local');
    assert.deepEqual(config.logOpts, { 'max-size': '5m' });
  }));

test('flags set them too; json-file with no options by default', () =>
  withConfig({}, (file) => {
    assert.equal(loadConfig(['--config-file', file]).config.logDriver, 'json-file');
    const { config } = loadConfig(['--config-file', file, '--log-driver', 'json-file', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=2']);
    assert.deepEqual(config.logOpts, { 'max-size': '1m', 'max-file': '2' });
  }));

test('the daemon refuses to start with log options it could not apply', () =>
  withConfig({ 'log-opts': { 'max-file': '0', 'max-size': '1m' } }, (file) => {
    assert.throws(() => loadConfig(['--config-file', file]), /failed to set log opts: max-file cannot be less than 1/);
  }));

test('an unknown default driver is refused', () =>
  withConfig({}, (file) => {
    assert.throws(() => loadConfig(['--config-file', file, '--log-driver', 'syslogd']), /failed to set log opts: logger: no log driver named 'syslogd'/);
  }));
