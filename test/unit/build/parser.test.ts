// The Dockerfile AST: heredocs, parser directives, continuation warnings, comments and parse
// errors that name their line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chompHeredocContent,
  dumpAst,
  parseDockerfileAst,
  parseHeredocWord,
  DockerfileParseError,
} from '../../../src/build/parser/parser.js';

test('heredocs: names, file descriptors, chomp, expansion and bodies', () => {
  const df = [
    'FROM alpine',
    'RUN <<EMPTY',
    'EMPTY',
    'RUN 3<<EMPTY2',
    'EMPTY2',
    'RUN "<<NOHEREDOC"',
    'RUN <<-UNINDENT2',
    '\tbaz',
    '\tquux',
    '\tUNINDENT2',
    "RUN <<-'NOEXPAND'",
    "\tdon't expand $NAME",
    'NOEXPAND',
    'RUN --mount=type=cache,target=/foo <<MOUNT',
    '# internal comment',
    'echo hello',
    'MOUNT',
    'COPY <<FILE1 <<FILE2 /dest',
    'content 1',
    'FILE1',
    'content 2',
    'FILE2',
    "RUN <<eo'f'",
    'echo foo',
    'eof',
    "RUN <<eo\\'f",
    'echo foo',
    "eo'f",
    "RUN <<'one two'",
    'echo bar',
    'one two',
    'RUN <<  EOF  > foo',
    'EOF',
    'USER <<INVALID',
    '',
  ].join('\n');
  const ast = parseDockerfileAst(df);
  const docs = ast.nodes.map((n) => n.heredocs);
  assert.deepEqual(docs[1], [{ name: 'EMPTY', fileDescriptor: 0, expand: true, chomp: false, content: '' }]);
  assert.deepEqual(docs[2], [{ name: 'EMPTY2', fileDescriptor: 3, expand: true, chomp: false, content: '' }]);
  assert.deepEqual(docs[3], []);
  assert.deepEqual(docs[4], [{ name: 'UNINDENT2', fileDescriptor: 0, expand: true, chomp: true, content: '\tbaz\n\tquux\n' }]);
  assert.deepEqual(docs[5], [{ name: 'NOEXPAND', fileDescriptor: 0, expand: false, chomp: true, content: "\tdon't expand $NAME\n" }]);
  assert.equal(docs[6]![0]!.content, '# internal comment\necho hello\n');
  assert.deepEqual(ast.nodes[6]!.flags, ['--mount=type=cache,target=/foo']);
  assert.deepEqual(
    docs[7]!.map((d) => [d.name, d.content]),
    [
      ['FILE1', 'content 1\n'],
      ['FILE2', 'content 2\n'],
    ],
  );
  assert.deepEqual([docs[8]![0]!.name, docs[8]![0]!.expand], ['eof', false]);
  assert.deepEqual([docs[9]![0]!.name, docs[9]![0]!.expand], ["eo'f", true]);
  assert.deepEqual([docs[10]![0]!.name, docs[10]![0]!.expand], ['one two', false]);
  assert.equal(docs[11]![0]!.name, 'EOF');
  assert.deepEqual(docs[12], [], 'USER takes no heredoc');
  assert.deepEqual(
    ast.nodes.slice(0, 3).map((n) => [n.startLine, n.endLine]),
    [
      [1, 1],
      [2, 3],
      [4, 5],
    ],
  );
});

test('heredoc markers inside JSON arrays are plain arguments', () => {
  const ast = parseDockerfileAst('FROM alpine\nRUN ["<<EOF"]\nRUN ["whoami"]\n');
  assert.deepEqual(ast.nodes[1]!.heredocs, []);
  assert.deepEqual(ast.nodes[1]!.args, ['<<EOF']);
  assert.equal(ast.nodes.length, 3);
});

test('an unterminated heredoc is an error naming its instruction line', () => {
  assert.throws(() => parseDockerfileAst('FROM alpine\nRUN <<EOF\necho hi\n'), (err: unknown) => {
    assert.ok(err instanceof DockerfileParseError);
    assert.equal(err.line, 2);
    assert.equal(err.message, 'dockerfile parse error on line 2: unterminated heredoc');
    return true;
  });
});

