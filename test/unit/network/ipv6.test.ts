import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool6, formatIp6, parseCidr6, parseIp6, resolveIpv6Config } from '../../../src/network/ipam/ipv6.js';

test('IPv6 text round-trips in RFC 5952 form', () => {
  for (const [input, out] of [
    ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
    ['FD00:BE:7::99', 'fd00:be:7::99'],
    ['::', '::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
  ]) assert.equal(formatIp6(parseIp6(input!)), out);
  assert.throws(() => parseIp6('fd00::1::2'), /invalid IPv6 address/);
  assert.throws(() => parseCidr6('fd00::1/64'), /host bits set/);
});

test('an --ipv6 network gets the given subnet with ::1 as gateway, or a random ULA /64', () => {
  assert.deepEqual(resolveIpv6Config({ Subnet: 'fd00:be:7::/64' }, []), { Subnet: 'fd00:be:7::/64', Gateway: 'fd00:be:7::1' });
  assert.deepEqual(resolveIpv6Config({ Subnet: 'fd00:be:7::/64', Gateway: 'fd00:be:7::fe' }, []), { Subnet: 'fd00:be:7::/64', Gateway: 'fd00:be:7::fe' });
  assert.throws(() => resolveIpv6Config({ Subnet: 'fd00:be:7::/64', Gateway: 'fd00:be:8::1' }, []), /no matching subnet for gateway fd00:be:8::1/);
  assert.throws(() => resolveIpv6Config({ Subnet: 'fd00:be:7:0:8000::/65' }, [parseCidr6('fd00:be:7::/64')]), /Pool overlaps/);
  const a = resolveIpv6Config(undefined, []);
  const b = resolveIpv6Config(undefined, []);
  assert.match(a.Subnet, /^fd[0-9a-f]{2}:[0-9a-f:]+\/64$/);
  assert.notEqual(a.Subnet, b.Subnet);
});

test('the IPv6 pool hands out ::2 onwards serially, skips the gateway and refuses a used address', () => {
  const pool = new AddressPool6({ Subnet: 'fd00:be:7::/64', Gateway: 'fd00:be:7::1' });
  assert.equal(pool.allocate(), 'fd00:be:7::2');
  pool.reserve('fd00:be:7::3');
  assert.equal(pool.allocate(), 'fd00:be:7::4');
  assert.throws(() => pool.reserve('fd00:be:7::2'), /Address already in use/);
  assert.throws(() => pool.reserve('fd00:be:8::2'), /does not belong/);
  pool.release('fd00:be:7::2');
  assert.equal(pool.allocate(), 'fd00:be:7::5', 'a released address is not reused at once');
});
