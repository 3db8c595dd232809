// Scenario per-container: K detached `busybox sleep 3600` containers per engine; the memory of
// everything outside the daemon that exists per container (conmon for berthd and podman,
// containerd-shim-runc-v2 for dockerd) as PSS from smaps_rollup, divided by K. Same method for all.
// PSS splits shared library pages among every process mapping them (other conmons on the machine
// included), so USS, the pages only the monitor holds, is shown beside it as the floor.
import type { BenchContext } from '../context.js';
import { pssKiB, rssKiB, ussKiB, sleep } from '../proc.js';
import { table, mib } from '../stats.js';
import { daemonRss } from './idle-rss.js';

export async function perContainer(ctx: BenchContext): Promise<void> {
  const k = ctx.opts.sleepers;
  for (const e of ctx.engines) {
    process.stderr.write(`per-container: starting ${k} sleepers on ${e.name}\n`);
    const before = await daemonRss(e);
    await e.startSleepers(k, 4);
    await sleep(2000);
    const monitors = await e.monitorPids();
    let pss = 0;
    let rss = 0;
    let uss = 0;
    for (const pid of monitors) {
      pss += await pssKiB(pid);
      rss += await rssKiB(pid);
      uss += await ussKiB(pid);
    }
    const after = await daemonRss(e);
    ctx.results.perContainer.set(e.name, { k, monitors: monitors.length, pssKiB: pss / k, ussKiB: uss / k, rssKiB: rss / k, daemonGrowthKiB: (after - before) / k });
    await e.removeAllContainers(4);
  }
  console.log(`\n## per-container: ${k} running busybox sleep containers; memory outside the daemon per container\n`);
  console.log(
    table(
      ['engine', 'monitors', 'PSS / container', 'USS / container', 'RSS / container', 'daemon RSS growth / container'],
      [...ctx.results.perContainer].map(([name, r]) => [
        name,
        String(r.monitors),
        mib(r.pssKiB),
        mib(r.ussKiB),
        mib(r.rssKiB),
        ctx.results.idleRss.has(name) ? mib(r.daemonGrowthKiB) : '-',
      ]),
    ),
  );
}
