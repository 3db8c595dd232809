// Word expansion beyond the conformance files: unset versus empty variables, ${VAR:?msg} errors,
// pattern removal and replacement, the backtick escape token, and which variables were used.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envLookup, ShellLex } from '../../../src/build/parser/shell-lex.js';

const lex = new ShellLex();

test('${VAR:?msg} rejects unset and empty; ${VAR?msg} rejects only unset', () => {
  const set = envLookup(['VAR=plain', 'ARG=x']);
  const empty = envLookup(['VAR=', 'ARG=x']);
  const unset = envLookup(['ARG=x']);
  assert.equal(lex.processWord('${VAR:?message here$ARG}', set), 'plain');
  assert.throws(() => lex.processWord('${VAR:?message here$ARG}', empty), {
    message: 'failed to process "${VAR:?message here$ARG}": VAR: message herex',
  });
  assert.throws(() => lex.processWord('${VAR:?message here$ARG}', unset), /VAR: message herex/);
  assert.equal(lex.processWord('${VAR?message here$ARG}', set), 'plain');
  assert.equal(lex.processWord('${VAR?message here$ARG}', empty), '');
  assert.throws(() => lex.processWord('${VAR?message here$ARG}', unset), /VAR: message herex/);
});

test('default messages for ${VAR:?} and ${VAR?}', () => {
  assert.throws(() => lex.processWord('${X:?}', envLookup({ X: '' })), { message: 'failed to process "${X:?}": X: is not allowed to be empty' });
  assert.throws(() => lex.processWord('${X?}', envLookup({})), { message: 'failed to process "${X?}": X: is not allowed to be unset' });
});

const cases: Array<{ input: string; env: Record<string, string>; expected?: string; matched?: string[]; unmatched?: string[] }> = [
  { input: 'x ${UNUSED}', env: { DUMMY: 'dummy' }, expected: 'x ', unmatched: ['UNUSED'] },
  { input: '${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx  ccc', matched: ['FOO', 'BAR'], unmatched: ['BAZ'] },
  { input: '${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx bbb ccc' },
  { input: '${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'aaa bbb ' },
  { input: '${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'aaa  ' },
  { input: '${BAR?bbb}', env: { BAR: '' }, expected: '' },
  { input: '${BAR:?bbb}', env: { BAR: '' } },
  { input: '${FOO=aaa}', env: { FOO: 'xxx' } },
  { input: '${FOO#()[]{\\}^$.\\*\\?|\\\\}', env: { FOO: '()[]{}^$.*?|\\x' }, expected: 'x' },
  { input: '${FOO%%\\**}', env: { FOO: 'xx**' }, expected: 'xx' },
  { input: '${FOO#*x*y}', env: { FOO: 'xxyy' }, expected: 'y' },
  { input: '${FOO#*}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO#$BAR}', env: { FOO: 'xxyy', BAR: 'x' }, expected: 'xyy' },
  { input: '${FOO##*x}', env: { FOO: 'xxyy' }, expected: 'yy' },
  { input: '${FOO#?\\?}', env: { FOO: '???y' }, expected: '?y' },
  { input: '${ABC:-.}${FOO%x}${ABC:-.}', env: { FOO: 'xxyy' }, expected: '.xxyy.' },
  { input: '${FOO%%\\**\\*}', env: { FOO: 'a***yy*' }, expected: 'a' },
  { input: '${FOO:#}', env: {} },
  { input: '${FOO:%%}', env: {} },
  { input: '${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', env: { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, expected: '/foo.*/*.txt - /foo..*.txt' },
  { input: '${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', env: { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, expected: '/tmp/bar.txt - /bar.txt' },
  { input: '${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', env: { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, expected: '/foo/b/c.txt - /foo/c.txt' },
  { input: '${FOO/$NEEDLE/$REPLACEMENT}', env: { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, expected: 'https://google.de' },
  { input: '${FOO//\\//\\/}', env: { FOO: '/tmp/foo.txt' }, expected: '\\/tmp\\/foo.txt' },
  { input: '${FOO/$BAR/ww}', env: { FOO: 'xxyy', BAR: '' }, expected: 'wwxxyy' },
  { input: '${FOO//ww}', env: { FOO: 'xxyy' } },
  { input: '${FOO///}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO///}', env: {}, expected: '' },
];

for (const c of cases) {
  test(`expands ${c.input} with ${JSON.stringify(c.env)}`, () => {
    if (c.expected === undefined) {
      assert.throws(() => lex.processWord(c.input, envLookup(c.env)));
      return;
    }
    const r = lex.process(c.input, envLookup(c.env));
    assert.equal(r.result, c.expected);
    if (c.matched) assert.deepEqual([...r.matched].sort(), [...c.matched].sort());
    if (c.unmatched) assert.deepEqual([...r.unmatched].sort(), [...c.unmatched].sort());
  });
}

test('the backtick escape token escapes like the backslash and leaves backslashes literal', () => {
  const bt = new ShellLex({ escapeToken: '`' });
  const env = envLookup({ PWD: '/home' });
  assert.equal(bt.processWord('C:\\dir\\$PWD', env), 'C:\\dir\\/home');
  assert.equal(bt.processWord('a`$PWD', env), 'a$PWD');
  assert.equal(bt.processWord('"a`"b"', env), 'a"b');
  assert.deepEqual(bt.processWords('a` b c', env), ['a b', 'c']);
});

test('skipUnsetEnv leaves references to unset variables as written', () => {
  const keep = new ShellLex({ skipUnsetEnv: true });
  const env = envLookup({ SET: 'v' });
  assert.equal(keep.processWord('$SET $UNSET ${UNSET} ${UNSET:-d}', env), 'v $UNSET ${UNSET} ${UNSET:-d}');
});

test('unterminated braces and bad substitutions fail with Docker messages', () => {
  assert.throws(() => lex.processWord('${PWD', envLookup({})), /failed to process "\$\{PWD": /);
  assert.throws(() => lex.processWord('${}', envLookup({})), { message: 'failed to process "${}": syntax error: bad substitution' });
  assert.throws(() => lex.processWord('${X:-abc', envLookup({})), { message: 'failed to process "${X:-abc": syntax error: missing \'}\'' });
});
