// Docker token auth in Berth's registry: the registry (its own process, configured through
// REGISTRY_AUTH_TOKEN_*) trusts tokens signed by a test issuer's key, which a minimal token server
// in this process hands out to htpasswd-style users. docker login, push and pull go through berthd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, freePort } from './harness.js';
import { berthRegistry, dockerAsync, kill, tokenIssuer, tokenServer, type TokenIssuer } from './registry-helpers.js';

let d: TestDaemon;
let issuer: TokenIssuer;
let tokens: { url: string; close(): Promise<void> };
let base: string;
let host: string;
const children: ChildProcess[] = [];

// alice may push and pull team/*; reader may only pull team/*; stranger owns elsewhere/* only.
const users = { alice: 'alice-pw', reader: 'reader-pw', stranger: 'stranger-pw' };
function grant(user: string | undefined, type: string, name: string, asked: string[]): string[] {
  if (type !== 'repository') return [];
  if (name.startsWith('team/') && user === 'alice') return asked;
  if (name.startsWith('team/') && user === 'reader') return asked.filter((a) => a === 'pull');
  if (name.startsWith('elsewhere/') && user === 'stranger') return asked;
  return [];
}

before(async () => {
  d = new TestDaemon();
  await d.start();
  const imp = d.docker(['import', '-c', 'CMD ["sh"]', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
  issuer = tokenIssuer(join(d.root, 'token'));
  tokens = await tokenServer(issuer, users, grant);
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  base = `http://${host}`;
  await berthRegistry(children, join(d.root, 'registry'), port, {
    REGISTRY_AUTH_TOKEN_REALM: tokens.url,
    REGISTRY_AUTH_TOKEN_SERVICE: issuer.service,
    REGISTRY_AUTH_TOKEN_ISSUER: issuer.issuer,
    REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE: issuer.certFile,
  });
});

after(async () => {
  for (const c of children) await kill(c);
  await tokens?.close();
  await d?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const token = (access: { type: string; name: string; actions: string[] }[], extra: Record<string, unknown> = {}) =>
  issuer.sign({ iss: issuer.issuer, aud: issuer.service, exp: now() + 300, nbf: now() - 1, access, ...extra });

test('requests without a good token get 401 UNAUTHORIZED and a Bearer challenge with the scope', async () => {
  const ping = await fetch(`${base}/v2/`);
  assert.equal(ping.status, 401);
  assert.equal(ping.headers.get('www-authenticate'), `Bearer realm="${tokens.url}",service="${issuer.service}"`);

  const anon = await fetch(`${base}/v2/team/app/manifests/v1`);
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate')!, /scope="repository:team\/app:pull"/);
  assert.equal(((await anon.json()) as any).errors[0].code, 'UNAUTHORIZED');

  const expired = token([{ type: 'repository', name: 'team/app', actions: ['pull'] }], { exp: now() - 3600 });
  const old = await fetch(`${base}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${expired}` } });
  assert.equal(old.status, 401);
  assert.match(old.headers.get('www-authenticate')!, /error="invalid_token"/);

  const pullOnly = token([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  const upload = await fetch(`${base}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${pullOnly}` } });
  assert.equal(upload.status, 401);
  assert.match(upload.headers.get('www-authenticate')!, /scope="repository:team\/app:pull,push",error="insufficient_scope"/);
  assert.equal(((await upload.json()) as any).errors[0].code, 'UNAUTHORIZED');

  const otherRepo = token([{ type: 'repository', name: 'elsewhere/app', actions: ['pull', 'push'] }]);
  const cross = await fetch(`${base}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${otherRepo}` } });
  assert.equal(cross.status, 401);
  assert.match(cross.headers.get('www-authenticate')!, /error="insufficient_scope"/);

  // A token granting the action gets through to the registry itself (no such repository yet).
  const ok = await fetch(`${base}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${pullOnly}` } });
  assert.equal(ok.status, 404);
  assert.equal(((await ok.json()) as any).errors[0].code, 'NAME_UNKNOWN');
});

test('docker login, push and pull through berthd with tokens; pull-only and other-repository users cannot push', async () => {
  const name = `${host}/team/app:v1`;
  assert.equal(d.docker(['tag', 'busybox', name]).code, 0);
  const anon = await dockerAsync(d, ['push', name]);
  assert.notEqual(anon.code, 0);

  const bad = await dockerAsync(d, ['login', '-u', 'alice', '-p', 'wrong', host]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unauthorized|401/i);

  const login = await dockerAsync(d, ['login', '-u', 'alice', '-p', users.alice, host]);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const push = await dockerAsync(d, ['push', name]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, /v1: digest: sha256:[0-9a-f]{64}/);
  assert.equal(d.docker(['rmi', name]).code, 0);

  const reader = await dockerAsync(d, ['login', '-u', 'reader', '-p', users.reader, host]);
  assert.equal(reader.code, 0, reader.stderr);
  const pull = await dockerAsync(d, ['pull', name]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  const run = await dockerAsync(d, ['run', '--rm', name, 'echo', 'token-ok']);
  assert.equal(run.stdout.trim(), 'token-ok', run.stderr);
  assert.equal(d.docker(['tag', name, `${host}/team/app:v2`]).code, 0);
  const readerPush = await dockerAsync(d, ['push', `${host}/team/app:v2`]);
  assert.notEqual(readerPush.code, 0, readerPush.stdout);
  assert.match(readerPush.stderr, /denied/);

  const stranger = await dockerAsync(d, ['login', '-u', 'stranger', '-p', users.stranger, host]);
  assert.equal(stranger.code, 0, stranger.stderr);
  const strangerPush = await dockerAsync(d, ['push', `${host}/team/app:v2`]);
  assert.notEqual(strangerPush.code, 0);
  assert.match(strangerPush.stderr, /denied/);
  assert.equal(d.docker(['rmi', name]).code, 0);
  const strangerPull = await dockerAsync(d, ['pull', name]);
  assert.notEqual(strangerPull.code, 0);
  assert.match(strangerPull.stderr, /denied|unauthorized/i);
  // Its own repository works.
  assert.equal(d.docker(['tag', `${host}/team/app:v2`, `${host}/elsewhere/app:v1`]).code, 0);
  const own = await dockerAsync(d, ['push', `${host}/elsewhere/app:v1`]);
  assert.equal(own.code, 0, own.stderr + own.stdout);
});
