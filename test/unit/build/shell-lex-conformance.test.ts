// BuildKit's word-expansion data: envVarTest (ProcessWord) and wordsTest (ProcessWords), line by line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envLookup, ShellExpansionError, ShellLex } from '../../../src/build/parser/shell-lex.js';
import { BUILDKIT_DIR } from './conformance-data.js';

test('envVarTest: every Unix and all-platform line', () => {
  const lines = readFileSync(join(BUILDKIT_DIR, 'envVarTest'), 'utf8').split('\n');
  const env = envLookup(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL=']);
  const lex = new ShellLex({ escapeToken: '\\' });
  let checked = 0;
  lines.forEach((raw, idx) => {
    if (raw.startsWith('#')) return;
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split('|');
    assert.equal(parts.length, 3, `line ${idx + 1} malformed`);
    const [platform, source, expected] = parts.map((p) => p.trim()) as [string, string, string];
    if (platform !== 'A' && platform !== 'U') return;
    checked++;
    if (expected === 'error') {
      assert.throws(() => lex.processWord(source, env), ShellExpansionError, `line ${idx + 1}: ${source} should fail`);
    } else {
      assert.equal(lex.processWord(source, env), expected, `line ${idx + 1}: ${source}`);
    }
  });
  assert.ok(checked > 200, `only ${checked} lines checked`);
});

test('wordsTest: every line, with ENV lines adding to the environment', () => {
  const lines = readFileSync(join(BUILDKIT_DIR, 'wordsTest'), 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const env: string[] = [];
  const lex = new ShellLex();
  let checked = 0;
  lines.forEach((line, idx) => {
    if (line.startsWith('#')) return;
    if (line.startsWith('ENV ')) {
      env.push(line.slice(3).replace(/^ +/, ''));
      return;
    }
    const parts = line.split('|');
    assert.equal(parts.length, 2, `line ${idx + 1} malformed`);
    const input = parts[0]!.trim();
    const expected = parts[1]!.replace(/^ +/, '').split(',');
    let result: string[];
    try {
      result = lex.processWords(input, envLookup(env));
    } catch {
      result = ['error'];
    }
    assert.deepEqual(result, expected, `line ${idx + 1}: ${input}`);
    checked++;
  });
  assert.ok(checked > 20);
});
