// Shared inputs for the oci-spec tests: a host described explicitly, so results do not depend on
// the machine the tests run on.
import type { HostFacts, SpecContext } from '../../../src/containers/oci-spec/types.js';

export function testHost(over: Partial<HostFacts> = {}): HostFacts {
  return {
    capLastCap: 40,
    daemonCaps: (1n << 41n) - 1n,
    arch: 'x64',
    kernelRelease: '6.18.0-1-amd64',
    cgroupVersion: 1,
    blkioWeight: false,
    swapLimit: true,
    cpuCount: 2,
    seccomp: true,
    thermalThrottlePaths: [],
    sysctlExists: () => true,
    hostname: 'testhost',
    ...over,
  };
}

export const ID = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2';

export function testCtx(over: Partial<SpecContext> = {}): SpecContext {
  return {
    containerId: ID,
    rootfs: '/var/lib/berth/overlay2/x/merged',
    cgroupsPath: `/berth/${ID}`,
    host: testHost(),
    ...over,
  };
}
