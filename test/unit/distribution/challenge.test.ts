import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from '../../../src/distribution/client/challenge.js';
import { decodeRegistryAuth } from '../../../src/distribution/client/credentials.js';

test('a Bearer challenge gives realm, service and scope (commas inside quotes kept)', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
  assert.equal(c!.scheme, 'bearer');
  assert.deepEqual(c!.params, { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' });
});

test('several challenges in one header, and a Basic one with an escaped quote', () => {
  const all = parseChallenges('Basic realm="say \\"hi\\"", Bearer realm="http://127.0.0.1:1/t",error="invalid_token"');
  assert.deepEqual(
    all.map((c) => c.scheme),
    ['basic', 'bearer'],
  );
  assert.equal(all[0]!.params.realm, 'say "hi"');
  assert.equal(all[1]!.params.error, 'invalid_token');
});

test('an empty or missing header has no challenge; an array of headers is read whole', () => {
  assert.deepEqual(parseChallenges(undefined), []);
  assert.equal(parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).length, 2);
});

test('X-Registry-Auth: base64url JSON, the auth field, and an empty object', () => {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  assert.deepEqual(decodeRegistryAuth(enc({ username: 'u', password: 'p?>', serveraddress: '127.0.0.1:5000' })), {
    username: 'u',
    password: 'p?>',
    serveraddress: '127.0.0.1:5000',
    auth: undefined,
    identitytoken: undefined,
    registrytoken: undefined,
  });
  assert.equal(decodeRegistryAuth(enc({ auth: Buffer.from('alice:s:ecret').toString('base64') })).password, 's:ecret');
  assert.deepEqual(decodeRegistryAuth(Buffer.from('{}').toString('base64url')), {
    username: undefined, password: undefined, auth: undefined, serveraddress: undefined, identitytoken: undefined, registrytoken: undefined,
  });
  assert.throws(() => decodeRegistryAuth(Buffer.from('not json').toString('base64url')), /not JSON/);
});
