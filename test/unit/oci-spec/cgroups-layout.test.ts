import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupDirs, cgroupFiles, parseCgroupLayout } from '../../../src/runtime/cgroups-layout.js';

const PROC_CGROUPS = `#subsys_name	hierarchy	num_cgroups	enabled
cpuset	3	1	1
cpu	1	1	1
cpuacct	1	1	1
blkio	7	1	1
memory	4	43	1
devices	5	1	1
freezer	6	1	1
net_cls	0	1	1
hugetlb	0	1	1
pids	8	1	1
`;
const HYBRID = `31 23 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
`;

test('hybrid host with hugetlb on the v2 side is recognised as the layout crun refuses', () => {
  const l = parseCgroupLayout(HYBRID, PROC_CGROUPS, 'hugetlb\n');
  assert.equal(l.kind, 'hybrid');
  assert.equal(l.unified, '/sys/fs/cgroup/unified');
  assert.equal(l.v1['cpu'], '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1['cpuacct'], '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1['name=systemd'], '/sys/fs/cgroup/systemd');
  assert.equal(l.hugetlbOnUnified, true);
  // Without the controllers file, /proc/cgroups' hierarchy 0 says the same.
  assert.equal(parseCgroupLayout(HYBRID, PROC_CGROUPS).hugetlbOnUnified, true);
});

test('mounting hugetlb as v1 makes the hybrid host acceptable', () => {
  const mounted = HYBRID + '42 31 0:39 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb\n';
  const l = parseCgroupLayout(mounted, PROC_CGROUPS.replace('hugetlb\t0', 'hugetlb\t10'), '');
  assert.equal(l.kind, 'hybrid');
  assert.equal(l.hugetlbOnUnified, false);
  assert.equal(l.v1['hugetlb'], '/sys/fs/cgroup/hugetlb');
});

test('pure v1 and pure v2 hosts', () => {
  const v1 = HYBRID.split('\n').filter((l) => !l.includes('cgroup2')).join('\n');
  assert.equal(parseCgroupLayout(v1, PROC_CGROUPS).kind, 'v1');
  const v2 = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
  const l = parseCgroupLayout(v2, '', 'cpuset cpu io memory hugetlb pids rdma misc\n');
  assert.equal(l.kind, 'v2');
  assert.equal(l.hugetlbOnUnified, false);
  assert.deepEqual(cgroupFiles('/berth/abc', l), {
    version: 2,
    memoryUsage: '/sys/fs/cgroup/berth/abc/memory.current',
    memoryMaxUsage: '/sys/fs/cgroup/berth/abc/memory.peak',
    memoryLimit: '/sys/fs/cgroup/berth/abc/memory.max',
    memoryStat: '/sys/fs/cgroup/berth/abc/memory.stat',
    memoryEvents: '/sys/fs/cgroup/berth/abc/memory.events',
    cpuStat: '/sys/fs/cgroup/berth/abc/cpu.stat',
    pidsCurrent: '/sys/fs/cgroup/berth/abc/pids.current',
    pidsMax: '/sys/fs/cgroup/berth/abc/pids.max',
    ioStat: '/sys/fs/cgroup/berth/abc/io.stat',
  });
});

test('per-controller files and directories for a container on v1', () => {
  const l = parseCgroupLayout(HYBRID, PROC_CGROUPS);
  const f = cgroupFiles('/berth/abc', l);
  assert.equal(f.version, 1);
  assert.equal(f.memoryUsage, '/sys/fs/cgroup/memory/berth/abc/memory.usage_in_bytes');
  assert.equal(f.cpuUsage, '/sys/fs/cgroup/cpu,cpuacct/berth/abc/cpuacct.usage');
  assert.equal(f.pidsCurrent, '/sys/fs/cgroup/pids/berth/abc/pids.current');
  assert.equal(f.blkioServiceBytes, '/sys/fs/cgroup/blkio/berth/abc/blkio.throttle.io_service_bytes_recursive');
  const dirs = cgroupDirs('/berth/abc', l);
  // cpu and cpuacct share one hierarchy: one directory.
  assert.equal(dirs.filter((d) => d.startsWith('/sys/fs/cgroup/cpu,cpuacct/')).length, 1);
  assert.ok(dirs.includes('/sys/fs/cgroup/systemd/berth/abc'));
  assert.ok(dirs.includes('/sys/fs/cgroup/unified/berth/abc'));
});

test('ensureCrunCompatible leaves a host that needs no fix alone', async () => {
  const { detectCgroupLayout, ensureCrunCompatible } = await import('../../../src/runtime/cgroups-layout.js');
  if (detectCgroupLayout().hugetlbOnUnified) return; // this host would really be changed: not in a unit test
  const r = await ensureCrunCompatible();
  assert.equal(r.changed, false);
  assert.match(r.note, /needs no change/);
});
