// Scenario run-rm-bridge (on request): what bridge networking adds to a container start on
// berthd. `run --rm busybox true` with --network none, on the default bridge and on a user
// network (embedded DNS redirect), rows interleaved; prints the network targets.
import type { BenchContext } from '../context.js';
import { countServed } from '../context.js';
import { must, timed } from '../proc.js';
import { summarize, table, ms, type Summary } from '../stats.js';

/** bridge networking adds at most this much to a start's p50 over --network none (issue 7). */
const BRIDGE_OVERHEAD_MS = 15;
/** run --rm on the default bridge (issue 7: at least 3.5x faster than dockerd's 282 ms). */
const BRIDGE_RUN_RM_MS = 80;

export async function runRmBridge(ctx: BenchContext): Promise<void> {
  const net = `bench-${process.pid}`;
  await must(ctx.berthd.cli(['network', 'create', net]));
  const rows = [
    { label: '--network none', args: ['run', '--rm', '--network', 'none', 'busybox', 'true'], samples: [] as number[] },
    { label: 'default bridge', args: ['run', '--rm', 'busybox', 'true'], samples: [] as number[] },
    { label: 'user network (DNS)', args: ['run', '--rm', '--network', net, 'busybox', 'true'], samples: [] as number[] },
  ];
  const { iterations, warmup } = ctx.opts;
  process.stderr.write(`run-rm-bridge: ${warmup} warm-ups + ${iterations} runs of ${rows.length} rows, interleaved\n`);
  try {
    for (let i = 0; i < warmup + iterations; i++) {
      for (const row of rows) {
        const r = await timed(ctx.berthd.cli(row.args));
        if (r.code !== 0) throw new Error(`${row.label}: exit ${r.code}: ${r.stderr.trim()}`);
        countServed(ctx, 'berthd');
        if (i >= warmup) row.samples.push(r.ms);
      }
    }
  } finally {
    await timed(ctx.berthd.cli(['network', 'rm', net]));
  }
  const s = new Map<string, Summary>(rows.map((r) => [r.label, summarize(r.samples)]));
  const none = s.get('--network none')!.p50;
  console.log(`\n## run-rm-bridge: berthd, docker run --rm busybox true by network (delta = p50 - none's p50)\n`);
  console.log(table(['network', 'p50', 'p90', 'min', 'n', 'delta'], rows.map((r) => { const x = s.get(r.label)!; return [r.label, ms(x.p50), ms(x.p90), ms(x.min), String(x.n), ms(x.p50 - none)]; })));
  const bridge = s.get('default bridge')!.p50;
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  console.log(`\n${mark(bridge - none <= BRIDGE_OVERHEAD_MS)}  bridge adds ${ms(bridge - none)} over --network none (target <= ${BRIDGE_OVERHEAD_MS} ms)`);
  console.log(`${mark(bridge <= BRIDGE_RUN_RM_MS)}  run --rm on the default bridge ${ms(bridge)} (target <= ${BRIDGE_RUN_RM_MS} ms)`);
}
