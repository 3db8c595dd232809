// userns-remap end to end: a daemon remapping to a user made for this run, driven by the real
// docker CLI. Root inside is an unprivileged subordinate uid outside; --userns=host opts out;
// dockerd's refusals apply; cp, export, commit and build show container ids. ("default", which
// creates dockremap, and the container-owned network namespace: userns-netns.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar } from './harness.js';
import { nextFreeRange, parseSubIds } from '../../src/userns/subid.js';

const USER = `bns${process.pid}`;
let start = 0;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function subids(file: string) {
  return parseSubIds(readFileSync(file, 'utf8'));
}

/** Host uid a process runs as, from /proc/PID/status (real, effective, saved, fs). */
function hostUid(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!;
  return Number(line.split(/\s+/)[1]);
}

const d = new TestDaemon({ daemonJson: { 'userns-remap': USER } });

before(async () => {
  start = Math.max(nextFreeRange(subids('/etc/subuid')), nextFreeRange(subids('/etc/subgid')));
  sh('useradd', ['-r', '-s', '/bin/false', USER]);
  sh('usermod', ['-v', `${start}-${start + 65535}`, '-w', `${start}-${start + 65535}`, USER]);
  chmodSync(d.root, 0o711); // the remapped root must be able to walk to its rootfs
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  if (imp.code !== 0) throw new Error(`docker import busybox failed: ${imp.stderr}`);
});

after(async () => {
  try {
    await d.stop();
  } finally {
    spawnSync('userdel', [USER]);
    await dropRanges();
  }
});

async function dropRanges(): Promise<void> {
  // userdel leaves subordinate ranges behind on some versions: drop this run's lines ourselves.
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const text = readFileSync(f, 'utf8');
    await fs.writeFile(f, text.split('\n').filter((l) => !l.startsWith(`${USER}:`)).join('\n'));
  }
}

test('root inside is uid 0, mapped onto the subordinate range', () => {
  const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
  assert.equal(r.code, 0, r.stderr);
  const [uid, map] = r.stdout.trim().split('\n');
  assert.equal(uid, '0');
  assert.deepEqual(map!.trim().split(/\s+/).map(Number), [0, start, 65536]);
});

