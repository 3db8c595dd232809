// Scenario run-rm: `run --rm --network none busybox true` through each engine's CLI, interleaved
// round-robin so a noisy neighbour on this shared machine hits every row alike, next to raw
// `crun run` / `runc run` of the same busybox tree (the floor).
import type { BenchContext } from '../context.js';
import { RUN_RM_ARGS, countServed } from '../context.js';
import { timed, type Command } from '../proc.js';
import { summarize, table, ms, ratio } from '../stats.js';

interface Row {
  label: string;
  /** The daemon that serves this row, if any. */
  daemon?: string;
  once: () => Promise<number>;
  samples: number[];
  error?: string;
}

export async function runRm(ctx: BenchContext): Promise<void> {
  const rows: Row[] = [];
  const viaCli = (label: string, daemon: string | undefined, c: Command): Row => ({
    label,
    daemon,
    samples: [],
    once: async () => {
      const r = await timed(c);
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim()}`);
      return r.ms;
    },
  });
  for (const e of ctx.engines) rows.push(viaCli(e.name, e.name, e.cli(RUN_RM_ARGS)));
  rows.splice(1, 0, viaCli('berthd (berth CLI)', 'berthd', ctx.berthd.berth(RUN_RM_ARGS)));
  for (const raw of ctx.raws) {
    rows.push({
      label: `raw ${raw.name} run`,
      samples: [],
      once: async () => {
        const { command, id } = raw.next();
        const r = await timed(command);
        await raw.remove(id);
        if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim()}`);
        return r.ms;
      },
    });
  }

  const { iterations, warmup } = ctx.opts;
  process.stderr.write(`run-rm: ${warmup} warm-ups + ${iterations} runs of ${rows.length} rows, interleaved\n`);
  for (let i = 0; i < warmup + iterations; i++) {
    for (const row of rows) {
      if (row.error) continue;
      try {
        const t = await row.once();
        if (row.daemon) countServed(ctx, row.daemon);
        if (i >= warmup) row.samples.push(t);
      } catch (err) {
        row.error = (err as Error).message;
        process.stderr.write(`run-rm: ${row.label} failed, dropping the row: ${row.error}\n`);
      }
    }
  }

  for (const row of rows) if (!row.error) ctx.results.runRm.set(row.label, summarize(row.samples));
  const base = ctx.results.runRm.get('berthd')?.p50 ?? NaN;
  console.log(`\n## run-rm: docker run --rm --network none busybox true (ratio = p50 / berthd's p50)\n`);
  console.log(
    table(
      ['engine', 'p50', 'p90', 'min', 'n', 'ratio vs berthd'],
      rows.map((r) => {
        const s = ctx.results.runRm.get(r.label);
        return s ? [r.label, ms(s.p50), ms(s.p90), ms(s.min), String(s.n), ratio(s.p50, base)] : [r.label, 'failed', '', '', '0', r.error?.slice(0, 60) ?? ''];
      }),
    ),
  );
}
