// Berth beside a firewall it did not write: an nftables table of the test's own whose forward
// chain drops by default, and iptables-nft's filter FORWARD set to DROP as dockerd leaves it.
// Containers on a user bridge still reach each other, a published port answers from a peer
// namespace, and iptables can still read its own chain. The daemon runs in a network namespace
// of the test's own, so the drop policies never touch other software on this machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import koffi from 'koffi';
import { TestDaemon, busyboxTar, sleep } from './harness.js';

const setns = koffi.load('libc.so.6').func('int setns(int fd, int nstype)');
const CLONE_NEWNET = 0x40000000;

const tag = randomBytes(3).toString('hex');
const hostNs = `berth-test-${tag}`;
const peerNs = `berth-test-${tag}-p`;
const uplink = `vfw${tag}`;
const fwTable = `berth_test_fw_${tag}`;
let octet = 0;
let origNs = -1;
let iptablesPolicy = '';
let d: TestDaemon;

function sh(cmd: string, args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, input });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** Moves this process's main thread (and every child it spawns from now on) into a namespace. */
function enterNs(path: string): void {
  const fd = openSync(path, 'r');
  try {
    assert.equal(setns(fd, CLONE_NEWNET), 0, `setns ${path}`);
  } finally {
    closeSync(fd);
  }
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
  try {
    await setUp();
  } catch (err) {
    // node:test skips `after` when `before` fails: leave no namespace or drop policy behind.
    await tearDown().catch(() => undefined);
    throw err;
  }
});

after(async () => {
  await tearDown();
});

async function setUp(): Promise<void> {
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']).out;
  do octet = 100 + (randomBytes(1)[0]! % 100);
  while (routes.includes(`10.${octet}.`));
  origNs = openSync('/proc/self/ns/net', 'r');
  assert.equal(sh('ip', ['netns', 'add', hostNs]).code, 0);
  assert.equal(sh('ip', ['netns', 'add', peerNs]).code, 0);
  enterNs(`/run/netns/${hostNs}`);
  // From here on `ip`, `nft`, `iptables`, docker's daemon and its containers live in hostNs.
  const veth = sh('ip', ['link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peerNs]);
  assert.equal(veth.code, 0, veth.out);
  for (const args of [['addr', 'add', `10.${octet}.250.1/30`, 'dev', uplink], ['link', 'set', uplink, 'up'], ['link', 'set', 'lo', 'up']]) assert.equal(sh('ip', args).code, 0);
  for (const args of [['addr', 'add', `10.${octet}.250.2/30`, 'dev', 'eth0'], ['link', 'set', 'eth0', 'up'], ['link', 'set', 'lo', 'up']]) assert.equal(sh('ip', ['-n', peerNs, ...args]).code, 0);

  const fw = sh('nft', ['-f', '-'], `table inet ${fwTable} {\n  chain forward {\n    type filter hook forward priority 0; policy drop;\n  }\n}\n`);
  assert.equal(fw.code, 0, fw.out);
  iptablesPolicy = /^-P FORWARD (\w+)/m.exec(sh('iptables', ['-S', 'FORWARD']).out)?.[1] ?? 'ACCEPT';
  assert.equal(sh('iptables', ['-P', 'FORWARD', 'DROP']).code, 0);

  d = new TestDaemon({ daemonJson: { 'default-address-pools': [{ base: `10.${octet}.0.0/16`, size: 24 }] } });
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
}

let tornDown = false;

async function tearDown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  try {
    await d?.stop();
    // Berth's accept rules go with the daemon; the foreign policies stay as the test set them.
    assert.doesNotMatch(sh('nft', ['list', 'table', 'inet', fwTable]).out, /berth:/);
    const ipt = sh('iptables', ['-S', 'FORWARD']);
    assert.equal(ipt.code, 0, ipt.out);
    assert.doesNotMatch(ipt.out, /berth:/);
    assert.match(ipt.out, /^-P FORWARD DROP$/m);
  } finally {
    if (iptablesPolicy) sh('iptables', ['-P', 'FORWARD', iptablesPolicy]);
    sh('nft', ['delete', 'table', 'inet', fwTable]);
    if (origNs >= 0) {
      setns(origNs, CLONE_NEWNET);
      closeSync(origNs);
    }
    origNs = -1;
    sh('ip', ['netns', 'del', peerNs]);
    sh('ip', ['netns', 'del', hostNs]);
  }
}

test('containers on a user bridge reach each other and the peer through forward chains that drop', () => {
  const net = `fw-${tag}`;
  assert.equal(d.docker(['network', 'create', net]).code, 0);
  const a = d.docker(['run', '-d', '--name', `a-${tag}`, '--network', net, 'busybox', 'sleep', '300']);
  assert.equal(a.code, 0, a.stderr);
  const ip = d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, `a-${tag}`]).stdout.trim();
  const ping = d.docker(['run', '--rm', '--network', net, 'busybox', 'ping', '-c', '1', '-W', '5', ip]);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  // Out through the host: forwarded to the uplink and masqueraded.
  const out = d.docker(['run', '--rm', '--network', net, 'busybox', 'ping', '-c', '1', '-W', '5', `10.${octet}.250.2`]);
  assert.equal(out.code, 0, out.stdout + out.stderr);

  // iptables still understands its chain, and shows Berth's accepts for the bridge in it.
  const bridge = `br-${d.docker(['network', 'inspect', '-f', '{{.Id}}', net]).stdout.trim().slice(0, 12)}`;
  const ipt = sh('iptables', ['-S', 'FORWARD']);
  assert.equal(ipt.code, 0, ipt.out);
  assert.match(ipt.out, new RegExp(`-A FORWARD -i ${bridge} .*berth:.* -j ACCEPT`));
  assert.match(sh('nft', ['list', 'table', 'inet', fwTable]).out, new RegExp(`iifname "${bridge}" accept comment "berth:`));

  assert.equal(d.docker(['rm', '-f', `a-${tag}`]).code, 0);
  assert.equal(d.docker(['network', 'rm', net]).code, 0);
  assert.doesNotMatch(sh('iptables', ['-S', 'FORWARD']).out, new RegExp(bridge), 'the removed bridge\'s rules are gone');
  assert.doesNotMatch(sh('nft', ['list', 'table', 'inet', fwTable]).out, new RegExp(bridge));
});

test('a published port answers from a peer namespace at the host\'s address', async () => {
  const port = 20000 + (randomBytes(2).readUInt16BE() % 10000);
  const web = d.docker(['run', '-d', '--name', `web-${tag}`, '-p', `${port}:80`, 'busybox', 'sh', '-c', 'echo hello-fw > /tmp/index.html && exec httpd -f -p 80 -h /tmp']);
  assert.equal(web.code, 0, web.stderr);
  const body = await until(() => {
    const r = sh('ip', ['netns', 'exec', peerNs, 'wget', '-qO-', '-T', '3', `http://10.${octet}.250.1:${port}/`]);
    return r.code === 0 ? r.out : undefined;
  }, 'httpd from the peer namespace');
  assert.equal(body.trim(), 'hello-fw');
  assert.equal(d.docker(['rm', '-f', `web-${tag}`]).code, 0);
});
