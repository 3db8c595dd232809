// The macvlan driver through the real docker CLI: a container on a macvlan sub-interface of a
// veth whose peer sits in a namespace of the test's own (a second machine on the same wire) is
// reachable from that peer and reaches it; nothing is published; bad parents are refused whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { busyboxDaemon, sleep } from './harness.js';

const tag = randomBytes(3).toString('hex');
const parent = `mvp${tag}`;
const peerNs = `berth-test-${tag}`;
const d = busyboxDaemon();
let octet = 0;

function sh(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

const inPeer = (args: string[]) => sh('nsenter', [`--net=/run/netns/${peerNs}`, ...args]);
const net = (third: number) => `10.${octet}.${third}`;

async function until<T>(fn: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function networkNames(): string[] {
  return d.docker(['network', 'ls', '--format', '{{.Name}}']).stdout.split('\n').filter(Boolean);
}

before(() => {
  // A 10.x/16 no route on this machine uses, so the test never shadows a real network.
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']).out;
  do octet = 100 + (randomBytes(1)[0]! % 100);
  while (routes.includes(`10.${octet}.`));
  assert.equal(sh('ip', ['netns', 'add', peerNs]).code, 0);
  const veth = sh('ip', ['link', 'add', parent, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peerNs]);
  assert.equal(veth.code, 0, veth.out);
  assert.equal(sh('ip', ['link', 'set', parent, 'up']).code, 0);
  assert.equal(inPeer(['ip', 'addr', 'add', `${net(5)}.254/24`, 'dev', 'eth0']).code, 0);
  assert.equal(inPeer(['ip', 'link', 'set', 'eth0', 'up']).code, 0);
  assert.equal(inPeer(['ip', 'link', 'set', 'lo', 'up']).code, 0);
});

after(() => {
  sh('ip', ['link', 'del', parent]);
  sh('ip', ['netns', 'del', peerNs]);
});

test('a macvlan container is reachable from a peer on the parent and reaches it; -p publishes nothing', async () => {
  const name = `mv-${tag}`;
  const c = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(5)}.0/24`, '--gateway', `${net(5)}.254`, '-o', `parent=${parent}`, name]);
  assert.equal(c.code, 0, c.stderr);
  const insp = JSON.parse(d.docker(['network', 'inspect', name]).stdout)[0];
  assert.equal(insp.Driver, 'macvlan');
  assert.equal(insp.Options.parent, parent);

  const ip = `${net(5)}.10`;
  const web = d.docker(['run', '-d', '--name', `web-${tag}`, '--network', name, '--ip', ip, '-p', '8080:80', 'busybox', 'sh', '-c', 'echo hello-macvlan > /tmp/index.html && exec httpd -f -p 80 -h /tmp']);
  assert.equal(web.code, 0, web.stderr);
  const body = await until(() => {
    const r = inPeer(['wget', '-qO-', '-T', '3', `http://${ip}/`]);
    return r.code === 0 ? r.out : undefined;
  }, 'httpd on the macvlan address from the peer');
  assert.equal(body.trim(), 'hello-macvlan');

  // Its MAC is derived from the address, as Docker's; the peer's ARP table learned exactly that.
  const mac = d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${name}").MacAddress}}`, `web-${tag}`]).stdout.trim();
  assert.equal(mac, `02:42:0a:${octet.toString(16)}:05:0a`);
  assert.match(inPeer(['ip', 'neigh', 'show', ip]).out, new RegExp(mac));

  const route = d.docker(['exec', `web-${tag}`, 'ip', 'route']);
  assert.match(route.stdout, new RegExp(`default via ${net(5)}\\.254 dev eth0`));
  const ping = d.docker(['exec', `web-${tag}`, 'ping', '-c', '1', '-W', '5', `${net(5)}.254`]);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);

  // Docker ignores -p on macvlan: no mapping, nothing listening on the host's port.
  assert.equal(d.docker(['port', `web-${tag}`]).stdout.trim(), '');
  const members = Object.values(JSON.parse(d.docker(['network', 'inspect', name]).stdout)[0].Containers) as { IPv4Address: string }[];
  assert.deepEqual(members.map((m) => m.IPv4Address), [`${ip}/24`]);

  assert.equal(d.docker(['rm', '-f', `web-${tag}`]).code, 0);
  // The sub-interface went with the container: its address no longer answers on the wire.
  await until(() => (inPeer(['ping', '-c', '1', '-W', '1', ip]).code !== 0 ? true : undefined), 'the removed container to stop answering');
  assert.equal(d.docker(['network', 'rm', name]).code, 0);
  const link = sh('ip', ['-o', 'link', 'show', parent]);
  assert.equal(link.code, 0, 'removing the network leaves the parent in place');
  assert.match(link.out, /[<,]UP[,>]/);
});

