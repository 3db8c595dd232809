// Pure pieces behind the newer berth commands: help wrapping as pflag does it, network IPAM flag
// consolidation, natural sort, cp argument splitting, tag references and history rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFlagUsages, type FlagSpec } from '../../../src/cli/flags.js';
import { consolidateIpam } from '../../../src/cli/commands/network.js';
import { naturalCompare } from '../../../src/cli/natural-order.js';
import { splitCpArg } from '../../../src/cli/commands/container-fs.js';
import { historyRow, splitTarget } from '../../../src/cli/commands/image-tags.js';
import { StatusError } from '../../../src/cli/status-error.js';

test('help text wraps at 79 columns under its column, as docker prints it without a terminal', () => {
  const specs: FlagSpec[] = [
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
    { name: 'archive', short: 'a', kind: 'bool', help: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', help: 'Always follow symbol link in SRC_PATH' },
  ];
  // docker cp --help, copied from the docker CLI 28.2 with no terminal attached.
  assert.equal(
    formatFlagUsages(specs),
    [
      '  -a, --archive       Archive mode (copy all uid/gid information)',
      '  -L, --follow-link   Always follow symbol link in SRC_PATH',
      '  -q, --quiet         Suppress progress output during copy. Progress',
      '                      output is automatically suppressed if no terminal',
      '                      is attached',
    ].join('\n'),
  );
  // A wide terminal leaves the same text on one line.
  assert.equal(formatFlagUsages(specs, 200).split('\n').length, 3);
});

test('the implicit --help is not listed but a command that declares its own shows it', () => {
  assert.doesNotMatch(formatFlagUsages([{ name: 'all', kind: 'bool', help: 'x' }]), /--help/);
  assert.match(formatFlagUsages([{ name: 'help', kind: 'bool', help: 'Print usage' }]), /--help +Print usage/);
});

test('network create: gateways and ranges go with the subnet that holds them', () => {
  assert.deepEqual(consolidateIpam(['10.1.0.0/16', '10.2.0.0/24'], ['10.1.5.0/24'], ['10.2.0.254'], { host1: '10.1.0.9' }), [
    { Subnet: '10.1.0.0/16', IPRange: '10.1.5.0/24', AuxiliaryAddresses: { host1: '10.1.0.9' } },
    { Subnet: '10.2.0.0/24', Gateway: '10.2.0.254', AuxiliaryAddresses: {} },
  ]);
  assert.deepEqual(consolidateIpam(['fd00:1::/64'], [], ['fd00:1::1'], {})[0]?.Gateway, 'fd00:1::1');
  assert.throws(() => consolidateIpam([], [], ['10.0.0.1'], {}), (e: unknown) => e instanceof StatusError && /corresponding subnet/.test(e.message));
  assert.throws(() => consolidateIpam(['10.5.0.0/24'], [], ['10.6.0.1'], {}), /no matching subnet for gateway 10.6.0.1/);
  assert.throws(() => consolidateIpam(['10.0.0.0/8', '10.1.0.0/16'], [], [], {}), /overlapping/);
});

test('natural order puts net2 before net10', () => {
  const names = ['net10', 'bridge', 'net2', 'host', 'net1'];
  names.sort(naturalCompare);
  assert.deepEqual(names, ['bridge', 'host', 'net1', 'net2', 'net10']);
});

test('cp arguments: CONTAINER:PATH unless the argument is an absolute or ./ path', () => {
  assert.deepEqual(splitCpArg('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
  assert.deepEqual(splitCpArg('/tmp/a:b'), { container: '', path: '/tmp/a:b' });
  assert.deepEqual(splitCpArg('./a:b'), { container: '', path: './a:b' });
  assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
});

test('tag targets: latest by default, registry ports are not tags, upper case is refused', () => {
  assert.deepEqual(splitTarget('app'), { repo: 'app', tag: 'latest' });
  assert.deepEqual(splitTarget('localhost:5000/app:v2'), { repo: 'localhost:5000/app', tag: 'v2' });
  assert.throws(() => splitTarget('BAD:x'), /repository name \(library\/BAD\) must be lowercase/);
  assert.throws(() => splitTarget('app@sha256:' + 'a'.repeat(64)), /digest reference/);
});

test('history rows: human sizes and times, or raw values with -H=false', () => {
  const h = { Id: 'sha256:' + 'ab'.repeat(32), Created: 1_700_000_000, CreatedBy: '/bin/sh -c\t' + 'x'.repeat(60), Tags: null, Size: 1_984_000, Comment: '' };
  const now = 1_700_000_000_000 + 3 * 3600_000;
  const human = historyRow(h, true, true, now);
  assert.equal(human.ID, 'abababababab');
  assert.equal(human.Size, '1.98MB');
  assert.equal(human.CreatedSince, '3 hours ago');
  assert.equal([...human.CreatedBy!].length, 45);
  assert.ok(human.CreatedBy!.startsWith('/bin/sh -c x'));
  const raw = historyRow(h, false, false, now);
  assert.equal(raw.Size, '1984000');
  assert.equal(raw.CreatedSince, raw.CreatedAt);
  assert.equal(raw.ID, h.Id);
});

test('templates: docker inspect fails on a missing key; formatter rows fail on a field their Go type lacks', async () => {
  const { parseDockerTemplate, asGoStruct } = await import('../../../src/cli/template/index.js');
  assert.equal(parseDockerTemplate('{{.Foo}}').execute({ Id: 'x' }), '<no value>');
  assert.throws(() => parseDockerTemplate('{{.Foo}}').withMissingKeyError().execute({ Id: 'x' }), /at <\.Foo>: map has no entry for key "Foo"/);
  const row = asGoStruct({ ID: 'abc' }, '*formatter.ContainerContext');
  assert.equal(parseDockerTemplate('{{.ID}}').execute(row), 'abc');
  assert.throws(() => parseDockerTemplate('{{.Names}}').execute(row), /can't evaluate field Names in type \*formatter\.ContainerContext/);
  // The type marker is invisible to json and to range.
  assert.equal(parseDockerTemplate('{{json .}}').execute(row), '{"ID":"abc"}');
});
