import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, familiarString, withDefaultTag, looksLikeId } from '../../../src/images/reference.js';

test('references normalize as Docker does', () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ['busybox', 'docker.io/library/busybox', undefined, undefined],
    ['busybox:1.36', 'docker.io/library/busybox', '1.36', undefined],
    ['library/busybox', 'docker.io/library/busybox', undefined, undefined],
    ['docker.io/busybox', 'docker.io/library/busybox', undefined, undefined],
    ['index.docker.io/user/app:x', 'docker.io/user/app', 'x', undefined],
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app', 'v1', undefined],
    ['localhost/app', 'localhost/app', undefined, undefined],
    ['registry.example.com/a/b/c', 'registry.example.com/a/b/c', undefined, undefined],
    [`app@sha256:${'a'.repeat(64)}`, 'docker.io/library/app', undefined, `sha256:${'a'.repeat(64)}`],
  ];
  for (const [input, name, tag, digest] of cases) {
    assert.deepEqual(parseReference(input), { name, tag, digest }, input);
  }
});

test('familiar forms drop docker.io and library/', () => {
  assert.equal(familiarString(withDefaultTag(parseReference('docker.io/library/busybox'))), 'busybox:latest');
  assert.equal(familiarString(parseReference('docker.io/user/app:1')), 'user/app:1');
  assert.equal(familiarString(parseReference('localhost:5000/app:1')), 'localhost:5000/app:1');
});

test('invalid references are refused with Docker messages', () => {
  assert.throws(() => parseReference('Busybox'), /repository name \(library\/Busybox\) must be lowercase|invalid reference format/);
  assert.throws(() => parseReference('a:b:c'), /invalid reference format/);
  assert.throws(() => parseReference(''), /invalid reference format/);
  assert.throws(() => parseReference('app:-bad'), /invalid reference format/);
  assert.throws(() => parseReference('a//b'), /invalid reference format/);
});

test('hex strings look like IDs', () => {
  assert.ok(looksLikeId('a01de886f809'));
  assert.ok(looksLikeId(`sha256:${'b'.repeat(64)}`));
  assert.ok(!looksLikeId('busybox'));
});