test('heredoc words', () => {
  for (const w of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<EO"F"', '<< EOF', '<<- EOF']) {
    assert.equal(parseHeredocWord(w)?.name, 'EOF', w);
  }
  for (const w of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF', '<<EOF sh']) assert.equal(parseHeredocWord(w), undefined, w);
  for (const w of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) assert.throws(() => parseHeredocWord(w), w);
  assert.equal(chompHeredocContent('\thello\n\t\tworld\n'), 'hello\nworld\n');
});

test('empty continuation lines give warnings; comment lines inside continuations do not', () => {
  const df = `
FROM alpine:3.6

RUN valid \\
    continuation

RUN something \\

    following \\

    more

RUN another \\

    thing

RUN non-indented \\
# this is a comment
   after-comment

RUN indented \\
    # this is an indented comment
    comment
	`;
  const ast = parseDockerfileAst(df);
  assert.equal(ast.warnings.length, 2);
  assert.match(ast.warnings[0]!.message, /^Empty continuation line found in: RUN something {5}following {5}more/);
  assert.match(ast.warnings[1]!.message, /RUN another {5}thing/);
  assert.match(ast.warnings[0]!.detail, /will become errors in a future release/);
  assert.equal(ast.nodes[4]!.original, 'RUN non-indented    after-comment');
});

test('parser directives: escape, syntax and check only at the top of the file', () => {
  const ast = parseDockerfileAst('# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM scratch\nRUN echo a `\n  b\n');
  assert.deepEqual(ast.directives, { syntax: 'docker/dockerfile:1', escape: '`', check: 'skip=all' });
  assert.equal(ast.escapeToken, '`');
  assert.deepEqual(ast.nodes[1]!.args, ['echo a   b']);

  const late = parseDockerfileAst('FROM scratch\n# escape=`\nRUN echo a \\\n  b\n');
  assert.equal(late.escapeToken, '\\');
  assert.deepEqual(late.directives, {});
  assert.deepEqual(late.nodes[1]!.args, ['echo a   b']);

  const afterComment = parseDockerfileAst('# a comment\n# escape=`\nFROM scratch\n');
  assert.equal(afterComment.escapeToken, '\\');

  assert.throws(() => parseDockerfileAst('# escape=x\nFROM scratch\n'), {
    message: "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\",
  });
  assert.throws(() => parseDockerfileAst('# escape=\\\n# escape=`\nFROM scratch\n'), {
    message: 'dockerfile parse error on line 2: only one escape parser directive can be used',
  });
});

test('comments directly above an instruction are kept with it; a BOM is ignored', () => {
  const ast = parseDockerfileAst('\ufeff# base image\n# pinned\nFROM alpine\n\n#\n# unrelated\nRUN true\n');
  assert.deepEqual(ast.nodes[0]!.comments, ['base image', 'pinned']);
  assert.deepEqual(ast.nodes[1]!.comments, ['unrelated']);
  assert.equal(ast.nodes[0]!.directive, 'FROM');
});

test('flags, quoting in flags and the -- terminator', () => {
  const ast = parseDockerfileAst('FROM a\nCOPY --from=build --chown="user name" -- --weird /dst\nRUN --network=none echo hi\n');
  assert.deepEqual(ast.nodes[1]!.flags, ['--from=build', '--chown=user name']);
  assert.deepEqual(ast.nodes[1]!.args, ['--weird', '/dst']);
  assert.equal(dumpAst(ast).split('\n')[2], '(run ["--network=none"] "echo hi")');
});

test('JSON arrays must hold only strings', () => {
  assert.throws(() => parseDockerfileAst('FROM a\nCMD ["echo", 1]\n'), {
    message: 'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only',
  });
  // Not valid JSON: shell form.
  assert.deepEqual(parseDockerfileAst("FROM a\nCMD ['echo']\n").nodes[1]!.args, ["['echo']"]);
});

test('errors name the line: empty file, ENV without value, bad ENV pair, over-long line', () => {
  assert.throws(() => parseDockerfileAst('# only a comment\n\n'), /file with no instructions/);
  assert.throws(() => parseDockerfileAst('FROM a\n\nENV PATH\n'), {
    message: 'dockerfile parse error on line 3: ENV must have two arguments',
  });
  assert.throws(() => parseDockerfileAst('FROM a\nLABEL a=b c\n'), {
    message: 'dockerfile parse error on line 2: Syntax error - can\'t find = in "c". Must be of the form: name=value',
  });
  assert.throws(() => parseDockerfileAst(`FROM a\nLABEL test=${'a'.repeat(65536)}\n`), /dockerfile line greater than max allowed size of 65535/);
});

test('ENV and LABEL keep quotes for expansion; legacy form keeps the whole rest', () => {
  const ast = parseDockerfileAst('FROM a\nENV A="x y" B=z\nENV LEGACY some value here\n');
  assert.deepEqual(ast.nodes[1]!.args, ['A', '"x y"', '=', 'B', 'z', '=']);
  assert.deepEqual(ast.nodes[2]!.args, ['LEGACY', 'some value here', '']);
});
