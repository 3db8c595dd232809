// The same first slice through the berth CLI, and berth next to docker on the same daemon:
// bootstrap, run, ps, logs, images, rm, import, inspect — same output, same exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, busyboxTar } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = new TestDaemon();
  await d.start();
});

after(async () => {
  await d?.stop();
});

test('berth bootstrap creates busybox:latest from busybox-static, and the same ID every time', () => {
  const first = d.berth(['bootstrap']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Loaded image: busybox:latest/);
  const id1 = d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).stdout.trim();
  assert.equal(d.berth(['bootstrap']).code, 0);
  assert.equal(d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).stdout.trim(), id1);
  assert.equal(d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'which env wget']).stdout, '/usr/bin/env\n/usr/bin/wget\n');
});

test('berth run, logs, ps, rm', () => {
  const r = d.berth(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
  assert.equal(d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']).code, 3);
  const id = d.berth(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo ready; sleep 60']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  for (let i = 0; i < 50 && !d.berth(['logs', 'web']).stdout; i++);
  assert.equal(d.berth(['logs', 'web']).stdout, 'ready\n');
  assert.match(d.berth(['ps']).stdout, /web$/m);
  assert.equal(d.berth(['rm', 'web']).code, 1);
  assert.equal(d.berth(['rm', '-f', 'web']).code, 0);
  assert.equal(d.berth(['ps', '-aq']).stdout, '');
});

test('berth and docker print the same for the same daemon', () => {
  assert.equal(d.berth(['import', busyboxTar(d.root), 'other:1']).code, 0);
  d.docker(['create', '--name', 'c1', '--label', 'team=a', 'busybox', 'echo', 'one']);
  // Relative times may tick between the two calls; table padding follows them.
  const norm = (s: string) => s.replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, 'T ago').replace(/ {2,}/g, '  ');
  const same = (args: string[]) => {
    const a = d.docker(args);
    const b = d.berth(args);
    assert.equal(norm(b.stdout), norm(a.stdout), `stdout of ${args.join(' ')}`);
    assert.equal(b.code, a.code, `exit code of ${args.join(' ')}`);
  };
  same(['ps', '-a']);
  same(['ps', '-a', '--no-trunc']);
  same(['ps', '-aq']);
  same(['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Command}} {{.Labels}}']);
  same(['ps', '-a', '--format', 'table {{.ID}}\t{{.Names}}']);
  same(['ps', '-a', '--filter', 'label=team=a', '--format', '{{json .Names}}']);
  same(['images']);
  same(['images', '-q']);
  same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
  same(['inspect', '-f', '{{.Config.Cmd}} {{.State.Status}} {{json .Config.Labels}}', 'c1']);
  same(['image', 'inspect', '-f', '{{.RootFS.Layers}} {{.Os}}', 'other:1']);
  same(['rm', 'no-such-container']);
  same(['inspect', 'no-such-thing']);
  d.docker(['rm', 'c1']);
});
