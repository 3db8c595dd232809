import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extraHostLines } from '../../../src/network/extra-hosts.js';

test('--add-host entries become hosts lines; host-gateway is the address given for it', () => {
  assert.deepEqual(extraHostLines(['db:10.0.0.5', 'gw:host-gateway', 'v6:fd00::1', 'eq=192.0.2.1'], '172.17.0.1'), ['10.0.0.5\tdb', '172.17.0.1\tgw', 'fd00::1\tv6', '192.0.2.1\teq']);
});

test('host-gateway without a default bridge or host-gateway-ip is refused as dockerd refuses it', () => {
  assert.throws(() => extraHostLines(['gw:host-gateway'], undefined), /unable to derive the IP value for host-gateway/);
  assert.deepEqual(extraHostLines(['db:10.0.0.5'], undefined), ['10.0.0.5\tdb']);
});
