import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../../src/cli/flags.js';
import { buildContainerConfig, containerFlags, runOnlyFlags, type CreateBody } from '../../../src/cli/container-opts.js';

// Expected values are what docker/cli 28's container/opts.go parse() puts in the create body.

function body(...argv: string[]): CreateBody {
  const flags = parseFlags([...containerFlags, ...runOnlyFlags], argv, { interspersed: false });
  return buildContainerConfig(flags).body;
}
const host = (b: CreateBody): Record<string, unknown> => b.HostConfig;

function failure(...argv: string[]): string {
  try {
    body(...argv);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

test('image and command come from the positionals; attach defaults to stdout+stderr', () => {
  const b = body('busybox', 'echo', 'hi');
  assert.equal(b.Image, 'busybox');
  assert.deepEqual(b.Cmd, ['echo', 'hi']);
  assert.equal(b.Entrypoint, null);
  assert.deepEqual([b.AttachStdin, b.AttachStdout, b.AttachStderr, b.OpenStdin, b.StdinOnce, b.Tty], [false, true, true, false, false, false]);
  assert.equal(host(b).NetworkMode, 'default');
  assert.deepEqual(b.NetworkingConfig.EndpointsConfig, { default: {} });
  assert.deepEqual(host(b).RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal('Init' in host(b), false, 'Init is only sent when --init is given');
  assert.equal(host(b).MemorySwappiness, -1);
});

test('-it opens and attaches stdin and closes it when the client leaves (StdinOnce)', () => {
  const b = body('-it', 'busybox', 'sh');
  assert.deepEqual([b.AttachStdin, b.OpenStdin, b.StdinOnce, b.Tty], [true, true, true, true]);
  const a = body('-a', 'STDOUT', 'busybox');
  assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr], [false, true, false]);
});

test('-p publishes with protocol and ranges, and exposes the container side', () => {
  const b = body('-p', '8080:80/udp', '-p', '127.0.0.1:8000-8001:90-91', '-p', '443', '--expose', '7000-7001', 'img');
  assert.deepEqual(b.ExposedPorts, { '80/udp': {}, '90/tcp': {}, '91/tcp': {}, '443/tcp': {}, '7000/tcp': {}, '7001/tcp': {} });
  assert.deepEqual(host(b).PortBindings, {
    '80/udp': [{ HostIp: '', HostPort: '8080' }],
    '90/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }],
    '91/tcp': [{ HostIp: '127.0.0.1', HostPort: '8001' }],
    '443/tcp': [{ HostIp: '', HostPort: '' }],
  });
  const long = body('-p', 'published=8080,target=80,protocol=udp', 'img');
  assert.deepEqual(host(long).PortBindings, { '80/udp': [{ HostIp: '', HostPort: '8080' }] });
  assert.equal(failure('-p', '99999:80', 'img'), 'invalid hostPort: 99999');
  assert.equal(failure('-p', '80/xyz', 'img'), 'invalid proto: xyz');
});

test('-v with a source is a bind; without one it is an anonymous volume', () => {
  const b = body('-v', 'a:b:ro', '-v', '/srv:/data', '-v', '/cache', 'img');
  assert.deepEqual(host(b).Binds, ['a:b:ro', '/srv:/data']);
  assert.deepEqual(b.Volumes, { '/cache': {} });
  assert.equal(failure('-v', 'a:b:c:d', 'img'), 'invalid spec: a:b:c:d: too many colons');
});

test('--mount and --tmpfs', () => {
  const b = body('--mount', 'type=bind,src=/src,dst=/dst,ro', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770', '--mount', 'source=vol,target=/v,volume-nocopy', '--tmpfs', '/run:rw,size=64m', 'img');
  assert.deepEqual(host(b).Mounts, [
    { Type: 'bind', Source: '/src', Target: '/dst', ReadOnly: true },
    { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } },
    { Type: 'volume', Source: 'vol', Target: '/v', VolumeOptions: { NoCopy: true } },
  ]);
  assert.deepEqual(host(b).Tmpfs, { '/run': 'rw,size=64m' });
  assert.match(failure('--mount', 'type=bind,src=/x', 'img'), /target is required/);
  assert.match(failure('--mount', 'type=volume,dst=/x,bind-propagation=shared', 'img'), /cannot mix 'bind-\*' options with mount type 'volume'/);
});

test('-e takes a bare name from the environment; --env-file and --label-file are read first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-opts-'));
  try {
    writeFileSync(join(dir, 'env'), '# comment\nFROM_FILE=1\n\nA=file\nBERTH_TEST_UNSET_VAR\n');
    writeFileSync(join(dir, 'labels'), 'team=db\nflag\n');
    process.env.BERTH_TEST_OPTS_VAR = 'from-env';
    const b = body('--env-file', join(dir, 'env'), '-e', 'A=1', '-e', 'BERTH_TEST_OPTS_VAR', '-e', 'BERTH_TEST_UNSET_VAR', '--label-file', join(dir, 'labels'), '-l', 'x=y', 'img');
    assert.deepEqual(b.Env, ['FROM_FILE=1', 'A=file', 'A=1', 'BERTH_TEST_OPTS_VAR=from-env', 'BERTH_TEST_UNSET_VAR']);
    assert.deepEqual(b.Labels, { team: 'db', flag: '', x: 'y' });
    assert.equal(failure('--env-file', join(dir, 'missing'), 'img'), `--env-file: open ${join(dir, 'missing')}: no such file or directory`);
  } finally {
    delete process.env.BERTH_TEST_OPTS_VAR;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resources: memory, cpus, shares, pids, ulimits, devices, shm', () => {
  const b = body('--memory', '32m', '--memory-swap', '-1', '--cpus', '0.5', '-c', '512', '--cpuset-cpus', '0-1', '--pids-limit', '100', '--ulimit', 'nproc=10', '--ulimit', 'nofile=1024:2048', '--device', '/dev/fuse', '--device', '/dev/sda:/dev/xvdc:r', '--shm-size', '1g', '--device-read-bps', '/dev/sda:1mb', 'img');
  const h = host(b);
  assert.equal(h.Memory, 33554432);
  assert.equal(h.MemorySwap, -1);
  assert.equal(h.NanoCpus, 500000000);
  assert.equal(h.CpuShares, 512);
  assert.equal(h.CpusetCpus, '0-1');
  assert.equal(h.PidsLimit, 100);
  assert.equal(h.ShmSize, 1024 ** 3);
  assert.deepEqual(h.Ulimits, [
    { Name: 'nofile', Hard: 2048, Soft: 1024 },
    { Name: 'nproc', Hard: 10, Soft: 10 },
  ]);
  assert.deepEqual(h.Devices, [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvdc', CgroupPermissions: 'r' },
  ]);
  assert.deepEqual(h.BlkioDeviceReadBps, [{ Path: '/dev/sda', Rate: 1024 * 1024 }]);
  assert.equal(failure('--memory-swappiness', '101', 'img'), 'invalid value: 101. Valid memory swappiness range is 0-100');
});

