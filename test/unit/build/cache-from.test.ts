// --cache-from matching as dockerd's legacy builder does it (history prefix + next created_by),
// the local-cache rule with sources, and which X-Registry-Config entry a FROM pull uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheFromSources } from '../../../src/build/cache-from.js';
import { authFor } from '../../../src/build/base-image.js';
import type { Image, ImageConfig, HistoryEntry } from '../../../src/images/store.js';

const h = (created_by: string, empty = false): HistoryEntry => ({ created: '2024-01-01T00:00:00Z', created_by, ...(empty ? { empty_layer: true } : {}) });

function image(id: string, history: HistoryEntry[], diffIds: string[], parent?: string): Image {
  const config: ImageConfig = { architecture: 'amd64', os: 'linux', config: {}, history, rootfs: { type: 'layers', diff_ids: diffIds } };
  return { id, config, ...(parent ? { parent } : {}) };
}

function storeOf(images: Image[], tags: Record<string, string>) {
  const byId = new Map(images.map((i) => [i.id, i]));
  return { byId: (id: string) => byId.get(id), tryResolve: (ref: string) => byId.get(tags[ref] ?? ref) };
}

const base = image('sha256:base', [h('ADD file:bb in /')], ['sha256:l0']);
const built = image(
  'sha256:app',
  [h('ADD file:bb in /'), h('/bin/sh -c #(nop)  ENV A=1', true), h('/bin/sh -c echo hi > /f'), h('/bin/sh -c #(nop)  CMD ["sh"]', true)],
  ['sha256:l0', 'sha256:l1'],
);

test('a source matches the step that continues its history, with the layer that step added', () => {
  const src = new CacheFromSources(storeOf([base, built], { app: 'sha256:app' }), ['app'], () => assert.fail('no warning expected'));
  assert.equal(src.active, true);
  const env = src.match(base.config, '/bin/sh -c #(nop)  ENV A=1');
  assert.ok(env);
  assert.equal(env.last, false);
  assert.equal(env.diffId, undefined);
  // The next step's parent: base + the ENV entry.
  const afterEnv: ImageConfig = { ...base.config, history: [...base.config.history!, env.entry] };
  assert.equal(src.match(afterEnv, '/bin/sh -c echo different'), undefined);
  const run = src.match(afterEnv, '/bin/sh -c echo hi > /f');
  assert.equal(run?.diffId, 'sha256:l1');
  const afterRun: ImageConfig = { ...afterEnv, history: [...afterEnv.history!, run!.entry], rootfs: { type: 'layers', diff_ids: ['sha256:l0', 'sha256:l1'] } };
  const cmd = src.match(afterRun, '/bin/sh -c #(nop)  CMD ["sh"]');
  assert.equal(cmd?.last, true);
  assert.equal(cmd?.source.id, 'sha256:app');
});

test('a parent whose history or layers differ from the source matches nothing', () => {
  const src = new CacheFromSources(storeOf([built], { app: 'sha256:app' }), ['app'], () => undefined);
  const otherBase: ImageConfig = { ...base.config, history: [h('ADD file:other in /')] };
  assert.equal(src.match(otherBase, '/bin/sh -c #(nop)  ENV A=1'), undefined);
  const otherLayer: ImageConfig = { ...base.config, rootfs: { type: 'layers', diff_ids: ['sha256:zz'] } };
  assert.equal(src.match(otherLayer, '/bin/sh -c #(nop)  ENV A=1'), undefined);
  // FROM scratch: any source's first entry can match.
  assert.equal(src.match(undefined, 'ADD file:bb in /')?.diffId, 'sha256:l0');
});

test('unknown refs are skipped with dockerd\'s warning; with none found the sources are inactive', () => {
  const warnings: string[] = [];
  const src = new CacheFromSources(storeOf([], {}), ['nosuch:1'], (w) => warnings.push(w));
  assert.equal(src.active, false);
  assert.deepEqual(warnings, ['Could not look up nosuch:1 for cache resolution, skipping: No such image: nosuch:1']);
});

test('with sources, a local cache hit counts only when a source descends from it', () => {
  const mid = image('sha256:mid', [h('x')], ['sha256:l0'], 'sha256:base');
  const top = image('sha256:top', [h('x'), h('y')], ['sha256:l0'], 'sha256:mid');
  const src = new CacheFromSources(storeOf([base, mid, top], { top: 'sha256:top' }), ['top'], () => undefined);
  assert.equal(src.acceptsLocal('sha256:mid'), true);
  assert.equal(src.acceptsLocal('sha256:base'), true);
  assert.equal(src.acceptsLocal('sha256:elsewhere'), false);
});

test('the credentials for a FROM pull are the ones for its registry', () => {
  const configs = {
    'https://index.docker.io/v1/': { username: 'hub', password: 'p1' },
    '127.0.0.1:5000': { username: 'local', password: 'p2' },
    'http://reg.example:8080/': { auth: Buffer.from('u3:p3').toString('base64') },
  };
  assert.equal(authFor('busybox', configs).username, 'hub');
  assert.equal(authFor('127.0.0.1:5000/app:1', configs).username, 'local');
  assert.deepEqual([authFor('reg.example:8080/x', configs).username, authFor('reg.example:8080/x', configs).password], ['u3', 'p3']);
  assert.deepEqual(authFor('other.example/x', configs), {});
  assert.deepEqual(authFor('busybox', undefined), {});
});
