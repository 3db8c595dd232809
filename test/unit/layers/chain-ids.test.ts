// Chain IDs: the identity of a layer together with everything under it (moby's layer.CreateChainID).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainIdOf, chainIdsOf } from '../../../src/layers/store.js';

const a = 'sha256:' + 'a'.repeat(64);
const b = 'sha256:' + 'b'.repeat(64);
const c = 'sha256:' + 'c'.repeat(64);

test('the first layer is its own chain; each next one hashes "parentChain diffID"', () => {
  const ab = 'sha256:' + createHash('sha256').update(`${a} ${b}`).digest('hex');
  const abc = 'sha256:' + createHash('sha256').update(`${ab} ${c}`).digest('hex');
  assert.equal(chainIdOf([a]), a);
  assert.equal(chainIdOf([a, b, c]), abc);
  assert.deepEqual(chainIdsOf([a, b, c]), [a, ab, abc]);
  assert.deepEqual(chainIdsOf([]), []);
  assert.equal(chainIdOf([]), undefined);
});
