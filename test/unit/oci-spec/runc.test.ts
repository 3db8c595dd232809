// One real check: a spec from buildSpec runs under runc, and the container sees Docker's defaults
// (capabilities, seccomp filter, hostname, masked /proc/kcore).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { buildSpec, specToJson, readDaemonRlimits } from '../../../src/containers/oci-spec/index.js';
import { removeCgroupDirs, detectCgroupLayout } from '../../../src/runtime/cgroups-layout.js';

const run = promisify(execFile);
const RUNC = '/usr/sbin/runc';
const BUSYBOX = '/bin/busybox';

test('runc runs a busybox container from buildSpec with Docker defaults', { skip: !existsSync(RUNC) || !existsSync(BUSYBOX) || process.getuid?.() !== 0 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-oci-'));
  const suffix = randomBytes(6).toString('hex');
  const id = `berth-test-${suffix}`;
  const parent = `/berth-test-${suffix}`;
  const cgroupsPath = `${parent}/${id}`;
  const state = join(dir, 'state');
  const layout = detectCgroupLayout();
  try {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
    for (const tool of ['sh', 'cat', 'id', 'grep', 'hostname', 'wc']) symlinkSync('busybox', join(rootfs, 'bin', tool));
    const { spec, warnings } = buildSpec(
      {
        Hostname: 'berthbox',
        Cmd: [
          'sh',
          '-c',
          [
            'cat /proc/self/status',
            'echo "host=$(hostname)"',
            // This kernel has no /proc/kcore; where it exists the mask makes it empty either way.
            'if [ -s /proc/kcore ]; then echo kcore=readable; else echo kcore=hidden; fi',
            'echo "keys=$(cat /proc/keys | wc -c)"',
            'echo "firmware=$(ls /sys/firmware | wc -l)"',
            'grep -c " /proc/keys " /proc/self/mountinfo',
            'id',
          ].join('; '),
        ],
      },
      { NetworkMode: 'none' },
      { containerId: id, rootfs, cgroupsPath, daemonRlimits: readDaemonRlimits() },
    );
    assert.deepEqual(warnings, []);
    writeFileSync(join(dir, 'config.json'), specToJson(spec));
    const { stdout } = await run(RUNC, ['--root', state, 'run', '--bundle', dir, id], { timeout: 30_000 });
    assert.match(stdout, /^CapEff:\s+00000000a80425fb$/m);
    assert.match(stdout, /^CapBnd:\s+00000000a80425fb$/m);
    assert.match(stdout, /^CapInh:\s+0000000000000000$/m);
    assert.match(stdout, /^Seccomp:\s+2$/m);
    assert.match(stdout, /^host=berthbox$/m);
    assert.match(stdout, /^kcore=hidden$/m);
    // The masks that this kernel can show: /proc/keys bound to /dev/null, /sys/firmware emptied.
    assert.match(stdout, /^keys=0$/m);
    assert.match(stdout, /^firmware=0$/m);
    assert.match(stdout, /uid=0 gid=0/);
  } finally {
    await run(RUNC, ['--root', state, 'delete', '--force', id]).catch(() => undefined);
    const left = [...removeCgroupDirs(cgroupsPath, layout), ...removeCgroupDirs(parent, layout)];
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'cgroup directories left behind');
    for (const root of Object.values(layout.v1)) assert.equal(existsSync(join(root, parent)), false);
  }
});
