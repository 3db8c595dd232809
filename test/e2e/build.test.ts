// Dockerfile builds through the real docker CLI (DOCKER_BUILDKIT=0 → POST /build): image
// configs per directive, filesystem results, the cache, multi-stage builds and failures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, utimesSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, DOCKER, type RunResult } from './harness.js';

let d: TestDaemon;
let n = 0;

before(async () => {
  d = new TestDaemon();
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  await d?.stop();
});

/** A fresh context directory with the given files. */
function context(files: Record<string, string | Buffer>): string {
  const dir = join(d.root, `ctx-${++n}`);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

function build(args: string[]): RunResult {
  const r = spawnSync(DOCKER, ['build', ...args], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, timeout: 120_000, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function inspect(ref: string, format: string): string {
  const r = d.docker(['image', 'inspect', '--format', format, ref]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('every metadata directive lands in the image config as Docker writes it', () => {
  const ctx = context({
    Dockerfile: [
      'FROM busybox',
      'MAINTAINER Jane Doe <jane@example.com>',
      'LABEL org.example.a="one" b=two',
      'ENV GREETING=hello PATHX=/x',
      'EXPOSE 80 53/udp 8000-8001',
      'VOLUME ["/data", "/logs"]',
      'USER nobody',
      'WORKDIR /srv/app',
      'STOPSIGNAL SIGUSR1',
      'HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=4 CMD ["true"]',
      'SHELL ["/bin/sh", "-ec"]',
      'ONBUILD RUN echo triggered',
      'ENTRYPOINT ["/bin/echo"]',
      'CMD ["hi"]',
    ].join('\n'),
  });
  const r = build(['-t', 'meta:1', ctx]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Step 14\/14 : CMD \["hi"\]/);
  assert.match(r.stdout, /Successfully tagged meta:1/);
  const cfg = JSON.parse(inspect('meta:1', '{{json .Config}}'));
  assert.deepEqual(cfg.Cmd, ['hi']);
  assert.deepEqual(cfg.Entrypoint, ['/bin/echo']);
  assert.deepEqual(cfg.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello', 'PATHX=/x']);
  assert.deepEqual(Object.keys(cfg.ExposedPorts).sort(), ['53/udp', '80/tcp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(cfg.Healthcheck, { Test: ['CMD', 'true'], Interval: 5e9, Timeout: 2e9, StartPeriod: 1e9, Retries: 4 });
  assert.deepEqual(cfg.Labels, { 'org.example.a': 'one', b: 'two' });
  assert.deepEqual(cfg.OnBuild, ['RUN echo triggered']);
  assert.deepEqual(cfg.Shell, ['/bin/sh', '-ec']);
  assert.equal(cfg.StopSignal, 'SIGUSR1');
  assert.equal(cfg.User, 'nobody');
  assert.deepEqual(Object.keys(cfg.Volumes).sort(), ['/data', '/logs']);
  assert.equal(cfg.WorkingDir, '/srv/app');
  assert.equal(inspect('meta:1', '{{.Author}}'), 'Jane Doe <jane@example.com>');
  // WORKDIR created the directory; metadata steps added no layer.
  assert.equal(inspect('meta:1', '{{len .RootFS.Layers}}'), '2');
  const run = d.docker(['run', '--rm', '--entrypoint', 'sh', 'meta:1', '-c', 'pwd; id -u']);
  assert.equal(run.stdout, '/srv/app\n65534\n', run.stderr);
  const hist = d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'meta:1']).stdout;
  assert.match(hist, /^\/bin\/sh -ec #\(nop\)  CMD \["hi"\]$/m);
  assert.match(hist, /^\/bin\/sh -c #\(nop\)  USER nobody$/m);
  // ONBUILD triggers run in a child build, and are not inherited further.
  const child = context({ Dockerfile: 'FROM meta:1\nUSER root\n' });
  const cr = build(['-t', 'meta:child', child]);
  assert.equal(cr.code, 0, cr.stderr + cr.stdout);
  assert.match(cr.stdout, /# Executing 1 build trigger\n[\s\S]*triggered\n/);
  assert.equal(inspect('meta:child', '{{json .Config.OnBuild}}'), 'null');
});

test('ENV sees the values from before its own line; ARG and --build-arg rules', () => {
  const ctx = context({
    Dockerfile: [
      'ARG BASE=busybox',
      'FROM ${BASE}',
      'ENV a=1 b=${a:-none}',
      'ARG VERSION=1.0',
      'ARG FROM_CLI',
      'ENV V=$VERSION C=$FROM_CLI',
      'RUN echo "$VERSION $FROM_CLI $http_proxy" > /args.txt',
    ].join('\n'),
  });
  const r = build(['-t', 'args:1', '--build-arg', 'FROM_CLI=cli', '--build-arg', 'UNUSED=x', '--build-arg', 'http_proxy=http://proxy:3128', ctx]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
  const env = JSON.parse(inspect('args:1', '{{json .Config.Env}}')) as string[];
  assert.ok(env.includes('a=1') && env.includes('b=none'), env.join(','));
  assert.ok(env.includes('V=1.0') && env.includes('C=cli'), env.join(','));
  assert.equal(d.docker(['run', '--rm', 'args:1', 'cat', '/args.txt']).stdout, '1.0 cli http://proxy:3128\n');
  // The proxy value is kept out of the history; declared args are recorded.
  const hist = d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'args:1']).stdout;
  assert.match(hist, /^\|2 FROM_CLI=cli VERSION=1.0 \/bin\/sh -c echo/m);
  assert.doesNotMatch(hist, /proxy:3128/);
});

test('the cache ignores mtimes and is invalidated from the changed step on', () => {
  const ctx = context({ 'a.txt': 'aaaa\n', 'b.txt': 'bbbb\n', Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCOPY b.txt /b.txt\nRUN cat /b.txt >> /copy\n' });
  const first = build(['-t', 'cache:1', ctx]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const id1 = inspect('cache:1', '{{.Id}}');
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(ctx, 'a.txt'), later, later);
  utimesSync(join(ctx, 'b.txt'), later, later);
  const touched = build(['-t', 'cache:1', ctx]);
  assert.equal(touched.code, 0, touched.stderr);
  assert.equal(touched.stdout.match(/Using cache/g)?.length, 4, touched.stdout);
  assert.equal(inspect('cache:1', '{{.Id}}'), id1);
  writeFileSync(join(ctx, 'b.txt'), 'bbbc\n');
  const changed = build(['-t', 'cache:1', ctx]);
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(changed.stdout.match(/Using cache/g)?.length, 2, changed.stdout);
  assert.match(changed.stdout, /Step 4\/5 : COPY b.txt \/b.txt\n ---> [0-9a-f]{12}\n/);
  assert.equal(d.docker(['run', '--rm', 'cache:1', 'cat', '/copy']).stdout, 'aaaa\nbbbc\n');
  const nocache = build(['--no-cache', '-t', 'cache:1', ctx]);
  assert.equal(nocache.code, 0, nocache.stderr);
  assert.doesNotMatch(nocache.stdout, /Using cache/);
  // Intermediate images are listed by `images -a` with their parent links.
  const all = d.docker(['images', '-a', '-q', '--no-trunc']).stdout;
  assert.ok(all.split('\n').length > 8);
  assert.notEqual(inspect('cache:1', '{{.Parent}}'), '');
});

test('multi-stage: COPY --from a busybox stage, unneeded stages skipped, target', () => {
  const ctx = context({
    'main.c': 'int main(){return 0;}\n',
    Dockerfile: [
      'FROM busybox AS builder',
      'WORKDIR /src',
      'COPY main.c .',
      'RUN mkdir -p /out && (echo "#!/bin/sh"; echo "echo compiled from $(wc -c < main.c) bytes") > /out/app && chmod 755 /out/app',
      '',
      'FROM busybox AS unused',
      'RUN echo should-not-run',
      '',
      'FROM busybox AS docs',
      'RUN echo docs > /docs.txt',
      '',
      'FROM busybox',
      'COPY --from=builder /out/app /usr/local/bin/app',
      'COPY --from=2 /docs.txt /docs.txt',
      'CMD ["app"]',
    ].join('\n'),
  });
  const r = build(['-t', 'multi:1', ctx]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Skipping stages not needed for the target: unused\n/);
  assert.doesNotMatch(r.stdout, /should-not-run/);
  // Steps are numbered over the stages that run, and each stage's block stays whole.
  assert.match(r.stdout, /Step 1\/10 : FROM busybox AS builder\n[\s\S]*Step 4\/10 : RUN[\s\S]*Step 5\/10 : FROM busybox AS docs\n[\s\S]*Step 7\/10 : FROM busybox\n/);
  assert.equal(d.docker(['run', '--rm', 'multi:1']).stdout, 'compiled from 22 bytes\n');
  assert.equal(d.docker(['run', '--rm', 'multi:1', 'cat', '/docs.txt']).stdout, 'docs\n');
  // Only the final stage's layers: busybox plus two COPY layers.
  assert.equal(inspect('multi:1', '{{len .RootFS.Layers}}'), '3');
  const t = build(['--target', 'docs', '-t', 'multi:docs', ctx]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Skipping stages not needed for the target: builder, unused\n/);
  assert.match(t.stdout, /Step 1\/2 : FROM busybox AS docs/);
  const bad = build(['--target', 'nope', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
});

test('COPY: globs, directories, .dockerignore with exceptions, --chown by name, --chmod', () => {
  const ctx = context({
    '.dockerignore': 'secret*\n**/*.log\n!keep.log\n',
    'src/one.txt': '1',
    'src/sub/two.txt': '2',
    'src/sub/debug.log': 'x',
    'keep.log': 'kept',
    'secret.key': 'k',
    'x1.conf': 'a',
    'x2.conf': 'b',
    Dockerfile: [
      'FROM busybox',
      'COPY src /app/',
      'COPY x*.conf keep.log /etc/app/',
      'COPY --chown=nobody:nogroup --chmod=0640 src/one.txt /owned.txt',
      'RUN ls -R /app /etc/app > /listing; stat -c "%u:%g %a" /owned.txt >> /listing',
    ].join('\n'),
  });
  const r = build(['-t', 'copy:1', ctx]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const listing = d.docker(['run', '--rm', 'copy:1', 'cat', '/listing']).stdout;
  assert.match(listing, /one\.txt/);
  assert.match(listing, /two\.txt/);
  assert.doesNotMatch(listing, /debug\.log/);
  assert.match(listing, /x1\.conf[\s\S]*x2\.conf/);
  assert.match(listing, /keep\.log/);
  assert.match(listing, /65534:65534 640/);
  const ignored = build([context({ 'secret.key': 'k', '.dockerignore': 'secret.key\n', Dockerfile: 'FROM busybox\nCOPY secret.key /\n' })]);
  assert.notEqual(ignored.code, 0);
  assert.match(ignored.stderr, /file not found in build context or excluded by \.dockerignore/);
});

test('ADD extracts local tar archives and downloads URLs', async () => {
  const payload = join(d.root, 'payload');
  mkdirSync(join(payload, 'pkg'), { recursive: true });
  writeFileSync(join(payload, 'pkg', 'inside.txt'), 'from the archive\n');
  const ctx = context({});
  mkdirSync(ctx, { recursive: true });
  for (const [flag, name] of [['-z', 'a.tar.gz'], ['-j', 'b.tar.bz2'], ['-J', 'c.tar.xz']] as const) {
    const t = spawnSync('tar', [flag, '-C', payload, '-cf', join(ctx, name), 'pkg']);
    assert.equal(t.status, 0, String(t.stderr));
  }
  // The server runs in its own process: the test process is blocked while docker builds.
  const www = join(d.root, 'www');
  mkdirSync(join(www, 'files'), { recursive: true });
  writeFileSync(join(www, 'files', 'remote.txt'), 'downloaded\n');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('/bin/busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', www], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM busybox\nADD a.tar.gz /gz/\nADD b.tar.bz2 /bz/\nADD c.tar.xz /xz/\nADD http://127.0.0.1:${port}/files/remote.txt /dl/\n`);
    const r = build(['-t', 'add:1', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  } finally {
    server.kill();
  }
  const out = d.docker(['run', '--rm', 'add:1', 'sh', '-c', 'cat /gz/pkg/inside.txt /bz/pkg/inside.txt /xz/pkg/inside.txt /dl/remote.txt; stat -c %a /dl/remote.txt']);
  assert.equal(out.stdout, 'from the archive\n'.repeat(3) + 'downloaded\n600\n', out.stderr);
});

test('quiet mode, --label and -f with another Dockerfile path', () => {
  const ctx = context({ 'build/Other.dockerfile': 'FROM busybox\nRUN echo quiet-run\n' });
  const r = build(['-q', '-f', join(ctx, 'build/Other.dockerfile'), '--label', 'team=core', '-t', 'quiet:1', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  assert.equal(inspect('quiet:1', '{{index .Config.Labels "team"}}'), 'core');
});

function assertFailsAt(dockerfile: string, line: number, message: RegExp, files: Record<string, string> = {}): void {
  const tag = `broken:${++n}`;
  const r = build(['-t', tag, context({ Dockerfile: dockerfile, ...files })]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, new RegExp(`(line ${line}|Dockerfile:${line})`), r.stderr);
  assert.match(r.stderr, message);
  assert.notEqual(d.docker(['image', 'inspect', tag]).code, 0, 'no image is tagged');
}

test('failures name the line and tag nothing', () => {
  assertFailsAt('FROM busybox\nRUN true\nFROB x\n', 3, /unknown instruction: FROB/);
  assertFailsAt('FROM busybox\nCOPY --bogus=1 a /\n', 2, /unknown flag: --bogus/);
  assertFailsAt('RUN true\n', 1, /no build stage in current context/);
  assertFailsAt('FROM busybox\nCOPY ../outside /x\n', 2, /Forbidden path outside the build context: \.\.\/outside/);
  assertFailsAt('FROM busybox\nRUN echo before\nRUN exit 3\n', 3, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
});

test('berth build builds the same way', () => {
  const ctx = context({ 'f.txt': 'berth\n', Dockerfile: 'FROM busybox\nCOPY f.txt /f.txt\nCMD ["cat", "/f.txt"]\n' });
  const r = d.berth(['build', '-t', 'viaberth:1', ctx]);
  if (r.code !== 0 && /unknown command|not a berth command/i.test(r.stderr)) {
    assert.fail(`berth has no build command: ${r.stderr}`);
  }
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Successfully tagged viaberth:1/);
  assert.equal(d.docker(['run', '--rm', 'viaberth:1']).stdout, 'berth\n');
  rmSync(ctx, { recursive: true, force: true });
});
