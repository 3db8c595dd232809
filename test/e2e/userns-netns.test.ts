// userns-remap "default" end to end: the daemon creates dockremap and its subordinate ranges, and a
// remapped container's root owns its network namespace (made by the daemon inside the container's
// user namespace): ports below 1024, sysfs with the container's own interfaces, net sysctls, the
// embedded DNS. /etc/subuid, /etc/subgid and dockremap are put back as they were.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync, chmodSync, existsSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { TestDaemon, busyboxTar, freePort, sleep } from './harness.js';
import { parseSubIds } from '../../src/userns/subid.js';

// Docker's default pools can all be taken on a busy machine: a pool of the run's own.
const octet = 100 + (randomBytes(1)[0]! % 100);
const d = new TestDaemon({ daemonJson: { 'userns-remap': 'default', 'default-address-pools': [{ base: `10.${octet}.0.0/16`, size: 24 }] } });
const tag = randomBytes(3).toString('hex');
const saved: Record<string, string | undefined> = {};
let hadUser = false;

function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

before(async () => {
  hadUser = userExists('dockremap');
  for (const f of ['/etc/subuid', '/etc/subgid']) saved[f] = existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  chmodSync(d.root, 0o711); // the remapped root must be able to walk to its rootfs
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  if (imp.code !== 0) throw new Error(`docker import busybox failed: ${imp.stderr}`);
});

after(async () => {
  try {
    await d.stop();
  } finally {
    if (!hadUser) spawnSync('userdel', ['dockremap']);
    // Only the dockremap lines this run added go: other lines may have changed meanwhile.
    for (const [f, text] of Object.entries(saved)) {
      const before = new Set((text ?? '').split('\n'));
      const now = existsSync(f) ? readFileSync(f, 'utf8') : '';
      const kept = now.split('\n').filter((l) => !l.startsWith('dockremap:') || before.has(l));
      if (text === undefined && kept.join('').trim() === '') await fs.rm(f, { force: true });
      else await fs.writeFile(f, kept.join('\n'));
    }
  }
});

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}

function get(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test('"default" creates dockremap with one 65536-id range in /etc/subuid and /etc/subgid, and containers run on it', () => {
  assert.ok(userExists('dockremap'), 'dockremap exists');
  const uids = parseSubIds(readFileSync('/etc/subuid', 'utf8')).filter((r) => r.owner === 'dockremap');
  const gids = parseSubIds(readFileSync('/etc/subgid', 'utf8')).filter((r) => r.owner === 'dockremap');
  assert.equal(uids.length, 1);
  assert.equal(gids.length, 1);
  assert.equal(uids[0]!.length, 65536);
  const out = ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/gid_map']), 'run').trim().split('\n');
  assert.equal(out[0], '0');
  assert.deepEqual(out[1]!.trim().split(/\s+/).map(Number), [0, uids[0]!.start, 65536]);
  assert.deepEqual(out[2]!.trim().split(/\s+/).map(Number), [0, gids[0]!.start, 65536]);
});

test('a remapped container binds port 80: reachable at its bridge address and through -p', async () => {
  const port = await freePort();
  const name = `web-${tag}`;
  ok(d.docker(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'echo remapped-httpd > /tmp/index.html && exec httpd -f -p 80 -h /tmp']), 'run httpd');
  try {
    const ip = ok(d.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name]), 'inspect').trim();
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal((await until(() => get(`http://${ip}:80/`), 'httpd at the bridge address')).trim(), 'remapped-httpd');
    assert.equal((await until(() => get(`http://127.0.0.1:${port}/`), 'httpd through -p')).trim(), 'remapped-httpd');
    // A container joining its network joins its user namespace too, and sees the same interfaces.
    const peer = ok(d.docker(['run', '--rm', '--network', `container:${name}`, 'busybox', 'ls', '/sys/class/net']), 'run in container: network');
    assert.deepEqual(peer.trim().split(/\s+/).sort(), ['eth0', 'lo']);
  } finally {
    d.docker(['rm', '-f', name]);
  }
});

test('/sys is the container\'s own sysfs: only lo and eth0 under /sys/class/net (crun and runc)', () => {
  for (const runtime of ['crun', 'runc']) {
    const out = ok(d.docker(['run', '--rm', '--runtime', runtime, 'busybox', 'sh', '-c', 'ls /sys/class/net; awk \'$5 == "/sys"\' /proc/self/mountinfo']), runtime);
    const lines = out.trim().split('\n');
    assert.deepEqual(lines.slice(0, -1).sort(), ['eth0', 'lo'], `${runtime}: ${out}`);
    assert.match(lines.at(-1)!, / - sysfs /, `${runtime}: /sys is a sysfs mount, not the host's bound in`);
  }
});

test('network sysctls apply inside: --sysctl and the unprivileged port start (a non-root user binds port 80)', () => {
  const out = ok(d.docker(['run', '--rm', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_unprivileged_port_start']), 'run --sysctl');
  assert.deepEqual(out.trim().split('\n'), ['1', '0']);
  const low = d.docker(['run', '--rm', '-u', '1000', 'busybox', 'sh', '-c', 'nc -l -p 80 & p=$!; sleep 0.3; netstat -ltn | grep -c ":80 "; kill $p']);
  assert.equal(low.code, 0, low.stderr);
  assert.equal(low.stdout.trim(), '1');
});

test('the embedded DNS answers remapped containers on a user network', () => {
  const net = `unet-${tag}`;
  ok(d.docker(['network', 'create', net]), 'network create');
  const a = `dnsa-${tag}`;
  try {
    ok(d.docker(['run', '-d', '--name', a, '--network', net, 'busybox', 'sleep', '60']), 'run a');
    const ipA = ok(d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, a]), 'inspect a').trim();
    const out = ok(d.docker(['run', '--rm', '--network', net, 'busybox', 'nslookup', '-type=a', a]), 'nslookup');
    assert.ok(out.includes(ipA), out);
  } finally {
    d.docker(['rm', '-f', a]);
    d.docker(['network', 'rm', net]);
  }
});

test('after a restart and a network connect the container still owns its namespace', () => {
  const name = `rs-${tag}`;
  const net = `rsnet-${tag}`;
  ok(d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']), 'run');
  try {
    ok(d.docker(['restart', '-t', '0', name]), 'restart');
    ok(d.docker(['network', 'create', net]), 'network create');
    ok(d.docker(['network', 'connect', net, name]), 'network connect');
    const out = ok(d.docker(['exec', name, 'sh', '-c', 'ls /sys/class/net; cat /proc/sys/net/ipv4/ip_unprivileged_port_start']), 'exec');
    assert.deepEqual(out.trim().split('\n'), ['eth0', 'eth1', 'lo', '0']);
  } finally {
    d.docker(['rm', '-f', name]);
    d.docker(['network', 'rm', net]);
  }
});

test('a remapped container outlives a daemon restart and its namespaces go with its removal', async () => {
  const name = `lr-${tag}`;
  ok(d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']), 'run');
  try {
    await d.terminate();
    await d.start();
    const out = ok(d.docker(['exec', name, 'ls', '/sys/class/net']), 'exec after restart');
    assert.deepEqual(out.trim().split(/\s+/), ['eth0', 'lo']);
  } finally {
    d.docker(['rm', '-f', name]);
  }
});

test('removed containers leave no namespace files behind', async () => {
  assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '', 'the tests above removed their containers');
  assert.deepEqual(await fs.readdir(`${d.execRoot}/netns`).catch(() => [] as string[]), []);
});
