// -v, --mount and --volumes-from parsing against moby's linux parser tables and error texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBind, parseMount, parseVolumesFrom, validMountMode } from '../../../src/volumes/mount-spec.js';

test('valid -v specs parse (moby TestLinuxParseMountRaw)', () => {
  for (const spec of [
    '/home',
    '/home:/home',
    '/home:/something/else',
    '/with space',
    '/home:/with space',
    'relative:/absolute-path',
    'hostPath:/containerPath:ro',
    '/hostPath:/containerPath:rw',
    '/rw:/ro',
    '/hostPath:/containerPath:shared',
    '/hostPath:/containerPath:rshared',
    '/hostPath:/containerPath:slave',
    '/hostPath:/containerPath:rslave',
    '/hostPath:/containerPath:private',
    '/hostPath:/containerPath:rprivate',
    '/hostPath:/containerPath:ro,shared',
    '/hostPath:/containerPath:ro,z,shared',
    '/hostPath:/containerPath:ro,Z,slave',
    '/hostPath:/containerPath:Z,slave,ro',
    '/hostPath:/containerPath:ro,Z,rprivate',
    'name:/data:nocopy',
  ]) {
    assert.doesNotThrow(() => parseBind(spec), spec);
  }
});

test('invalid -v specs fail with Docker\'s messages', () => {
  const cases: [string, string][] = [
    ['', "invalid volume specification: ''"],
    ['./', `invalid volume specification: './': invalid mount config for type "volume": invalid mount path: './' mount path must be absolute`],
    ['/:../', `invalid volume specification: '/:../': invalid mount config for type "bind": invalid mount path: '../' mount path must be absolute`],
    [':', "invalid volume specification: ':'"],
    // An empty second field reads as an (empty) mode: a destination without a source.
    ['/tmp:', "invalid volume specification: '/tmp:'"],
    [':test', "invalid volume specification: ':test'"],
    ['/tmp:::', "invalid volume specification: '/tmp:::'"],
    ['/path:rw', "invalid volume specification: '/path:rw'"],
    ['path:ro', "invalid volume specification: 'path:ro'"],
    ['/path:/path:sw', 'invalid mode: sw'],
    ['/path:/path:rwz', 'invalid mode: rwz'],
    ['/path:/path:ro,rshared,rslave', 'invalid mode: ro,rshared,rslave'],
    ['/path:shared', "invalid volume specification: '/path:shared'"],
    ['/x:/', `invalid volume specification: '/x:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    [
      'name:/absolute-path:rshared',
      `invalid volume specification: 'name:/absolute-path:rshared': invalid mount config for type "volume": field BindOptions must not be specified`,
    ],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => parseBind(spec), { message }, spec);
  }
});

test('-v splits into bind or volume with mode, RW and propagation', () => {
  const bind = parseBind('/tmp:/tmp2:ro');
  assert.equal(bind.type, 'bind');
  assert.equal(bind.source, '/tmp');
  assert.equal(bind.destination, '/tmp2');
  assert.equal(bind.rw, false);
  assert.equal(bind.mode, 'ro');
  assert.equal(bind.propagation, 'rprivate');
  assert.equal(bind.createSource, true);

  const shared = parseBind('/a/:/b/:rshared');
  assert.equal(shared.source, '/a');
  assert.equal(shared.destination, '/b');
  assert.equal(shared.propagation, 'rshared');
  assert.equal(shared.rw, true);

  const vol = parseBind('name:/named3:ro', 'local');
  assert.equal(vol.type, 'volume');
  assert.equal(vol.source, 'name');
  assert.equal(vol.driver, 'local');
  assert.equal(vol.rw, false);
  assert.equal(vol.copyData, true);

  assert.equal(parseBind('name:/data:nocopy').copyData, false);
  const anon = parseBind('/data');
  assert.equal(anon.type, 'volume');
  assert.equal(anon.source, '');
});

test('--mount checks: missing bind source, propagation, extra fields, anonymous read-only', () => {
  const none = () => false;
  const all = () => true;
  const cases: [Parameters<typeof parseMount>[0], string][] = [
    [{ Type: 'bind', Source: '/x', Target: '/y' }, 'invalid mount config for type "bind": bind source path does not exist: /x'],
    [{ Type: 'bind', Target: '/y' }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ Type: 'bind', Source: 'rel', Target: '/y' }, `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'bind', Source: '/x', Target: '/y', BindOptions: { Propagation: 'sideways' } }, 'invalid mount config for type "bind": invalid propagation mode: sideways'],
    [{ Type: 'bind', Source: '/x', Target: '/y', VolumeOptions: {} }, 'invalid mount config for type "bind": field VolumeOptions must not be specified'],
    [{ Type: 'volume', Target: '/y', ReadOnly: true }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
    [{ Type: 'volume', Source: 'v', Target: '/y', BindOptions: {} }, 'invalid mount config for type "volume": field BindOptions must not be specified'],
    [{ Type: 'tmpfs', Source: 'x', Target: '/y' }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [{ Type: 'volume', Source: 'v' }, 'invalid mount config for type "volume": field Target must not be empty'],
    [{ Type: 'volume', Source: 'v', Target: 'rel' }, `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'nfs', Target: '/y' }, 'invalid mount config for type "nfs": mount type unknown'],
  ];
  for (const [m, message] of cases) {
    assert.throws(() => parseMount(m, m.Source === '/x' && !m.BindOptions && !m.VolumeOptions ? none : all), { message }, JSON.stringify(m));
  }
  const ro = parseMount({ Type: 'bind', Source: '/x', Target: '/y/', ReadOnly: true }, all);
  assert.deepEqual([ro.source, ro.destination, ro.rw, ro.mode, ro.propagation, ro.createSource], ['/x', '/y', false, '', 'rprivate', false]);
  const created = parseMount({ Type: 'bind', Source: '/x', Target: '/y', BindOptions: { CreateMountpoint: true } }, none);
  assert.equal(created.source, '/x');
});

test('--mount volume options and tmpfs data', () => {
  const v = parseMount({ Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } } } }, () => true);
  assert.equal(v.copyData, false);
  assert.deepEqual(v.labels, { a: 'b' });
  assert.deepEqual(v.driverOptions, { type: 'tmpfs' });
  const t = parseMount({ Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o700 } }, () => true);
  assert.equal(t.tmpfsData, 'ro,mode=700,size=1m');
  assert.equal(parseMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1000 } }, () => true).tmpfsData, 'size=1000');
});

test('--volumes-from takes ro/rw but no propagation or copy mode', () => {
  assert.deepEqual(parseVolumesFrom('data'), { container: 'data', mode: 'rw', rw: true });
  assert.deepEqual(parseVolumesFrom('data:ro'), { container: 'data', mode: 'ro', rw: false });
  assert.throws(() => parseVolumesFrom(''), { message: 'volumes-from specification cannot be an empty string' });
  assert.throws(() => parseVolumesFrom('data:rshared'), { message: 'invalid mode: rshared' });
  assert.throws(() => parseVolumesFrom('data:nocopy'), { message: 'invalid mode: nocopy' });
  assert.throws(() => parseVolumesFrom('data:bogus'), { message: 'invalid mode: bogus' });
});

test('mode strings allow one of each kind', () => {
  assert.equal(validMountMode('ro,z,rshared,nocopy'), true);
  assert.equal(validMountMode('ro,rw'), false);
  assert.equal(validMountMode('z,Z'), false);
  assert.equal(validMountMode('nocopy,nocopy'), false);
});
