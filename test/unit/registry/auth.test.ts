// htpasswd basic auth: bcrypt verification against published test vectors, and the 401
// challenge the registry answers without credentials.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bcryptHash, bcryptVerify } from '../../../src/distribution/registry/bcrypt.js';
import { testRegistry } from './harness.js';

// OpenBSD/jBCrypt test vectors
const VECTORS: [string, string][] = [
  ['', '$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'],
  ['a', '$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe'],
  ['abc', '$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i'],
  ['abcdefghijklmnopqrstuvwxyz', '$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC'],
];

describe('bcrypt', () => {
  it('reproduces the published hashes', () => {
    for (const [pw, hash] of VECTORS) assert.equal(bcryptHash(pw, hash), hash);
  });

  it('verifies $2y$ (htpasswd -B) hashes and rejects wrong passwords', () => {
    const hash = VECTORS[2][1].replace('$2a$', '$2y$');
    assert.equal(bcryptVerify('abc', hash), true);
    assert.equal(bcryptVerify('abd', hash), false);
    assert.equal(bcryptVerify('abc', '{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0='), false);
  });
});

describe('registry htpasswd auth', () => {
  it('challenges without credentials and serves with them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-auth-'));
    const path = join(dir, 'htpasswd');
    await writeFile(path, `# users\nalice:${VECTORS[2][1].replace('$2a$', '$2y$')}\nbob:{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n`);
    const reg = await testRegistry({ htpasswd: { realm: 'Berth Registry', path } });
    const basic = (u: string, p: string) => ({ Authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64') });
    try {
      const none = await reg.req('GET', '/v2/');
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Basic realm="Berth Registry"');
      assert.equal(none.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.equal(none.json().errors[0].code, 'UNAUTHORIZED');

      assert.equal((await reg.req('GET', '/v2/', undefined, basic('alice', 'wrong'))).status, 401);
      // only bcrypt entries count, as in distribution
      assert.equal((await reg.req('GET', '/v2/', undefined, basic('bob', 'abc'))).status, 401);
      assert.equal((await reg.req('GET', '/v2/', undefined, basic('alice', 'abc'))).status, 200);
      const catalog = await reg.req('GET', '/v2/_catalog', undefined, basic('alice', 'abc'));
      assert.deepEqual(catalog.json(), { repositories: [] });
    } finally {
      await reg.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
