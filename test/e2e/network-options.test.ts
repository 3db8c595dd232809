// Networking options audited against Docker through the real docker CLI: the daemon keys bip,
// fixed-cidr, mtu and host-gateway-ip; --add-host NAME:host-gateway; info's network plugins and
// the none network's `null` driver; a running container connected to its first user network
// getting the embedded DNS (redirect and resolv.conf) at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { TestDaemon, busyboxTar } from './harness.js';

const octet = 100 + (randomBytes(1)[0]! % 100);
const tag = randomBytes(3).toString('hex');
let d: TestDaemon;

before(async () => {
  d = new TestDaemon({
    daemonJson: {
      bip: `10.${octet}.0.1/16`,
      'fixed-cidr': `10.${octet}.7.0/24`,
      mtu: 1400,
      'default-address-pools': [{ base: `10.${octet + 1}.0.0/16`, size: 24 }],
    },
  });
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  await d?.stop();
});

function ok(args: string[]): string {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('info lists the network drivers as dockerd names them; the none network\'s driver is null', () => {
  assert.equal(ok(['info', '--format', '{{json .Plugins.Network}}']).trim(), '["bridge","host","macvlan","null"]');
  assert.equal(ok(['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}} {{.Driver}}']).trim(), 'none null');
  const r = d.docker(['network', 'create', '-d', 'null', `nul-${tag}`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /only one instance of "null" network is allowed/);
});

test('bip, fixed-cidr and mtu shape the default bridge; host-gateway is its gateway', () => {
  const ipam = JSON.parse(ok(['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}']));
  assert.deepEqual(ipam, [{ Subnet: `10.${octet}.0.0/16`, IPRange: `10.${octet}.7.0/24`, Gateway: `10.${octet}.0.1` }]);
  const out = ok(['run', '--rm', '--add-host', `gw-${tag}:host-gateway`, '--add-host', 'other=192.0.2.7', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; cat /sys/class/net/eth0/mtu; cat /etc/hosts']);
  assert.match(out, new RegExp(`inet 10\\.${octet}\\.7\\.\\d+/16`), 'the address comes from fixed-cidr, the prefix from bip');
  assert.match(out, /^1400$/m, 'eth0 has the daemon\'s mtu');
  assert.match(out, new RegExp(`^10\\.${octet}\\.0\\.1\\tgw-${tag}$`, 'm'), 'host-gateway is the default bridge\'s gateway');
  assert.match(out, /^192\.0\.2\.7\tother$/m);
});

test('a running container connected to its first user network gets the embedded DNS at once', () => {
  const net = `dnsnet-${tag}`;
  const a = `late-${tag}`;
  const b = `peer-${tag}`;
  ok(['network', 'create', net]);
  ok(['run', '-d', '--name', a, 'busybox', 'sleep', '300']);
  ok(['run', '-d', '--name', b, '--network', net, 'busybox', 'sleep', '300']);
  try {
    assert.doesNotMatch(ok(['exec', a, 'cat', '/etc/resolv.conf']), /127\.0\.0\.11/, 'on the default bridge: the host\'s servers');
    ok(['network', 'connect', net, a]);
    assert.match(ok(['exec', a, 'cat', '/etc/resolv.conf']), /^nameserver 127\.0\.0\.11$/m);
    const peerIp = ok(['inspect', b, '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`]).trim();
    const look = d.docker(['exec', a, 'nslookup', b]);
    assert.equal(look.code, 0, look.stdout + look.stderr);
    assert.match(look.stdout, new RegExp(`Address: ${peerIp.replace(/\./g, '\\.')}`));
    const members = JSON.parse(ok(['network', 'inspect', net, '--format', '{{json .Containers}}'])) as Record<string, { Name: string; MacAddress: string; IPv4Address: string }>;
    const mine = Object.values(members).find((m) => m.Name === a);
    assert.ok(mine && /^02:42:/.test(mine.MacAddress) && /\/\d+$/.test(mine.IPv4Address), JSON.stringify(members));
    ok(['network', 'disconnect', net, a]);
    assert.doesNotMatch(ok(['exec', a, 'ip', '-o', 'link']), /eth1/);
  } finally {
    d.docker(['rm', '-f', a, b]);
    d.docker(['network', 'rm', net]);
  }
});

test('--ipv6 with a ULA subnet: addresses inside, ping6 between containers, AAAA from the embedded DNS, inspect', () => {
  const net = `v6-${tag}`;
  const prefix = `fd${tag.slice(0, 2)}:${tag.slice(2)}:1`;
  const a = `v6a-${tag}`;
  const b = `v6b-${tag}`;
  ok(['network', 'create', '--ipv6', '--subnet', `${prefix}::/64`, net]);
  try {
    const cfg = JSON.parse(ok(['network', 'inspect', net, '--format', '{{json .IPAM.Config}}'])) as { Subnet: string; Gateway?: string }[];
    assert.deepEqual(cfg[1], { Subnet: `${prefix}::/64`, Gateway: `${prefix}::1` });
    assert.equal(ok(['network', 'inspect', net, '--format', '{{.EnableIPv6}}']).trim(), 'true');
    ok(['run', '-d', '--name', a, '--network', net, 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', b, '--network', net, '--ip6', `${prefix}::99`, 'busybox', 'sleep', '300']);
    assert.match(ok(['exec', a, 'ip', '-o', '-6', 'addr', 'show', 'eth0']), new RegExp(`inet6 ${prefix}::2/64`));
    assert.match(ok(['exec', a, 'ip', '-6', 'route']), new RegExp(`default via ${prefix}::1`));
    const ping = d.docker(['exec', a, 'ping6', '-c', '1', '-W', '5', `${prefix}::99`]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const look = d.docker(['exec', a, 'nslookup', '-type=aaaa', b]);
    assert.equal(look.code, 0, look.stdout + look.stderr);
    assert.match(look.stdout, new RegExp(`Address: ${prefix}::99`));
    const byName = d.docker(['exec', a, 'ping', '-6', '-c', '1', '-W', '5', b]);
    assert.equal(byName.code, 0, byName.stdout + byName.stderr);
    const members = JSON.parse(ok(['network', 'inspect', net, '--format', '{{json .Containers}}'])) as Record<string, { Name: string; IPv6Address: string }>;
    assert.equal(Object.values(members).find((m) => m.Name === b)?.IPv6Address, `${prefix}::99/64`);
    assert.equal(ok(['inspect', b, '--format', `{{(index .NetworkSettings.Networks "${net}").GlobalIPv6Address}}`]).trim(), `${prefix}::99`);
    // Bad input leaves nothing: an overlapping IPv6 subnet, a used static address.
    const before = ok(['network', 'ls', '-q']);
    const overlap = d.docker(['network', 'create', '--ipv6', '--subnet', `${prefix}:0:8000::/65`, `v6o-${tag}`]);
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
    assert.equal(ok(['network', 'ls', '-q']), before);
    const used = d.docker(['run', '--rm', '--network', net, '--ip6', `${prefix}::99`, 'busybox', 'true']);
    assert.notEqual(used.code, 0);
    assert.match(used.stderr, /Address already in use/);
  } finally {
    d.docker(['rm', '-f', a, b]);
    d.docker(['network', 'rm', net]);
  }
});

test('host-gateway-ip overrides what host-gateway stands for', async () => {
  await d.terminate();
  const cfg = JSON.parse(readFileSync(d.configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(d.configFile, JSON.stringify({ ...cfg, 'host-gateway-ip': '192.0.2.99' }));
  await d.start();
  const out = ok(['run', '--rm', '--add-host', 'hg:host-gateway', 'busybox', 'cat', '/etc/hosts']);
  assert.match(out, /^192\.0\.2\.99\thg$/m);
});
