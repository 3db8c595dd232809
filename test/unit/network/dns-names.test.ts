import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameTable, reverseNameToIp, type DnsEndpoint } from '../../../src/network/dns/names.js';
import { linkEnv, linkHostsLine, parseLink } from '../../../src/network/dns/links.js';
import { embeddedResolvConf } from '../../../src/network/dns/resolv-conf.js';
import { redirectScript } from '../../../src/network/dns/redirect.js';
import { Resolver } from '../../../src/network/dns/resolver.js';
import { CLASS_IN, RCODE, TYPE, decode, encode } from '../../../src/network/dns/message.js';

const ID = (c: string) => c.repeat(64);
function ep(containerId: string, name: string, net: string, ip: string, more: Partial<DnsEndpoint> = {}): DnsEndpoint {
  return { containerId, name, networkId: `id-${net}`, networkName: net, ip, aliases: [], links: [], ...more };
}

// web and db share "front"; db is also on "back" with worker; lonely is alone on "other".
const table = new NameTable([
  ep(ID('a'), 'web', 'front', '10.1.0.2', { links: [{ target: 'db', alias: 'database' }] }),
  ep(ID('b'), 'db', 'front', '10.1.0.3', { aliases: ['pg', 'Primary'] }),
  ep(ID('b'), 'db', 'back', '10.2.0.3'),
  ep(ID('c'), 'worker', 'back', '10.2.0.4', { aliases: ['pg'] }),
  ep(ID('d'), 'lonely', 'other', '10.3.0.2'),
]);

test('a container resolves peers by name, alias (any case), short id and name.network', () => {
  assert.deepEqual(table.resolve(ID('a'), 'db'), ['10.1.0.3']);
  assert.deepEqual(table.resolve(ID('a'), 'PRIMARY.'), ['10.1.0.3']);
  assert.deepEqual(table.resolve(ID('a'), ID('b').slice(0, 12)), ['10.1.0.3']);
  assert.deepEqual(table.resolve(ID('a'), 'db.front'), ['10.1.0.3']);
  assert.equal(table.resolve(ID('a'), 'db.back'), undefined, 'web is not on back');
});

test('a name on several of the asker\'s networks gives every address; others\' networks give none', () => {
  // db asks for pg: itself on front, worker on back.
  assert.deepEqual(table.resolve(ID('b'), 'pg')?.sort(), ['10.1.0.3', '10.2.0.4']);
  assert.equal(table.resolve(ID('d'), 'db'), undefined);
  assert.equal(table.resolve(ID('a'), 'worker'), undefined);
});

test('link aliases resolve for the linking container only', () => {
  assert.deepEqual(table.resolve(ID('a'), 'database'), ['10.1.0.3']);
  assert.equal(table.resolve(ID('b'), 'database'), undefined);
});

test('single labels and names under a shared network are local; other names go upstream', () => {
  assert.equal(table.isLocal(ID('a'), 'nosuch'), true);
  assert.equal(table.isLocal(ID('a'), 'nosuch.front'), true);
  assert.equal(table.isLocal(ID('a'), 'nosuch.back'), false);
  assert.equal(table.isLocal(ID('a'), 'example.com'), false);
});

test('reverse lookups name the container on a shared network', () => {
  assert.equal(reverseNameToIp('3.0.1.10.in-addr.arpa'), '10.1.0.3');
  assert.equal(reverseNameToIp('3.0.1.999.in-addr.arpa'), undefined);
  assert.equal(table.reverse(ID('a'), '10.1.0.3'), 'db.front');
  assert.equal(table.reverse(ID('a'), '10.2.0.4'), undefined);
  assert.equal(table.endpointAt('id-back', '10.2.0.4')?.name, 'worker');
});

test('links are parsed from the CLI form and the inspect form', () => {
  assert.deepEqual(parseLink('web:db'), { target: 'web', alias: 'db' });
  assert.deepEqual(parseLink('web'), { target: 'web', alias: 'web' });
  assert.deepEqual(parseLink('/web:/self/db'), { target: 'web', alias: 'db' });
});

