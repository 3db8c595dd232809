// The study guide (../shared/seed/docker-study-guide.md), chapters 1, 2, 4 and 5, command by
// command through the real docker CLI, asserting what a reader would see; chapter 3 (swarm)
// only as the clear refusal of a node that is in no swarm. Substitutions where the guide's
// images cannot exist offline (busybox for golang/alpine, Berth's registry:2 on a free port)
// are listed in docs/study-guide-status.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxDaemon, freePort, sleep, type RunResult } from './harness.js';

const d = busyboxDaemon({ daemonJson: { 'default-address-pools': [{ base: `10.${150 + (process.pid % 50)}.0.0/16`, size: 24 }] } });
const u = `sg${process.pid}`;

function ok(r: RunResult, what = ''): string {
  assert.equal(r.code, 0, `${what}\n${r.stderr}`);
  return r.stdout;
}

test('chapter 1: a container gets its own namespaces, and a cgroup enforces its memory limit', () => {
  const inside = ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'for n in pid net ipc mnt uts; do readlink /proc/self/ns/$n; done'])).trim().split('\n');
  const host = ['pid', 'net', 'ipc', 'mnt', 'uts'].map((n) => readlinkSync(`/proc/self/ns/${n}`));
  inside.forEach((ns, i) => assert.notEqual(ns, host[i], ns));
  assert.equal(ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$'])), '1\n');
  assert.equal(ok(d.docker(['run', '--rm', '-m', '64m', 'busybox', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'])), `${64 * 1024 * 1024}\n`);
});

test('chapter 2: managing images (history, ls, inspect --format, rm/rmi, prune)', () => {
  assert.match(ok(d.docker(['image', 'history', 'busybox'])), /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n/);
  assert.match(ok(d.docker(['image', 'ls'])), /\nbusybox\s+latest\s+[0-9a-f]{12}\s/);
  ok(d.docker(['image', 'ls', '-a']));
  assert.equal(ok(d.docker(['image', 'inspect', 'busybox', '--format', '{{.Os}}/{{.Architecture}} {{json .RepoTags}} {{.RootFS.Type}} {{len .RootFS.Layers}}'])), 'linux/amd64 ["busybox:latest"] layers 1\n');
  const id = ok(d.docker(['image', 'inspect', 'busybox', '--format', '{{.Id}}'])).trim();

  // "if an image has other tags, they must be deleted first"
  ok(d.docker(['tag', 'busybox', `${u}-extra:v1`]));
  const refused = d.docker(['image', 'rm', id.slice(7, 19)]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);
  assert.match(ok(d.docker(['rmi', `${u}-extra:v1`])), /Untagged: /);

  const pruned = d.docker(['image', 'prune', '-f']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /Total reclaimed space:/);
  assert.equal(ok(d.docker(['image', 'inspect', 'busybox', '--format', '{{.Id}}'])).trim(), id, 'prune keeps tagged images');
});

test('chapter 2: an efficient multi-stage Dockerfile (busybox stands in for golang and alpine)', () => {
  const ctx = join(d.root, 'build');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'helloworld.sh'), '#!/bin/sh\necho "Hello, World!"\n');
  writeFileSync(
    join(ctx, 'Dockerfile'),
    [
      'FROM busybox:latest AS compiler',
      'WORKDIR /compiler',
      'COPY ./helloworld.sh .',
      'RUN cp helloworld.sh helloworld && chmod +x helloworld',
      'FROM busybox:latest',
      'WORKDIR /root',
      'COPY --from=compiler /compiler/helloworld ./',
      'CMD ["./helloworld"]',
      '',
    ].join('\n'),
  );
  const r = spawnSync('/usr/local/bin/docker', ['build', '-t', `${u}-hello`, ctx], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Successfully tagged ${u}-hello:latest`));
  assert.equal(ok(d.docker(['run', '--rm', `${u}-hello`])), 'Hello, World!\n');
  // Only the runtime stage's files: the compiler's working directory is not in the final image.
  assert.equal(d.docker(['run', '--rm', `${u}-hello`, 'ls', '/compiler']).code, 1);
});

test('chapter 2: flattening an image with run, export and import', () => {
  const name = `${u}-flat`;
  ok(d.docker(['run', '--name', name, 'busybox', 'sh', '-c', 'echo layered > /marker']));
  const tar = join(d.root, `${name}.tar`);
  const exp = spawnSync('/usr/local/bin/docker', ['export', name, '-o', tar], { env: d.env });
  assert.equal(exp.status, 0, exp.stderr?.toString());
  const imp = spawnSync('sh', ['-c', `cat ${tar} | /usr/local/bin/docker import - flat:latest`], { env: d.env, encoding: 'utf8' });
  assert.equal(imp.status, 0, imp.stderr);
  assert.equal(ok(d.docker(['image', 'inspect', 'flat:latest', '--format', '{{len .RootFS.Layers}}'])), '1\n');
  assert.equal(ok(d.docker(['run', '--rm', 'flat:latest', 'cat', '/marker'])), 'layered\n');
  ok(d.docker(['rm', name]));
  ok(d.docker(['rmi', 'flat:latest']));
});

test('chapter 2: a basic registry with run -d -p --restart=always --name registry registry:2', async () => {
  ok(d.berth(['bootstrap', 'registry']), 'berth bootstrap registry');
  const port = await freePort(); // 5000 may be taken on a shared machine
  const name = `${u}-registry`;
  ok(d.docker(['run', '-d', '-p', `${port}:5000`, '--restart=always', '--name', name, 'registry:2']));
  assert.equal(ok(d.docker(['inspect', name, '--format', '{{.HostConfig.RestartPolicy.Name}}'])), 'always\n');
  const ref = `127.0.0.1:${port}/guide/busybox:v1`;
  ok(d.docker(['tag', 'busybox', ref]));
  let push: RunResult = { code: -1, stdout: '', stderr: '' };
  for (let i = 0; i < 40 && push.code !== 0; i++) {
    if (i) await sleep(250); // the registry may still be starting
    push = d.docker(['push', ref]);
  }
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
  ok(d.docker(['rmi', ref]));
  assert.match(ok(d.docker(['image', 'pull', ref])), /Status: Downloaded newer image/);
  ok(d.docker(['rm', '-f', name]));
  ok(d.docker(['rmi', ref]));
});

test('chapter 3: swarm commands fail with the inactive node\'s message, exit code 1', () => {
  for (const args of [['swarm', 'init'], ['swarm', 'join-token', 'worker'], ['node', 'ls'], ['service', 'ls'], ['service', 'create', '--replicas', '3', 'busybox']]) {
    const r = d.docker(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.doesNotMatch(r.stderr, /page not found/, args.join(' '));
    assert.match(r.stderr, /not a swarm manager|swarm mode is not available/, args.join(' '));
  }
  assert.match(d.docker(['swarm', 'leave']).stderr, /This node is not part of a swarm/);
});

test('chapter 4: the storage driver, bind mounts and volumes with --mount and -v, read-only', () => {
  assert.equal(ok(d.docker(['info', '--format', '{{.Driver}}'])), 'overlay2\n');
  const priv = join(d.root, 'home-private');
  mkdirSync(priv);
  writeFileSync(join(priv, 'note'), 'from the host\n');
  const bindRo = d.docker(['run', '--rm', '--mount', `type=bind,source=${priv},destination=/private,readonly`, 'busybox', 'sh', '-c', 'cat /private/note; touch /private/x']);
  assert.equal(bindRo.stdout, 'from the host\n');
  assert.match(bindRo.stderr, /Read-only file system/);
  const vol = `${u}-private-volume`;
  assert.match(d.docker(['run', '--rm', '--mount', `type=volume,source=${vol},destination=/private,readonly`, 'busybox', 'touch', '/private/x']).stderr, /Read-only file system/);
  ok(d.docker(['run', '--rm', '-v', `${priv}:/private`, 'busybox', 'sh', '-c', 'echo from the container > /private/back']));
  assert.equal(readFileSync(join(priv, 'back'), 'utf8'), 'from the container\n');
  ok(d.docker(['run', '--rm', '--mount', `type=volume,source=${vol},destination=/private`, 'busybox', 'sh', '-c', 'echo kept > /private/data']));
  assert.equal(ok(d.docker(['run', '--rm', '-v', `${vol}:/private:ro`, 'busybox', 'cat', '/private/data'])), 'kept\n');
  assert.match(d.docker(['run', '--rm', '-v', `${vol}:/private:ro`, 'busybox', 'touch', '/private/y']).stderr, /Read-only file system/);
  ok(d.docker(['volume', 'rm', vol]));
});

test('chapter 4: managing volumes and cleaning up images', () => {
  const vol = `${u}-vol`;
  assert.equal(ok(d.docker(['volume', 'create', vol])), `${vol}\n`);
  assert.match(ok(d.docker(['volume', 'ls'])), new RegExp(`local\\s+${vol}\\n`));
  const info = JSON.parse(ok(d.docker(['volume', 'inspect', vol])));
  assert.equal(info[0].Name, vol);
  assert.equal(info[0].Driver, 'local');
  assert.ok(statSync(info[0].Mountpoint).isDirectory());
  assert.equal(ok(d.docker(['volume', 'rm', vol])), `${vol}\n`);
  assert.doesNotMatch(ok(d.docker(['volume', 'ls', '-q'])), new RegExp(vol));

  assert.match(ok(d.docker(['system', 'df'])), /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+\d+/);
  const v = ok(d.docker(['system', 'df', '-v']));
  for (const section of ['Images space usage:', 'Containers space usage:', 'Local Volumes space usage:', 'Build cache usage:']) assert.ok(v.includes(section), section);

  // The built image is used by no container and goes; busybox is used by one and stays.
  ok(d.docker(['run', '--name', `${u}-user`, 'busybox', 'true']));
  const all = ok(d.docker(['image', 'prune', '-a', '-f']));
  assert.match(all, new RegExp(`untagged: ${u}-hello:latest`));
  assert.match(all, /Total reclaimed space:/);
  const left = ok(d.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter(Boolean);
  assert.ok(left.includes('busybox:latest'), left.join(' '));
  assert.ok(!left.includes(`${u}-hello:latest`), left.join(' '));
  ok(d.docker(['rm', `${u}-user`]));
});

test('chapter 5: host, bridge and none drivers, and a user bridge network', async () => {
  const hostLinks = readFileSync('/proc/net/dev', 'utf8').split('\n').length;
  assert.equal(ok(d.docker(['run', '--rm', '--net=host', 'busybox', 'cat', '/proc/net/dev'])).split('\n').length, hostLinks);
  assert.match(ok(d.docker(['run', '--rm', '--net=bridge', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0'])), /inet \d+\.\d+\.\d+\.\d+\//);
  const none = ok(d.docker(['run', '--rm', '--net=none', 'busybox', 'ip', '-o', 'link'])).trim().split('\n');
  assert.equal(none.length, 1);
  assert.match(none[0]!, /: lo:/);
  const ls = ok(d.docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']));
  for (const n of ['bridge bridge', 'host host', 'none null']) assert.ok(ls.includes(n), ls);

  const net = `${u}-net`;
  ok(d.docker(['network', 'create', '--driver', 'bridge', net]));
  ok(d.docker(['run', '-d', '--name', `${u}-web`, '--network', net, 'busybox', 'sh', '-c', 'mkdir /www && echo cnm > /www/index.html && httpd -f -p 80 -h /www']));
  let page = '';
  for (let i = 0; i < 40 && page !== 'cnm\n'; i++) {
    if (i) await sleep(250);
    page = d.docker(['run', '--rm', '--network', net, 'busybox', 'wget', '-qO-', `http://${u}-web/`]).stdout;
  }
  assert.equal(page, 'cnm\n');
  assert.match(d.docker(['network', 'create', '--driver', 'overlay', `${u}-ov`]).stderr, /plugin "overlay" not found/);
  ok(d.docker(['rm', '-f', `${u}-web`]));
  ok(d.docker(['network', 'rm', net]));
});
