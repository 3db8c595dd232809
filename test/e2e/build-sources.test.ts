// Where a build's layers come from, through the docker CLI's legacy builder (DOCKER_BUILDKIT=0):
// --cache-from with a saved and reloaded image, FROM images pulled from a local registry (when
// missing, and always with --pull), and the RUN flags dockerd's legacy builder refuses.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxDaemon, freePort, DOCKER, type RunResult } from './harness.js';
import { berthRegistry, kill } from './registry-helpers.js';

const d = busyboxDaemon();
const children: ChildProcess[] = [];
let n = 0;

after(async () => {
  for (const c of children) await kill(c);
});

function context(files: Record<string, string>): string {
  const dir = join(d.root, `ctx-${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

function build(args: string[]): RunResult {
  const r = spawnSync(DOCKER, ['build', ...args], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, timeout: 120_000, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return r;
}

function cat(image: string, path: string): string {
  return ok(d.docker(['run', '--rm', image, 'cat', path])).stdout.trim();
}

test('--cache-from reuses the steps of a saved and reloaded image; without it they run again', () => {
  const ctx = context({
    Dockerfile: 'FROM busybox\nENV STAGE=one\nCOPY data.txt /data.txt\nRUN echo "$RANDOM$RANDOM" > /stamp\nWORKDIR /app\nCMD ["cat", "/stamp"]\n',
    'data.txt': 'payload\n',
  });
  const first = ok(build(['-q', '-t', 'cf:orig', ctx])).stdout.trim();
  const stamp = cat('cf:orig', '/stamp');
  const archive = join(d.root, 'cf.tar');
  ok(d.docker(['save', '-o', archive, 'cf:orig']));
  // Forget everything the build left: the image, its intermediate images and the cache records.
  ok(d.docker(['rmi', 'cf:orig']));
  ok(d.docker(['builder', 'prune', '-a', '-f']));
  assert.equal(ok(d.docker(['images', '-a', '-q', '--filter', 'dangling=true'])).stdout.trim(), '');
  ok(d.docker(['load', '-i', archive]));
  assert.equal(ok(d.docker(['image', 'inspect', '-f', '{{.Id}}', 'cf:orig'])).stdout.trim(), first);

  const plain = ok(build(['-t', 'cf:plain', ctx]));
  assert.doesNotMatch(plain.stdout, /Using cache/);
  assert.notEqual(cat('cf:plain', '/stamp'), stamp);

  const cached = ok(build(['--cache-from', 'cf:orig', '-t', 'cf:again', ctx]));
  // Every step after FROM (ENV, COPY, RUN, WORKDIR, CMD) comes from the source.
  assert.equal(cached.stdout.match(/ ---> Using cache/g)?.length, 5, cached.stdout);
  assert.doesNotMatch(cached.stdout, /Running in/);
  assert.match(cached.stdout, new RegExp(`Successfully built ${first.slice(7, 19)}`));
  assert.equal(ok(d.docker(['image', 'inspect', '-f', '{{.Id}}', 'cf:again'])).stdout.trim(), first);
  assert.equal(cat('cf:again', '/stamp'), stamp);

  // A changed file breaks the match from its step on: ENV still comes from the source.
  writeFileSync(join(ctx, 'data.txt'), 'changed\n');
  const changed = ok(build(['--cache-from', 'cf:orig', ctx]));
  assert.equal(changed.stdout.match(/ ---> Using cache/g)?.length, 1, changed.stdout);
  assert.match(changed.stdout, /Running in/);

  // A source that does not exist is skipped with a warning; --no-cache ignores sources.
  const missing = ok(build(['--cache-from', 'cf:nosuch', '--cache-from', 'cf:orig', '-q', ctx]));
  assert.match(missing.stdout, /^sha256:/);
  const nocache = ok(build(['--no-cache', '--cache-from', 'cf:orig', ctx]));
  assert.doesNotMatch(nocache.stdout, /Using cache/);
});

test('FROM images are pulled when missing, and again with --pull when a newer one was pushed', async () => {
  const port = await freePort();
  await berthRegistry(children, join(d.root, 'registry'), port);
  const ref = `127.0.0.1:${port}/build-base:1`;
  const v1 = ok(build(['-q', '-t', ref, context({ Dockerfile: 'FROM busybox\nRUN echo v1 > /marker\n' })])).stdout.trim();
  ok(d.docker(['push', ref]));
  ok(d.docker(['rmi', ref]));

  const user = context({ Dockerfile: `FROM ${ref}\nRUN cat /marker > /seen\n` });
  const pulled = ok(build(['-t', 'pulled:1', user]));
  assert.match(pulled.stdout, /Pulling from build-base/);
  assert.match(pulled.stdout, /Status: Downloaded newer image/);
  assert.equal(cat('pulled:1', '/seen'), 'v1');
  assert.equal(ok(d.docker(['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim(), v1);

  // A newer image goes to the registry; locally the name points at v1 again.
  ok(build(['-q', '-t', ref, context({ Dockerfile: 'FROM busybox\nRUN echo v2 > /marker\n' })]));
  ok(d.docker(['push', ref]));
  ok(d.docker(['tag', v1, ref]));

  const local = ok(build(['-t', 'pulled:2', user]));
  assert.doesNotMatch(local.stdout, /Pulling from/);
  assert.equal(cat('pulled:2', '/seen'), 'v1');

  const fresh = ok(build(['--pull', '-t', 'pulled:3', user]));
  assert.match(fresh.stdout, /Pulling from build-base/);
  assert.equal(cat('pulled:3', '/seen'), 'v2');

  // --pull of an image no registry has fails the build, as dockerd's does.
  const gone = build(['--pull', context({ Dockerfile: `FROM 127.0.0.1:${port}/nosuch:1\n` })]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /nosuch/);
});

test('RUN flags the legacy builder does not support fail the build with dockerd\'s message', () => {
  for (const flag of ['--mount=type=cache,target=/cache', '--network=none', '--security=insecure']) {
    const r = build(['-t', 'refused:1', context({ Dockerfile: `FROM busybox\nRUN ${flag} true\n` })]);
    const name = flag.slice(2, flag.indexOf('='));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`Step 2/2 : RUN ${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} true`));
    assert.ok(
      r.stderr.includes(`the --${name} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`),
      r.stderr,
    );
    assert.doesNotMatch(r.stdout, /Running in/);
  }
  assert.notEqual(d.docker(['image', 'inspect', 'refused:1']).code, 0);
});
