// Image management through the docker CLI: tag, list filters, history, Docker's removal conflict
// rules (soft ones that force overrides, hard ones it cannot), prune, and events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, busyboxTar } from './harness.js';

let d: TestDaemon;
let tar: string;

before(async () => {
  d = new TestDaemon();
  await d.start();
  tar = busyboxTar(d.root);
  assert.equal(d.docker(['import', '-m', 'base image', '-c', 'ENV A=1', '-c', 'CMD ["sh"]', tar, 'busybox']).code, 0);
});

after(async () => {
  await d?.stop();
});

const out = (args: string[]) => {
  const r = d.docker(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('import --change and --message land in the config and history', () => {
  assert.equal(out(['image', 'inspect', '-f', '{{.Config.Env}} {{.Config.Cmd}} {{.Comment}}', 'busybox']).trim(), '[A=1] [sh] base image');
  const hist = out(['history', '--format', '{{.Comment}}|{{.Size}}', 'busybox']).trim();
  assert.equal(hist, 'base image|1.98MB');
});

test('tag, list with filters, and references', () => {
  out(['tag', 'busybox', 'localhost:5000/team/app:v1']);
  out(['tag', 'busybox', 'other:latest']);
  const refs = out(['image', 'inspect', '-f', '{{json .RepoTags}}', 'busybox']).trim();
  assert.deepEqual(JSON.parse(refs).sort(), ['busybox:latest', 'localhost:5000/team/app:v1', 'other:latest']);
  assert.equal(out(['images', '--filter', 'reference=localhost:5000/*/*', '--format', '{{.Repository}}:{{.Tag}}']).trim(), 'localhost:5000/team/app:v1');
  assert.equal(out(['images', '--format', '{{.Repository}}']).trim().split('\n').length, 3);
  const bad = d.docker(['tag', 'busybox', 'Bad_Name']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid reference format/);
});

test('rmi: untag one name, refuse an ID with several repositories unless forced', () => {
  const untag = out(['rmi', 'other']);
  assert.equal(untag.trim(), 'Untagged: other:latest');
  const id = out(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim();
  const refused = d.docker(['rmi', id.slice(7, 19)]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /unable to delete \w{12} \(must be forced\) - image is referenced in multiple repositories/);
});

test('rmi: a running container is a hard conflict; a stopped one needs force', () => {
  assert.equal(d.docker(['import', tar, 'victim']).code, 0);
  const id = out(['image', 'inspect', '-f', '{{.Id}}', 'victim']).trim();
  const c = out(['run', '-d', 'victim', 'sleep', '60']).trim();
  const hard = d.docker(['rmi', '-f', id]);
  assert.equal(hard.code, 1);
  assert.match(hard.stderr, /\(cannot be forced\) - image is being used by running container/);
  out(['stop', '-t', '0', c]);
  const soft = d.docker(['rmi', id]);
  assert.match(soft.stderr, /\(must be forced\) - image is being used by stopped container/);
  const forced = out(['rmi', '-f', id]);
  assert.match(forced, /Untagged: victim:latest/);
  assert.match(forced, /Deleted: sha256:/);
  // the stopped container keeps its filesystem
  out(['start', c]);
  assert.equal(out(['inspect', '-f', '{{.State.Status}}', c]).trim(), 'running');
  out(['rm', '-f', c]);
});

test('rmi: an image with dependent child images cannot be removed by ID', () => {
  const c = out(['run', '-d', 'busybox', 'sh', '-c', 'echo x > /x']).trim();
  out(['wait', c]);
  out(['commit', c, 'child:1']);
  out(['rm', c]);
  const parentId = out(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim();
  out(['rmi', 'localhost:5000/team/app:v1']);
  const r = d.docker(['rmi', '-f', parentId]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\(cannot be forced\) - image has dependent child images/);
  out(['rmi', 'child:1']);
});

test('image prune removes dangling images; -a removes unused ones', () => {
  assert.equal(d.docker(['import', tar]).code, 0); // dangling
  const before = out(['images', '-a', '-q']).trim().split('\n').length;
  const pruned = out(['image', 'prune', '-f']);
  assert.match(pruned, /Deleted Images:/);
  assert.equal(out(['images', '-a', '-q']).trim().split('\n').length, before - 1);
  assert.equal(d.docker(['import', tar, 'unused:1']).code, 0);
  const all = out(['image', 'prune', '-a', '-f']);
  assert.match(all, /untagged: unused:1/);
  assert.equal(out(['images', '--format', '{{.Repository}}']).trim(), '');
});

test('container prune and events with filters', () => {
  assert.equal(d.docker(['import', tar, 'busybox']).code, 0);
  const since = Math.floor(Date.now() / 1000);
  const c = out(['create', '--label', 'kind=temp', 'busybox', 'true']).trim();
  out(['start', '-a', c]);
  const pruned = out(['container', 'prune', '-f']);
  assert.match(pruned, new RegExp(c));
  const events = out(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=container', '--filter', 'label=kind=temp', '--format', '{{.Action}}']);
  assert.deepEqual(events.trim().split('\n'), ['create', 'attach', 'start', 'die', 'destroy']);
});

test('run --rm then rmi at once: the image layer goes too, even when rmi overtakes the reclaiming of the container layers', async () => {
  const { existsSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const layerdb = join(d.dataRoot, 'image', 'overlay2', 'layerdb', 'sha256');
  const before = new Set(readdirSync(layerdb));
  const commitOwn = () => {
    const id = out(['create', '--network', 'none', 'busybox', 'true']).trim();
    out(['commit', id, 'own:1']);
    out(['rm', id]);
  };
  commitOwn();
  const own = readdirSync(layerdb).filter((l) => !before.has(l));
  assert.equal(own.length, 1, 'commit added one layer');
  for (let round = 0; round < 5; round++) {
    out(['run', '--rm', '--network', 'none', 'own:1', 'true']);
    out(['rmi', 'own:1']);
    for (let t = 0; t < 50 && existsSync(join(layerdb, own[0]!)); t++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!existsSync(join(layerdb, own[0]!)), `round ${round}: the committed layer went with its image`);
    commitOwn();
  }
  out(['rmi', 'own:1']);
});
