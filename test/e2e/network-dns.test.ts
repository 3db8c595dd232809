// Embedded DNS on user-defined networks and legacy links on the default bridge, through the real
// docker CLI: names, aliases, short ids, <name>.<network>, PTR, isolation between networks,
// NXDOMAIN, forwarding to a --dns server (a fake one of the test's own on 127.0.0.x: no query
// ever leaves the machine), --link hosts lines and variables, and that nothing is left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, type RunResult } from './harness.js';
import { CLASS_IN, RCODE, TYPE, decode, encode } from '../../src/network/dns/message.js';

const octet = 100 + (randomBytes(1)[0]! % 100);
const tag = randomBytes(3).toString('hex');
const d = new TestDaemon({ daemonJson: { 'default-address-pools': [{ base: `10.${octet}.0.0/16`, size: 24 }] } });
const netA = `dnsa-${tag}`;
const netB = `dnsb-${tag}`;
const a = `a-${tag}`;
const b = `b-${tag}`;

/** The docker CLI without blocking this process (the fake DNS server lives in it). */
function dockerAsync(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn('/usr/local/bin/docker', args, { env: d.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (x: Buffer) => (stdout += x.toString()));
    p.stderr.on('data', (x: Buffer) => (stderr += x.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function ipOn(container: string, net: string): string {
  return ok(d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, container]), 'inspect').trim();
}

function gatewayOf(net: string): string {
  return ok(d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', net]), 'network inspect').trim();
}

function udpListeners(): string {
  return spawnSync('ss', ['-Hlun'], { encoding: 'utf8' }).stdout;
}

before(async () => {
  await d.start();
  ok(d.docker(['import', busyboxTar(d.root), 'busybox']), 'import busybox');
  ok(d.docker(['network', 'create', netA]), 'network create A');
  ok(d.docker(['network', 'create', netB]), 'network create B');
  ok(d.docker(['run', '-d', '--name', a, '--network', netA, '--network-alias', `svc-${tag}`, 'busybox', 'sh', '-c', 'while true; do echo hello-from-a | nc -l -p 7000; done']), 'run a');
  ok(d.docker(['run', '-d', '--name', b, '--network', netA, 'busybox', 'sleep', '300']), 'run b');
});

after(async () => {
  await d.stop();
});

test('containers on a user network resolve each other by name, alias, short id and name.network', () => {
  const ipA = ipOn(a, netA);
  const id12 = ok(d.docker(['inspect', '-f', '{{.Id}}', a]), 'inspect').trim().slice(0, 12);
  for (const name of [a, `svc-${tag}`, id12, `${a}.${netA}`]) {
    const out = ok(d.docker(['exec', b, 'nslookup', '-type=a', name]), `nslookup ${name}`);
    assert.match(out, new RegExp(`Address:\\s*${ipA.replace(/\./g, '\\.')}\\b`), `${name} → ${ipA}:\n${out}`);
  }
  const ping = ok(d.docker(['exec', b, 'ping', '-c', '1', '-W', '5', a]), 'ping by name');
  assert.match(ping, /1 packets received/);
  const nc = ok(d.docker(['exec', b, 'sh', '-c', `nc svc-${tag} 7000 </dev/null`]), 'nc by alias');
  assert.match(nc, /hello-from-a/);

  // Reverse lookup of a container's address gives name.network.
  const ptr = ok(d.docker(['exec', b, 'nslookup', ipA]), 'nslookup PTR');
  assert.match(ptr, new RegExp(`name = ${a}\\.${netA}`));

  const resolv = ok(d.docker(['exec', b, 'cat', '/etc/resolv.conf']), 'cat resolv.conf');
  assert.match(resolv, /^nameserver 127\.0\.0\.11$/m);
  assert.match(resolv, /^options ndots:0$/m);
});

test('an unknown name gets NXDOMAIN; another network cannot resolve these names', () => {
  const unknown = d.docker(['exec', b, 'nslookup', `nosuch-${tag}`]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stdout + unknown.stderr, /NXDOMAIN/);

  const other = d.docker(['run', '--rm', '--network', netB, 'busybox', 'nslookup', a]);
  assert.notEqual(other.code, 0, `a container on ${netB} resolved ${a}: ${other.stdout}`);
  assert.match(other.stdout + other.stderr, /NXDOMAIN/);
});

test('other names go to the container\'s --dns server, asked from the host (loopback works)', async () => {
  // A name server of the test's own on a loopback address nothing else uses.
  const sock = dgram.createSocket('udp4');
  let server = '';
  for (let i = 0; i < 20 && !server; i++) {
    const addr = `127.0.${1 + (randomBytes(1)[0]! % 250)}.${2 + (randomBytes(1)[0]! % 250)}`;
    server = await new Promise<string>((resolve) => {
      sock.once('error', () => resolve(''));
      sock.bind(53, addr, () => resolve(addr));
    });
  }
  assert.ok(server, 'a free 127.0.x.y:53 for the fake server');
  const asked: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = decode(msg);
    const name = q.questions[0]!.name;
    asked.push(name);
    const known = name === `only-fake-${tag}.example` && q.questions[0]!.type === TYPE.A;
    const answers = known ? [{ name, type: TYPE.A, class: CLASS_IN, ttl: 30, data: '192.0.2.77' }] : [];
    const rcode = name.startsWith('only-fake-') ? RCODE.NOERROR : RCODE.NXDOMAIN;
    sock.send(encode({ id: q.id, flags: { ...q.flags, qr: true, ra: true, rcode }, questions: q.questions, answers, authorities: [], additionals: [] }), rinfo.port, rinfo.address);
  });
  try {
    const r = await dockerAsync(['run', '--rm', '--network', netA, '--dns', server, 'busybox', 'sh', '-c', `cat /etc/resolv.conf; nslookup -type=a only-fake-${tag}.example`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^nameserver 127\.0\.0\.11$/m, 'the container still asks the embedded DNS');
    assert.match(r.stdout, new RegExp(`ExtServers: \\[host\\(${server.replace(/\./g, '\\.')}\\)\\]`));
    assert.match(r.stdout, /Address:\s*192\.0\.2\.77/);
    assert.ok(asked.includes(`only-fake-${tag}.example`), `the fake server was asked: ${asked.join(', ')}`);
    // Container names are answered by the embedded DNS, never forwarded.
    const local = await dockerAsync(['run', '--rm', '--network', netA, '--dns', server, 'busybox', 'nslookup', `nosuch-${tag}`]);
    assert.match(local.stdout + local.stderr, /NXDOMAIN/);
    assert.ok(!asked.some((n) => n.startsWith('nosuch-')), `single-label names stay inside: ${asked.join(', ')}`);
  } finally {
    sock.close();
  }
});

test('--link on a user network is an alias only the linking container resolves', () => {
  const ipA = ipOn(a, netA);
  const linked = ok(d.docker(['run', '--rm', '--network', netA, '--link', `${a}:buddy-${tag}`, 'busybox', 'nslookup', '-type=a', `buddy-${tag}`]), 'nslookup link alias');
  assert.match(linked, new RegExp(`Address:\\s*${ipA.replace(/\./g, '\\.')}\\b`));
  const notMine = d.docker(['exec', b, 'nslookup', `buddy-${tag}`]);
  assert.notEqual(notMine.code, 0, `b resolved another container's link alias: ${notMine.stdout}`);
});

test('default bridge: no embedded DNS, but --link gives a hosts line and Docker\'s variables', () => {
  const web = `web-${tag}`;
  ok(d.docker(['run', '-d', '--name', web, '--expose', '80', '-e', 'FOO=bar', 'busybox', 'sleep', '300']), 'run web');
  try {
    const ip = ok(d.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web]), 'inspect web').trim();
    const id12 = ok(d.docker(['inspect', '-f', '{{.Id}}', web]), 'inspect').trim().slice(0, 12);
    const self = `self-${tag}`;
    const out = ok(d.docker(['run', '--rm', '--name', self, '--link', `${web}:db`, 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; echo @@@; cat /etc/hosts; echo @@@; env; echo @@@; ping -c1 -W5 db']), 'run with --link');
    const [resolv, hosts, env, ping] = out.split('@@@\n');
    assert.doesNotMatch(resolv!, /127\.0\.0\.11/, 'the default bridge has no embedded DNS');
    assert.match(hosts!, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tdb ${id12} ${web}$`, 'm'));
    const vars = new Set(env!.split('\n'));
    for (const v of [`DB_PORT=tcp://${ip}:80`, `DB_PORT_80_TCP=tcp://${ip}:80`, `DB_PORT_80_TCP_ADDR=${ip}`, 'DB_PORT_80_TCP_PORT=80', 'DB_PORT_80_TCP_PROTO=tcp', `DB_NAME=/${self}/db`, 'DB_ENV_FOO=bar']) {
      assert.ok(vars.has(v), `${v} in:\n${env}`);
    }
    assert.match(ping!, /1 packets received/);

    const missing = d.docker(['run', '--rm', '--link', `nosuch-${tag}:x`, 'busybox', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`could not get container for nosuch-${tag}`));
    ok(d.docker(['stop', '-t', '0', web]), 'stop web');
    const stopped = d.docker(['run', '--rm', '--name', `self2-${tag}`, '--link', `${web}:db`, 'busybox', 'true']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, new RegExp(`Cannot link to a non running container: /${web} AS /self2-${tag}/db`));
  } finally {
    d.docker(['rm', '-f', web, `self2-${tag}`]);
  }
});

test('after a daemon restart running containers still resolve each other (listeners come back)', async () => {
  await d.terminate();
  await d.start();
  const out = ok(d.docker(['exec', b, 'nslookup', '-type=a', a]), 'nslookup after restart');
  assert.match(out, new RegExp(`Address:\\s*${ipOn(a, netA).replace(/\./g, '\\.')}\\b`));
});

test('each container has the redirect table in its namespace; removing networks closes the listeners', () => {
  const netC = `dnsc-${tag}`;
  ok(d.docker(['network', 'create', netC]), 'network create C');
  const gw = gatewayOf(netC);
  assert.match(udpListeners(), new RegExp(`${gw.replace(/\./g, '\\.')}:53\\b`), 'listening on the gateway');
  const id = ok(d.docker(['run', '-d', '--network', netC, 'busybox', 'sleep', '300']), 'run c').trim();
  const ns = join(d.execRoot, 'netns', id);
  const table = spawnSync('nsenter', [`--net=${ns}`, 'nft', 'list', 'table', 'ip', 'berth_dns'], { encoding: 'utf8' });
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`dnat to ${gw.replace(/\./g, '\\.')}:53`));
  ok(d.docker(['rm', '-f', id]), 'rm c');
  assert.equal(existsSync(ns), false, 'the namespace (and the table in it) is gone');
  ok(d.docker(['network', 'rm', netC]), 'network rm C');
  assert.doesNotMatch(udpListeners(), new RegExp(`${gw.replace(/\./g, '\\.')}:53\\b`), 'no listener after network rm');
  assert.deepEqual(readdirSync(join(d.execRoot, 'netns')).filter((f) => f === id), []);
});
