// Pure parts of the builder: .dockerignore matching (moby patternmatcher cases), cache keys,
// the stage plan (skips, numbering), build-arg rules and the ordered output of concurrent stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternMatcher, readDockerignore } from '../../../src/build/context/dockerignore.js';
import { globToRegExp } from '../../../src/build/context/glob.js';
import { cacheKey } from '../../../src/build/cache.js';
import { planBuild } from '../../../src/build/stage-graph.js';
import { BuildArgs, StageArgs } from '../../../src/build/build-args.js';
import { OrderedOutput, type JsonMessage } from '../../../src/build/output.js';
import { parseDockerfile } from '../../../src/build/parser/instructions.js';

test('.dockerignore matching follows moby patternmatcher', () => {
  const cases: [string[], string, boolean][] = [
    [['**'], 'file', true],
    [['**'], 'file/', true],
    [['**/'], 'dir/file', true],
    [['**/file'], 'file', true],
    [['**/file'], 'dir/file', true],
    [['**/file'], 'dir/dir/file', true],
    [['**/*'], 'dir/file', true],
    [['**/file'], 'dir/dir/filepath', false],
    [['dir/**'], 'dir/file', true],
    [['dir/**'], 'dir/dir2/file', true],
    [['dir/**/file'], 'dir/dir2/file', true],
    [['dir/**/file'], 'dir/file', true],
    [['**.txt'], 'file.txt', true],
    [['**.txt'], 'dir/file.txt', true],
    [['a**.txt'], 'a.txt', true],
    [['*.go'], 'sub/x.go', false],
    [['*.go'], 'x.go', true],
    [['foo?'], 'foo1', true],
    [['foo?'], 'foo12', false],
    [['[a-c]x'], 'bx', true],
    [['abc.def'], 'abcZdef', false],
    [['abc+'], 'abcc', false],
    [['vendor'], 'vendor/a/b', true],
    [['docs', '!docs/keep.md'], 'docs/keep.md', false],
    [['docs', '!docs/keep.md'], 'docs/other.md', true],
    [['*.log', '!keep.log', 'keep.log'], 'keep.log', true],
    [['**/.DS_Store'], 'a/b/.DS_Store', true],
    [['**/.DS_Store'], 'a/b/.DS_Storeeee', false],
    [['data/**', '!data/must-exist'], 'data/must-exist', false],
    [['data/**', '!data/must-exist'], 'data/aaa/bbb', true],
  ];
  for (const [patterns, path, want] of cases) {
    assert.equal(new PatternMatcher(patterns).matches(path), want, `${JSON.stringify(patterns)} ${path}`);
  }
  assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern: "!"/);
});

test('.dockerignore files: comments, cleaning, leading slash, exceptions', () => {
  assert.deepEqual(readDockerignore('# comment\n/foo/../bar\n  baz/  \n!keep\n\n./x\n'), ['bar', 'baz', '!keep', 'x']);
});

test('COPY globs do not cross directories', () => {
  assert.ok(globToRegExp('x*.conf').test('x1.conf'));
  assert.ok(!globToRegExp('x*.conf').test('d/x1.conf'));
  assert.ok(globToRegExp('d/?.txt').test('d/a.txt'));
  assert.ok(globToRegExp('[ab].txt').test('b.txt'));
});

test('cache keys change with parent, instruction, args and content only', () => {
  const base = { parent: 'sha256:p', createdBy: '/bin/sh -c make', args: ['A=1'], contents: ['h1'] };
  const k = cacheKey(base);
  assert.equal(cacheKey({ ...base, args: ['A=1'] }), k);
  assert.notEqual(cacheKey({ ...base, parent: 'sha256:q' }), k);
  assert.notEqual(cacheKey({ ...base, createdBy: '/bin/sh -c make all' }), k);
  assert.notEqual(cacheKey({ ...base, args: ['A=2'] }), k);
  assert.notEqual(cacheKey({ ...base, contents: ['h2'] }), k);
  assert.equal(cacheKey({ ...base, args: ['B=2', 'A=1'] }), cacheKey({ ...base, args: ['A=1', 'B=2'] }));
});

test('the plan skips stages the target does not need and numbers only the steps that run', () => {
  const df = parseDockerfile(
    'FROM busybox AS a\nRUN x\nFROM busybox AS unused\nRUN y\nFROM a AS b\nRUN z\nFROM busybox\nCOPY --from=b /x /x\nCOPY --from=0 /y /y\n',
  );
  const plan = planBuild(df.stages, df.stages.map((s) => s.baseName), '');
  assert.deepEqual(plan.run, [0, 2, 3]);
  assert.deepEqual(plan.skipped, [1]);
  assert.equal(plan.totalSteps, 2 + 2 + 3);
  assert.deepEqual(plan.run.map((i) => plan.stages[i]!.firstStep), [1, 3, 5]);
  assert.deepEqual(plan.stages[3]!.deps, [0, 2]);
  assert.equal(plan.stages[2]!.baseStage, 0);
  const t = planBuild(df.stages, df.stages.map((s) => s.baseName), 'a');
  assert.deepEqual(t.run, [0]);
  assert.throws(() => planBuild(df.stages, df.stages.map((s) => s.baseName), 'nope'), /failed to reach build target nope in Dockerfile/);
});

test('build args: overrides, defaults, meta values, ENV precedence, proxies and unused ones', () => {
  const args = new BuildArgs({ V: 'cli', http_proxy: 'http://p', EXTRA: 'x' });
  args.declareMeta({ key: 'BASE', value: 'busybox' });
  const s = new StageArgs(args);
  s.declare({ key: 'V', value: 'default' });
  s.declare({ key: 'D', value: 'dflt' });
  s.declare({ key: 'BASE' });
  assert.deepEqual(s.inEffect(), [['V', 'cli'], ['D', 'dflt'], ['BASE', 'busybox']]);
  const run = s.forRun(['PATH=/bin', 'D=fromenv']);
  assert.deepEqual(run.env, ['V=cli', 'BASE=busybox', 'http_proxy=http://p']);
  assert.equal(run.historyPrefix, '|2 BASE=busybox V=cli ');
  assert.deepEqual(args.unconsumed(), ['EXTRA']);
});

test('concurrent stages are emitted in order as whole blocks', () => {
  const seen: JsonMessage[] = [];
  const out = new OrderedOutput(3, (m) => seen.push(m));
  out.at(1).stream('b1\n');
  out.at(2).stream('c1\n');
  out.at(0).stream('a1\n');
  out.finish(2);
  out.at(1).stream('b2\n');
  assert.deepEqual(seen.map((m) => m.stream), ['a1\n']);
  out.finish(0);
  assert.deepEqual(seen.map((m) => m.stream), ['a1\n', 'b1\n', 'b2\n']);
  out.finish(1);
  assert.deepEqual(seen.map((m) => m.stream), ['a1\n', 'b1\n', 'b2\n', 'c1\n']);
});
