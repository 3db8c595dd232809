// Single-host networking through the real docker CLI: user bridges, published ports from the
// host's loopback and from a peer namespace, --network none, network inspect, bad input, and
// that nothing (bridge, nft table, namespace) is left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TestDaemon, busyboxTar, sleep } from './harness.js';
import { daemonNetNames } from '../../src/network/naming.js';

const octet = 100 + (randomBytes(1)[0]! % 100);
const tag = randomBytes(3).toString('hex');
const peerNs = `berth-e2e-peer-${tag}`;
const peerVeth = `vpe${tag}`;
const hostAddr = `10.${octet}.250.1`;
let d: TestDaemon;

function sh(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

async function until<T>(fn: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

before(async () => {
  d = new TestDaemon({ daemonJson: { 'default-address-pools': [{ base: `10.${octet}.0.0/16`, size: 24 }] } });
  // A second "host": a namespace of the test's own, joined to the host by a veth.
  assert.equal(sh('ip', ['netns', 'add', peerNs]).code, 0);
  const setup = sh('ip', ['link', 'add', peerVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peerNs]);
  assert.equal(setup.code, 0, setup.out);
  sh('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', peerVeth]);
  sh('ip', ['link', 'set', peerVeth, 'up']);
  sh('ip', ['-n', peerNs, 'addr', 'add', `10.${octet}.250.2/30`, 'dev', 'eth0']);
  sh('ip', ['-n', peerNs, 'link', 'set', 'eth0', 'up']);
  sh('ip', ['-n', peerNs, 'link', 'set', 'lo', 'up']);
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  sh('ip', ['link', 'del', peerVeth]);
  sh('ip', ['netns', 'del', peerNs]);
  const names = daemonNetNames(d.dataRoot);
  await d?.stop();
  assert.equal(sh('nft', ['list', 'table', 'ip', names.table]).code !== 0, true, 'the daemon\'s nft table is gone after stop()');
  assert.equal(sh('ip', ['link', 'show', names.defaultBridge]).code !== 0, true, 'the default bridge is gone after stop()');
});

test('two containers on a user-defined bridge reach each other by IP; inspect shows them', () => {
  const net = `n-${tag}`;
  const c = d.docker(['network', 'create', net]);
  assert.equal(c.code, 0, c.stderr);
  const a = d.docker(['run', '-d', '--name', `a-${tag}`, '--network', net, 'busybox', 'sleep', '300']);
  assert.equal(a.code, 0, a.stderr);
  const ip = d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, `a-${tag}`]).stdout.trim();
  assert.match(ip, new RegExp(`^10\\.${octet}\\.\\d+\\.2$`));
  const ping = d.docker(['run', '--rm', '--network', net, 'busybox', 'ping', '-c', '1', '-W', '5', ip]);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  assert.match(ping.stdout, /1 packets received/);

  const insp = JSON.parse(d.docker(['network', 'inspect', net]).stdout)[0];
  const members = Object.values(insp.Containers) as { Name: string; IPv4Address: string }[];
  assert.deepEqual(members.map((m) => [m.Name, m.IPv4Address]), [[`a-${tag}`, `${ip}/24`]]);
  assert.equal(insp.Driver, 'bridge');

  // A container on the default bridge cannot reach the user network.
  const other = d.docker(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '2', ip]);
  assert.notEqual(other.code, 0);

  const rmBusy = d.docker(['network', 'rm', net]);
  assert.notEqual(rmBusy.code, 0);
  assert.match(rmBusy.stderr, /has active endpoints/);
  const bridge = `br-${insp.Id.slice(0, 12)}`;
  assert.equal(sh('ip', ['link', 'show', bridge]).code, 0);
  assert.equal(d.docker(['rm', '-f', `a-${tag}`]).code, 0);
  assert.equal(d.docker(['network', 'rm', net]).code, 0);
  assert.notEqual(sh('ip', ['link', 'show', bridge]).code, 0, 'a removed network leaves no bridge');
});

