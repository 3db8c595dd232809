// Prune filters as dockerd reads them: until (durations, dates, unix seconds), label / label!,
// accepted keys; and the /system/df type selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFilterKeys, matchPruneLabels, parseGoDuration, parseTimestamp, untilFilter, boolFilter } from '../../../src/disk/prune-filters.js';
import { parseDfTypes } from '../../../src/disk/usage.js';

const F = (o: Record<string, string[]>) => new Map(Object.entries(o));
const NOW = Date.parse('2025-06-01T12:00:00Z');

test('until takes Go durations relative to now', () => {
  assert.equal(parseGoDuration('24h'), 86_400_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseTimestamp('10m', NOW), NOW - 600_000);
  assert.equal(untilFilter(F({ until: ['2h'] }), NOW), NOW - 7_200_000);
});

test('until takes RFC 3339 times, bare dates (UTC) and unix seconds', () => {
  assert.equal(parseTimestamp('2024-01-02T03:04:05Z', NOW), Date.parse('2024-01-02T03:04:05Z'));
  assert.equal(parseTimestamp('2024-01-02T03:04:05+02:00', NOW), Date.parse('2024-01-02T01:04:05Z'));
  assert.equal(parseTimestamp('2024-01-02T03:04', NOW), Date.parse('2024-01-02T03:04:00Z'));
  assert.equal(parseTimestamp('2024-01-02', NOW), Date.parse('2024-01-02T00:00:00Z'));
  assert.equal(parseTimestamp('1700000000', NOW), 1_700_000_000_000);
  assert.equal(parseTimestamp('1700000000.5', NOW), 1_700_000_000_500);
  assert.throws(() => parseTimestamp('yesterday', NOW), /failed to parse value as time or duration: "yesterday"/);
  assert.throws(() => untilFilter(F({ until: ['1h', '2h'] }), NOW), /more than one until filter/);
  assert.equal(untilFilter(F({}), NOW), undefined);
});

test('label terms must all match; label! spares an object only when all its terms match', () => {
  const web = { app: 'web', tier: 'front' };
  assert.equal(matchPruneLabels(F({}), web), true);
  assert.equal(matchPruneLabels(F({}), null), true);
  assert.equal(matchPruneLabels(F({ label: ['app'] }), web), true);
  assert.equal(matchPruneLabels(F({ label: ['app=web', 'tier=front'] }), web), true);
  assert.equal(matchPruneLabels(F({ label: ['app=db'] }), web), false);
  assert.equal(matchPruneLabels(F({ label: ['app'] }), {}), false);
  assert.equal(matchPruneLabels(F({ 'label!': ['app=web'] }), web), false);
  assert.equal(matchPruneLabels(F({ 'label!': ['app=db'] }), web), true);
  assert.equal(matchPruneLabels(F({ 'label!': ['keep'] }), {}), true);
  // dockerd's MatchKVList: all label! terms must match before an object is spared
  assert.equal(matchPruneLabels(F({ 'label!': ['app=web', 'other'] }), web), true);
});

test('each prune names the keys it accepts, with Docker\'s wording', () => {
  assert.doesNotThrow(() => checkFilterKeys(F({ until: ['1h'], label: ['a'] }), ['until', 'label', 'label!']));
  assert.throws(() => checkFilterKeys(F({ dangling: ['true'] }), ['until', 'label', 'label!']), { message: "invalid filter 'dangling'" });
  assert.equal(boolFilter(F({ dangling: ['false'] }), 'dangling', true), false);
  assert.equal(boolFilter(F({}), 'dangling', true), true);
  assert.throws(() => boolFilter(F({ dangling: ['maybe'] }), 'dangling', true), { message: "invalid filter 'dangling=maybe'" });
});

test('system df type= selects parts and refuses unknown ones', () => {
  assert.deepEqual([...parseDfTypes([])].sort(), ['build-cache', 'container', 'image', 'volume']);
  assert.deepEqual([...parseDfTypes(['volume'])], ['volume']);
  assert.throws(() => parseDfTypes(['layer']), { message: 'unknown object type: layer' });
});
