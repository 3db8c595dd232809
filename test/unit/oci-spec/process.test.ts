import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, parseProcLimits, specToJson } from '../../../src/containers/oci-spec/index.js';
import { testCtx } from './fixtures.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             63603                63603                processes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;
const daemonRlimits = parseProcLimits(LIMITS);

test('args, environment, cwd and terminal as dockerd sets them', () => {
  const s = buildSpec(
    { Entrypoint: ['/bin/entry'], Cmd: ['--flag'], Env: ['PATH=/opt/bin', 'FOO=bar', 'HOSTNAME'], Tty: true, WorkingDir: '/app', Hostname: 'h' },
    {},
    testCtx(),
  ).spec.process;
  assert.deepEqual(s.args, ['/bin/entry', '--flag']);
  assert.deepEqual(s.env, ['PATH=/opt/bin', 'TERM=xterm', 'FOO=bar']);
  assert.equal(s.cwd, '/app');
  assert.equal(s.terminal, true);
  const d = buildSpec({ Cmd: ['sh'], Hostname: 'h' }, {}, testCtx()).spec.process;
  assert.deepEqual(d.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h']);
  assert.equal(d.cwd, '/');
  assert.equal(d.terminal, false);
  assert.equal(d.oomScoreAdj, undefined);
  assert.throws(() => buildSpec({}, {}, testCtx()), { name: 'InvalidParameter', message: 'No command specified' });
});

test('no --ulimit: no rlimits, the container inherits the daemon\'s', () => {
  assert.equal(buildSpec({ Cmd: ['x'] }, {}, testCtx({ daemonRlimits })).spec.process.rlimits, undefined);
});

test('--ulimit within the daemon\'s hard limits becomes an rlimit', () => {
  const r = buildSpec({ Cmd: ['x'] }, { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 20000 }, { Name: 'cpu', Soft: -1, Hard: -1 }] }, testCtx({ daemonRlimits }));
  assert.deepEqual(r.spec.process.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 },
    { type: 'RLIMIT_CPU', soft: 18446744073709551615, hard: 18446744073709551615 },
  ]);
  // uint64 max must survive into config.json exactly.
  assert.match(specToJson(r.spec), /"soft": 18446744073709551615/);
});

test('--ulimit above the daemon\'s hard limit is a clear InvalidParameter, not a runtime failure', () => {
  assert.throws(
    () => buildSpec({ Cmd: ['x'] }, { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 65536 }] }, testCtx({ daemonRlimits })),
    { name: 'InvalidParameter', message: /ulimit nofile=1024:65536 exceeds the daemon's hard limit of 20000/ },
  );
  assert.throws(() => buildSpec({ Cmd: ['x'] }, { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }, testCtx()), {
    message: 'invalid ulimit type: bogus',
  });
  assert.throws(() => buildSpec({ Cmd: ['x'] }, { Ulimits: [{ Name: 'nproc', Soft: 10, Hard: 5 }] }, testCtx()), {
    message: 'ulimit soft limit must be less than or equal to hard limit: 10 > 5',
  });
});

test('root path, read-only flag and cgroups path come from the context', () => {
  const s = buildSpec({ Cmd: ['x'] }, { ReadonlyRootfs: true }, testCtx({ rootfs: '/r', cgroupsPath: '/berth/abc' })).spec;
  assert.deepEqual(s.root, { path: '/r', readonly: true });
  assert.equal(s.linux.cgroupsPath, '/berth/abc');
});
