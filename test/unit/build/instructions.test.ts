// Typed instructions and stages: flags, forms, Docker's validation messages with line numbers,
// ONBUILD restrictions, HEALTHCHECK options, and which instructions get build-time expansion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expandInstruction,
  parseDockerfile,
  type AddInstruction,
  type CopyInstruction,
  type Instruction,
  type RunInstruction,
} from '../../../src/build/parser/instructions.js';
import { envLookup } from '../../../src/build/parser/shell-lex.js';
import { InvalidParameter } from '../../../src/lib/errors.js';

function only(text: string): Instruction {
  const df = parseDockerfile('FROM scratch\n' + text);
  assert.equal(df.stages[0]!.instructions.length, 1);
  return df.stages[0]!.instructions[0]!;
}

function rejects(text: string, message: string): void {
  assert.throws(() => parseDockerfile(text), (err: unknown) => {
    assert.ok(err instanceof InvalidParameter, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

test('stages, meta ARGs, stage names and platform', () => {
  const df = parseDockerfile(
    'ARG BASE=alpine\nARG TAG\nFROM --platform=$BUILDPLATFORM ${BASE}:${TAG} AS Build\nRUN make\nFROM scratch\nCOPY --from=build /out /\n',
  );
  assert.deepEqual(
    df.metaArgs.map((a) => a.args),
    [[{ key: 'BASE', value: 'alpine' }], [{ key: 'TAG' }]],
  );
  assert.equal(df.stages.length, 2);
  assert.deepEqual([df.stages[0]!.name, df.stages[0]!.baseName, df.stages[0]!.platform], ['build', '${BASE}:${TAG}', '$BUILDPLATFORM']);
  assert.equal(df.stages[1]!.name, '');
  assert.equal(df.stages[0]!.instructions[0]!.kind, 'RUN');
  assert.equal((df.stages[1]!.instructions[0] as CopyInstruction).from, 'build');
});

test('instruction errors are worded as Docker words them and name the line', () => {
  rejects('FROM a\nRUN x\nFOOBAR baz\n', 'dockerfile parse error on line 3: unknown instruction: FOOBAR');
  rejects('FROM a\nRUNN x\n', 'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)');
  rejects('FROM a\nENV =x\n', 'dockerfile parse error on line 2: ENV names can not be blank');
  rejects('FROM a\nCOPY --chwon=1 a b\n', 'dockerfile parse error on line 2: unknown flag: --chwon (did you mean chown?)');
  rejects('FROM a\nCOPY --from a b\n', 'dockerfile parse error on line 2: missing a value on flag: --from');
  rejects('FROM a\nCOPY --link=maybe a b\n', 'dockerfile parse error on line 2: expecting boolean value for flag --link, not: maybe');
  rejects('FROM a\nCOPY --from=x --from=y a b\n', 'dockerfile parse error on line 2: duplicate flag specified: --from');
  rejects('FROM a\nCOPY onlyone\n', 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined');
  rejects('FROM a\nWORKDIR\n', 'dockerfile parse error on line 2: WORKDIR requires exactly one argument');
  rejects('FROM a\nEXPOSE\n', 'dockerfile parse error on line 2: EXPOSE requires at least one argument');
  rejects('FROM a\nSHELL /bin/sh -c\n', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form');
  rejects('FROM a\nARG =1\n', 'dockerfile parse error on line 2: ARG names can not be blank');
  rejects('FROM a b\n', 'dockerfile parse error on line 1: FROM requires either one or three arguments');
  rejects('FROM a AS 1st\n', 'dockerfile parse error on line 1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols');
  rejects('FROM a\nRUN --network=bridge true\n', 'dockerfile parse error on line 2: invalid network mode "bridge"');
  rejects('RUN true\n', 'dockerfile parse error on line 1: no build stage in current context');
  rejects('FROM a\nCOPY <<EOF <<EOF2\nx\nEOF\ny\nEOF2\n', 'dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination');
});

test('RUN: shell and exec forms, heredoc files, mounts, network and security', () => {
  const shell = only('RUN --mount=type=cache,target=/root/.cache,id=pip --network=none apt-get install -y x\n') as RunInstruction;
  assert.deepEqual(shell.cmdLine, ['apt-get install -y x']);
  assert.equal(shell.prependShell, true);
  assert.equal(shell.network, 'none');
  assert.equal(shell.security, 'sandbox');
  assert.equal(shell.mounts.length, 1);
  assert.deepEqual(
    [shell.mounts[0]!.type, shell.mounts[0]!.target, shell.mounts[0]!.cacheId, shell.mounts[0]!.readOnly],
    ['cache', '/root/.cache', 'pip', false],
  );
  const exec = only('RUN ["echo", "a b"]\n') as RunInstruction;
  assert.deepEqual([exec.cmdLine, exec.prependShell], [['echo', 'a b'], false]);
  const doc = only('RUN <<EOF bash\necho $HOME\nEOF\n') as RunInstruction;
  assert.deepEqual(doc.cmdLine, ['<<EOF bash']);
  assert.deepEqual(doc.files, [{ name: 'EOF', data: 'echo $HOME\n', chomp: false }]);
  const secret = only('RUN --mount=type=secret,id=tok,env=TOKEN,required true\n') as RunInstruction;
  assert.deepEqual([secret.mounts[0]!.type, secret.mounts[0]!.env, secret.mounts[0]!.required, secret.mounts[0]!.readOnly], ['secret', 'TOKEN', true, true]);
  rejects('FROM a\nRUN --mount=type=bind,from=$X true\n', "dockerfile parse error on line 2: 'from' doesn't support variable expansion, define alias stage instead");
  rejects('FROM a\nRUN --mount=type=volume true\n', 'dockerfile parse error on line 2: unsupported mount type "volume"');
  rejects('FROM a\nRUN --mount=type=bind,mode=0700 true\n', 'dockerfile parse error on line 2: mode not allowed for "bind" type mounts');
});

test('COPY and ADD flags, heredoc sources with <<- tab stripping', () => {
  const copy = only('COPY --from=build --chown=1:1 --chmod=644 --link --parents --exclude=*.md --exclude=tmp a b /dst/\n') as CopyInstruction;
  assert.deepEqual(
    [copy.from, copy.chown, copy.chmod, copy.link, copy.parents, copy.excludes, copy.sourcePaths, copy.dest],
    ['build', '1:1', '644', true, true, ['*.md', 'tmp'], ['a', 'b'], '/dst/'],
  );
  const json = only('COPY ["a b", "/c d/"]\n') as CopyInstruction;
  assert.deepEqual([json.sourcePaths, json.dest], [['a b'], '/c d/']);
  const add = only('ADD --checksum=sha256:abc --keep-git-dir=false https://x/y.tgz /y\n') as AddInstruction;
  assert.deepEqual([add.checksum, add.keepGitDir, add.unpack, add.sourcePaths], ['sha256:abc', false, undefined, ['https://x/y.tgz']]);
  const doc = only("COPY <<-EOF <<'RAW' /etc/\n\tindented $X\n\tEOF\nkeep $X\nRAW\n") as CopyInstruction;
  assert.deepEqual(doc.sourcePaths, []);
  assert.deepEqual(doc.sourceContents, [
    { path: 'EOF', data: 'indented $X\n', expand: true },
    { path: 'RAW', data: 'keep $X\n', expand: false },
  ]);
  assert.equal(doc.dest, '/etc/');
});

test('ENV, LABEL and ARG: pairs, legacy form, several names', () => {
  const env = only('ENV A=1 B="two words" C=\n');
  assert.equal(env.kind, 'ENV');
  if (env.kind === 'ENV') {
    assert.deepEqual(env.env, [
      { key: 'A', value: '1', noDelim: false },
      { key: 'B', value: '"two words"', noDelim: false },
      { key: 'C', value: '', noDelim: false },
    ]);
  }
  const legacy = only('ENV PATH /usr/bin:/bin\n');
  if (legacy.kind === 'ENV') assert.deepEqual(legacy.env, [{ key: 'PATH', value: '/usr/bin:/bin', noDelim: true }]);
  const label = only('LABEL org.opencontainers.image.title="My app" version=1\n');
  if (label.kind === 'LABEL') assert.deepEqual(label.labels.map((l) => l.key), ['org.opencontainers.image.title', 'version']);
  const arg = only('ARG A B=2 C=\n');
  if (arg.kind === 'ARG') assert.deepEqual(arg.args, [{ key: 'A' }, { key: 'B', value: '2' }, { key: 'C', value: '' }]);
});

test('EXPOSE sorts ports; VOLUME takes JSON or words; SHELL takes JSON only', () => {
  const expose = only('EXPOSE 8080/tcp 443 53/udp\n');
  if (expose.kind === 'EXPOSE') assert.deepEqual(expose.ports, ['443', '53/udp', '8080/tcp']);
  const vol = only('VOLUME ["/a", "/b c"]\n');
  if (vol.kind === 'VOLUME') assert.deepEqual(vol.volumes, ['/a', '/b c']);
  const vol2 = only('VOLUME /a /b\n');
  if (vol2.kind === 'VOLUME') assert.deepEqual(vol2.volumes, ['/a', '/b']);
  const sh = only('SHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n');
  if (sh.kind === 'SHELL') assert.deepEqual(sh.shell, ['/bin/bash', '-eo', 'pipefail', '-c']);
  const ep = only('ENTRYPOINT []\n');
  if (ep.kind === 'ENTRYPOINT') assert.equal(ep.cmdLine, null);
  const cmd = only('CMD echo "hi there"\n');
  if (cmd.kind === 'CMD') assert.deepEqual([cmd.cmdLine, cmd.prependShell], [['echo "hi there"'], true]);
});

test('ONBUILD keeps its trigger and refuses ONBUILD, FROM and MAINTAINER triggers', () => {
  const ob = only('ONBUILD RUN --mount=type=cache,target=/c make\n');
  assert.equal(ob.kind, 'ONBUILD');
  if (ob.kind === 'ONBUILD') {
    assert.equal(ob.expression, 'RUN --mount=type=cache,target=/c make');
    assert.equal(ob.trigger?.kind, 'RUN');
    assert.deepEqual((ob.trigger as RunInstruction).cmdLine, ['make']);
  }
  const doc = only('onbuild COPY <<EOF /x\nhello\nEOF\n');
  if (doc.kind === 'ONBUILD') {
    assert.equal(doc.expression, 'COPY <<EOF /x\nhello\nEOF');
    assert.deepEqual((doc.trigger as CopyInstruction).sourceContents, [{ path: 'EOF', data: 'hello\n', expand: true }]);
  }
  rejects('FROM a\nONBUILD ONBUILD RUN x\n', "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  rejects('FROM a\nONBUILD FROM b\n', "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger");
  rejects('FROM a\nONBUILD maintainer me\n', "dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger");
  rejects('FROM a\nONBUILD\n', 'dockerfile parse error on line 2: ONBUILD requires at least one argument');
});

test('HEALTHCHECK: durations as Go parses them, retries, NONE and CMD forms', () => {
  const hc = only('HEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=100ms --start-interval=2s --retries=3 CMD curl -f http://localhost/\n');
  assert.equal(hc.kind, 'HEALTHCHECK');
  if (hc.kind === 'HEALTHCHECK') {
    assert.deepEqual(hc.health, {
      test: ['CMD-SHELL', 'curl -f http://localhost/'],
      interval: 90e9,
      timeout: 1.5e9,
      startPeriod: 100e6,
      startInterval: 2e9,
      retries: 3,
    });
  }
  const exec = only('HEALTHCHECK CMD ["/bin/check", "--fast"]\n');
  if (exec.kind === 'HEALTHCHECK') assert.deepEqual(exec.health.test, ['CMD', '/bin/check', '--fast']);
  const none = only('HEALTHCHECK NONE\n');
  if (none.kind === 'HEALTHCHECK') assert.deepEqual(none.health.test, ['NONE']);
  const zero = only('HEALTHCHECK --interval=0s CMD true\n');
  if (zero.kind === 'HEALTHCHECK') assert.equal(zero.health.interval, 0);

  rejects('FROM a\nHEALTHCHECK --interval=500us CMD true\n', 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms');
  rejects('FROM a\nHEALTHCHECK --timeout=-1s CMD true\n', 'dockerfile parse error on line 2: Interval "timeout" cannot be less than 1ms');
  rejects('FROM a\nHEALTHCHECK --interval=5 CMD true\n', 'dockerfile parse error on line 2: time: missing unit in duration "5"');
  rejects('FROM a\nHEALTHCHECK --interval=5d CMD true\n', 'dockerfile parse error on line 2: time: unknown unit "d" in duration "5d"');
  rejects('FROM a\nHEALTHCHECK --interval=abc CMD true\n', 'dockerfile parse error on line 2: time: invalid duration "abc"');
  rejects('FROM a\nHEALTHCHECK --retries=-1 CMD true\n', 'dockerfile parse error on line 2: --retries cannot be negative (-1)');
  rejects('FROM a\nHEALTHCHECK --retries=x CMD true\n', 'dockerfile parse error on line 2: strconv.ParseInt: parsing "x": invalid syntax');
  rejects('FROM a\nHEALTHCHECK NONE extra\n', 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments');
  rejects('FROM a\nHEALTHCHECK CMD\n', 'dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD');
  rejects('FROM a\nHEALTHCHECK --interval=5s TEST x\n', 'dockerfile parse error on line 2: Unknown type "TEST" in HEALTHCHECK (try CMD)');
  rejects('FROM a\nHEALTHCHECK --intervl=5s CMD x\n', 'dockerfile parse error on line 2: unknown flag: --intervl (did you mean interval?)');
});

test('expandInstruction expands what Docker expands and leaves command lines alone', () => {
  const df = parseDockerfile(
    [
      'ARG V=3.19',
      'FROM alpine:${V}',
      'ENV DIR=/app NAME="my app"',
      'WORKDIR $DIR/src',
      'COPY --chown=${USERID:-1000} <<EOF <<\'RAW\' ${DIR}/',
      'name=$NAME "quoted"',
      'EOF',
      'raw=$NAME',
      'RAW',
      'RUN --mount=type=cache,target=$DIR/cache echo $DIR',
      'CMD echo $DIR',
      'EXPOSE $PORTS',
      'USER ${U:-nobody}',
      'LABEL "$NAME"=yes',
      'VOLUME $DIR/data',
      'STOPSIGNAL $SIG',
      'ONBUILD RUN echo $DIR',
      '',
    ].join('\n'),
  );
  const env = envLookup({ DIR: '/app', NAME: 'my app', PORTS: '80/tcp  443', SIG: 'SIGTERM' });
  const from = expandInstruction(df.stages[0]!.from, envLookup({ V: '3.19' }));
  assert.equal(from.baseName, 'alpine:3.19');
  const [envI, workdir, copy, run, cmd, expose, user, label, volume, stop, onbuild] = df.stages[0]!.instructions.map((i) =>
    expandInstruction(i, env),
  );
  assert.deepEqual(envI!.kind === 'ENV' && envI.env.map((p) => p.value), ['/app', 'my app']);
  assert.equal(workdir!.kind === 'WORKDIR' && workdir.path, '/app/src');
  const c = copy as CopyInstruction;
  assert.deepEqual([c.chown, c.dest], ['1000', '/app/']);
  assert.deepEqual(c.sourceContents.map((s) => s.data), ['name=my app "quoted"\n', 'raw=$NAME\n']);
  assert.equal((run as RunInstruction).mounts[0]!.target, '/app/cache');
  assert.deepEqual((run as RunInstruction).cmdLine, ['echo $DIR']);
  assert.equal(cmd!.kind === 'CMD' && cmd.cmdLine[0], 'echo $DIR');
  assert.deepEqual(expose!.kind === 'EXPOSE' && expose.ports, ['80/tcp', '443']);
  assert.equal(user!.kind === 'USER' && user.user, 'nobody');
  assert.equal(label!.kind === 'LABEL' && label.labels[0]!.key, 'my app');
  assert.deepEqual(volume!.kind === 'VOLUME' && volume.volumes, ['/app/data']);
  assert.equal(stop!.kind === 'STOPSIGNAL' && stop.signal, 'SIGTERM');
  assert.equal(onbuild!.kind === 'ONBUILD' && onbuild.expression, 'RUN echo $DIR');
});

test('expandInstruction: FROM must not expand to nothing; expansion errors are Docker\'s', () => {
  const df = parseDockerfile('FROM ${MISSING}\nWORKDIR ${D:?set D first}\n');
  assert.throws(() => expandInstruction(df.stages[0]!.from, envLookup({})), { message: 'base name (${MISSING}) should not be blank' });
  assert.throws(() => expandInstruction(df.stages[0]!.instructions[0]!, envLookup({})), {
    message: 'failed to process "${D:?set D first}": D: set D first',
  });
});

test('expandInstruction uses the Dockerfile escape token', () => {
  const df = parseDockerfile('# escape=`\nFROM scratch\nWORKDIR C:\\dir\\$SUB\nUSER `$literal\n');
  const env = envLookup({ SUB: 'x' });
  const [wd, user] = df.stages[0]!.instructions.map((i) => expandInstruction(i, env, { escapeToken: df.escapeToken }));
  assert.equal(wd!.kind === 'WORKDIR' && wd.path, 'C:\\dir\\x');
  assert.equal(user!.kind === 'USER' && user.user, '$literal');
});

test('expandInstruction: all pairs of one ENV see the environment from before that ENV', () => {
  const df = parseDockerfile('FROM scratch\nENV A=1 B=$A C=${A:-unset}\n');
  const env = expandInstruction(df.stages[0]!.instructions[0]!, envLookup({}));
  assert.deepEqual(env.kind === 'ENV' && env.env.map((p) => [p.key, p.value]), [
    ['A', '1'],
    ['B', ''],
    ['C', 'unset'],
  ]);
});
