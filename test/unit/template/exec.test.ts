import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerFuncs, parseTemplate, TemplateError } from '../../../src/cli/template/index.js';
import { execCases } from './exec-cases.js';

// Each case runs like Go's testExecute: parse under the case's name, execute, compare output and error.
for (const [i, c] of execCases.entries()) {
  test(`exec ${i}: ${c.name}`, () => {
    let out: string;
    let err: TemplateError | undefined;
    try {
      out = parseTemplate(c.t, { name: c.name, funcs: dockerFuncs }).execute(c.data);
    } catch (e) {
      assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
      err = e;
      out = e.partialOutput ?? '';
    }
    assert.equal(err?.message, c.err, `template ${JSON.stringify(c.t)}`);
    assert.equal(out, c.out, `template ${JSON.stringify(c.t)}`);
  });
}
