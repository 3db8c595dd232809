// volume ls / prune filters: Docker's keys, values, and the API 1.42 change to prune.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listFilter, pruneFilter, type FilterSubject } from '../../../src/volumes/filters.js';
import { parseMountOptions, MS_BIND, MS_NOSUID, MS_RDONLY, MS_REC, MS_PRIVATE } from '../../../src/volumes/mount-options.js';

const vols: FilterSubject[] = [
  { name: 'web-data', driver: 'local', labels: { app: 'web', tier: 'front' }, inUse: true },
  { name: 'db-data', driver: 'local', labels: { app: 'db' }, inUse: false },
  { name: 'a'.repeat(64), driver: 'local', labels: { 'com.docker.volume.anonymous': '' }, inUse: false },
];
const names = (f: (v: FilterSubject) => boolean) => vols.filter(f).map((v) => v.name);
const F = (o: Record<string, string[]>) => new Map(Object.entries(o));
const anon = (v: FilterSubject) => 'com.docker.volume.anonymous' in v.labels;

test('ls filters: dangling, label, name, driver', () => {
  assert.deepEqual(names(listFilter(F({ dangling: ['true'] }))), ['db-data', 'a'.repeat(64)]);
  assert.deepEqual(names(listFilter(F({ dangling: ['0'] }))), ['web-data']);
  assert.deepEqual(names(listFilter(F({ label: ['app'] }))), ['web-data', 'db-data']);
  assert.deepEqual(names(listFilter(F({ label: ['app=db'] }))), ['db-data']);
  assert.deepEqual(names(listFilter(F({ label: ['app=web', 'tier=front'] }))), ['web-data']);
  assert.deepEqual(names(listFilter(F({ name: ['data'] }))), ['web-data', 'db-data']);
  assert.deepEqual(names(listFilter(F({ name: ['^db'] }))), ['db-data']);
  assert.deepEqual(names(listFilter(F({ driver: ['nfs'] }))), []);
  assert.throws(() => listFilter(F({ until: ['1h'] })), { message: "invalid filter 'until'" });
  assert.throws(() => listFilter(F({ dangling: ['maybe'] })), { message: "invalid filter 'dangling=maybe'" });
});

test('prune removes unused anonymous volumes, all=true named ones too, old APIs everything unused', () => {
  assert.deepEqual(names(pruneFilter(F({}), '1.50', anon)), ['a'.repeat(64)]);
  assert.deepEqual(names(pruneFilter(F({ all: ['true'] }), '1.50', anon)), ['db-data', 'a'.repeat(64)]);
  assert.deepEqual(names(pruneFilter(F({}), '1.41', anon)), ['db-data', 'a'.repeat(64)]);
  assert.deepEqual(names(pruneFilter(F({ all: ['1'], 'label!': ['app'] }), '1.50', anon)), ['a'.repeat(64)]);
  assert.deepEqual(names(pruneFilter(F({ all: ['1'], label: ['app=db'] }), '1.50', anon)), ['db-data']);
  assert.throws(() => pruneFilter(F({ dangling: ['true'] }), '1.50', anon), { message: "invalid filter 'dangling'" });
});

test('local driver o= options become mount flags and data', () => {
  assert.deepEqual(parseMountOptions('size=1m,uid=1000'), { flags: 0, propagation: 0, data: 'size=1m,uid=1000' });
  const b = parseMountOptions('bind,ro,nosuid,rprivate');
  assert.equal(b.flags, MS_BIND | MS_RDONLY | MS_NOSUID);
  assert.equal(b.propagation, MS_PRIVATE | MS_REC);
  assert.equal(b.data, '');
  assert.equal(parseMountOptions('ro,rw').flags, 0);
});
