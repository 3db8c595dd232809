import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, stripVersion } from '../../../src/api/router.js';
import { compareVersions } from '../../../src/api/server.js';

const h = () => undefined;

test('version prefixes are stripped and compared numerically', () => {
  assert.deepEqual(stripVersion('/v1.45/containers/json'), { version: '1.45', path: '/containers/json' });
  assert.deepEqual(stripVersion('/containers/json'), { path: '/containers/json' });
  assert.ok(compareVersions('1.9', '1.24') < 0);
  assert.ok(compareVersions('1.50', '1.24') > 0);
});

test('params, greedy image names and method mismatches', () => {
  const r = new Router();
  r.get('/containers/:id/json', h);
  r.get('/images/:name*/json', h);
  r.delete('/images/:name*', h);
  r.get('/images/json', h);
  const m = r.match('GET', '/containers/abc/json');
  assert.ok(m && m !== 'method');
  assert.deepEqual(m.params, { id: 'abc' });
  const img = r.match('GET', '/images/localhost:5000/team/app:v1/json');
  assert.ok(img && img !== 'method');
  assert.deepEqual(img.params, { name: 'localhost:5000/team/app:v1' });
  const list = r.match('GET', '/images/json');
  assert.ok(list && list !== 'method');
  assert.deepEqual(list.params, {});
  const del = r.match('DELETE', '/images/a/b');
  assert.ok(del && del !== 'method');
  assert.deepEqual(del.params, { name: 'a/b' });
  assert.equal(r.match('POST', '/containers/abc/json'), 'method');
  assert.equal(r.match('GET', '/nothing'), undefined);
  // HEAD falls back to GET
  assert.ok(r.match('HEAD', '/containers/x/json'));
  // escaped segments are decoded
  const esc = r.match('GET', '/containers/a%20b/json');
  assert.ok(esc && esc !== 'method');
  assert.equal(esc.params.id, 'a b');
});