test('restart policy, and its conflict with --rm', () => {
  assert.deepEqual(host(body('--restart', 'on-failure:3', 'img')).RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(host(body('--restart', 'always', 'img')).RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
  assert.equal(failure('--rm', '--restart', 'always', 'img'), 'conflicting options: cannot specify both --restart and --rm');
  assert.equal(host(body('--rm', 'img')).AutoRemove, true);
  assert.equal(failure('--restart', 'on-failure:x', 'img'), 'invalid restart policy format: maximum retry count must be an integer');
});

test('healthcheck flags become Config.Healthcheck in nanoseconds', () => {
  const b = body('--health-cmd', 'curl -f http://localhost/', '--health-interval', '30s', '--health-timeout', '5s', '--health-retries', '3', '--health-start-period', '1m', 'img');
  assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 30e9, Timeout: 5e9, StartPeriod: 60e9, StartInterval: 0, Retries: 3 });
  assert.deepEqual(body('--no-healthcheck', 'img').Healthcheck, { Test: ['NONE'] });
  assert.equal(failure('--no-healthcheck', '--health-cmd', 'x', 'img'), '--no-healthcheck conflicts with --health-* options');
  assert.equal(body('img').Healthcheck, null);
});

test('identity, namespaces, security and logging options', () => {
  const b = body('--name', 'web', '-u', '1000:1000', '-w', '/app', '-h', 'box', '--entrypoint', '/bin/sh', '--init', '--privileged', '--read-only', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--security-opt', 'systempaths=unconfined', '--pid', 'host', '--ipc', 'shareable', '--uts', 'host', '--stop-signal', 'SIGINT', '--stop-timeout', '5', '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--sysctl', 'net.ipv4.ip_forward=1', '--add-host', 'db:10.0.0.2', '--dns', '1.1.1.1', 'img');
  const h = host(b);
  assert.equal(b.User, '1000:1000');
  assert.equal(b.WorkingDir, '/app');
  assert.equal(b.Hostname, 'box');
  assert.deepEqual(b.Entrypoint, ['/bin/sh']);
  assert.equal(b.StopSignal, 'SIGINT');
  assert.equal(b.StopTimeout, 5);
  assert.equal(h.Init, true);
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['ALL']);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.deepEqual(h.MaskedPaths, []);
  assert.deepEqual(h.ReadonlyPaths, []);
  assert.equal(h.PidMode, 'host');
  assert.equal(h.IpcMode, 'shareable');
  assert.equal(h.UTSMode, 'host');
  assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m' } });
  assert.deepEqual(h.Sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
  assert.deepEqual(h.Dns, ['1.1.1.1']);
  assert.deepEqual(body('--entrypoint=', 'img').Entrypoint, ['']);
  assert.equal(failure('--pid', 'foo', 'img'), '--pid: invalid PID mode');
  assert.equal(failure('--log-driver', 'none', '--log-opt', 'a=b', 'img'), 'invalid logging opts for driver none');
  assert.equal(failure('--security-opt', 'label', 'img'), 'invalid --security-opt: "label"');
  assert.match(failure('--sysctl', 'kernel.hostname=x', 'img'), /sysctl 'kernel.hostname=x' is not allowed/);
});

test('networks: a lone named network is left to the daemon; aliases make an endpoint', () => {
  const single = body('--network', 'host', 'img');
  assert.equal(host(single).NetworkMode, 'host');
  assert.deepEqual(single.NetworkingConfig.EndpointsConfig, {});
  const aliased = body('--network', 'mynet', '--network-alias', 'web', '--ip', '10.1.0.5', 'img');
  assert.deepEqual(aliased.NetworkingConfig.EndpointsConfig, { mynet: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.1.0.5', IPv6Address: '', LinkLocalIPs: [] } } });
  assert.equal(failure('--network', 'bridge', '--network-alias', 'x', 'img'), 'network-scoped aliases are only supported for user-defined networks');
  assert.equal(failure('--network', 'host', '--network', 'mynet', 'img'), 'conflicting options: cannot attach both user-defined and non-user-defined network-modes');
});
