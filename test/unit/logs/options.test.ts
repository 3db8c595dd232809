import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHumanSize, resolveLogConfig, policyOf, parseLogOpts } from '../../../src/containers/logging/options.js';

const JSON_DEFAULT = { Type: 'json-file', Config: {} };

test('sizes use Docker decimal units', () => {
  assert.equal(parseHumanSize('10k'), 10_000);
  assert.equal(parseHumanSize('20m'), 20_000_000);
  assert.equal(parseHumanSize('1g'), 1_000_000_000);
  assert.equal(parseHumanSize('10kb'), 10_000);
  assert.equal(parseHumanSize('1.5M'), 1_500_000);
  assert.equal(parseHumanSize('512'), 512);
  assert.throws(() => parseHumanSize('ten'), /invalid size: 'ten'/);
  assert.throws(() => parseHumanSize('-1'), /invalid size: '-1'/);
});

test('no options: Berth bounds the log at 20m x 5 and records it', () => {
  const cfg = resolveLogConfig(undefined, JSON_DEFAULT);
  assert.deepEqual(cfg, { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '5' } });
  assert.deepEqual(policyOf(cfg), { driver: 'json-file', readable: true, maxSize: 20_000_000, maxFile: 5, compress: false });
});

test('explicit max-size keeps json-file semantics (one file unless max-file)', () => {
  const cfg = resolveLogConfig({ Type: 'json-file', Config: { 'max-size': '10k' } }, JSON_DEFAULT);
  assert.deepEqual(cfg.Config, { 'max-size': '10k' });
  assert.equal(policyOf(cfg).maxFile, 1);
  const three = resolveLogConfig({ Config: { 'max-size': '10k', 'max-file': '3' } }, JSON_DEFAULT);
  assert.deepEqual(policyOf(three), { driver: 'json-file', readable: true, maxSize: 10_000, maxFile: 3, compress: false });
});

test('max-file alone gets the default size', () => {
  const cfg = resolveLogConfig({ Type: 'json-file', Config: { 'max-file': '2' } }, JSON_DEFAULT);
  assert.deepEqual(cfg.Config, { 'max-file': '2', 'max-size': '20m' });
});

test('unknown options and drivers are refused with Docker messages', () => {
  assert.throws(() => resolveLogConfig({ Type: 'json-file', Config: { foo: 'x' } }, JSON_DEFAULT), /^InvalidParameter: unknown log opt 'foo' for json-file log driver$|unknown log opt 'foo' for json-file log driver/);
  assert.throws(() => resolveLogConfig({ Type: 'local', Config: { foo: 'x' } }, JSON_DEFAULT), /unknown log opt 'foo' for log driver local/);
  assert.throws(() => resolveLogConfig({ Type: 'splunk', Config: {} }, JSON_DEFAULT), /logger: no log driver named 'splunk' is registered/);
  assert.throws(() => resolveLogConfig({ Type: 'json-file', Config: { mode: 'fast' } }, JSON_DEFAULT), /logging mode not supported: fast/);
});

test('bad values are refused', () => {
  assert.throws(() => resolveLogConfig({ Config: { 'max-file': '0', 'max-size': '1m' } }, JSON_DEFAULT), /max-file cannot be less than 1/);
  assert.throws(() => resolveLogConfig({ Config: { 'max-size': '0' } }, JSON_DEFAULT), /max-size must be a positive number/);
  assert.throws(() => resolveLogConfig({ Config: { 'max-size': 'lots' } }, JSON_DEFAULT), /invalid size: 'lots'/);
  assert.throws(() => resolveLogConfig({ Config: { 'max-size': '1m', compress: 'true' } }, JSON_DEFAULT), /compress cannot be true when max-file is less than 2/);
  assert.throws(() => resolveLogConfig({ Type: 'local', Config: { 'max-file': '1' } }, JSON_DEFAULT), /compression cannot be enabled when max file count is 1/);
  assert.throws(() => resolveLogConfig({ Type: 'local', Config: { 'max-size': 'x' } }, JSON_DEFAULT), /invalid value for max-size: x/);
});

test('local compresses by default; none is not readable and takes no size defaults', () => {
  assert.deepEqual(policyOf(resolveLogConfig({ Type: 'local' }, JSON_DEFAULT)), { driver: 'local', readable: true, maxSize: 20_000_000, maxFile: 5, compress: true });
  const none = resolveLogConfig({ Type: 'none' }, JSON_DEFAULT);
  assert.deepEqual(none, { Type: 'none', Config: {} });
  assert.equal(policyOf(none).readable, false);
});

test('daemon default driver and options apply, merged under the container options', () => {
  const def = { Type: 'local', Config: { 'max-size': '1m', compress: 'false' } };
  assert.deepEqual(resolveLogConfig(undefined, def), { Type: 'local', Config: { 'max-size': '1m', compress: 'false' } });
  assert.deepEqual(resolveLogConfig({ Config: { 'max-size': '2m' } }, def).Config, { 'max-size': '2m', compress: 'false' });
  // Options of another driver's default do not leak into an explicit driver.
  assert.deepEqual(resolveLogConfig({ Type: 'json-file' }, def).Config, { 'max-size': '20m', 'max-file': '5' });
});

test('--log-opt pairs', () => {
  assert.deepEqual(parseLogOpts(['max-size=10k', 'labels=a=b']), { 'max-size': '10k', labels: 'a=b' });
  assert.throws(() => parseLogOpts(['oops']), /invalid key value pair/);
});
