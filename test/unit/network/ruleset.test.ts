import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRuleset, foreignAcceptRules } from '../../../src/network/nft/ruleset.js';
import { resolvePorts, portsView, summaryPorts } from '../../../src/network/ports.js';

const bridges = [
  { name: 'berth0', subnet: '172.17.0.0/16', internal: false, icc: true, masquerade: true },
  { name: 'br-aaa', subnet: '172.18.0.0/16', internal: true, icc: false, masquerade: true },
];

test('the table is replaced in one script: declared, deleted, written anew', () => {
  const text = renderRuleset({ table: 'berth_x', bridges, ports: [], loopbackDnat: true });
  assert.match(text, /^table ip berth_x \{\}\ndelete table ip berth_x\ntable ip berth_x \{/);
});

test('published ports become DNAT rules, bound to the host address when one is given', () => {
  const text = renderRuleset({
    table: 'berth',
    bridges,
    ports: [
      { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerIp: '172.17.0.2', containerPort: 80, bridge: 'berth0' },
      { proto: 'udp', hostIp: '0.0.0.0', hostPort: 5353, containerIp: '172.17.0.3', containerPort: 53, bridge: 'berth0' },
    ],
    loopbackDnat: true,
  });
  assert.match(text, /ip daddr 127\.0\.0\.1 tcp dport 8080 dnat to 172\.17\.0\.2:80/);
  assert.match(text, /\n    udp dport 5353 dnat to 172\.17\.0\.3:53/);
  assert.match(text, /oifname "berth0" ip saddr 127\.0\.0\.0\/8 masquerade/);
});

test('with a userland proxy the host\'s own loopback traffic is not DNATed', () => {
  const text = renderRuleset({ table: 'berth', bridges, ports: [], loopbackDnat: false });
  assert.match(text, /chain output \{[^}]*ip daddr != 127\.0\.0\.0\/8 fib daddr type local jump ports/);
});

test('masquerade for outbound traffic, none for internal networks; bridges isolated; icc off drops same-bridge traffic', () => {
  const text = renderRuleset({ table: 'berth', bridges, ports: [], loopbackDnat: true });
  assert.match(text, /ip saddr 172\.17\.0\.0\/16 oifname != "berth0" masquerade/);
  assert.doesNotMatch(text, /ip saddr 172\.18\.0\.0\/16 oifname != "br-aaa" masquerade/);
  assert.match(text, /iifname "berth0" oifname \{ "br-aaa" \} drop/);
  assert.match(text, /iifname "br-aaa" oifname != "br-aaa" drop/);
  assert.match(text, /iifname "br-aaa" oifname "br-aaa" drop/);
  assert.doesNotMatch(text, /iifname "berth0" oifname "berth0" drop/);
});

test('accept rules for foreign forward chains cover replies, published ports and outbound traffic', () => {
  assert.deepEqual(foreignAcceptRules(['berth0']), ['oifname "berth0" ct state established,related accept', 'oifname "berth0" ct status dnat accept', 'iifname "berth0" accept']);
});

test('port bindings: fixed, ranges, ephemeral for -P, conflicts reported as Docker words them', () => {
  const taken = new Set(['tcp:8000']);
  const checks = { taken: (p: string, _ip: string, port: number) => taken.has(`${p}:${port}`), ephemeralRange: [49000, 49010] as [number, number] };
  const m = resolvePorts({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '81/tcp': [{ HostPort: '8000-8002' }] }, true, { '80/tcp': {}, '9000/udp': {} }, checks);
  assert.deepEqual(m, [
    { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 },
    { proto: 'tcp', containerPort: 81, hostIp: '0.0.0.0', hostPort: 8001 },
    { proto: 'udp', containerPort: 9000, hostIp: '0.0.0.0', hostPort: 49000 },
  ]);
  assert.throws(() => resolvePorts({ '80/tcp': [{ HostPort: '8000' }] }, false, null, checks), /Bind for 0\.0\.0\.0:8000 failed: port is already allocated/);
  assert.deepEqual(portsView(m.slice(0, 1), { '80/tcp': {}, '443/tcp': {} }), { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '443/tcp': null });
  assert.deepEqual(summaryPorts(m.slice(0, 1), { '443/tcp': {} }), [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }]);
});
