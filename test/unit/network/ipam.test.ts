import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool, DEFAULT_POOLS, pickSubnet, resolveIpamConfig } from '../../../src/network/ipam/ipam.js';
import { formatCidr, parseCidr } from '../../../src/network/ipam/cidr.js';

const none = () => {
  throw new Error('should not pick');
};

test('the default bridge gets 172.17.0.0/16, then user networks 172.18, and 192.168.x.0/20 once 172.16/12 is used', () => {
  assert.equal(formatCidr(pickSubnet(DEFAULT_POOLS, [])), '172.17.0.0/16');
  assert.equal(formatCidr(pickSubnet(DEFAULT_POOLS, [parseCidr('172.17.0.0/16')])), '172.18.0.0/16');
  assert.equal(formatCidr(pickSubnet(DEFAULT_POOLS, [parseCidr('172.16.0.0/12')])), '192.168.0.0/20');
  assert.equal(formatCidr(pickSubnet(DEFAULT_POOLS, [parseCidr('172.16.0.0/12'), parseCidr('192.168.1.0/24')])), '192.168.16.0/20');
});

test('a host route overlapping a pool subnet makes the picker skip it (another daemon\'s bridge)', () => {
  const pools = [{ base: '10.99.0.0/16', size: 24 }];
  assert.equal(formatCidr(pickSubnet(pools, [parseCidr('10.99.0.0/24'), parseCidr('10.99.1.5/32')])), '10.99.2.0/24');
  assert.throws(() => pickSubnet([{ base: '10.99.0.0/24', size: 24 }], [parseCidr('10.0.0.0/8')]), /non-overlapping IPv4 address pool/);
});

test('--subnet/--gateway/--ip-range/--aux-address are checked as dockerd checks them', () => {
  assert.deepEqual(resolveIpamConfig({ Subnet: '10.5.0.0/24' }, none, []), { Subnet: '10.5.0.0/24', Gateway: '10.5.0.1' });
  assert.throws(() => resolveIpamConfig({ Subnet: '10.5.0.0/24', Gateway: '10.6.0.1' }, none, []), /no matching subnet for gateway 10.6.0.1/);
  assert.throws(() => resolveIpamConfig({ Subnet: '10.5.0.0/24', IPRange: '10.5.1.0/28' }, none, []), /no matching subnet for range/);
  assert.throws(() => resolveIpamConfig({ Subnet: '10.5.0.0/24', AuxiliaryAddresses: { h: '10.9.0.9' } }, none, []), /no matching subnet for aux-address 10.9.0.9/);
  assert.throws(() => resolveIpamConfig({ Subnet: '10.5.0.0/16' }, none, [parseCidr('10.5.3.0/24')]), /Pool overlaps with other one/);
  assert.throws(() => resolveIpamConfig({ Gateway: '10.5.0.1' }, none, []), /no matching subnet for gateway/);
});

test('addresses are handed out serially, skipping gateway, aux addresses and static ones, within --ip-range', () => {
  const pool = new AddressPool(resolveIpamConfig({ Subnet: '10.7.0.0/24', IPRange: '10.7.0.0/29', AuxiliaryAddresses: { r: '10.7.0.3' } }, none, []));
  pool.reserve('10.7.0.4');
  assert.equal(pool.allocate(), '10.7.0.2');
  assert.equal(pool.allocate(), '10.7.0.5');
  pool.release('10.7.0.2');
  // not reused at once: the cursor moves on first
  assert.equal(pool.allocate(), '10.7.0.6');
  assert.equal(pool.allocate(), '10.7.0.7');
  assert.equal(pool.allocate(), '10.7.0.2');
  assert.throws(() => pool.allocate(), /no available IPv4 addresses/);
  assert.throws(() => pool.reserve('10.7.0.5'), /Address already in use/);
  assert.throws(() => pool.reserve('10.8.0.5'), /does not belong to any of this network's subnets/);
});

test('allocations survive a restart: a pool rebuilt from stored endpoints does not hand them out again', () => {
  const cfg = resolveIpamConfig({ Subnet: '10.9.0.0/29' }, none, []);
  const before = new AddressPool(cfg);
  const stored = [before.allocate(), before.allocate()];
  const after = new AddressPool(JSON.parse(JSON.stringify(cfg)));
  for (const ip of stored) after.reserve(ip);
  assert.ok(!stored.includes(after.allocate()));
});