test('published ports answer on 127.0.0.1 and, from a peer namespace, on the host\'s address', async () => {
  const port = 20000 + (randomBytes(2).readUInt16BE() % 10000);
  const web = d.docker(['run', '-d', '--name', `web-${tag}`, '-p', `127.0.0.1:${port}:80`, '-p', `${port + 1}:80`, 'busybox', 'sh', '-c', 'echo hello-berth > /tmp/index.html && exec httpd -f -p 80 -h /tmp']);
  assert.equal(web.code, 0, web.stderr);
  const body = await until(() => {
    const r = sh('wget', ['-qO-', '-T', '3', `http://127.0.0.1:${port}/`]);
    return r.code === 0 ? r.out : undefined;
  }, 'httpd on 127.0.0.1');
  assert.equal(body.trim(), 'hello-berth');
  const fromPeer = await until(() => {
    const r = sh('nsenter', [`--net=/run/netns/${peerNs}`, 'wget', '-qO-', '-T', '3', `http://${hostAddr}:${port + 1}/`]);
    return r.code === 0 ? r.out : undefined;
  }, 'httpd from the peer namespace');
  assert.equal(fromPeer.trim(), 'hello-berth');
  // The loopback-only binding is not reachable from the peer.
  assert.notEqual(sh('nsenter', [`--net=/run/netns/${peerNs}`, 'wget', '-qO-', '-T', '2', `http://${hostAddr}:${port}/`]).code, 0);

  const portOut = d.docker(['port', `web-${tag}`]);
  assert.match(portOut.stdout, new RegExp(`80/tcp -> 127\\.0\\.0\\.1:${port}`));
  const ps = d.docker(['ps', '--filter', `name=web-${tag}`, '--format', '{{.Ports}}']);
  assert.match(ps.stdout, new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp`));
  const clash = d.docker(['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '1']);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /port is already allocated/);
  d.docker(['rm', '-f', `web-${tag}`]);
  assert.notEqual(sh('wget', ['-qO-', '-T', '2', `http://127.0.0.1:${port}/`]).code, 0, 'the mapping goes with the container');
});

test('--network none has only lo; the default bridge gives eth0 and a hosts entry', () => {
  const none = d.docker(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(none.stdout.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
  const dflt = d.docker(['run', '--rm', '--hostname', 'box1', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; cat /etc/hosts']);
  assert.equal(dflt.code, 0, dflt.stderr);
  const ip = /inet (\d+\.\d+\.\d+\.\d+)\/24/.exec(dflt.stdout)?.[1];
  assert.ok(ip, dflt.stdout);
  assert.match(dflt.stdout, new RegExp(`${ip!.replace(/\./g, '\\.')}\\tbox1`));
});

test('bad input: overlapping subnets, gateway outside, unknown driver, used static IP — and no half-made network', () => {
  const subnet = `10.${octet}.200.0/24`;
  const ok = d.docker(['network', 'create', '--subnet', subnet, `s-${tag}`]);
  assert.equal(ok.code, 0, ok.stderr);
  const overlap = d.docker(['network', 'create', '--subnet', `10.${octet}.200.128/25`, `o-${tag}`]);
  assert.match(overlap.stderr, /Pool overlaps with other one/);
  const gw = d.docker(['network', 'create', '--subnet', `10.${octet}.201.0/24`, '--gateway', `10.${octet}.202.1`, `g-${tag}`]);
  assert.match(gw.stderr, /no matching subnet for gateway/);
  const drv = d.docker(['network', 'create', '-d', 'nosuchdriver', `x-${tag}`]);
  assert.match(drv.stderr, /plugin "nosuchdriver" not found/);
  const names = d.docker(['network', 'ls', '--format', '{{.Name}}']).stdout;
  assert.doesNotMatch(names, new RegExp(`(o|g|x)-${tag}`));

  const first = d.docker(['run', '-d', '--name', `st-${tag}`, '--network', `s-${tag}`, '--ip', `10.${octet}.200.50`, 'busybox', 'sleep', '300']);
  assert.equal(first.code, 0, first.stderr);
  const again = d.docker(['run', '--rm', '--network', `s-${tag}`, '--ip', `10.${octet}.200.50`, 'busybox', 'true']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /Address already in use/);
  const onDefault = d.docker(['run', '--rm', '--ip', `10.${octet}.200.51`, 'busybox', 'true']);
  assert.match(onDefault.stderr, /user specified IP address is supported on user defined networks only/);
  d.docker(['rm', '-f', `st-${tag}`]);
  assert.equal(d.docker(['network', 'rm', `s-${tag}`]).code, 0);
});

test('a network that does not exist fails the start, not the create (no "Unable to find image" pull)', () => {
  const net = `later-${tag}`;
  const run = d.docker(['run', '--rm', '--network', net, 'busybox', 'true']);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, new RegExp(`Error response from daemon: network ${net} not found`));
  assert.doesNotMatch(run.stderr, /Unable to find image/);
  const id = d.docker(['create', '--network', net, 'busybox', 'echo', 'joined']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(d.docker(['start', id]).stderr, new RegExp(`network ${net} not found`));
  assert.equal(d.docker(['network', 'create', net]).code, 0);
  assert.equal(d.docker(['start', '-a', id]).stdout, 'joined\n');
  assert.equal(d.docker(['rm', id]).code, 0);
  assert.equal(d.docker(['network', 'rm', net]).code, 0);
});
