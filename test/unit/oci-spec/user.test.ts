import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUser } from '../../../src/containers/oci-spec/index.js';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
app:x:1000:1000::/home/app:/bin/sh
`;
const GROUP = `root:x:0:
wheel:x:10:root,app
www-data:x:33:
app:x:1000:
docker:x:999:app,www-data
`;

test('no user means root with the groups root belongs to', () => {
  assert.deepEqual(resolveUser('', PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [0, 10] });
});

test('a name resolves uid, primary gid and supplementary groups from membership', () => {
  assert.deepEqual(resolveUser('app', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 999] });
});

test('a numeric uid uses the passwd entry when there is one, and works without one', () => {
  assert.deepEqual(resolveUser('33', PASSWD, GROUP), { uid: 33, gid: 33, additionalGids: [33, 999] });
  assert.deepEqual(resolveUser('4242', PASSWD, GROUP), { uid: 4242, gid: 0, additionalGids: [0] });
  assert.deepEqual(resolveUser('4242', undefined, undefined), { uid: 4242, gid: 0, additionalGids: [0] });
});

test('uid:gid and name:group set the primary group and no supplementary ones', () => {
  assert.deepEqual(resolveUser('1000:5000', PASSWD, GROUP), { uid: 1000, gid: 5000, additionalGids: [5000] });
  assert.deepEqual(resolveUser('app:docker', PASSWD, GROUP), { uid: 1000, gid: 999, additionalGids: [999] });
  assert.deepEqual(resolveUser('www-data:0', PASSWD, GROUP), { uid: 33, gid: 0, additionalGids: [0] });
});

test('unknown names fail with Docker\'s messages', () => {
  assert.throws(() => resolveUser('foo', PASSWD, GROUP), {
    name: 'InvalidParameter',
    message: 'unable to find user foo: no matching entries in passwd file',
  });
  assert.throws(() => resolveUser('foo', undefined, undefined), {
    message: 'unable to find user foo: no matching entries in passwd file',
  });
  assert.throws(() => resolveUser('app:nogroup', PASSWD, GROUP), {
    message: 'unable to find group nogroup: no matching entries in group file',
  });
  assert.throws(() => resolveUser('99999999999', PASSWD, GROUP), { message: 'uids and gids must be in range 0-2147483647' });
});
