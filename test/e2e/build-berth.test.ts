// `berth build`, directive by directive: each builds through berth's own CLI and checks the
// image config (berth inspect / docker inspect) and, where it applies, a container run from it;
// then berth's build output against the docker CLI's, and the CLI's context and flag handling
// (-q, several -t, -f, --target, --no-cache, --label, stdin tar or Dockerfile, .dockerignore).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxDaemon, busyboxTar, DOCKER, type RunResult } from './harness.js';

const d = busyboxDaemon();
let n = 0;

function context(files: Record<string, string>): string {
  const dir = join(d.root, `bctx-${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return r;
}

/** berth build …; fails the test unless it succeeds. */
function berthBuild(args: string[], input?: Buffer | string): RunResult {
  return ok(d.berth(['build', ...args], { timeout: 120_000, ...(input !== undefined ? { input } : {}) }));
}

function config(ref: string): any {
  return JSON.parse(ok(d.berth(['inspect', '--format', '{{json .Config}}', ref])).stdout);
}

function runOut(args: string[]): string {
  return ok(d.docker(['run', '--rm', ...args])).stdout.trim();
}

test('FROM scratch with ADD of a local tar (extracted), then RUN in shell and exec form', () => {
  const ctx = context({ Dockerfile: 'FROM scratch\nADD rootfs.tar /\nRUN echo shell > /shell-form\nRUN ["/bin/sh", "-c", "echo exec > /exec-form"]\n' });
  copyFileSync(busyboxTar(join(d.root, 'scratch-src')), join(ctx, 'rootfs.tar'));
  const r = berthBuild(['-t', 'bb:scratch', ctx]);
  assert.match(r.stdout, /Step 1\/4 : FROM scratch\n/);
  assert.match(r.stdout, /Step 2\/4 : ADD rootfs.tar \/\n/);
  assert.equal(runOut(['bb:scratch', 'cat', '/shell-form', '/exec-form']), 'shell\nexec');
  // The tar was unpacked (busybox runs), not copied as a file.
  assert.notEqual(d.docker(['run', '--rm', 'bb:scratch', 'test', '-e', '/rootfs.tar']).code, 0);
  const history = ok(d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'bb:scratch'])).stdout.trim().split('\n');
  assert.deepEqual(history.slice(0, 2), ['/bin/sh -c echo exec > /exec-form', '/bin/sh -c echo shell > /shell-form']);
  assert.equal(config('bb:scratch').Cmd, null);
});

test('ARG before FROM picks the base; ARG with --build-arg reaches RUN and the history', () => {
  const ctx = context({ Dockerfile: 'ARG BASE=nosuch\nFROM ${BASE}\nARG WHO=nobody\nRUN echo "hello $WHO" > /who\n' });
  berthBuild(['--build-arg', 'BASE=busybox', '--build-arg', 'WHO=berth', '-t', 'arg:1', ctx]);
  assert.equal(runOut(['arg:1', 'cat', '/who']), 'hello berth');
  const createdBy = ok(d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'arg:1'])).stdout.split('\n')[0];
  assert.equal(createdBy, '|1 WHO=berth /bin/sh -c echo "hello $WHO" > /who');
  // The ARG is not part of the image's environment.
  assert.ok(!config('arg:1').Env.some((e: string) => e.startsWith('WHO=')));
});

test('CMD, ENTRYPOINT, ENV, USER and WORKDIR shape what a container runs', () => {
  const ctx = context({
    Dockerfile: [
      'FROM busybox',
      'ENV GREETING=hi NAME="big world"',
      'WORKDIR /srv',
      'WORKDIR app',
      'USER nobody',
      'ENTRYPOINT ["/bin/sh", "-c", "echo $GREETING $NAME from $(pwd) as $(id -u) \\"$0\\""]',
      'CMD ["default-arg"]',
    ].join('\n'),
  });
  berthBuild(['-t', 'run:1', ctx]);
  const cfg = config('run:1');
  assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c', 'echo $GREETING $NAME from $(pwd) as $(id -u) "$0"']);
  assert.deepEqual(cfg.Cmd, ['default-arg']);
  assert.equal(cfg.User, 'nobody');
  assert.equal(cfg.WorkingDir, '/srv/app');
  assert.ok(cfg.Env.includes('GREETING=hi') && cfg.Env.includes('NAME=big world'));
  assert.equal(runOut(['run:1']), 'hi big world from /srv/app as 65534 default-arg');
  assert.equal(runOut(['run:1', 'given']), 'hi big world from /srv/app as 65534 given');
  // CMD in shell form is wrapped in the shell.
  berthBuild(['-t', 'run:2', context({ Dockerfile: 'FROM busybox\nCMD echo shell $HOME\n' })]);
  assert.deepEqual(config('run:2').Cmd, ['/bin/sh', '-c', 'echo shell $HOME']);
  assert.equal(runOut(['run:2']), 'shell /root');
});

test('LABEL, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK and SHELL land in the config', () => {
  const ctx = context({
    Dockerfile: [
      'FROM busybox',
      'LABEL a=1 "b c"="two words"',
      'EXPOSE 80 53/udp 9000-9001',
      'VOLUME /data',
      'VOLUME ["/logs"]',
      'STOPSIGNAL SIGQUIT',
      'HEALTHCHECK --interval=3s --timeout=1s --start-period=2s --start-interval=1s --retries=2 CMD test -e /tmp',
      'SHELL ["/bin/sh", "-ec"]',
      'RUN echo via-shell > /shell',
    ].join('\n'),
  });
  berthBuild(['-t', 'meta:b', ctx]);
  const cfg = config('meta:b');
  assert.deepEqual(cfg.Labels, { a: '1', 'b c': 'two words' });
  assert.deepEqual(Object.keys(cfg.ExposedPorts).sort(), ['53/udp', '80/tcp', '9000/tcp', '9001/tcp']);
  assert.deepEqual(Object.keys(cfg.Volumes).sort(), ['/data', '/logs']);
  assert.equal(cfg.StopSignal, 'SIGQUIT');
  assert.deepEqual(cfg.Healthcheck, { Test: ['CMD-SHELL', 'test -e /tmp'], Interval: 3e9, Timeout: 1e9, StartPeriod: 2e9, StartInterval: 1e9, Retries: 2 });
  assert.deepEqual(cfg.Shell, ['/bin/sh', '-ec']);
  const createdBy = ok(d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'meta:b'])).stdout.split('\n')[0];
  assert.equal(createdBy, '/bin/sh -ec echo via-shell > /shell');
  // A container from it gets the volumes and the stop signal.
  const id = ok(d.docker(['create', 'meta:b', 'true'])).stdout.trim();
  const mounts = JSON.parse(ok(d.docker(['inspect', '--format', '{{json .Mounts}}', id])).stdout) as { Destination: string; Type: string }[];
  assert.deepEqual(mounts.map((m) => `${m.Type}:${m.Destination}`).sort(), ['volume:/data', 'volume:/logs']);
  assert.equal(ok(d.docker(['inspect', '--format', '{{.Config.StopSignal}}', id])).stdout.trim(), 'SIGQUIT');
  ok(d.docker(['rm', '-v', id]));
});

test('COPY --chown and --from (a stage and an image); ONBUILD triggers run in the child build', () => {
  const ctx = context({
    Dockerfile: [
      'FROM busybox AS gen',
      'RUN echo generated > /gen.txt',
      'FROM busybox',
      'COPY --chown=nobody:nogroup app.txt /opt/app.txt',
      'COPY --from=gen /gen.txt /opt/',
      'COPY --from=bb:scratch /shell-form /opt/',
      'ONBUILD COPY app.txt /onbuild.txt',
      'ONBUILD RUN echo trigger-ran > /trigger',
    ].join('\n'),
    'app.txt': 'app\n',
  });
  berthBuild(['-t', 'copy:1', ctx]);
  assert.equal(runOut(['copy:1', 'sh', '-c', 'stat -c "%U:%G %n" /opt/app.txt; cat /opt/gen.txt /opt/shell-form']), 'nobody:nogroup /opt/app.txt\ngenerated\nshell');
  assert.deepEqual(config('copy:1').OnBuild, ['COPY app.txt /onbuild.txt', 'RUN echo trigger-ran > /trigger']);
  const child = berthBuild(['-t', 'child:1', context({ Dockerfile: 'FROM copy:1\n', 'app.txt': 'child\n' })]);
  assert.match(child.stdout, /# Executing 2 build triggers/);
  assert.equal(runOut(['child:1', 'cat', '/onbuild.txt', '/trigger']), 'child\ntrigger-ran');
  // Triggers run once: the child's own config carries none.
  assert.equal(config('child:1').OnBuild, null);
});

test('berth build prints what docker build prints for the same build', () => {
  const ctx = context({ Dockerfile: 'FROM busybox\nENV X=1\nRUN echo out-$X\nCMD ["sh"]\n', '.dockerignore': 'secret\n', secret: 'x' });
  const norm = (s: string) => s.replace(/\b[0-9a-f]{12}\b/g, 'ID').split('\n').filter(Boolean);
  const viaDocker = spawnSync(DOCKER, ['build', '--no-cache', '-t', 'cmp:1', ctx], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });
  assert.equal(viaDocker.status, 0, viaDocker.stderr);
  const viaBerth = berthBuild(['--no-cache', '-t', 'cmp:1', ctx]);
  // The docker CLI alone announces the context upload; everything after it is the daemon's.
  const dockerLines = norm(viaDocker.stdout).filter((l) => !/^Sending build context/.test(l));
  assert.deepEqual(norm(viaBerth.stdout), dockerLines);
  assert.deepEqual(norm(viaBerth.stdout).filter((l) => /^(Step|Successfully)/.test(l)), [
    'Step 1/4 : FROM busybox',
    'Step 2/4 : ENV X=1',
    'Step 3/4 : RUN echo out-$X',
    'Step 4/4 : CMD ["sh"]',
    'Successfully built ID',
    'Successfully tagged cmp:1',
  ]);
  assert.equal(ok(d.docker(['run', '--rm', 'cmp:1', 'ls', '/'])).stdout.includes('secret'), false);
});

test('-q, several -t, -f, --target, --no-cache and --label', () => {
  const ctx = context({
    'build/Alt.Dockerfile': 'FROM busybox AS first\nRUN echo first > /stage\nFROM busybox AS second\nRUN echo second > /stage\n',
    'keep.txt': 'k',
  });
  const q = berthBuild(['-q', '-f', join(ctx, 'build/Alt.Dockerfile'), '--target', 'first', '-t', 'multi:a', '-t', 'multi:b', '--label', 'built.by=berth', ctx]);
  assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const id = q.stdout.trim();
  for (const tag of ['multi:a', 'multi:b']) assert.equal(ok(d.berth(['inspect', '--format', '{{.Id}}', tag])).stdout.trim(), id);
  assert.equal(runOut(['multi:a', 'cat', '/stage']), 'first');
  assert.deepEqual(config('multi:a').Labels, { 'built.by': 'berth' });
  const again = berthBuild(['-f', join(ctx, 'build/Alt.Dockerfile'), '--target', 'first', '--label', 'built.by=berth', ctx]);
  assert.match(again.stdout, /Using cache/);
  const fresh = berthBuild(['--no-cache', '-f', join(ctx, 'build/Alt.Dockerfile'), '--target', 'first', ctx]);
  assert.doesNotMatch(fresh.stdout, /Using cache/);
  // A Dockerfile outside the context is sent along with it.
  writeFileSync(join(d.root, 'Outside.Dockerfile'), 'FROM busybox\nCOPY keep.txt /\n');
  berthBuild(['-f', join(d.root, 'Outside.Dockerfile'), '-t', 'outside:1', ctx]);
  assert.equal(runOut(['outside:1', 'cat', '/keep.txt']), 'k');
  const bad = d.berth(['build', '--target', 'nosuch', '-f', join(ctx, 'build/Alt.Dockerfile'), ctx]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /failed to reach build target nosuch in Dockerfile/);
});

test('context from stdin: a tar archive, or a lone Dockerfile', () => {
  const ctx = context({ Dockerfile: 'FROM busybox\nCOPY in.txt /\n', 'in.txt': 'from-tar\n' });
  const tar = spawnSync('tar', ['-C', ctx, '-cf', '-', '.']).stdout as Buffer;
  berthBuild(['-t', 'stdin:tar', '-'], tar);
  assert.equal(runOut(['stdin:tar', 'cat', '/in.txt']), 'from-tar');
  const gz = spawnSync('gzip', ['-c'], { input: tar }).stdout as Buffer;
  berthBuild(['-t', 'stdin:gz', '-'], gz);
  assert.equal(runOut(['stdin:gz', 'cat', '/in.txt']), 'from-tar');
  berthBuild(['-t', 'stdin:df', '-'], 'FROM busybox\nRUN echo lone > /lone\n');
  assert.equal(runOut(['stdin:df', 'cat', '/lone']), 'lone');
  // -f - reads the Dockerfile from stdin and the context from the directory.
  berthBuild(['-f', '-', '-t', 'stdin:f', ctx], 'FROM busybox\nCOPY in.txt /copied.txt\n');
  assert.equal(runOut(['stdin:f', 'cat', '/copied.txt']), 'from-tar');
  const both = d.berth(['build', '-f', '-', '-'], { input: '' });
  assert.equal(both.code, 1);
  assert.match(both.stderr, /can't use stdin for both build context and dockerfile/);
  assert.ok(readFileSync(join(ctx, 'Dockerfile'), 'utf8').startsWith('FROM busybox'));
});