test('the container process runs on the host as the subordinate uid; --userns=host as root', () => {
  for (const [args, want] of [[[], start], [['--userns=host'], 0]] as const) {
    const run = d.docker(['run', '-d', ...args, 'busybox', 'sleep', '60']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    const pid = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
    assert.ok(pid > 0);
    assert.equal(hostUid(pid), want);
    assert.equal(d.docker(['rm', '-f', id]).code, 0);
  }
});

test('a file made in a bind mount is owned on the host by the mapped uid', async () => {
  const dir = join(d.root, 'bind');
  await fs.mkdir(dir);
  await fs.chown(dir, start, start); // as with Docker, the host directory must be writable by the remapped root
  const r = d.docker(['run', '--rm', '-v', `${dir}:/m`, 'busybox', 'sh', '-c', 'echo hi > /m/f && chown 1000:1000 /m && stat -c %u /m/f']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0');
  const st = await fs.stat(join(dir, 'f'));
  assert.deepEqual([st.uid, st.gid], [start, start]);
  assert.equal((await fs.stat(dir)).uid, start + 1000);
});

test('the image, the container files and volumes belong to the remapped root', () => {
  const r = d.docker(['run', '--rm', '-v', 'unsvol:/data', 'busybox', 'sh', '-c', 'touch /new /etc/hosts /data/x && stat -c "%u %g" /bin/busybox /etc/hosts /data']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['0 0', '0 0', '0 0']);
  assert.equal(d.docker(['volume', 'rm', 'unsvol']).code, 0);
});

test('cgroup limits apply and /sys/fs/cgroup is readable inside', () => {
  const r = d.docker(['run', '--rm', '-m', '64m', 'busybox', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), String(64 * 1024 * 1024));
});

test('runc runs remapped containers too', () => {
  const r = d.docker(['run', '--rm', '--runtime', 'runc', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
  assert.equal(r.code, 0, r.stderr);
  const [uid, map] = r.stdout.trim().split('\n');
  assert.equal(uid, '0');
  assert.equal(Number(map!.trim().split(/\s+/)[1]), start);
});

test('privileged, host network and host pid are refused unless --userns=host', () => {
  const refused: [string[], RegExp][] = [
    [['--privileged'], /privileged mode is incompatible with user namespaces/],
    [['--network', 'host'], /cannot share the host's network namespace when user namespaces are enabled/],
    [['--pid', 'host'], /cannot share the host PID namespace when user namespaces are enabled/],
  ];
  for (const [flags, msg] of refused) {
    const r = d.docker(['run', '--rm', ...flags, 'busybox', 'true']);
    assert.notEqual(r.code, 0, `${flags.join(' ')} was accepted`);
    assert.match(r.stderr, msg);
    const ok = d.docker(['run', '--rm', '--userns=host', ...flags, 'busybox', 'true']);
    assert.equal(ok.code, 0, `${flags.join(' ')} --userns=host: ${ok.stderr}`);
  }
  // --ipc host is not among dockerd's refusals.
  const ipc = d.docker(['run', '--rm', '--ipc', 'host', 'busybox', 'true']);
  assert.equal(ipc.code, 0, ipc.stderr);
});

/** `tar -tv --numeric-owner` of a tar on stdin: name → "uid/gid". */
function owners(tar: Buffer): Map<string, string> {
  const r = spawnSync('tar', ['-tv', '--numeric-owner', '-f', '-'], { input: tar, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, string>();
  for (const line of r.stdout.trim().split('\n')) {
    const f = line.split(/\s+/);
    out.set(f[5]!.replace(/^\.\//, '').replace(/\/$/, ''), f[1]!);
  }
  return out;
}

function dockerBytes(args: string[]): Buffer {
  const r = spawnSync('/usr/local/bin/docker', args, { env: d.env, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

test('docker cp in gives files the remapped ids on the host and their own ids inside; cp out and export show container ids', async () => {
  const src = join(d.root, 'cpsrc');
  await fs.mkdir(src);
  await fs.writeFile(join(src, 'mine'), 'x');
  await fs.chown(join(src, 'mine'), 1000, 1001);
  const c = d.docker(['run', '-d', 'busybox', 'sh', '-c', 'mkdir /owned && chown 5:5 /owned && touch /made && chown 1000:1000 /made && sleep 60']).stdout.trim();
  try {
    assert.equal(d.docker(['cp', join(src, 'mine'), `${c}:/owned/`]).code, 0);
    const inside = d.docker(['exec', c, 'stat', '-c', '%u:%g', '/owned/mine', '/owned']);
    assert.equal(inside.code, 0, inside.stderr);
    // The file keeps its ids inside; the directory it went into keeps its owner.
    assert.deepEqual(inside.stdout.trim().split('\n'), ['1000:1001', '5:5']);
    const upper = d.docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', c]).stdout.trim();
    const st = await fs.stat(join(upper, 'owned/mine'));
    assert.deepEqual([st.uid, st.gid], [start + 1000, start + 1001]);

    const out = owners(dockerBytes(['cp', `${c}:/made`, '-']));
    assert.equal(out.get('made'), '1000/1000');
    const exp = owners(dockerBytes(['export', c]));
    assert.equal(exp.get('bin/busybox'), '0/0');
    assert.equal(exp.get('made'), '1000/1000');
    assert.equal(exp.get('owned/mine'), '1000/1001');
  } finally {
    d.docker(['rm', '-f', c]);
  }
});

/** The owners in an image's last layer, from `docker save`. */
async function lastLayerOwners(image: string): Promise<Map<string, string>> {
  const dir = await fs.mkdtemp(join(d.root, 'save-'));
  const x = spawnSync('tar', ['-x', '-C', dir], { input: dockerBytes(['save', image]) });
  assert.equal(x.status, 0);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  return owners(readFileSync(join(dir, manifest[0]!.Layers.at(-1)!)));
}

test('docker commit makes a layer with container ids; diff lists the change', async () => {
  const name = `cm-${process.pid}`;
  assert.equal(d.docker(['run', '--name', name, 'busybox', 'sh', '-c', 'touch /committed && chown 1000:2000 /committed']).code, 0);
  try {
    assert.match(d.docker(['diff', name]).stdout, /^A \/committed$/m);
    const cm = d.docker(['commit', name, `committed-${process.pid}`]);
    assert.equal(cm.code, 0, cm.stderr);
    assert.equal((await lastLayerOwners(`committed-${process.pid}`)).get('committed'), '1000/2000');
    const r = d.docker(['run', '--rm', `committed-${process.pid}`, 'stat', '-c', '%u:%g', '/committed']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1000:2000');
  } finally {
    d.docker(['rm', '-f', name]);
    d.docker(['rmi', `committed-${process.pid}`]);
  }
});

test('a build\'s RUN steps make layers with container ids', async () => {
  const ctx = join(d.root, 'buildctx');
  await fs.mkdir(ctx);
  await fs.writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN touch /built && chown 7:8 /built\n');
  const tag = `built-${process.pid}`;
  const b = spawnSync('/usr/local/bin/docker', ['build', '-q', '-t', tag, ctx], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  try {
    assert.equal((await lastLayerOwners(tag)).get('built'), '7/8');
    const r = d.docker(['run', '--rm', tag, 'stat', '-c', '%u:%g', '/built']);
    assert.equal(r.stdout.trim(), '7:8', r.stderr);
  } finally {
    d.docker(['rmi', tag]);
  }
});

test('info shows name=userns and the remapped root', () => {
  const r = d.docker(['info', '-f', '{{json .SecurityOptions}} {{.DockerRootDir}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"name=userns"/);
  assert.ok(r.stdout.trim().endsWith(join(d.dataRoot, `${start}.${start}`)), r.stdout);
});

test('without remapping the daemon sees its own store, and --userns=host is accepted', async () => {
  await d.terminate();
  await fs.writeFile(d.configFile, '{}');
  await d.start();
  try {
    assert.equal(d.docker(['images', '-q']).stdout.trim(), '');
    const imp = d.docker(['import', busyboxTar(join(d.root, 'plain')), 'busybox']);
    assert.equal(imp.code, 0, imp.stderr);
    const r = d.docker(['run', '--rm', '--userns=host', 'busybox', 'cat', '/proc/self/uid_map']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split(/\s+/).map(Number), [0, 0, 4294967295]);
    assert.doesNotMatch(d.docker(['info', '-f', '{{json .SecurityOptions}}']).stdout, /userns/);
  } finally {
    await d.terminate();
    await fs.writeFile(d.configFile, JSON.stringify({ 'userns-remap': USER }));
    await d.start();
  }
  assert.match(d.docker(['images']).stdout, /busybox/);
});
