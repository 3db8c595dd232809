import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFound, Conflict, BerthError } from '../../../src/lib/errors.js';

test('typed errors carry their kind and class name', () => {
  const e = new NotFound('No such container: abc');
  assert.ok(e instanceof BerthError);
  assert.equal(e.kind, 'not-found');
  assert.equal(e.name, 'NotFound');
  assert.equal(new Conflict('x').kind, 'conflict');
});
