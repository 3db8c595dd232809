// Scenario userns (on request): what userns-remap costs. The one-time ownership shift of a
// 200 MiB image (import into a remapped daemon, where ids are rewritten as files are written,
// against the same import without remapping; and a chown walk of the extracted tree for
// comparison), the first remapped run of it, and `run --rm busybox true` with remapping on vs off,
// without a network and on the default bridge.
import { spawnSync } from 'node:child_process';
import { promises as fs, chmodSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import { TestDaemon, busyboxTar } from '../../test/e2e/harness.js';
import { nextFreeRange, parseSubIds } from '../../src/userns/subid.js';
import { IdMapping } from '../../src/userns/id-mapping.js';
import { shiftTree } from '../../src/userns/ownership.js';
import { summarize, table, ms } from '../stats.js';

const MIB = 1024 * 1024;

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function timedDocker(d: TestDaemon, args: string[]): number {
  const t0 = performance.now();
  const r = d.docker(args, { timeout: 600_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t0;
}

export async function usernsBench(ctx: BenchContext): Promise<void> {
  const user = `bnsb${process.pid}`;
  const subids = (f: string) => parseSubIds(readFileSync(f, 'utf8'));
  const start = Math.max(nextFreeRange(subids('/etc/subuid')), nextFreeRange(subids('/etc/subgid')));
  must('useradd', ['-r', '-s', '/bin/false', user]);
  // Pools of the run's own: Docker's defaults can all be taken on a busy machine.
  const octet = 100 + (randomBytes(1)[0]! % 90);
  const plain = new TestDaemon({ daemonJson: { 'default-address-pools': [{ base: `10.${octet}.0.0/16`, size: 24 }] } });
  const remapped = new TestDaemon({ daemonJson: { 'userns-remap': user, 'default-address-pools': [{ base: `10.${octet + 1}.0.0/16`, size: 24 }] } });
  try {
    must('usermod', ['-v', `${start}-${start + 65535}`, '-w', `${start}-${start + 65535}`, user]);
    chmodSync(remapped.root, 0o711);
    await plain.start();
    await remapped.start();
    // A 200 MiB image: busybox plus 200 files of 1 MiB random data (incompressible, so nothing is skipped).
    const src = join(plain.root, 'big');
    const tarDir = join(plain.root, 'bb');
    await fs.mkdir(tarDir);
    const base = busyboxTar(tarDir);
    must('tar', ['-xf', base, '-C', await fs.mkdir(src, { recursive: true }).then(() => src)]);
    await fs.mkdir(join(src, 'data'));
    for (let i = 0; i < 200; i++) await fs.writeFile(join(src, 'data', `f${i}`), randomBytes(MIB));
    const bigTar = join(plain.root, 'big.tar');
    must('tar', ['-C', src, '-cf', bigTar, '.']);
    for (const d of [plain, remapped]) timedDocker(d, ['import', base, 'busybox']);

    const importPlain = timedDocker(plain, ['import', bigTar, 'big']);
    const importRemapped = timedDocker(remapped, ['import', bigTar, 'big']);
    const firstRun = timedDocker(remapped, ['run', '--rm', '--network', 'none', 'big', 'true']);
    // The alternative Berth does not take: a chown walk over the extracted tree afterwards.
    const mapping = new IdMapping([{ containerID: 0, hostID: start, size: 65536 }], [{ containerID: 0, hostID: start, size: 65536 }]);
    const t0 = performance.now();
    const entries = await shiftTree(src, mapping);
    const walk = performance.now() - t0;

    // Interleaved, so load from other work on the machine falls on both sides alike. The bridge
    // rows include the sandbox, which for a remapped container is a user namespace plus its netns.
    const n = ctx.opts.iterations;
    const rows: string[][] = [];
    for (const net of ['none', 'bridge']) {
      const on: number[] = [];
      const off: number[] = [];
      for (let i = 0; i < n + 3; i++) {
        const a = timedDocker(remapped, ['run', '--rm', '--network', net, 'busybox', 'true']);
        const b = timedDocker(plain, ['run', '--rm', '--network', net, 'busybox', 'true']);
        if (i >= 3) on.push(a), off.push(b);
      }
      const sOn = summarize(on);
      const sOff = summarize(off);
      rows.push(
        [`--network ${net}, remapping off`, ms(sOff.p50), ms(sOff.p90), ms(sOff.min), String(sOff.n)],
        [`--network ${net}, userns-remap on`, ms(sOn.p50), ms(sOn.p90), ms(sOn.min), String(sOn.n)],
        ['  difference of p50 (target ≤ +10 ms)', ms(sOn.p50 - sOff.p50), '', '', ''],
      );
    }
    console.log(`\n## userns: the one-time shift of a 200 MiB image and run --rm with remapping on vs off\n`);
    console.log(
      table(
        ['measure', 'time'],
        [
          ['docker import 200 MiB, no remapping', ms(importPlain)],
          ['docker import 200 MiB, remapped (ids shifted as written)', ms(importRemapped)],
          ['  shift cost (difference)', ms(importRemapped - importPlain)],
          [`chown walk of the same tree afterwards (${entries} entries)`, ms(walk)],
          ['first remapped run --rm of that image', ms(firstRun)],
        ],
        [0],
      ),
    );
    console.log(table(['run --rm busybox true', 'p50', 'p90', 'min', 'n'], rows, [0]));
  } finally {
    await remapped.stop().catch(() => undefined);
    await plain.stop().catch(() => undefined);
    spawnSync('userdel', [user]);
    for (const f of ['/etc/subuid', '/etc/subgid']) {
      const text = readFileSync(f, 'utf8');
      await fs.writeFile(f, text.split('\n').filter((l) => !l.startsWith(`${user}:`)).join('\n'));
    }
  }
}
