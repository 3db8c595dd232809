// The guide's registry: `berth bootstrap registry` builds registry:2, which runs Berth's registry
// server in a container (with --network host, and with a published port as the guide writes it); images are pushed to it and
// pulled back through berthd, and --restart=always brings it back after a daemon restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { TestDaemon, busyboxTar, sleep, freePort } from './harness.js';

let d: TestDaemon;

async function answers(url: string, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get(url, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

before(async () => {
  d = new TestDaemon();
  await d.start();
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
});

after(async () => {
  await d?.stop();
});

test('berth bootstrap registry, docker run registry:2, then push and pull through it', async () => {
  const boot = d.berth(['bootstrap', 'registry'], { timeout: 180_000 });
  assert.equal(boot.code, 0, boot.stderr);
  assert.match(boot.stdout, /registry:2/);
  const cfg = JSON.parse(d.docker(['image', 'inspect', '--format', '{{json .Config}}', 'registry:2']).stdout);
  assert.deepEqual(cfg.ExposedPorts, { '5000/tcp': {} });
  assert.deepEqual(cfg.Volumes, { '/var/lib/registry': {} });
  assert.ok(cfg.Env.includes('REGISTRY_HTTP_ADDR=:5000'));

  const port = await freePort();
  const name = `registry-${process.pid}`;
  const run = d.docker(['run', '-d', '--network', 'host', '--restart=always', '--name', name, '-e', `REGISTRY_HTTP_ADDR=127.0.0.1:${port}`, 'registry:2']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(await answers(`http://127.0.0.1:${port}/v2/`), `registry did not answer: ${d.docker(['logs', name]).stderr}`);

  const ref = `127.0.0.1:${port}/guide/busybox:v1`;
  assert.equal(d.docker(['tag', 'busybox', ref]).code, 0);
  const push = d.docker(['push', ref]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  const id = d.docker(['image', 'inspect', '--format', '{{.Id}}', ref]).stdout.trim();
  assert.equal(d.docker(['rmi', '-f', id]).code, 0);
  const pull = d.docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.match(pull.stdout, /Pull complete/);

  // After a daemon restart the always-restarted registry serves the image it stored in its volume.
  await d.terminate();
  d.docker(['ps']);
  await d.start();
  if (!(await answers(`http://127.0.0.1:${port}/v2/guide/busybox/tags/list`, 100))) {
    assert.fail(`registry not back after restart: ${d.docker(['ps', '-a']).stdout}`);
  }
  d.docker(['rm', '-f', name]);
});

test("the guide's command with a published port: run -d -p PORT:5000 --restart=always --name registry registry:2", async () => {
  // registry:2 exists from the test above; a free host port stands in for 5000 so runs cannot collide.
  const port = await freePort();
  const name = `registry-p-${process.pid}`;
  const run = d.docker(['run', '-d', '-p', `${port}:5000`, '--restart=always', '--name', name, 'registry:2']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(await answers(`http://127.0.0.1:${port}/v2/`), `registry did not answer: ${d.docker(['logs', name]).stderr}`);
  assert.equal(d.docker(['port', name, '5000']).stdout.trim().split('\n')[0], `0.0.0.0:${port}`);
  const ref = `localhost:${port}/busybox`;
  // the test above removed busybox by ID along with its pushed name
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  const tag = d.docker(['tag', 'busybox', ref]);
  assert.equal(tag.code, 0, tag.stderr);
  const push = d.docker(['push', ref]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  const rmi = d.docker(['rmi', ref]);
  assert.equal(rmi.code, 0, rmi.stderr);
  const pull = d.docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.equal(d.docker(['run', '--rm', ref, 'echo', 'pulled']).stdout, 'pulled\n');
  d.docker(['rm', '-f', name]);
});
