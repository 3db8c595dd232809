// BuildKit's own parser test data: every case must dump to its `result`, every negative case must
// be rejected, and instructions must carry the line numbers testfile-line expects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpAst, parseDockerfileAst, DockerfileParseError } from '../../../src/build/parser/parser.js';
import { BUILDKIT_DIR } from './conformance-data.js';

const casesDir = join(BUILDKIT_DIR, 'testfiles');
const negativeDir = join(BUILDKIT_DIR, 'testfiles-negative');

const cases = readdirSync(casesDir).sort();
test('conformance data is present', () => {
  assert.ok(cases.length >= 30, `expected the BuildKit testfiles in ${casesDir}`);
});

for (const name of cases) {
  test(`testfiles/${name} parses to its result`, () => {
    const text = readFileSync(join(casesDir, name, 'Dockerfile'), 'utf8');
    const expected = readFileSync(join(casesDir, name, 'result'), 'utf8');
    assert.equal(dumpAst(parseDockerfileAst(text)), expected);
  });
}

for (const name of readdirSync(negativeDir).sort()) {
  test(`testfiles-negative/${name} is rejected`, () => {
    const text = readFileSync(join(negativeDir, name, 'Dockerfile'), 'utf8');
    assert.throws(() => parseDockerfileAst(text), DockerfileParseError);
  });
}

test('testfile-line: start and end lines of each instruction', () => {
  const ast = parseDockerfileAst(readFileSync(join(BUILDKIT_DIR, 'testfile-line', 'Dockerfile'), 'utf8'));
  assert.equal(ast.startLine, 5);
  assert.equal(ast.endLine, 31);
  assert.deepEqual(
    ast.nodes.map((n) => [n.startLine, n.endLine]),
    [
      [5, 5],
      [11, 12],
      [17, 31],
    ],
  );
});
