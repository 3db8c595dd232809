import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SeccompBpfCache } from '../../../src/runtime/seccomp-bpf-cache.js';
import { OciRuntime } from '../../../src/runtime/oci-runtime.js';

test('the BPF crun compiled for a profile is handed to later containers with the same profile', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-bpf-'));
  try {
    const crun = new OciRuntime({ name: 'crun', path: '/usr/bin/crun', root });
    const cache = new SeccompBpfCache();
    const spec = () => ({ linux: { seccomp: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] } } }) as { annotations?: Record<string, string>; linux: { seccomp: unknown } };

    const first = spec();
    const key = cache.annotate(first, crun);
    assert.ok(key, 'the first container compiles the profile');
    assert.equal(first.annotations, undefined);

    const bpf = Buffer.alloc(16, 7); // two BPF instructions
    mkdirSync(join(root, 'c1'));
    writeFileSync(join(root, 'c1', 'seccomp.bpf'), bpf);
    await cache.harvest(key, crun, 'c1');

    const second = spec();
    assert.equal(cache.annotate(second, crun), undefined);
    assert.equal(second.annotations?.['run.oci.seccomp_bpf_data'], bpf.toString('base64'));

    const other = spec();
    (other.linux.seccomp as { defaultAction: string }).defaultAction = 'SCMP_ACT_KILL';
    assert.ok(cache.annotate(other, crun), 'another profile is compiled again');
    const runc = new OciRuntime({ name: 'runc', path: '/usr/bin/runc', root });
    const forRunc = spec();
    assert.equal(cache.annotate(forRunc, runc), undefined);
    assert.equal(forRunc.annotations, undefined, 'runc does not read the annotation');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
