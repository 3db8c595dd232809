import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, humanDuration, humanSizeWithPrecision, parseGoDuration, parseNanoCPUs, ramInBytes } from '../../../src/cli/units.js';

test('human sizes use decimal units with three significant digits, as docker images shows', () => {
  assert.equal(humanSizeWithPrecision(2_030_000, 3), '2.03MB');
  assert.equal(humanSizeWithPrecision(512, 3), '512B');
  assert.equal(humanSizeWithPrecision(1_500_000_000, 3), '1.5GB');
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSizeWithPrecision(4_261_412, 3), '4.26MB');
  assert.equal(humanSizeWithPrecision(1000, 3), '1kB');
  // Go's %g switches to exponent form when rounding reaches the precision.
  assert.equal(humanSizeWithPrecision(999_999, 3), '1e+03kB');
  assert.equal(humanSizeWithPrecision(77_800_000, 3), '77.8MB');
});

test('relative durations follow go-units HumanDuration', () => {
  const s = 1000;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(45 * s), '45 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(5 * 60 * s), '5 minutes');
  assert.equal(humanDuration(60 * 60 * s), 'About an hour');
  assert.equal(humanDuration(3 * 3600 * s), '3 hours');
  assert.equal(humanDuration(47 * 3600 * s), '47 hours');
  assert.equal(humanDuration(2 * 86400 * s), '2 days');
  assert.equal(humanDuration(21 * 86400 * s), '3 weeks');
  assert.equal(humanDuration(125 * 86400 * s), '4 months');
  assert.equal(humanDuration(800 * 86400 * s), '2 years');
});

test('RAMInBytes reads binary multiples whatever the suffix spelling', () => {
  assert.equal(ramInBytes('32m'), 32 * 1024 ** 2);
  assert.equal(ramInBytes('32MB'), 32 * 1024 ** 2);
  assert.equal(ramInBytes('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('512'), 512);
  assert.equal(ramInBytes('64 KiB'), 64 * 1024);
  assert.throws(() => ramInBytes('32q'), /invalid suffix: 'q'/);
  assert.throws(() => ramInBytes('m'), /invalid size: 'm'/);
});

test('Go durations parse and print', () => {
  assert.equal(parseGoDuration('1h30m'), 5400e9);
  assert.equal(parseGoDuration('1.5s'), 1.5e9);
  assert.equal(parseGoDuration('300ms'), 300e6);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('x'), /time: invalid duration "x"/);
  assert.throws(() => parseGoDuration('5x'), /time: unknown unit "x" in duration "5x"/);
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(500e6), '500ms');
});

test('--cpus becomes nano-CPUs', () => {
  assert.equal(parseNanoCPUs('0.5'), 500_000_000);
  assert.equal(parseNanoCPUs('2'), 2_000_000_000);
  assert.equal(parseNanoCPUs('1/4'), 250_000_000);
  assert.throws(() => parseNanoCPUs('0.0000000001'), /value is too precise/);
  assert.throws(() => parseNanoCPUs('abc'), /failed to parse abc as a rational number/);
});