test('legacy link hosts line and variables are Docker\'s', () => {
  const l = { alias: 'my-db', name: 'web', hostname: 'abcdef012345', ip: '172.17.0.2', exposedPorts: ['5432/tcp', '53/udp', '53/tcp'], env: ['PATH=/bin', 'PGDATA=/d', 'X=a=b'] };
  assert.equal(linkHostsLine(l), '172.17.0.2\tmy-db abcdef012345 web');
  assert.equal(linkHostsLine({ ...l, alias: 'web' }), '172.17.0.2\tweb abcdef012345');
  assert.deepEqual(linkEnv('app', l), [
    'MY_DB_PORT=tcp://172.17.0.2:53',
    'MY_DB_PORT_53_TCP=tcp://172.17.0.2:53',
    'MY_DB_PORT_53_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_53_TCP_PORT=53',
    'MY_DB_PORT_53_TCP_PROTO=tcp',
    'MY_DB_PORT_53_UDP=udp://172.17.0.2:53',
    'MY_DB_PORT_53_UDP_ADDR=172.17.0.2',
    'MY_DB_PORT_53_UDP_PORT=53',
    'MY_DB_PORT_53_UDP_PROTO=udp',
    'MY_DB_PORT_5432_TCP=tcp://172.17.0.2:5432',
    'MY_DB_PORT_5432_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_5432_TCP_PORT=5432',
    'MY_DB_PORT_5432_TCP_PROTO=tcp',
    'MY_DB_NAME=/app/my-db',
    'MY_DB_ENV_PGDATA=/d',
    'MY_DB_ENV_X=a=b',
  ]);
});

test('resolv.conf with the embedded DNS: 127.0.0.11, ndots:0, search and options honoured', () => {
  const host = 'search corp.example\nnameserver 127.0.0.53\noptions edns0 ndots:2\n';
  const plain = embeddedResolvConf(host, {});
  assert.equal(plain, 'nameserver 127.0.0.11\nsearch corp.example\noptions ndots:0 edns0\n\n# ExtServers: [host(127.0.0.53)]\n');
  const custom = embeddedResolvConf(host, { Dns: ['192.0.2.1'], DnsSearch: ['a.example'], DnsOptions: ['ndots:3', 'timeout:1'] });
  assert.match(custom, /^search a\.example$/m);
  assert.match(custom, /^options ndots:3 timeout:1$/m);
  assert.match(custom, /ExtServers: \[host\(192\.0\.2\.1\)\]/);
  assert.doesNotMatch(embeddedResolvConf(host, { DnsSearch: ['.'] }), /^search/m);
});

test('the namespace redirect sends 127.0.0.11:53 to the gateway and rewrites the source', () => {
  const s = redirectScript('10.1.0.1', '10.1.0.2');
  assert.match(s, /ip daddr 127\.0\.0\.11 udp dport 53 dnat to 10\.1\.0\.1:53/);
  assert.match(s, /ip daddr 127\.0\.0\.11 tcp dport 53 dnat to 10\.1\.0\.1:53/);
  assert.match(s, /snat to 10\.1\.0\.2/);
  assert.ok(s.indexOf('delete table') < s.indexOf('chain output'), 'an earlier table is replaced');
});

function query(name: string, type: number): Buffer {
  return encode({ id: 99, flags: { qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 }, questions: [{ name, type, class: CLASS_IN }], answers: [], authorities: [], additionals: [] });
}

test('the resolver answers local names, NXDOMAIN, NODATA for AAAA, PTR, and refuses strangers', async () => {
  // No upstream is ever reached here: every name asked is local.
  const r = new Resolver({ table: () => table, dnsServers: () => [] }, '/nonexistent');
  const a = decode((await r.handle(query('db', TYPE.A), 'id-front', '10.1.0.2', 'udp'))!);
  assert.equal(a.id, 99);
  assert.equal(a.flags.qr, true);
  assert.deepEqual(a.answers.map((x) => x.data), ['10.1.0.3']);
  const nx = decode((await r.handle(query('nosuch', TYPE.A), 'id-front', '10.1.0.2', 'udp'))!);
  assert.equal(nx.flags.rcode, RCODE.NXDOMAIN);
  const aaaa = decode((await r.handle(query('db', TYPE.AAAA), 'id-front', '10.1.0.2', 'tcp'))!);
  assert.equal(aaaa.flags.rcode, RCODE.NOERROR);
  assert.equal(aaaa.answers.length, 0);
  const ptr = decode((await r.handle(query('3.0.1.10.in-addr.arpa', TYPE.PTR), 'id-front', '10.1.0.2', 'udp'))!);
  assert.deepEqual(ptr.answers.map((x) => x.data), ['db.front']);
  const stranger = decode((await r.handle(query('db', TYPE.A), 'id-front', '10.9.9.9', 'udp'))!);
  assert.equal(stranger.flags.rcode, RCODE.REFUSED);
  // A header followed by garbage: FORMERR with the same id.
  const bad = Buffer.concat([query('db', TYPE.A).subarray(0, 12), Buffer.from([0x3f])]);
  const fe = decode((await r.handle(bad, 'id-front', '10.1.0.2', 'udp'))!);
  assert.equal(fe.flags.rcode, RCODE.FORMERR);
  assert.equal(fe.id, 99);
});
