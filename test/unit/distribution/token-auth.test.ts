// The registry's token verifier: which JWTs it accepts (signature by a key the root bundle vouches
// for, issuer, audience, lifetime, granted actions), what each request needs, and the challenge.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createPrivateKey, createPublicKey, createSign } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TokenAuth, accessFor, libtrustKeyId } from '../../../src/distribution/registry/token-auth.js';
import { loadRegistryConfig } from '../../../src/distribution/registry/config.js';
import { tokenIssuer, type TokenIssuer } from '../../e2e/registry-helpers.js';

let issuer: TokenIssuer;
let other: TokenIssuer;
let auth: TokenAuth;
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-token-unit-'));
  try {
    issuer = tokenIssuer(join(dir, 'a'));
    other = tokenIssuer(join(dir, 'b'));
    auth = new TokenAuth({ realm: 'https://auth.test/token', service: issuer.service, issuer: issuer.issuer, rootCertBundle: issuer.certFile });
    await auth.load();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const claims = (extra: Record<string, unknown> = {}) => ({ iss: issuer.issuer, aud: issuer.service, exp: now() + 300, nbf: now() - 5, access: [{ type: 'repository', name: 'app', actions: ['pull'] }], ...extra });
const bearer = (t: string) => `Bearer ${t}`;
const pullApp = [{ type: 'repository', name: 'app', actions: ['pull'] }];
const pushApp = [{ type: 'repository', name: 'app', actions: ['pull', 'push'] }];

test('a token from the configured issuer granting the action is accepted', () => {
  assert.equal(auth.authorize(bearer(issuer.sign(claims())), pullApp), undefined);
  assert.equal(auth.authorize(bearer(issuer.sign(claims({ aud: ['x', issuer.service] }))), pullApp), undefined);
  assert.equal(auth.authorize(bearer(issuer.sign(claims({ access: [{ type: 'repository', name: 'app', actions: ['*'] }] }))), pushApp), undefined);
});

test('no token, and tokens that must not be trusted, are refused as invalid', () => {
  assert.deepEqual(auth.authorize(undefined, pullApp), { reason: 'authentication required' });
  const cases: [string, RegExp][] = [
    [other.sign(claims()), /no root in the bundle/],
    [issuer.sign(claims({ iss: 'someone-else' })), /issuer/],
    [issuer.sign(claims({ aud: 'another-registry' })), /audience/],
    [issuer.sign(claims({ exp: now() - 3600 })), /expired/],
    [issuer.sign(claims({ nbf: now() + 3600 })), /not valid yet/],
    [issuer.sign(claims({ exp: undefined })), /no expiry/],
    ['a.b', /malformed/],
  ];
  for (const [token, why] of cases) {
    const r = auth.authorize(bearer(token), pullApp);
    assert.equal(r?.error, 'invalid_token', token);
    assert.match(r!.reason, why);
  }
  // A signature over other claims: the payload was changed after signing.
  const [h, , s] = issuer.sign(claims()).split('.');
  const forged = Buffer.from(JSON.stringify(claims({ access: [{ type: 'repository', name: 'app', actions: ['*'] }] }))).toString('base64url');
  assert.match(auth.authorize(bearer(`${h}.${forged}.${s}`), pushApp)!.reason, /signature/);
});

test('a valid token that grants too little is refused for insufficient scope', () => {
  const pullOnly = issuer.sign(claims());
  assert.equal(auth.authorize(bearer(pullOnly), pushApp)?.error, 'insufficient_scope');
  const otherRepo = issuer.sign(claims({ access: [{ type: 'repository', name: 'other', actions: ['pull', 'push'] }] }));
  assert.equal(auth.authorize(bearer(otherRepo), pullApp)?.error, 'insufficient_scope');
  // /v2/ itself needs only a valid token.
  assert.equal(auth.authorize(bearer(otherRepo), []), undefined);
});

test('a token naming its key by libtrust key ID (kid) verifies against that root', () => {
  const key = createPrivateKey(issuer.keyPem);
  const kid = libtrustKeyId(createPublicKey(key));
  assert.match(kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims())).toString('base64url');
  const sig = createSign('sha256').update(`${header}.${body}`).sign({ key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  assert.equal(auth.authorize(bearer(`${header}.${body}.${sig}`), pullApp), undefined);
  const unknown = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'AAAA:' + kid.slice(5) })).toString('base64url');
  assert.match(auth.authorize(bearer(`${unknown}.${body}.${sig}`), pullApp)!.reason, /unknown key/);
});

test('each route needs distribution’s actions; the challenge names the scope', () => {
  const q = (s = '') => new URLSearchParams(s);
  assert.deepEqual(accessFor('GET', '/v2/', q()), []);
  assert.deepEqual(accessFor('HEAD', '/v2/a/b/manifests/v1', q()), [{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
  assert.deepEqual(accessFor('GET', '/v2/a/tags/list', q()), [{ type: 'repository', name: 'a', actions: ['pull'] }]);
  assert.deepEqual(accessFor('PATCH', '/v2/a/blobs/uploads/123', q()), [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
  assert.deepEqual(accessFor('DELETE', '/v2/a/manifests/sha256:00', q()), [{ type: 'repository', name: 'a', actions: ['delete'] }]);
  assert.deepEqual(accessFor('POST', '/v2/a/blobs/uploads/', q('mount=sha256:00&from=b')), [
    { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    { type: 'repository', name: 'b', actions: ['pull'] },
  ]);
  assert.deepEqual(accessFor('GET', '/v2/_catalog', q()), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  assert.equal(
    auth.challenge(pushApp, 'insufficient_scope'),
    `Bearer realm="https://auth.test/token",service="${issuer.service}",scope="repository:app:pull,push",error="insufficient_scope"`,
  );
});

test('REGISTRY_AUTH_TOKEN_* configures token auth; a partial configuration is refused', async () => {
  const env = { REGISTRY_AUTH_TOKEN_REALM: 'http://t/token', REGISTRY_AUTH_TOKEN_SERVICE: 's', REGISTRY_AUTH_TOKEN_ISSUER: 'i', REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE: '/x.pem' };
  const cfg = await loadRegistryConfig(undefined, env);
  assert.deepEqual(cfg.token, { realm: 'http://t/token', service: 's', issuer: 'i', rootCertBundle: '/x.pem' });
  await assert.rejects(loadRegistryConfig(undefined, { REGISTRY_AUTH_TOKEN_REALM: 'http://t/token' }), /auth\.token\.service/);
  const dir = mkdtempSync(join(tmpdir(), 'berth-token-cfg-'));
  try {
    const file = join(dir, 'config.yml');
    writeFileSync(file, 'auth:\n  token:\n    realm: http://t/token\n    service: s\n    issuer: i\n    rootcertbundle: /b.pem\n');
    assert.equal((await loadRegistryConfig(file, {})).token?.rootCertBundle, '/b.pem');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