test('a macvlan network without a gateway: no default route; subnet picked from the pools when omitted', () => {
  const name = `mvg-${tag}`;
  const c = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(7)}.0/24`, '-o', `parent=${parent}`, name]);
  assert.equal(c.code, 0, c.stderr);
  const r = d.docker(['run', '--rm', '--network', name, 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`inet ${net(7)}\\.\\d+/24`));
  assert.doesNotMatch(r.stdout, /default/);
  assert.equal(d.docker(['network', 'rm', name]).code, 0);

  const auto = d.docker(['network', 'create', '-d', 'macvlan', '-o', `parent=${parent}`, `mva-${tag}`]);
  assert.equal(auto.code, 0, auto.stderr);
  const subnet = d.docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', `mva-${tag}`]).stdout.trim();
  assert.match(subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  assert.equal(d.docker(['network', 'rm', `mva-${tag}`]).code, 0);
});

test('bad parents, modes and overlaps are refused with clear errors and leave no network or link', () => {
  const cases: [string[], RegExp][] = [
    [['-o', `parent=nosuch${tag}`], new RegExp(`parent interface was not found on the host: nosuch${tag}`)],
    [['-o', `parent=${parent}.10`], /802\.1q VLAN sub-interface .* this kernel has no support for it/],
    [['-o', `parent=nosuch${tag}.10`], new RegExp(`parent interface was not found on the host: nosuch${tag}$`, 'm')],
    [['-o', `parent=${parent}.5000`], /vlan id must be between 1-4094/],
    [[], /without -o parent needs a dummy parent link .* this kernel has no support for it/],
    [['--internal'], /without -o parent needs a dummy parent link/],
    [['-o', `parent=${parent}`, '-o', 'macvlan_mode=sideways'], /requested macvlan mode 'sideways' is not valid/],
    [['-o', 'parent=lo'], /loopback interface is not a valid macvlan parent link/],
  ];
  for (const [i, [args, msg]] of cases.entries()) {
    const r = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(20 + i)}.0/24`, ...args, `bad${i}-${tag}`]);
    assert.notEqual(r.code, 0, `case ${i} (${args.join(' ')}) was accepted`);
    assert.match(r.stderr, msg, `case ${i}`);
  }
  assert.deepEqual(networkNames().filter((n) => n.startsWith('bad')), []);
  assert.notEqual(sh('ip', ['link', 'show', `${parent}.10`]).code, 0, 'no VLAN link was left behind');

  // Two macvlan networks on one parent: fine apart, refused when the subnets overlap or one is passthru.
  const a = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(6)}.0/24`, '-o', `parent=${parent}`, `ov1-${tag}`]);
  assert.equal(a.code, 0, a.stderr);
  const overlap = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(6)}.128/25`, '-o', `parent=${parent}`, `ov2-${tag}`]);
  assert.match(overlap.stderr, /Pool overlaps with other one/);
  const passthru = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(8)}.0/24`, '-o', `parent=${parent}`, '-o', 'macvlan_mode=passthru', `ov3-${tag}`]);
  assert.match(passthru.stderr, /cannot use mode passthru, macvlan network .* is already using parent interface/);
  const apart = d.docker(['network', 'create', '-d', 'macvlan', '--subnet', `${net(9)}.0/24`, '-o', `parent=${parent}`, '-o', 'macvlan_mode=private', `ov4-${tag}`]);
  assert.equal(apart.code, 0, apart.stderr);
  assert.deepEqual(networkNames().filter((n) => n.startsWith('ov')).sort(), [`ov1-${tag}`, `ov4-${tag}`]);
  assert.equal(d.docker(['network', 'rm', `ov1-${tag}`, `ov4-${tag}`]).code, 0);
});
